/**
 * polyrpc's server for one protocol binding:
 * `bench/servers/polyrpc.ts msgpack|jsonrpc-tcp|jsonrpc-http|xmlrpc|websocket [metrics-off]`
 * (websocket: `/ws` on the HTTP port; its first listener is `ws://`).
 * The demo service with the default options (params validated; metrics on, as they
 * are by default on loopback), or with metrics off (issue 17's cost comparison).
 */
import { createDemoService } from '../../src/demo/service.js';
import { serve } from '../../src/index.js';
import { ready } from './ready.js';

const mode = process.argv[2] ?? 'msgpack';
const protocol = mode.startsWith('jsonrpc') ? 'jsonrpc' : mode;
const metrics = process.argv[3] !== 'metrics-off';
const overHttp = mode === 'jsonrpc-http' || mode === 'xmlrpc' || mode === 'websocket';

const server = await serve(createDemoService(), {
  host: '127.0.0.1',
  protocols: [protocol],
  httpPort: overHttp ? 0 : null,
  ports: { [protocol]: overHttp ? null : 0 },
  metrics,
});
const listener = server.listeners.find((l) => l.protocol === protocol);
if (listener === undefined) throw new Error(`bench: polyrpc has no ${mode} listener`);
ready(mode === 'jsonrpc-http' ? listener.url.replace(/^http:/, 'jsonrpc+http:') : listener.url);
