/**
 * `polyrpc serve [module]`: the demo service, or a user's service, on every
 * registered protocol until SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDemoService } from '../demo/service.js';
import type { Service } from '../rpc/service.js';
import { protocols as registered } from '../transport/index.js';
import { type RpcServer, serve } from '../transport/serve.js';
import type { ServerTlsOptions } from '../transport/types.js';
import { Exit, FatalError, parse, port, UsageError } from './args.js';
import { createLog, LOG_FORMATS, LOG_LEVELS, type Log, type LogFormat, type LogLevel } from './log.js';
import { AUTH_HELP, authOptions } from './serve-auth.js';
import { openChatBroker, redisUrl } from './serve-broker.js';
import { HTTP_PORT } from './urls.js';
import { announceReady, isWorker, onStopRequest, runPrimary, workerCount } from './workers.js';

// The per-protocol lines of the help, from the protocol list: adding a protocol adds
// its flags here without touching this file.
function protocolOptions(): string {
  const lines: string[] = [];
  for (const p of registered) {
    if (p.stream !== undefined) {
      const flag = `  --${p.name}-port <n>`.padEnd(26);
      lines.push(`${flag}${p.name} over TCP (default ${p.stream.defaultPort}; 0 = any free port)`);
    }
  }
  const names = registered.map((p) => `--no-${p.name}`).join(', ');
  lines.push(`  ${names}`, `${' '.repeat(26)}leave one protocol out`);
  return lines.join('\n');
}

/** help is the usage text of `polyrpc serve`. */
export const help = usage();

function usage(): string {
  const httpNames = registered.filter((p) => p.http !== undefined).map((p) => p.name);
  return `Usage: polyrpc serve [module] [options]

Serves the demo service (add, hypotenuse, credentials.lookup, echo, chat.*),
or the service exported by a module, on every protocol at once, until
SIGINT or SIGTERM. Prints one line per listener: "<protocol> <url>", then
"explorer <url>" when the explorer page is served.

The module (.js, .mjs, or .ts through tsx) must export the result of
defineService() as its default export or as a named export "service":
  import { defineService, procedure, param } from 'polyrpc';
  export default defineService({ ... });

Options:
  --host <addr>           address to bind (default 127.0.0.1)
  --http-port <n>         the shared HTTP server: ${httpNames.join(', ')} (default ${HTTP_PORT}; 0 = any free port)
${protocolOptions()}
  --tls-cert <file>       PEM certificate: every listener speaks TLS (https, wss, +tls)
  --tls-key <file>        its PEM private key (both are needed for TLS)
  --tls-ca <file>         PEM CA that client certificates must chain to
  --tls-client-cert       require a client certificate signed by --tls-ca (mutual TLS)
${AUTH_HELP}
  --no-explorer           do not serve the explorer page at GET / of the HTTP port
  --explorer              serve it off loopback too (with a token it asks for it);
                          by default it is served only when --host is loopback
  --no-metrics            do not serve Prometheus metrics at GET /metrics of the HTTP port
  --metrics               serve them off loopback too (with a token they need it);
                          by default they are served only when --host is loopback
  --protocols <list>      comma-separated protocols to serve (default: all: ${registered.map((p) => p.name).join(', ')})
  --log-level <level>     error | info | debug (default info); debug also logs every call
  --log-format <format>   text | json (default text); json writes one object per line:
                          time, level, msg, and protocol, method, peer, ms, code
  --log-calls             log every call: method, protocol, peer, duration, code
  --redis <url>           keep the demo chat's rooms in Redis (redis://host:6379), shared
                          by every instance using it (default: env POLYRPC_REDIS_URL, else
                          in memory); stderr says which broker is in use
  --workers <n>           processes sharing every listener: a number or "auto" (one per
                          core; default 1); a worker that dies is replaced. With more
                          than one, the demo chat needs --redis
  -h, --help              show this help

On SIGINT/SIGTERM it stops accepting, tells clients it is going away (rpc.goaway),
lets calls in flight finish, answers new calls -32003 (not executed: safe to
retry), closes each connection once its client is done (up to 3 s) and exits 0. A second signal exits at once.

Examples:
  polyrpc serve
  polyrpc serve --http-port 0 ${registered
    .filter((p) => p.stream !== undefined)
    .map((p) => `--${p.name}-port 0`)
    .join(' ')}
  polyrpc serve ./my-service.ts --no-${registered[registered.length - 1]?.name ?? '<protocol>'} --log-level debug
`;
}

