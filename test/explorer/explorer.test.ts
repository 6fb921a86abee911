// The explorer page in a real browser (headless Chromium): the procedure list, a
// call through the form, an error, the chat room between two pages and a Node
// client, the copy-as snippets, and no console errors. The screenshot in the README
// comes from here: POLYRPC_SCREENSHOTS=docs npx vitest run test/explorer writes
// docs/explorer.png (a call) and docs/explorer-chat.png (the chat room).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { defineService, param, procedure } from '../../src/rpc/service.js';
import { createClient } from '../../src/sdk/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { killAll, runCli, spawnCli, stop } from '../cli/process.js';
import { launchChromium, watchConsole } from './browser.js';

let server: RpcServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: string[];

beforeAll(async () => {
  server = await serve(createDemoService(), { httpPort: 0, ports: { jsonrpc: 0, msgpack: 0 } });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1100, height: 760 }, reducedMotion: 'reduce' });
  page = await context.newPage();
  errors = watchConsole(page);
  await page.goto(server.explorer!);
}, 30_000);

afterAll(async () => {
  killAll();
  await browser?.close();
  await server?.close(0);
});

const url = (kind: string): string => server.listeners.find((l) => l.url.startsWith(kind))!.url;

describe('explorer page', () => {
  it('lists every procedure, grouped by namespace, with doc and signature', async () => {
    await expect.poll(() => page.locator('#status').getAttribute('data-state')).toBe('open');
    const groups = page.locator('#groups .group h3');
    await expect.poll(() => groups.allTextContents()).toEqual(['top level', 'chat', 'credentials']);
    const names = await page.locator('#groups a').evaluateAll((as) => as.map((a) => a.dataset.name));
    expect(names).toEqual([
      'add',
      'hypotenuse',
      'echo',
      'chat room',
      'chat.send',
      'chat.history',
      'chat.subscribe',
      'credentials.lookup',
    ]);
    await page.fill('#filter', 'look');
    expect(await page.locator('#groups li:not([hidden]) a').allTextContents()).toEqual(['lookup']);
    await page.fill('#filter', '');
    await page.click('a[data-name="hypotenuse"]');
    const view = page.locator('article[data-method="hypotenuse"]');
    await expect
      .poll(() => view.locator('.signature').textContent())
      .toBe('hypotenuse(a: number, b: number) → number');
    expect(await view.locator('.doc').textContent()).toMatch(/length of the hypotenuse/);
  });

  it('calls add(2, 3) through the form and shows 5 with the round-trip time', async () => {
    await page.click('a[data-name="add"]');
    const view = page.locator('article[data-method="add"]');
    // Keyboard: the first field has focus after picking a procedure; Enter submits.
    await page.keyboard.type('2');
    await page.keyboard.press('Tab');
    await page.keyboard.type('3');
    await page.keyboard.press('Enter');
    await expect.poll(() => view.locator('.result pre').textContent()).toBe('5');
    expect(await view.locator('.result .outcome').textContent()).toMatch(/^ok · [\d.]+ ms$/);

    await view.locator('details.copy-as summary').click();
    const snippets = await view.locator('.snippet pre').allTextContents();
    const port = new URL(server.explorer!).port;
    expect(snippets[0]).toBe(`polyrpc call ws://127.0.0.1:${port}/ws add 2 3`);
    expect(snippets[1]).toBe(
      `curl -s -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"add","params":[2,3]}' http://127.0.0.1:${port}/jsonrpc`,
    );
    expect(snippets[2]).toContain('print(s.add(2, 3))');
    // The copied lines run as they are (the curl body is the JSON-RPC request `call` sends too).
    const [cli, python] = await Promise.all([
      runCli(snippets[0]!.split(' ').slice(1)),
      runCli([], { command: ['/usr/bin/python3', '-c', snippets[2]!] }),
    ]);
    expect(cli, cli.stderr).toMatchObject({ code: 0, stdout: '5\n' });
    expect(python).toMatchObject({ code: 0, stdout: '5\n' });
  });

  it("shows error 404 for credentials.lookup('Nobody')", async () => {
    await page.goto(`${server.explorer}#method/credentials.lookup`);
    const view = page.locator('article[data-method="credentials.lookup"]');
    await view.locator('input').fill('Nobody');
    await view.locator('button[type=submit]').click();
    await expect
      .poll(() => view.locator('.result .outcome').textContent())
      .toMatch(/^error 404: Unknown species: Nobody · [\d.]+ ms$/);
    // Strings from the wire are text, never markup.
    await view.locator('input').fill('<img src=x onerror=alert(1)>');
    await view.locator('button[type=submit]').click();
    await expect.poll(() => view.locator('.result .outcome').textContent()).toMatch(/Unknown species: <img/);
    expect(await view.locator('.result img').count()).toBe(0);
  });

  it('carries chat messages between two pages, a Node client and the page', async () => {
    await page.click('a[data-name="chat room"]');
    await expect.poll(() => page.locator('#chat-state').getAttribute('data-room')).toBe('lobby');
    const other = await context.newPage();
    const otherErrors = watchConsole(other);
    await other.goto(`${server.explorer}#chat`);
    await expect.poll(() => other.locator('#chat-state').getAttribute('data-room')).toBe('lobby');

    await other.fill('#chat-nick', 'rory');
    await other.fill('#chat-text', 'hello from the second page');
    await other.press('#chat-text', 'Enter');
    const messages = page.locator('#chat .messages li');
    await expect.poll(() => messages.last().textContent()).toMatch(/rory: hello from the second page$/);

    // A Node client over msgpack: what it sends appears in the page, and the other way round.
    const rpc = createClient<DemoService>(url('msgpack:'));
    const pushed: string[] = [];
    const sub = rpc.chat.subscribe('lobby');
    await sub.ready;
    const reading = (async () => {
      for await (const m of sub) {
        if (m.nick === 'amy') continue; // its own
        pushed.push(`${m.nick}: ${m.text}`);
        break;
      }
    })();
    await rpc.chat.send('lobby', 'hi from node', 'amy');
    await expect.poll(() => messages.last().textContent()).toMatch(/amy: hi from node$/);
    await expect
      .poll(() => other.locator('#chat .messages li').last().textContent())
      .toMatch(/amy: hi from node$/);

    await page.fill('#chat-nick', 'clara');
    await page.fill('#chat-text', 'and back to node');
    await page.click('#chat .chat-say button');
    await reading;
    expect(pushed).toEqual(['clara: and back to node']);
    await expect
      .poll(() => other.locator('#chat .messages li').last().textContent())
      .toMatch(/clara: and back to node$/);
    await rpc.$close();
    await other.close();
    expect(otherErrors).toEqual([]);
  });

  it('talks with `polyrpc chat` in a terminal, both ways', async () => {
    const ws = server.listeners.find((l) => l.url.startsWith('ws:'))!.url;
    const term = spawnCli(['chat', ws, 'lobby', '--nick', 'donna']);
    await term.waitFor(/joined lobby as donna \(push\)/, 'stderr', 15_000);
    term.write('from the terminal\n');
    const messages = page.locator('#chat .messages li');
    await expect.poll(() => messages.last().textContent()).toMatch(/donna: from the terminal$/);
    await page.fill('#chat-text', 'from the page');
    await page.press('#chat-text', 'Enter');
    await term.waitFor(/\] clara: from the page\n/);
    term.end();
    expect((await stop(term)).code).toBe(0);
  });

  it('subscribes to chat.subscribe from its form and stops', async () => {
    await page.click('a[data-name="chat.subscribe"]');
    const view = page.locator('article[data-method="chat.subscribe"]');
    await view.locator('input').first().fill('tardis'); // room; afterId stays empty
    await view.locator('button[type=submit]').click();
    await expect.poll(() => view.locator('.stream-state').textContent()).toMatch(/^live/);
    const rpc = createClient<DemoService>(url('tcp:'));
    await rpc.chat.send('tardis', 'allons-y', 'ten');
    await expect
      .poll(() => view.locator('.events li code').last().textContent())
      .toMatch(/"text":"allons-y"/);
    await view.locator('.stream-head button').click();
    await expect.poll(() => view.locator('.stream-state').textContent()).toBe('stopped');
    await rpc.$close();
  });

  it('builds typed fields and checks JSON before sending', async () => {
    await page.click('a[data-name="echo"]');
    const view = page.locator('article[data-method="echo"]');
    await view.locator('textarea').fill('{"a": [1, 2');
    await view.locator('button[type=submit]').click();
    await expect.poll(() => view.locator('.field-error').textContent()).toMatch(/^not JSON/);
    await view.locator('textarea').fill('{"a": [1, 2], "b": "é"}');
    await view.locator('button[type=submit]').click();
    await expect
      .poll(() => view.locator('.result pre').textContent())
      .toBe('{\n  "a": [\n    1,\n    2\n  ],\n  "b": "é"\n}');
  });

  it('is readable on a narrow window, and logs no console errors', async () => {
    await page.setViewportSize({ width: 380, height: 700 });
    await page.click('a[data-name="add"]');
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(380);
    await page.setViewportSize({ width: 1100, height: 760 });
    const dir = process.env.POLYRPC_SCREENSHOTS;
    for (const [name, file] of [
      ['add', 'explorer.png'],
      ['chat room', 'explorer-chat.png'],
    ] as const) {
      await page.click(`a[data-name="${name}"]`);
      const shot = await page.screenshot();
      expect(shot.byteLength).toBeGreaterThan(1000);
      if (dir !== undefined) writeFileSync(join(dir, file), shot);
    }
    expect(errors).toEqual([]);
  });
});

