// polyrpc explorer: browse, call and subscribe to a polyrpc service from a browser.
// A plain ES module with no dependencies and no build step. It speaks JSON-RPC 2.0 over
// the WebSocket at /ws of the page's own origin, and reads `rpc.discover` (OpenRPC)
// for the procedures and their parameter schemas. Every string from the server or the
// user reaches the DOM as text (textContent / text nodes), never as markup.

import { chatView } from './chat.js';
import { $, clock, h, setStatus } from './dom.js';
import { collect, field, signature } from './fields.js';
import { RemoteError, Rpc, UNAUTHENTICATED, WS_PATH } from './rpc.js';
import { copy, snippets } from './snippets.js';

const MAX_EVENTS = 200;

// ---- results -----------------------------------------------------------------------

const pretty = (v) => (v === undefined ? 'undefined' : JSON.stringify(v, null, 2));
const ms = (t) => `${t < 10 ? t.toFixed(1) : Math.round(t)} ms`;

function showOutcome(box, outcome) {
  const { ok, value, error, elapsed } = outcome;
  const head = ok
    ? h('p', { class: 'outcome ok' }, h('strong', null, 'ok'), ` · ${ms(elapsed)}`)
    : h(
        'p',
        { class: 'outcome error' },
        h('strong', null, error.code === undefined ? 'failed' : `error ${error.code}`),
        `: ${error.message}`,
        elapsed === undefined ? '' : ` · ${ms(elapsed)}`,
      );
  const body = ok
    ? h('pre', { class: 'value', tabindex: '0' }, pretty(value))
    : error.data === undefined
      ? null
      : h('pre', { class: 'value', tabindex: '0' }, pretty(error.data));
  box.replaceChildren(head, body ?? '');
}

// ---- views -------------------------------------------------------------------------

function methodView(rpc, m) {
  const fields = m.params.map(field);
  const outcome = h('section', { class: 'result', 'aria-live': 'polite', 'aria-label': 'Result' });
  const copyList = h('div', { class: 'copy' });
  const streams = h('div', { class: 'streams' });
  const submit = h('button', { type: 'submit', class: 'primary' }, m.subscription ? 'Subscribe' : 'Call');
  const form = h(
    'form',
    { class: 'call', novalidate: true },
    fields.length === 0 ? h('p', { class: 'muted' }, 'No parameters.') : fields.map((f) => f.row),
    h('div', { class: 'actions' }, submit),
  );

  const refreshCopy = () => {
    if (m.subscription) {
      copyList.replaceChildren();
      return;
    }
    const call = collect(fields);
    if (call.error !== undefined) {
      copyList.replaceChildren(
        h('p', { class: 'muted' }, `Fill in the form to copy the call (${call.error}).`),
      );
      return;
    }
    copyList.replaceChildren(
      ...snippets(m.name, call).map(([title, text]) => {
        const button = h('button', { type: 'button', class: 'small' }, 'Copy');
        button.addEventListener('click', () => copy(text, button));
        return h(
          'div',
          { class: 'snippet' },
          h('div', { class: 'snippet-head' }, h('span', null, title), button),
          h('pre', null, text),
        );
      }),
    );
  };
  form.addEventListener('input', refreshCopy);
  form.addEventListener('change', refreshCopy);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const call = collect(fields);
    if (call.error !== undefined) {
      call.field.input.focus();
      showOutcome(outcome, { ok: false, error: { message: call.error } });
      return;
    }
    if (m.subscription) {
      startStream(rpc, m, call.params, streams);
      return;
    }
    submit.disabled = true;
    const start = performance.now();
    try {
      const value = await rpc.call(m.name, call.params);
      showOutcome(outcome, { ok: true, value, elapsed: performance.now() - start });
    } catch (err) {
      const error = err instanceof RemoteError ? err : { message: err.message };
      showOutcome(outcome, { ok: false, error, elapsed: performance.now() - start });
    } finally {
      submit.disabled = false;
    }
  });

  refreshCopy();
  const view = h(
    'article',
    { class: 'view', 'data-method': m.name },
    h(
      'h2',
      { tabindex: '-1' },
      m.name,
      m.subscription ? h('span', { class: 'badge' }, 'subscription') : null,
    ),
    h('p', null, h('code', { class: 'signature' }, signature(m))),
    m.description ? h('p', { class: 'doc' }, m.description) : null,
    form,
    outcome,
    streams,
    m.subscription
      ? null
      : h(
          'details',
          { class: 'copy-as' },
          h('summary', null, 'Copy as command line, curl or Python'),
          copyList,
        ),
  );
  view.focusFirst = () => (fields[0]?.input ?? submit).focus();
  return view;
}

/** startStream subscribes and shows the pushed events live, with a Stop button. */
async function startStream(rpc, m, params, into) {
  const events = h('ol', { class: 'events', role: 'log', 'aria-label': 'Events' });
  const state = h('span', { class: 'stream-state' }, 'subscribing…');
  const stop = h('button', { type: 'button', class: 'small' }, 'Stop');
  const title = `${m.name}(${(Array.isArray(params) ? params : [params]).map((p) => JSON.stringify(p)).join(', ')})`;
  const card = h(
    'section',
    { class: 'stream', 'aria-label': title },
    h('div', { class: 'stream-head' }, h('code', null, title), state, stop),
    events,
  );
  into.prepend(card);
  const ended = (error, stopped) => {
    stop.disabled = true;
    state.textContent = stopped
      ? 'stopped'
      : error
        ? `ended: ${error.code ?? ''} ${error.message ?? ''}`.trim()
        : 'ended';
    card.classList.add('ended');
  };
  const onEvent = (event) => {
    const li = h('li', null, h('time', null, clock(new Date())), ' ', h('code', null, JSON.stringify(event)));
    events.append(li);
    while (events.childElementCount > MAX_EVENTS) events.firstElementChild?.remove();
    li.scrollIntoView({ block: 'nearest' });
  };
  try {
    const subId = await rpc.subscribe(m.name, params, onEvent, ended);
    state.textContent = `live (#${subId})`;
    stop.addEventListener('click', () => {
      stop.disabled = true;
      rpc.unsubscribe(subId).catch(() => {});
    });
  } catch (err) {
    ended({ code: err.code, message: err.message });
  }
}