/** Graceful shutdown deadline for calls in flight, in ms. */
const DRAIN_MS = 3000;
/** Past this after a signal the process exits whatever is still open, in ms. */
const HARD_EXIT_MS = 8000;

/** run executes `polyrpc serve` and resolves with the exit status once the server has stopped. */
export async function run(argv: readonly string[]): Promise<number> {
  const perProtocol: Parameters<typeof parse>[1] = {};
  for (const p of registered) {
    perProtocol[p.name] = { type: 'boolean' };
    if (p.stream !== undefined) perProtocol[`${p.name}-port`] = { type: 'string' };
  }
  const { values, positionals } = parse(argv, {
    host: { type: 'string' },
    'http-port': { type: 'string' },
    protocols: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-ca': { type: 'string' },
    'tls-client-cert': { type: 'boolean' },
    'auth-token-file': { type: 'string' },
    insecure: { type: 'boolean' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
    'log-calls': { type: 'boolean' },
    explorer: { type: 'boolean' },
    redis: { type: 'string' },
    workers: { type: 'string' },
    metrics: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...perProtocol,
  });
  if (values.help === true) {
    process.stdout.write(help);
    return Exit.Ok;
  }
  if (positionals.length > 1) throw new UsageError(`serve: one module at most, got ${positionals.length}`);
  const level = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`serve: --log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const format = (values['log-format'] ?? 'text') as LogFormat;
  if (!LOG_FORMATS.includes(format))
    throw new UsageError(`serve: --log-format must be one of ${LOG_FORMATS.join(', ')}`);
  const log = createLog(level, format, undefined, isWorker ? process.pid : undefined);
  const chosen = chooseProtocols(values);
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
  const tls = tlsOptions(values);
  const options = {
    host,
    httpPort: port('http-port', values['http-port'], HTTP_PORT),
    ports: Object.fromEntries(
      registered.flatMap((p) =>
        p.stream === undefined
          ? []
          : [[p.name, port(`${p.name}-port`, values[`${p.name}-port`], p.stream.defaultPort)] as const],
      ),
    ),
    protocols: chosen,
    tls,
    ...authOptions(values, host, tls),
    explorer: typeof values.explorer === 'boolean' ? values.explorer : undefined,
    metrics: typeof values.metrics === 'boolean' ? values.metrics : undefined,
    logger: log.logger,
    middleware: level === 'debug' || values['log-calls'] === true ? [log.calls] : [],
  };

  const redis = redisUrl(values.redis);
  if (redis !== undefined && positionals[0] !== undefined)
    throw new UsageError("serve: --redis is for the demo service's chat; a module brings its own broker");
  const workers = workerCount(values.workers);
  if (workers > 1 && !isWorker) {
    if (positionals[0] === undefined && redis === undefined)
      throw new UsageError(
        'serve: --workers with the demo chat needs --redis URL (with an in-memory broker each worker would have its own rooms)',
      );
    await (await openChatBroker(redis)).close(); // unreachable: one clear line, before any fork
    return runPrimary(workers, level !== 'error');
  }
  const chat = positionals[0] === undefined ? await openChatBroker(redis) : undefined;
  const service =
    chat === undefined ? await loadService(positionals[0]!) : createDemoService({ broker: chat.broker });
  let server: RpcServer;
  try {
    server = await serve(service, options);
  } catch (err) {
    await chat?.close();
    throw new FatalError(listenFailure(err, host));
  }
  if (server.listeners.length === 0) {
    await server.close(0);
    throw new FatalError('serve: no protocol left to serve');
  }
  let out = server.listeners.map((l) => `${l.protocol} ${l.url}\n`).join('');
  if (server.explorer !== undefined) out += `explorer ${server.explorer}\n`;
  if (isWorker) announceReady(out, chat?.line ?? '');
  else {
    process.stdout.write(out);
    if (chat !== undefined) log.info(chat.line, { broker: chat.line });
  }
  if (server.metricsUrl !== undefined)
    log.info(`metrics at ${server.metricsUrl}`, { url: server.metricsUrl });
  const stop = { close: (ms: number) => server.close(ms).finally(() => chat?.close()) };
  return waitForSignal(stop, log);
}

// waitForSignal resolves after the first SIGINT/SIGTERM once the server has drained.
function waitForSignal(server: Pick<RpcServer, 'close'>, log: Log): Promise<number> {
  return new Promise((done) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        if (isWorker) return; // the primary asked, or the terminal's signal reached the whole group
        process.stderr.write(`polyrpc: ${signal} again, exiting now\n`);
        process.exit(130);
      }
      stopping = true;
      log.info(`${signal}, finishing calls in flight (up to ${DRAIN_MS / 1000} s)`);
      setTimeout(() => process.exit(Exit.Ok), HARD_EXIT_MS).unref();
      server.close(DRAIN_MS).then(
        () => {
          log.info('stopped');
          done(Exit.Ok);
        },
        (err: unknown) => {
          log.logger.error('error while stopping', { error: err });
          done(Exit.Ok);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (isWorker) onStopRequest(() => onSignal('SIGTERM'));
  });
}

// --tls-cert and --tls-key together turn TLS on for every listener; --tls-ca with
// --tls-client-cert asks clients for certificates that CA signed (mutual TLS).
function tlsOptions(values: Record<string, string | boolean | undefined>): ServerTlsOptions | undefined {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  const ca = values['tls-ca'];
  if (cert === undefined && key === undefined) {
    if (ca !== undefined || values['tls-client-cert'] === true)
      throw new UsageError('--tls-ca and --tls-client-cert need --tls-cert and --tls-key');
    return undefined;
  }
  if (typeof cert !== 'string' || typeof key !== 'string')
    throw new UsageError('TLS needs both --tls-cert FILE and --tls-key FILE');
  if (values['tls-client-cert'] === true && typeof ca !== 'string')
    throw new UsageError('--tls-client-cert needs --tls-ca FILE (the CA client certificates must chain to)');
  const read = (flag: string, path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new FatalError(`serve: ${flag}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  return {
    cert: read('--tls-cert', cert),
    key: read('--tls-key', key),
    ca: typeof ca === 'string' ? read('--tls-ca', ca) : undefined,
    requestClientCert: values['tls-client-cert'] === true,
  };
}

function chooseProtocols(values: Record<string, string | boolean | undefined>): string[] {
  const known = registered.map((p) => p.name);
  let chosen = known;
  if (typeof values.protocols === 'string') {
    chosen = values.protocols
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const name of chosen) {
      if (!known.includes(name)) {
        throw new UsageError(`serve: unknown protocol "${name}" (known: ${known.join(', ') || 'none'})`);
      }
    }
  }
  return chosen.filter((name) => values[name] !== false);
}

