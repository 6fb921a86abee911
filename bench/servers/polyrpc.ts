/**
 * polyrpc's server for one protocol binding:
 * `bench/servers/polyrpc.ts msgpack|jsonrpc-tcp|jsonrpc-http|xmlrpc|websocket[-tls|-auth] [metrics-off]`
 * (websocket: `/ws` on the HTTP port; its first listener is `ws://`). `-tls` serves
 * the run's certificates (bench/lib/certs.ts); `-auth` requires the bench token
 * (the token authenticator of `polyrpc serve --auth-token-file`).
 * The demo service with the default options (params validated; metrics on, as they
 * are by default on loopback), or with metrics off (issue 17's cost comparison).
 */
import { createDemoService } from '../../src/demo/service.js';
import { createTokenAuthenticator, serve } from '../../src/index.js';
import { BENCH_TOKEN, benchCert } from '../lib/certs.js';
import { ready } from './ready.js';

const arg = process.argv[2] ?? 'msgpack';
const variant = /-(tls|auth)$/.exec(arg)?.[1];
const mode = variant === undefined ? arg : arg.slice(0, -(variant.length + 1));
const protocol = mode.startsWith('jsonrpc') ? 'jsonrpc' : mode;
const metrics = process.argv[3] !== 'metrics-off';
const overHttp = mode === 'jsonrpc-http' || mode === 'xmlrpc' || mode === 'websocket';

const server = await serve(createDemoService(), {
  host: '127.0.0.1',
  protocols: [protocol],
  httpPort: overHttp ? 0 : null,
  ports: { [protocol]: overHttp ? null : 0 },
  ...(variant === 'tls' ? { tls: { cert: benchCert('server.crt'), key: benchCert('server.key') } } : {}),
  ...(variant === 'auth' ? { authenticate: createTokenAuthenticator(BENCH_TOKEN) } : {}),
  metrics,
  explorer: false, // the page is not what is measured (and bench/.build has no copy of its files)
});
const listener = server.listeners.find((l) => l.protocol === protocol);
if (listener === undefined) throw new Error(`bench: polyrpc has no ${mode} listener`);
ready(mode === 'jsonrpc-http' ? listener.url.replace(/^http:/, 'jsonrpc+http:') : listener.url);
