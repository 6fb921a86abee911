/**
 * Argument parsing shared by the commands: `node:util` parseArgs, with usage
 * mistakes turned into {@link UsageError} (exit status 2) and negative numbers
 * accepted as positional arguments (`polyrpc call … add -3 4`).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { exampleUrl } from './urls.js';

/** Exit statuses shared by every command. */
export const Exit = {
  /** Success. */
  Ok: 0,
  /** The remote procedure returned an error (`call`). */
  RpcError: 1,
  /** A usage mistake, or the server could not be reached. */
  Failure: 2,
} as const;

/** UsageError is a mistake on the command line; the CLI prints it with a hint and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** FatalError is a failure the CLI reports in one line and exits 2 for (bad module, no connection). */
export class FatalError extends Error {
  override readonly name = 'FatalError';
}

/** Options is a parseArgs option table. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed is what {@link parse} returns: option values by name and the positionals. */
export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

// A negative number or `-.5`: a value, never a flag.
const NEGATIVE = /^-(\d|\.\d)/;
const SENTINEL = '\u0000arg:';

/**
 * parse reads `argv` against `options` (strict, positionals allowed, `--no-x` for
 * booleans). Arguments that look like negative numbers are positionals.
 * @throws UsageError for an unknown option, a missing option value or a repeated value.
 */
export function parse(argv: readonly string[], options: Options): Parsed {
  // parseArgs would read `-3` as a short flag; hide such args behind a sentinel.
  const args = argv.map((a, i) => (NEGATIVE.test(a) ? `${SENTINEL}${i}` : a));
  const restore = (s: string): string =>
    s.startsWith(SENTINEL) ? argv[Number(s.slice(SENTINEL.length))]! : s;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, allowNegative: true });
  } catch (err) {
    throw new UsageError(usageMessage(err));
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values)) {
    values[k] = typeof v === 'string' ? restore(v) : Array.isArray(v) ? undefined : v;
  }
  return { values, positionals: parsed.positionals.map(restore) };
}

// parseArgs messages are long and mention "args"; keep the first sentence.
function usageMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('. ')[0] ?? message;
  return first.replace(/^Unknown option '(.+?)'.*/, 'unknown option $1');
}

/**
 * port reads a port flag value.
 * @throws UsageError when it is not an integer from 0 to 65535.
 */
export function port(name: string, value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`--${name} must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * milliseconds reads a duration flag given in seconds or with a unit (`500ms`, `2s`, `3`).
 * @throws UsageError when it is not a non-negative duration.
 */
export function milliseconds(name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value) : null;
  if (m === null) throw new UsageError(`--${name} must be a duration like 5, 2.5s or 500ms`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : Math.round(n * 1000);
}

/**
 * parseUrl checks a server URL.
 * @throws UsageError when it is not an absolute URL.
 */
export function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new UsageError(
      `not a URL: ${JSON.stringify(text)} (try ${exampleUrl()} or ${exampleUrl({ push: true })})`,
    );
  }
}
