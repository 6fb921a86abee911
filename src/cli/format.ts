/**
 * Printing results as one JSON document. Wire values that JSON has no type for are
 * mapped the same way on every protocol:
 *
 * - `Uint8Array` (XML-RPC base64, msgpack bin) → a base64 string
 * - `Date` (XML-RPC dateTime, msgpack timestamp) → an ISO 8601 string
 * - `bigint` (XML-RPC i8, msgpack int64 beyond 2^53) → a JSON number with every
 *   digit kept (valid JSON; `jq` and Python read it exactly, `JSON.parse` rounds it)
 * - `Map` → an object with string keys; `undefined` → `null`
 * - `NaN` and `±Infinity` → `null`, as `JSON.stringify` does
 */

/** FormatOptions configure {@link toJson}. */
export interface FormatOptions {
  /** Spaces per indentation level; 0 prints on one line. Defaults to 2. */
  readonly indent?: number;
}

/** toJson renders a wire value as one JSON document (no trailing newline). */
export function toJson(value: unknown, options: FormatOptions = {}): string {
  const indent = ' '.repeat(options.indent ?? 2);
  return render(value, indent, '', new Set());
}

function render(value: unknown, indent: string, pad: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return 'null'; // undefined, functions, symbols
  }
  if (value === null) return 'null';
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'null' : JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (seen.has(value)) return '"[Circular]"';
  seen.add(value);
  try {
    const inner = pad + indent;
    const sep = indent === '' ? ',' : `,\n${inner}`;
    const open = indent === '' ? '' : `\n${inner}`;
    const close = indent === '' ? '' : `\n${pad}`;
    const colon = indent === '' ? ':' : ': ';
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]';
      return `[${open}${value.map((v) => render(v, indent, inner, seen)).join(sep)}${close}]`;
    }
    const entries: [string, unknown][] =
      value instanceof Map ? [...value].map(([k, v]) => [String(k), v]) : Object.entries(value);
    if (entries.length === 0) return '{}';
    const body = entries.map(([k, v]) => `${JSON.stringify(k)}${colon}${render(v, indent, inner, seen)}`);
    return `{${open}${body.join(sep)}${close}}`;
  } finally {
    seen.delete(value);
  }
}

/**
 * parseArg reads one command-line argument: as JSON when it parses (`3`, `true`,
 * `[1,2]`, `{"a":1}`, `"3"` for the string 3), else as the string itself.
 */
export function parseArg(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** pad2 zero-pads a clock field. */
function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** clock renders a time of day as `hh:mm:ss` in local time (chat lines). */
export function clock(at: unknown): string {
  const d =
    at instanceof Date ? at : typeof at === 'string' || typeof at === 'number' ? new Date(at) : new Date();
  const t = Number.isNaN(d.getTime()) ? new Date() : d;
  return `${pad2(t.getHours())}:${pad2(t.getMinutes())}:${pad2(t.getSeconds())}`;
}
