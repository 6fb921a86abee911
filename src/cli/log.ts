/**
 * The server's log lines on stderr, as text (the default: `polyrpc: <message>`) or as
 * JSON (`--log-format json`: one object per line with `time`, `level`, `msg` and the
 * line's fields — `protocol`, `method`, `peer`, `ms`, `code`, `error`), and the
 * opt-in access log of every call (`--log-calls`, or `--log-level debug`).
 *
 * Exports: LOG_FORMATS, LOG_LEVELS, LogFormat, LogLevel, createLog, Log.
 */
import { Code } from '../rpc/errors.js';
import type { Logger, Middleware } from '../rpc/registry.js';

/** LOG_LEVELS are the values of `--log-level`, least verbose first. */
export const LOG_LEVELS = ['error', 'info', 'debug'] as const;
/** LogLevel is one of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** LOG_FORMATS are the values of `--log-format`. */
export const LOG_FORMATS = ['text', 'json'] as const;
/** LogFormat is one of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

type Fields = Readonly<Record<string, unknown>>;

/** Log is where `polyrpc serve` writes: the registry's logger, the call log, and its own lines. */
export interface Log {
  /** The registry's diagnostics (handler failures; debug lines at `--log-level debug`). */
  readonly logger: Logger;
  /** The access log middleware: one line per call. */
  readonly calls: Middleware;
  /** info writes one line unless the level is `error`. */
  info(message: string, fields?: Fields): void;
}

/** createLog returns the log of `polyrpc serve`, writing to `write` (stderr by default). */
export function createLog(
  level: LogLevel,
  format: LogFormat,
  write: (line: string) => void = (line) => process.stderr.write(line),
  worker?: number,
): Log {
  const line = format === 'json' ? jsonLine(level, worker) : textLine(level, worker);
  const emit = (lvl: LogLevel, message: string, fields?: Fields): void => write(line(lvl, message, fields));
  const logger: Logger = {
    debug(message, fields) {
      if (level === 'debug') emit('debug', message, fields);
    },
    error(message, fields) {
      emit('error', message, fields);
    },
  };
  const calls: Middleware = async (call, ctx, next) => {
    const start = performance.now();
    const peer = ctx.peer === undefined ? undefined : `${ctx.peer.address}:${ctx.peer.port}`;
    const done = (code: number | undefined): void => {
      const ms = Math.round((performance.now() - start) * 1000) / 1000;
      // The method name came from the wire; an unknown one is still only one line.
      const method = typeof call.method === 'string' ? call.method.slice(0, 128) : String(call.method);
      emit('info', 'call', { method, protocol: ctx.protocol, peer, ms, code: code ?? Code.Internal });
    };
    try {
      const result = await next();
      done(0);
      return result;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      done(typeof code === 'number' ? code : undefined);
      throw err;
    }
  };
  return {
    logger,
    calls,
    info(message, fields) {
      if (level !== 'error') emit('info', message, fields);
    },
  };
}

// The text format keeps the lines polyrpc has always written.
// In a worker of `--workers`, call lines name it: `[worker <pid>] call …`.
function textLine(
  level: LogLevel,
  worker?: number,
): (lvl: LogLevel, message: string, fields?: Fields) => string {
  const tag = worker === undefined ? '' : `[worker ${worker}] `;
  return (_lvl, message, f) => {
    if (message === 'call' && f !== undefined) {
      const code = f.code === 0 ? 'ok' : `error ${f.code}`;
      return `${tag}call ${f.method} ${f.protocol} ${f.peer ?? '-'} ${Number(f.ms).toFixed(1)}ms ${code}\n`;
    }
    const error = f?.error;
    if (error === undefined) return `polyrpc: ${message}\n`;
    if (level === 'debug' && error instanceof Error && error.stack !== undefined)
      return `polyrpc: ${message}\n${error.stack}\n`;
    return `polyrpc: ${message}: ${error instanceof Error ? error.message : String(error)}\n`;
  };
}

function jsonLine(
  level: LogLevel,
  worker?: number,
): (lvl: LogLevel, message: string, fields?: Fields) => string {
  return (lvl, message, f) => {
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg: message };
    if (worker !== undefined) entry.worker = worker;
    for (const [key, value] of Object.entries(f ?? {})) {
      if (value === undefined || key in entry) continue;
      if (value instanceof Error) {
        entry[key] = value.message;
        if (level === 'debug' && value.stack !== undefined) entry.stack = value.stack;
      } else entry[key] = value;
    }
    return `${safeJson(entry)}\n`;
  };
}

// A field that cannot be serialised (a cycle, a bigint) must not lose the line.
function safeJson(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(entry, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return JSON.stringify({ time: entry.time, level: entry.level, msg: entry.msg });
  }
}