// A service whose parameters cover every kind of field the form builds. Over JSON-RPC
// a date arrives as an ISO string and bytes as base64, so these schemas take those
// (and are still marked Date / Uint8Array in rpc.discover).
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const typed = defineService({
  kinds: procedure({
    doc: 'kinds(...) tells what it got.',
    params: [
      param('n', z.number().int()),
      param('flag', z.boolean()),
      param('at', z.coerce.date()),
      param(
        'data',
        z.custom<Uint8Array | string>(
          (v) => v instanceof Uint8Array || (typeof v === 'string' && v !== '' && base64.test(v)),
        ),
      ),
      param('tags', z.array(z.string())),
      param('mode', z.enum(['fast', 'slow']).optional()),
    ],
    result: z.unknown(),
    handler: ({ n, flag, at, data, tags, mode }) => ({
      n,
      flag,
      at: at.toISOString(),
      bytes: typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : data.byteLength,
      tags,
      mode: mode ?? null,
    }),
  }),
});

describe('explorer forms', () => {
  it('builds number, check box, date, file, JSON and list fields from the schemas', async () => {
    const typedServer = await serve(typed, { httpPort: 0, ports: { jsonrpc: null, msgpack: null } });
    const utc = await browser.newContext({ timezoneId: 'UTC' });
    try {
      const p = await utc.newPage();
      const pageErrors = watchConsole(p);
      await p.goto(`${typedServer.explorer}#method/kinds`);
      const view = p.locator('article[data-method="kinds"]');
      await expect
        .poll(() => view.locator('.signature').textContent())
        .toBe(
          'kinds(n: integer, flag: boolean, at: Date, data: bytes, tags: string[], mode?: "fast" | "slow") → any',
        );
      expect(await view.locator('input[type=number]').getAttribute('step')).toBe('1');
      await view.locator('input[type=number]').fill('7');
      await view.locator('input[type=checkbox]').check();
      await view.locator('input[type=datetime-local]').fill('2024-01-02T03:04:05.678');
      await view.locator('input[type=file]').setInputFiles({
        name: 'hello.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('hello, bytes'),
      });
      await expect
        .poll(() => view.locator('.field-bytes textarea').inputValue())
        .toBe(Buffer.from('hello, bytes').toString('base64'));
      await view.locator('.field-json textarea').fill('{"not": "an array"}');
      await view.locator('button[type=submit]').click();
      await expect
        .poll(() => view.locator('.field-json .field-error').textContent())
        .toBe('must be a JSON array');
      await view.locator('.field-json textarea').fill('["a", "b"]');
      await view.locator('select').selectOption('slow');
      await view.locator('button[type=submit]').click();
      await expect
        .poll(async () => JSON.parse((await view.locator('.result pre').textContent()) ?? 'null'))
        .toEqual({
          n: 7,
          flag: true,
          at: '2024-01-02T03:04:05.678Z',
          bytes: 'hello, bytes',
          tags: ['a', 'b'],
          mode: 'slow',
        });
      await view.locator('details.copy-as summary').click();
      const python = (await view.locator('.snippet pre').allTextContents())[2]!;
      expect(python).toMatch(/^import xmlrpc.client, datetime, base64\n/);
      expect(python).toContain(
        `s.kinds(7, True, datetime.datetime.fromisoformat("2024-01-02T03:04:05.678+00:00"), base64.b64decode("${Buffer.from('hello, bytes').toString('base64')}"), ["a", "b"], "slow")`,
      );
      expect(pageErrors).toEqual([]);
    } finally {
      await utc.close();
      await typedServer.close(0);
    }
  });
});

