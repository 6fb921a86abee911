// polyrpc explorer: browse, call and subscribe to a polyrpc service from a browser.
// A plain ES module with no dependencies and no build step. It speaks JSON-RPC 2.0 over
// the WebSocket at /ws of the page's own origin, and reads `rpc.discover` (OpenRPC)
// for the procedures and their parameter schemas. Every string from the server or the
// user reaches the DOM as text (textContent / text nodes), never as markup.

const WS_PATH = '/ws';
const MAX_EVENTS = 200;
const MAX_CHAT = 500;

// ---- DOM ------------------------------------------------------------------------

/** h builds an element; string children become text nodes, `on*` props listeners. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const $ = (id) => document.getElementById(id);
let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

function setStatus(text, state) {
  const el = $('status');
  el.textContent = text;
  el.dataset.state = state;
}

// ---- JSON-RPC over WebSocket -----------------------------------------------------

/** RemoteError is a JSON-RPC error reply: code, message, data. */
class RemoteError extends Error {
  constructor(error) {
    super(String(error?.message ?? 'error'));
    this.code = error?.code;
    this.data = error?.data;
  }
}

/**
 * Rpc is one WebSocket with a pending map keyed by id. It reconnects after a drop
 * (every call then in flight fails, every subscription ends) and queues messages sent
 * while connecting.
 */
class Rpc {
  constructor(url, onState) {
    this.url = url;
    this.onState = onState;
    this.seq = 0;
    this.pending = new Map();
    this.subs = new Map();
    this.queue = [];
    this.retryMs = 500;
    /** Called after a reconnect (not the first connect). */
    this.onReconnect = [];
    this.open();
  }