// ---- navigation ------------------------------------------------------------------

function groupsOf(methods) {
  const groups = new Map();
  for (const m of methods) {
    const dot = m.name.lastIndexOf('.');
    const ns = dot < 0 ? '' : m.name.slice(0, dot);
    if (!groups.has(ns)) groups.set(ns, []);
    groups.get(ns).push(m);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
}

function main() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}`;
  let loaded = false;
  const rpc = new Rpc(url, (state, retryMs) => {
    if (state === 'open') {
      setStatus(`connected · ${url}`, 'open');
      if (!loaded) load();
      else for (const f of rpc.onReconnect) f();
    } else if (state === 'closed') setStatus(`disconnected · retrying in ${retryMs / 1000} s`, 'closed');
    else setStatus(`connecting to ${url}…`, 'connecting');
  });
  const views = new Map();
  const links = new Map();
  let methods = [];

  const select = (key, focus) => {
    const view = views.get(key);
    if (view === undefined) return;
    for (const [k, a] of links) a.setAttribute('aria-current', k === key ? 'page' : 'false');
    const mainEl = $('main');
    if (!view.isConnected) mainEl.append(view);
    for (const v of mainEl.querySelectorAll('.view')) v.hidden = v !== view;
    $('empty').hidden = true;
    view.start?.();
    if (focus) view.focusFirst();
  };
  const fromHash = (focus) => {
    const key = decodeURIComponent(location.hash.slice(1));
    if (views.has(key)) select(key, focus);
  };

  // The server wants a credential: a token field, then load again once it is accepted.
  function askToken(message) {
    const box = $('empty');
    box.textContent = '';
    const form = h('form', { class: 'token', 'aria-label': 'Authenticate' });
    const input = h('input', { type: 'password', id: 'token', autocomplete: 'current-password' });
    const note = h('p', { role: 'status' }, message);
    form.append(
      h('label', { for: 'token' }, 'This server needs a token: '),
      input,
      h('button', { type: 'submit' }, 'Authenticate'),
      note,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      rpc.authenticate(input.value).then(
        () => load(),
        (err) => {
          note.textContent = err.message;
        },
      );
    });
    box.append(form);
    box.hidden = false;
    input.focus();
  }

  async function load() {
    let doc;
    try {
      doc = await rpc.call('rpc.discover', []);
    } catch (err) {
      if (err.code === UNAUTHENTICATED) askToken(err.message);
      else $('empty').textContent = `Cannot read the procedures (rpc.discover): ${err.message}`;
      return;
    }
    loaded = true;
    $('title').textContent = doc.info?.title ?? 'polyrpc';
    $('version').textContent = doc.info?.version ? `v${doc.info.version}` : '';
    document.title = `${doc.info?.title ?? 'polyrpc'} · explorer`;
    methods = (doc.methods ?? []).map((m) => ({
      name: String(m.name),
      description: String(m.description ?? ''),
      subscription: m['x-subscription'] === true,
      params: (m.params ?? []).map((p) => ({
        name: String(p.name),
        required: p.required === true,
        schema: p.schema ?? {},
      })),
      result: m.result?.schema ?? {},
    }));
    const nav = $('groups');
    const names = new Set(methods.map((m) => m.name));
    const hasChat = names.has('chat.send') && names.has('chat.subscribe') && names.has('chat.history');
    for (const [ns, list] of groupsOf(methods)) {
      const items = list.map((m) => {
        views.set(`method/${m.name}`, methodView(rpc, m));
        const a = h(
          'a',
          { href: `#method/${encodeURIComponent(m.name)}`, 'data-name': m.name, title: m.description },
          ns === '' ? m.name : m.name.slice(ns.length + 1),
          m.subscription ? h('span', { class: 'badge' }, 'push') : null,
        );
        links.set(`method/${m.name}`, a);
        return h('li', null, a);
      });
      if (ns === 'chat' && hasChat) {
        views.set('chat', chatView(rpc));
        const a = h(
          'a',
          { href: '#chat', class: 'tool', 'data-name': 'chat room' },
          'chat room',
          h('span', { class: 'badge' }, 'live'),
        );
        links.set('chat', a);
        items.unshift(h('li', null, a));
      }
      nav.append(
        h('section', { class: 'group' }, h('h3', null, ns === '' ? 'top level' : ns), h('ul', null, items)),
      );
    }
    $('empty').textContent = `${methods.length} procedures. Pick one on the left.`;
    fromHash(false);
  }

  addEventListener('hashchange', () => fromHash(true));
  const filter = $('filter');
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const group of document.querySelectorAll('#groups .group')) {
      let shown = 0;
      for (const a of group.querySelectorAll('a')) {
        const hit = q === '' || a.dataset.name.toLowerCase().includes(q);
        a.parentElement.hidden = !hit;
        if (hit) shown++;
      }
      group.hidden = shown === 0;
    }
  });
  filter.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const first = [...document.querySelectorAll('#groups li')].find(
      (li) => !li.hidden && !li.closest('.group').hidden,
    );
    first?.querySelector('a')?.click();
  });
  addEventListener('keydown', (e) => {
    const t = e.target;
    const typing =
      t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      filter.focus();
    }
  });
}

main();
