// "Copy as": a call as a `polyrpc call` line, a curl line and a Python snippet.
import { WS_PATH } from './rpc.js';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
export const shell = (s) => (SAFE.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

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
export function snippets(method, call) {
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

export async function copy(text, button) {
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