  open() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.onState('connecting');
    ws.onopen = () => {
      this.retryMs = 500;
      for (const m of this.queue.splice(0)) ws.send(m);
      this.onState('open');
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = () => {
      const lost = new Error('the connection was lost');
      for (const p of this.pending.values()) p.reject(lost);
      this.pending.clear();
      for (const s of this.subs.values()) s.onEnd({ message: 'the connection was lost' });
      this.subs.clear();
      this.onState('closed', this.retryMs);
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 8000);
    };
  }

  send(message) {
    const text = JSON.stringify(message);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.queue.push(text);
  }

  receive(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (m.method === 'rpc.event' || m.method === 'rpc.end') {
      const [id, value] = Array.isArray(m.params) ? m.params : [];
      const sub = this.subs.get(id);
      if (sub === undefined) return;
      if (m.method === 'rpc.event') sub.onEvent(value);
      else {
        this.subs.delete(id);
        sub.onEnd(value);
      }
      return;
    }
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (m.error !== undefined) p.reject(new RemoteError(m.error));
    else p.resolve(m.result);
  }

  /** call sends one request and resolves with its result (rejects with RemoteError or Error). */
  call(method, params) {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  /** subscribe resolves with the subscription id once the server has opened it. */
  async subscribe(method, params, onEvent, onEnd) {
    const id = ++this.seq;
    const subId = await new Promise((resolve, reject) => {
      // Registered before any event can arrive: the reply is read in the same task.
      this.pending.set(id, {
        resolve: (subId) => {
          this.subs.set(subId, { onEvent, onEnd });
          resolve(subId);
        },
        reject,
      });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
    return subId;
  }

  async unsubscribe(subId) {
    const sub = this.subs.get(subId);
    this.subs.delete(subId);
    try {
      await this.call('rpc.unsubscribe', [subId]);
    } finally {
      sub?.onEnd(undefined, true);
    }
  }
}

// ---- schemas and types -----------------------------------------------------------

/** kindOf picks the form control for a parameter's JSON Schema. */
function kindOf(schema) {
  if (schema['x-wire-type'] === 'Date') return 'date';
  if (schema['x-wire-type'] === 'Uint8Array') return 'bytes';
  if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string')) return 'enum';
  switch (schema.type) {
    case 'integer':
    case 'number':
    case 'string':
    case 'boolean':
      return schema.type;
    default:
      return 'json';
  }
}

/** typeName renders a JSON Schema as a short type for signatures. */
function typeName(schema, depth = 0) {
  if (schema === undefined || schema === null) return 'any';
  if (schema['x-wire-type'] === 'Date') return 'Date';
  if (schema['x-wire-type'] === 'Uint8Array') return 'bytes';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return [...new Set(union.map((s) => typeName(s, depth)))].join(' | ');
  if (schema.type === 'array') return `${typeName(schema.items, depth + 1)}[]`;
  if (schema.type === 'object' && schema.properties !== undefined && depth < 1) {
    const req = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties).map(
      ([k, s]) => `${k}${req.has(k) ? '' : '?'}: ${typeName(s, depth + 1)}`,
    );
    return `{ ${fields.join(', ')} }`;
  }
  if (typeof schema.type === 'string') return schema.type;
  return 'any';
}

function signature(m) {
  const params = m.params.map((p) => `${p.name}${p.required ? '' : '?'}: ${typeName(p.schema)}`);
  const arrow = m.subscription ? ' ⇒ stream of ' : ' → ';
  return `${m.name}(${params.join(', ')})${arrow}${typeName(m.result)}`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// ---- form fields -------------------------------------------------------------------

/**
 * field builds the control for one parameter. Its `read()` returns
 * `{ omitted: true }`, `{ value }` or `{ error }`; an empty optional field is left out.
 */
function field(param) {
  const { name, required, schema } = param;
  const kind = kindOf(schema);
  const id = nextId(`p-${name}`);
  const hint = h('span', { class: 'hint' }, typeName(schema), required ? '' : ', optional');
  const message = h('span', { class: 'field-error', id: `${id}-err`, 'aria-live': 'polite' });
  const describedBy = `${id}-err`;
  let control;
  let read;
  const blank = (s) => s.trim() === '';
  const missing = () => (required ? { error: 'required' } : { omitted: true });

  switch (kind) {
    case 'integer':
    case 'number': {
      control = h('input', {
        id,
        type: 'number',
        step: kind === 'integer' ? '1' : 'any',
        min: Number.isFinite(schema.minimum) ? schema.minimum : undefined,
        max: Number.isFinite(schema.maximum) && Math.abs(schema.maximum) < 1e15 ? schema.maximum : undefined,
        inputmode: kind === 'integer' ? 'numeric' : 'decimal',
        'aria-describedby': describedBy,
      });
      read = () => {
        if (control.validity.badInput) return { error: 'not a number' };
        if (blank(control.value)) return missing();
        const n = Number(control.value);
        if (!Number.isFinite(n)) return { error: 'not a number' };
        if (kind === 'integer' && !Number.isInteger(n)) return { error: 'must be an integer' };
        return { value: n };
      };
      break;
    }
    case 'boolean': {
      if (required) {
        control = h('input', { id, type: 'checkbox', 'aria-describedby': describedBy });
        read = () => ({ value: control.checked });
      } else {
        control = h(
          'select',
          { id, 'aria-describedby': describedBy },
          h('option', { value: '' }, '(leave out)'),
          h('option', { value: 'true' }, 'true'),
          h('option', { value: 'false' }, 'false'),
        );
        read = () => (control.value === '' ? { omitted: true } : { value: control.value === 'true' });
      }
      break;
    }
    case 'enum': {
      const options = schema.enum.map((v) => h('option', { value: v }, v));
      control = h(
        'select',
        { id, 'aria-describedby': describedBy },
        required ? null : h('option', { value: '' }, '(leave out)'),
        options,
      );
      read = () => (control.value === '' && !required ? { omitted: true } : { value: control.value });
      break;
    }
    case 'string': {
      const long = schema.maxLength === undefined || schema.maxLength > 200;
      control = h('input', {
        id,
        type: 'text',
        maxlength: schema.maxLength,
        spellcheck: 'false',
        autocomplete: 'off',
        class: long ? 'wide' : undefined,
        'aria-describedby': describedBy,
      });
      // A required string may be empty; an empty optional one is left out.
      read = () => (control.value === '' && !required ? { omitted: true } : { value: control.value });
      break;
    }
    case 'date': {
      control = h('input', { id, type: 'datetime-local', step: '0.001', 'aria-describedby': describedBy });
      hint.append(' (local time; sent as ISO 8601 UTC)');
      read = () => {
        if (control.validity.badInput) return { error: 'not a date' };
        if (control.value === '') return missing();
        const d = new Date(control.value);
        return Number.isNaN(d.getTime()) ? { error: 'not a date' } : { value: d.toISOString() };
      };
      break;
    }
    case 'bytes': {
      const text = h('textarea', {
        id,
        rows: 3,
        spellcheck: 'false',
        placeholder: 'base64, or choose a file',
        'aria-describedby': describedBy,
      });
      const file = h('input', { type: 'file', 'aria-label': `${name}: read bytes from a file` });
      file.addEventListener('change', async () => {
        const f = file.files?.[0];
        if (f === undefined) return;
        text.value = toBase64(new Uint8Array(await f.arrayBuffer()));
        text.dispatchEvent(new Event('input', { bubbles: true }));
      });
      control = h('div', { class: 'bytes' }, text, file);
      read = () => {
        const v = text.value.replace(/\s+/g, '');
        if (v === '') return missing();
        return BASE64.test(v) ? { value: v } : { error: 'not base64' };
      };
      break;
    }
    default: {
      control = h('textarea', {
        id,
        rows: 3,
        spellcheck: 'false',
        placeholder:
          schema.type === 'array'
            ? '[ ... ] as JSON'
            : schema.type === 'object'
              ? '{ ... } as JSON'
              : 'any JSON value',
        'aria-describedby': describedBy,
      });
      read = () => {
        if (blank(control.value)) return missing();
        let v;
        try {
          v = JSON.parse(control.value);
        } catch (e) {
          return { error: `not JSON: ${e instanceof Error ? e.message : e}` };
        }
        if (schema.type === 'array' && !Array.isArray(v)) return { error: 'must be a JSON array' };
        if (schema.type === 'object' && (typeof v !== 'object' || v === null || Array.isArray(v)))
          return { error: 'must be a JSON object' };
        return { value: v };
      };
    }
  }
  const input = control.matches('div') ? control.firstChild : control;
  const check = () => {
    const r = read();
    const bad = r.error !== undefined && r.error !== 'required';
    message.textContent = bad ? r.error : '';
    input.setAttribute('aria-invalid', bad ? 'true' : 'false');
    return r;
  };
  const label = h('label', { for: id }, h('span', { class: 'name' }, name), ' ', hint);
  const row = h('div', { class: `field field-${kind}` }, label, control, message);
  return { name, kind, row, input, check };
}

/**
 * collect reads the fields: positional params when only trailing ones are left out,
 * else named params (JSON-RPC takes both).
 */
function collect(fields) {
  const values = [];
  for (const f of fields) {
    const r = f.check();
    if (r.error !== undefined) return { error: `${f.name}: ${r.error}`, field: f };
    values.push(r);
  }
  let last = values.length;
  while (last > 0 && values[last - 1].omitted) last--;
  const gap = values.slice(0, last).some((v) => v.omitted);
  if (!gap) return { params: values.slice(0, last).map((v) => v.value), kinds: fields.map((f) => f.kind) };
  const named = {};
  values.forEach((v, i) => {
    if (!v.omitted) named[fields[i].name] = v.value;
  });
  return { params: named, kinds: fields.map((f) => f.kind), names: fields.map((f) => f.name) };
}

// ---- copy as ---------------------------------------------------------------------

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
const shell = (s) => (SAFE.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function parsesAsJson(s) {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function cliArg(v) {
  if (typeof v !== 'string') return JSON.stringify(v);
  // `polyrpc call` reads an argument as JSON when it parses, and a leading '-' as a flag.
  return parsesAsJson(v) || v.startsWith('-') ? JSON.stringify(v) : v;
}

function pyValue(v, kind) {
  if (kind === 'date') return `datetime.datetime.fromisoformat(${JSON.stringify(v.replace(/Z$/, '+00:00'))})`;
  if (kind === 'bytes') return `base64.b64decode(${JSON.stringify(v)})`;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map((x) => pyValue(x)).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyValue(x)}`)
      .join(', ')}}`;
  return JSON.stringify(v);
}

/** snippets returns the call as a `polyrpc call` line, a curl line and Python. */
function snippets(method, call) {
  const secure = location.protocol === 'https:';
  const host = location.host;
  const { params } = call;
  const positional = Array.isArray(params);
  const cli = positional
    ? ['polyrpc', 'call', `${secure ? 'wss' : 'ws'}://${host}${WS_PATH}`, method, ...params.map(cliArg)]
    : [
        'polyrpc',
        'call',
        `${secure ? 'wss' : 'ws'}://${host}${WS_PATH}`,
        method,
        '--named',
        JSON.stringify(params),
      ];
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const curl = `curl -s -H 'content-type: application/json' -d ${shell(body)} ${location.protocol}//${host}/jsonrpc`;
  // XML-RPC is positional only: a parameter left out before a given one is sent as None.
  const args = positional ? params : call.names.map((n) => params[n]);
  const pyArgs = args.map((v, i) => pyValue(v, call.kinds[i])).join(', ');
  const imports = ['xmlrpc.client'];
  if (args.some((_, i) => call.kinds[i] === 'date')) imports.push('datetime');
  if (args.some((_, i) => call.kinds[i] === 'bytes')) imports.push('base64');
  const target = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(method)
    ? `s.${method}`
    : `getattr(s, ${JSON.stringify(method)})`;
  const python = [
    `import ${imports.join(', ')}`,
    `s = xmlrpc.client.ServerProxy(${JSON.stringify(`${location.protocol}//${host}/RPC2`)}, allow_none=True, use_builtin_types=True)`,
    `print(${target}(${pyArgs}))`,
  ].join('\n');
  return [
    ['polyrpc call', cli.map(shell).join(' ')],
    ['curl (JSON-RPC over HTTP)', curl],
    ['Python xmlrpc.client', python],
  ];
}

async function copy(text, button) {
  const done = (label) => {
    button.textContent = label;
    setTimeout(() => {
      button.textContent = 'Copy';
    }, 1500);
  };
  try {
    await navigator.clipboard.writeText(text);
    done('Copied');
  } catch {
    // No clipboard (not a secure context): select the text for Ctrl+C.
    const pre = button.parentElement?.querySelector('pre');
    if (pre) getSelection()?.selectAllChildren(pre);
    done('Press Ctrl+C');
  }
}

// ---- results -----------------------------------------------------------------------

const pretty = (v) => (v === undefined ? 'undefined' : JSON.stringify(v, null, 2));
const ms = (t) => `${t < 10 ? t.toFixed(1) : Math.round(t)} ms`;
const clock = (d) => d.toLocaleTimeString([], { hour12: false });

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

/** chatView is the demo's chat room: live messages, a send box, room and nick. */
function chatView(rpc) {
  const nick = h('input', {
    id: 'chat-nick',
    value: `web-${Math.random().toString(36).slice(2, 6)}`,
    maxlength: '64',
    autocomplete: 'off',
  });
  const room = h('input', { id: 'chat-room', value: 'lobby', maxlength: '128', autocomplete: 'off' });
  const log = h('ol', { class: 'messages', role: 'log', 'aria-label': 'Messages' });
  const text = h('input', {
    id: 'chat-text',
    maxlength: '4096',
    autocomplete: 'off',
    placeholder: 'Say something, then Enter',
  });
  const state = h('p', { class: 'muted', id: 'chat-state' });
  const hintText = h('code');
  const seen = new Set();
  let current;

  const show = (msg) => {
    if (typeof msg !== 'object' || msg === null || seen.has(msg.id)) return;
    seen.add(msg.id);
    const at = new Date(msg.at);
    const li = h(
      'li',
      { 'data-id': msg.id },
      h('time', null, `[${clock(at)}]`),
      ' ',
      h('b', null, String(msg.nick)),
      `: ${msg.text}`,
    );
    // Keep the log in id order (a history page can land after a push).
    let after = log.lastElementChild;
    while (after !== null && Number(after.dataset.id) > msg.id) after = after.previousElementSibling;
    if (after === null) log.prepend(li);
    else after.after(li);
    while (log.childElementCount > MAX_CHAT) log.firstElementChild?.remove();
    li.scrollIntoView({ block: 'nearest' });
  };

  const join = async () => {
    const name = room.value.trim() || 'lobby';
    if (current !== undefined) rpc.unsubscribe(current.subId).catch(() => {});
    current = undefined;
    seen.clear();
    log.replaceChildren();
    state.textContent = `joining ${name}…`;
    hintText.textContent = `polyrpc chat ${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH} ${shell(name)} --nick amy`;
    try {
      const mine = { room: name };
      current = mine;
      mine.subId = await rpc.subscribe('chat.subscribe', [name], show, (error) => {
        if (current === mine) state.textContent = `left ${name}${error ? `: ${error.message}` : ''}`;
      });
      state.textContent = `in ${name} (push over ${WS_PATH})`;
      state.dataset.room = name;
      for (const msg of await rpc.call('chat.history', [name, 0, 50])) show(msg);
    } catch (err) {
      state.textContent = `cannot join ${name}: ${err.message}`;
    }
  };

  const joinForm = h(
    'form',
    {
      class: 'chat-join',
      onsubmit: (e) => {
        e.preventDefault();
        join();
      },
    },
    h('label', { for: 'chat-room' }, 'Room'),
    room,
    h('label', { for: 'chat-nick' }, 'Nick'),
    nick,
    h('button', { type: 'submit' }, 'Join'),
  );
  const sayForm = h(
    'form',
    {
      class: 'chat-say',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = text.value;
        if (body.trim() === '' || current === undefined) return;
        try {
          show(await rpc.call('chat.send', [current.room, body, nick.value.trim() || undefined]));
          text.value = '';
        } catch (err) {
          state.textContent = `not sent: ${err.message}`;
        }
      },
    },
    h('label', { for: 'chat-text', class: 'hidden-label' }, 'Message'),
    text,
    h('button', { type: 'submit', class: 'primary' }, 'Send'),
  );
  const view = h(
    'article',
    { class: 'view chat', id: 'chat' },
    h('h2', { tabindex: '-1' }, 'Chat room'),
    h(
      'p',
      { class: 'doc' },
      'The demo chat: messages pushed by chat.subscribe, sent with chat.send. Anyone in the room sees them, whatever protocol they use.',
    ),
    joinForm,
    state,
    log,
    sayForm,
    h('p', { class: 'muted' }, 'From a terminal: ', hintText),
  );
  view.focusFirst = () => text.focus();
  view.started = false;
  view.start = () => {
    if (!view.started) join();
    view.started = true;
  };
  rpc.onReconnect.push(() => {
    if (view.started) join();
  });
  return view;
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

  async function load() {
    let doc;
    try {
      doc = await rpc.call('rpc.discover', []);
    } catch (err) {
      $('empty').textContent = `Cannot read the procedures (rpc.discover): ${err.message}`;
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
