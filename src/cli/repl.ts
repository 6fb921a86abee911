/**
 * `polyrpc repl <url>`: a Node REPL with every remote procedure in scope as an async
 * function; dotted names become nested objects (`credentials.lookup`).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as nodeRepl from 'node:repl';
import { PassThrough } from 'node:stream';
import { Code, RpcError } from '../rpc/errors.js';
import { TransportError } from '../transport/errors.js';
import type { ClientTransport } from '../transport/types.js';
import { Exit, FatalError, milliseconds, parse, parseUrl, UsageError } from './args.js';
import { failureLine, openTransport, TOKEN_HELP } from './remote.js';
import { exampleUrl } from './urls.js';

/** help is the usage text of `polyrpc repl`. */
export const help = `Usage: polyrpc repl <url> [options]

Starts a Node REPL connected to a server. Every remote procedure is an async
function in scope (dotted names become objects), so use await:

  > await add(2, 3)
  5
  > await credentials.lookup('Dalek')
  'Davros'
  > await credentials.lookup('Nobody')
  RpcError(404): Unknown species: Nobody

Names come from system.listMethods (or rpc.discover) and complete with Tab;
the banner counts them as system.listMethods does. .help lists them, .help <name>
prints a procedure's doc and signature; $call('name', ...args) calls any name,
listed or not (also one that would shadow a global, which is left out of scope). History is kept in ~/.polyrpc_history
(or the file named by POLYRPC_HISTORY). Works with piped stdin too.

Options:
  --timeout <time>    per-call timeout: 10, 2.5s, 500ms (default 30s; 0 = never)
${TOKEN_HELP}
  -h, --help          show this help

Examples:
  polyrpc repl ${exampleUrl()}
  polyrpc repl ${exampleUrl({ push: true, last: true })}
  echo "await add(2, 3)" | polyrpc repl ${exampleUrl({ push: true })}
`;

/** RemoteFunction calls one procedure with positional arguments. */
export type RemoteFunction = ((...args: unknown[]) => Promise<unknown>) & { [name: string]: unknown };

/**
 * scopeFor builds the REPL globals for `names`: one async function per name, nested
 * by dots. A name that is also a namespace (`a` and `a.b`) is a function with
 * properties. Names that would shadow an existing global of `reserved` are left out.
 */
export function scopeFor(
  names: readonly string[],
  callRemote: (method: string, args: unknown[]) => Promise<unknown>,
  reserved: (name: string) => boolean = () => false,
): Record<string, unknown> {
  const scope: Record<string, unknown> = Object.create(null);
  // Longest names first is not needed; a function node accepts children later.
  for (const name of [...names].sort()) {
    if (!inScope(name, reserved)) continue;
    const parts = name.split('.');
    let node: Record<string, unknown> = scope;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts[i]!;
      const next = node[key];
      if (next === undefined) node[key] = Object.create(null) as Record<string, unknown>;
      node = node[key] as Record<string, unknown>;
    }
    const leaf = parts[parts.length - 1]!;
    const fn = Object.assign(
      Object.defineProperty((...args: unknown[]) => callRemote(name, args), 'name', { value: name }),
      node[leaf] as object | undefined,
    );
    node[leaf] = fn;
  }
  return scope;
}

function inScope(name: string, reserved: (name: string) => boolean): boolean {
  const parts = name.split('.');
  if (parts.some((p) => p === '' || p === '__proto__' || p === 'prototype' || p === 'constructor'))
    return false;
  return !reserved(parts[0]!);
}

/** leftOutOfScope lists the names {@link scopeFor} leaves out (reachable only through `$call`). */
export function leftOutOfScope(
  names: readonly string[],
  reserved: (name: string) => boolean = () => false,
): string[] {
  return names.filter((n) => !inScope(n, reserved));
}

/**
 * banner is the line the REPL opens with: the procedure count as `system.listMethods`
 * gives it (built-ins included, and counted apart), and any names left out of scope.
 */
export function banner(
  url: URL,
  protocol: string,
  names: readonly string[],
  leftOut: readonly string[],
): string {
  if (names.length === 0) {
    return `Connected to ${url.href} (${protocol}): no procedures listed (use $call('name', ...args)).`;
  }
  const builtin = names.filter((n) => n.startsWith('system.') || n.startsWith('rpc.')).length;
  const own = names.length - builtin;
  const split = builtin === 0 ? '' : ` (${own} + ${builtin} built-in system.*/rpc.*)`;
  const left =
    leftOut.length === 0 ? '' : `; not in scope, call with $call('name', ...): ${leftOut.join(', ')}`;
  return `Connected to ${url.href} (${protocol}): ${names.length} procedures${split}${left}. .help lists them, .help <name> for docs.`;
}