function listenFailure(err: unknown, host: string): string {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  const where = `${e.address ?? host}:${e.port ?? '?'}`;
  if (e.code === 'EADDRINUSE')
    return `serve: cannot listen on ${where}: address already in use (try another port, or 0)`;
  if (e.code === 'EACCES') return `serve: cannot listen on ${where}: permission denied`;
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
    return `serve: cannot listen on ${where}: no such local address`;
  return `serve: cannot start: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * loadService imports a user's module and returns its service: the default export,
 * or the named export `service`. A `.ts` module is loaded through tsx.
 * @throws FatalError when the module cannot be loaded or exports no service.
 */
export async function loadService(path: string): Promise<Service> {
  const file = resolve(path);
  if (/\.[mc]?tsx?$/.test(file)) await registerTsx();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(file)) {
      throw new FatalError(`serve: no such module: ${path}`);
    }
    throw new FatalError(`serve: cannot load ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const candidate = isService(mod.default) ? mod.default : mod.service;
  if (!isService(candidate)) {
    throw new FatalError(
      `serve: ${path} must export a service (from defineService) as its default export or as "service"`,
    );
  }
  return candidate;
}

function isService(value: unknown): value is Service {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { tree?: unknown; info?: unknown };
  return typeof v.tree === 'object' && v.tree !== null && typeof v.info === 'object' && v.info !== null;
}

// TypeScript modules need a loader; tsx is registered on demand so plain .js
// services never load it.
async function registerTsx(): Promise<void> {
  let api: { register: () => unknown };
  try {
    api = (await import('tsx/esm/api')) as { register: () => unknown };
  } catch {
    throw new FatalError(
      'serve: a .ts module needs tsx (npm install --save-dev tsx), or compile it to .js first',
    );
  }
  api.register();
}