describe('explorer page with authentication', () => {
  it('asks for the token, refuses a wrong one, and lists the procedures once it is accepted', async () => {
    const { createTokenAuthenticator } = await import('../../src/rpc/auth.js');
    const guarded = await serve(createDemoService(), {
      httpPort: 0,
      ports: { jsonrpc: null, msgpack: null },
      explorer: true,
      authenticate: createTokenAuthenticator('explorer-secret'),
    });
    const tab = await context.newPage();
    const tabErrors = watchConsole(tab);
    try {
      await tab.goto(guarded.explorer!);
      const input = tab.locator('form.token input#token');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('wrong');
      await tab.locator('form.token button').click();
      await expect
        .poll(() => tab.locator('form.token [role=status]').textContent())
        .toMatch(/authentication failed/);
      await input.fill('explorer-secret');
      await tab.locator('form.token button').click();
      await expect.poll(() => tab.locator('#groups a[data-name="add"]').count()).toBe(1);
      // The token is kept for the tab: a reload authenticates by itself.
      await tab.reload();
      await expect.poll(() => tab.locator('#groups a[data-name="add"]').count()).toBe(1);
      expect(await tab.locator('form.token').count()).toBe(0);
      expect(tabErrors).toEqual([]);
    } finally {
      await tab.close();
      await guarded.close(0);
    }
  });
});