/** procedureList renders `.help` alone: every remote procedure, one per line. */
export function procedureList(names: readonly string[]): string {
  if (names.length === 0) return "Remote procedures: none listed (use $call('name', ...args)).\n";
  const lines = names.map((n) => `  ${n}`).join('\n');
  return `Remote procedures (${names.length}; .help <name> for one's doc and signature):\n${lines}\n\nREPL commands:\n`;
}

/**
 * completeHelp completes the argument of `.help` against the remote names.
 * Returns null when the line is not a `.help` command.
 */
export function completeHelp(names: readonly string[], line: string): [string[], string] | null {
  const m = /^\s*\.help\s+(\S*)$/.exec(line);
  if (m === null) return null;
  const prefix = m[1]!;
  return [names.filter((n) => n.startsWith(prefix)), prefix];
}

/** errorLine renders what a REPL line threw when it is an RPC or transport failure. */
export function errorLine(err: unknown): string | undefined {
  if (err instanceof RpcError) return `RpcError(${err.code}): ${err.message}`;
  if (err instanceof TransportError) return `TransportError(${err.reason}): ${err.message}`;
  return undefined;
}

/**
 * listNames asks the server for its procedure names: `system.listMethods`, else
 * `rpc.discover`. Returns [] when the server has neither.
 * @throws TransportError when the server cannot be reached.
 */
export async function listNames(transport: ClientTransport): Promise<string[]> {
  try {
    const names = await transport.call({ method: 'system.listMethods', params: [] });
    if (Array.isArray(names)) return names.filter((n): n is string => typeof n === 'string');
  } catch (err) {
    if (!(err instanceof RpcError)) throw err;
  }
  try {
    const doc = (await transport.call({ method: 'rpc.discover', params: [] })) as { methods?: unknown };
    if (Array.isArray(doc?.methods)) {
      return doc.methods
        .map((m: unknown) => (m as { name?: unknown })?.name)
        .filter((n): n is string => typeof n === 'string');
    }
  } catch (err) {
    if (!(err instanceof RpcError)) throw err;
  }
  return [];
}

/** describeMethod renders `.help name`: the signature(s) and the doc string, from introspection. */
export async function describeMethod(transport: ClientTransport, name: string): Promise<string> {
  const lines: string[] = [];
  try {
    const sigs = await transport.call({ method: 'system.methodSignature', params: [name] });
    if (Array.isArray(sigs)) {
      for (const sig of sigs) {
        if (!Array.isArray(sig) || sig.length === 0) continue;
        const [result, ...args] = sig.map(String);
        lines.push(`${name}(${args.join(', ')}) → ${result}`);
      }
    }
  } catch (err) {
    if (!(err instanceof RpcError)) throw err;
    if (err.code === Code.MethodNotFound && /no method|can't find/.test(err.message)) {
      return `no procedure named ${name}`;
    }
  }
  if (lines.length === 0) lines.push(`${name}(...)`);
  try {
    const doc = await transport.call({ method: 'system.methodHelp', params: [name] });
    if (typeof doc === 'string' && doc !== '') lines.push(doc);
  } catch (err) {
    if (!(err instanceof RpcError)) throw err;
  }
  return lines.join('\n');
}

/** historyPath is where REPL history is kept: `$POLYRPC_HISTORY`, else `~/.polyrpc_history`. */
export function historyPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.POLYRPC_HISTORY ?? join(homedir(), '.polyrpc_history');
}

/** Feeder passes piped lines to the REPL one at a time. */
interface Feeder {
  readonly input: PassThrough;
  /** ready says the REPL has finished the last line (it showed a prompt). */
  ready(): void;
  stop(): void;
}

/**
 * createFeeder reads lines from a pipe and hands the REPL the next one only once the
 * previous one has finished. Node's REPL evaluates piped lines as they arrive, so
 * `await` lines would otherwise overlap and print out of order. At the end of the
 * input, the REPL input ends after the last line has finished.
 */
function createFeeder(source: NodeJS.ReadableStream): Feeder {
  const input = new PassThrough();
  const lines = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  const queue: string[] = [];
  let busy = true;
  let ended = false;
  const pump = (): void => {
    if (busy || input.writableEnded) return;
    const line = queue.shift();
    if (queue.length < 64) lines.resume();
    if (line !== undefined) {
      busy = true;
      input.write(`${line}\n`);
    } else if (ended) {
      input.end();
    }
  };
  lines.on('line', (line) => {
    queue.push(line);
    if (queue.length >= 256) lines.pause();
    pump();
  });
  lines.once('close', () => {
    ended = true;
    pump();
  });
  return {
    input,
    ready() {
      busy = false;
      setImmediate(pump);
    },
    stop() {
      ended = true;
      queue.length = 0;
      lines.close();
    },
  };
}

/** run executes `polyrpc repl` and resolves with the exit status when the REPL ends. */
export async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    timeout: { type: 'string' },
    token: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    process.stdout.write(help);
    return Exit.Ok;
  }
  const [urlText, ...extra] = positionals;
  if (urlText === undefined) throw new UsageError('missing <url>');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const url = parseUrl(urlText);
  const transport = openTransport(url, {
    timeout: milliseconds('timeout', values.timeout),
    token: values.token as string | undefined,
  });

  let names: string[];
  try {
    names = (await listNames(transport)).sort();
  } catch (err) {
    await transport.close().catch(() => {});
    throw new FatalError(failureLine(err, { url, protocol: transport.protocol }).replace(/^polyrpc: /, ''));
  }
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;

  const feeder = terminal ? undefined : createFeeder(process.stdin);
  const stopFeeding = (): void => feeder?.stop();
  // No prompt until the banner is out: which names are left out of scope is known
  // only once the REPL's context exists.
  const server = nodeRepl.start({
    prompt: '',
    input: feeder?.input ?? process.stdin,
    output: process.stdout,
    terminal,
    useGlobal: false,
    ignoreUndefined: true,
  });
  const taken = (n: string): boolean => n in server.context;
  const leftOut = leftOutOfScope(names, taken);
  if (terminal || names.length === 0 || leftOut.length > 0) {
    server.output.write(`${banner(url, transport.protocol, names, leftOut)}\n`);
  }
  server.setPrompt(`${transport.protocol}> `);
  if (feeder !== undefined) {
    const displayPrompt = server.displayPrompt.bind(server);
    server.displayPrompt = (preserveCursor?: boolean) => {
      displayPrompt(preserveCursor);
      feeder.ready();
    };
  }
  server.displayPrompt();
  const callRemote = (method: string, args: unknown[]): Promise<unknown> =>
    transport.call({ method, params: args });
  Object.assign(server.context, scopeFor(names, callRemote, taken), {
    $call: (method: string, ...args: unknown[]) => callRemote(method, args),
  });

  // RPC and transport failures print as one line (`Uncaught RpcError(404): …` when
  // thrown), not as a stack; the REPL goes on either way.
  const writer = server.writer;
  (server as unknown as { writer: (v: unknown) => string }).writer = (value) =>
    errorLine(value) ?? writer.call(server, value);

  const completer = server.completer;
  (server as unknown as { completer: typeof completer }).completer = (line, cb) => {
    const own = completeHelp(names, line);
    if (own !== null) return cb(null, own);
    return (completer as (l: string, c: typeof cb) => void).call(server, line, cb);
  };

  const builtinHelp = server.commands.help;
  server.defineCommand('help', {
    help: 'List the remote procedures and the REPL commands, or print one procedure’s doc and signature (.help <name>)',
    action(name: string) {
      const wanted = name.trim();
      if (wanted === '') {
        server.output.write(procedureList(names));
        builtinHelp?.action.call(server, '');
        return;
      }
      describeMethod(transport, wanted)
        .then(
          (text) => server.output.write(`${text}\n`),
          (err: unknown) => server.output.write(`${errorLine(err) ?? failureLine(err)}\n`),
        )
        .finally(() => server.displayPrompt());
    },
  });

  if (terminal) {
    await new Promise<void>((resolve) => {
      server.setupHistory(historyPath(), (err) => {
        if (err !== null) process.stderr.write(`polyrpc repl: history disabled: ${err.message}\n`);
        resolve();
      });
    });
  }

  await new Promise<void>((resolve) => server.once('exit', resolve));
  stopFeeding();
  await transport.close().catch(() => {});
  return Exit.Ok;
}
