/**
 * What the benchmark runs: the server processes, and the stacks (a client library
 * against a server) measured one after another.
 */
import type { ClientJob } from './client.js';
import { BUILD_DIR } from './lib/build.js';
import { BENCH_TOKEN } from './lib/certs.js';

/** ServerSpec is one server process. */
export interface ServerSpec {
  readonly argv: readonly string[];
  /** The polyrpc protocol that must be registered for this server to exist. */
  readonly requires?: string;
  /** Whether `--profile` runs it under `node --cpu-prof`. */
  readonly node?: boolean;
}

// Servers run from the transpiled tree (see lib/build.ts), not under tsx.
const ts = (file: string, ...args: string[]): string[] => [
  'node',
  `${BUILD_DIR}/bench/servers/${file.replace(/\.ts$/, '.js')}`,
  ...args,
];

/** servers by key. */
export const servers: Record<string, ServerSpec> = {
  'polyrpc-msgpack': { argv: ts('polyrpc.ts', 'msgpack'), requires: 'msgpack', node: true },
  // Issue 17: the same server with its metrics off, to show what they cost.
  'polyrpc-msgpack-nometrics': {
    argv: ts('polyrpc.ts', 'msgpack', 'metrics-off'),
    requires: 'msgpack',
    node: true,
  },
  'polyrpc-jsonrpc-tcp': { argv: ts('polyrpc.ts', 'jsonrpc-tcp'), requires: 'jsonrpc', node: true },
  'polyrpc-jsonrpc-http': { argv: ts('polyrpc.ts', 'jsonrpc-http'), requires: 'jsonrpc', node: true },
  'polyrpc-xmlrpc': { argv: ts('polyrpc.ts', 'xmlrpc'), requires: 'xmlrpc', node: true },
  'jayson-tcp': { argv: ts('jayson.ts', 'tcp') },
  'jayson-http': { argv: ts('jayson.ts', 'http') },
  'xmlrpc-npm': { argv: ts('xmlrpc.ts') },
  'python-xmlrpc': { argv: ['/usr/bin/python3', 'bench/servers/python_xmlrpc.py'] },
  grpc: { argv: ts('grpc.ts') },
  raw: { argv: ts('raw-echo.ts', 'plain'), node: true },
  'raw-batched': { argv: ts('raw-echo.ts', 'batched'), node: true },
  'http-bare': { argv: ts('http-bare.ts'), node: true },
  // WebSocket (issue 13)
  'polyrpc-websocket': { argv: ts('polyrpc.ts', 'websocket'), requires: 'websocket', node: true },
  'jayson-ws': { argv: ts('jayson.ts', 'ws') },
  'ws-echo': { argv: ts('ws-echo.ts'), node: true },
  // TLS and authentication (issue 14)
  'polyrpc-msgpack-tls': { argv: ts('polyrpc.ts', 'msgpack-tls'), requires: 'msgpack', node: true },
  'polyrpc-xmlrpc-tls': { argv: ts('polyrpc.ts', 'xmlrpc-tls'), requires: 'xmlrpc', node: true },
  'polyrpc-msgpack-auth': { argv: ts('polyrpc.ts', 'msgpack-auth'), requires: 'msgpack', node: true },
  'polyrpc-xmlrpc-auth': { argv: ts('polyrpc.ts', 'xmlrpc-auth'), requires: 'xmlrpc', node: true },
};

/** Group says what a stack is compared as. */
export type Group = 'polyrpc' | 'peer' | 'cross' | 'floor';

type Figure = ClientJob['figures'][number];
const ALL: readonly Figure[] = ['sequential', 'inflight64', 'c16x16', 'echo'];

/** Stack is one measured client → server pair. */
export interface Stack {
  readonly id: string;
  readonly label: string;
  readonly group: Group;
  readonly server: string;
  /** Client driver name (see bench/client.ts), or `python` for Python's xmlrpc.client. */
  readonly driver: string;
  readonly figures: readonly Figure[];
  /** Rewrites the server's URL for this client (e.g. a path or scheme). */
  readonly target?: (url: string) => string;
  /** Which floor it is compared to: the raw TCP echo, bare node:http or the bare `ws` echo. */
  readonly floor: 'tcp' | 'http' | 'ws';
}

const asHttp = (path: string) => (url: string) => {
  const u = new URL(url.replace(/^jsonrpc\+/, ''));
  return `http://${u.host}${path}`;
};

/**
 * The WebSocket stacks (issue 13): JSON-RPC (text frames) and msgpack-rpc (binary
 * frames) at `/ws`, 64 in flight on one connection, beside jayson's WebSocket client
 * and server and the bare `ws` echo floor.
 */
const webSocketStacks: readonly Stack[] = [
  {
    id: 'jsonrpc-ws',
    label: 'polyrpc JSON-RPC/WebSocket',
    group: 'polyrpc',
    server: 'polyrpc-websocket',
    driver: 'polyrpc',
    figures: ALL,
    floor: 'ws',
  },
  {
    id: 'msgpack-ws',
    label: 'polyrpc msgpack/WebSocket',
    group: 'polyrpc',
    server: 'polyrpc-websocket',
    driver: 'polyrpc',
    figures: ALL,
    target: (url) => url.replace(/^ws:/, 'msgpack+ws:'),
    floor: 'ws',
  },
  {
    id: 'jayson-ws',
    label: 'jayson WebSocket',
    group: 'peer',
    server: 'jayson-ws',
    driver: 'jayson-ws',
    figures: ALL,
    floor: 'ws',
  },
  {
    id: 'jayson-ws>polyrpc',
    label: 'jayson WebSocket → polyrpc',
    group: 'cross',
    server: 'polyrpc-websocket',
    driver: 'jayson-ws',
    figures: ALL,
    floor: 'ws',
  },
  {
    id: 'ws-echo',
    label: 'floor: bare ws echo',
    group: 'floor',
    server: 'ws-echo',
    driver: 'ws-echo',
    figures: ALL,
    floor: 'ws',
  },
];

// The bench token in the URL's user info: the client sends it as its credential.
const withToken = (url: string): string => {
  const u = new URL(url);
  u.password = BENCH_TOKEN;
  return u.toString();
};

/**
 * TLS and authentication (issue 14): msgpack over TLS and XML-RPC over HTTPS beside
 * their plain stacks, and both with the token authenticator on a warm connection.
 */
const secureStacks: readonly Stack[] = [
  {
    id: 'msgpack-tls',
    label: 'polyrpc msgpack/TLS',
    group: 'polyrpc',
    server: 'polyrpc-msgpack-tls',
    driver: 'polyrpc',
    figures: ['sequential', 'inflight64'],
    floor: 'tcp',
  },
  {
    id: 'xmlrpc-tls',
    label: 'polyrpc XML-RPC/HTTPS',
    group: 'polyrpc',
    server: 'polyrpc-xmlrpc-tls',
    driver: 'polyrpc',
    figures: ['sequential', 'inflight64'],
    floor: 'http',
  },
  {
    id: 'msgpack-auth',
    label: 'polyrpc msgpack/TCP, token',
    group: 'polyrpc',
    server: 'polyrpc-msgpack-auth',
    driver: 'polyrpc',
    figures: ['sequential', 'inflight64'],
    target: withToken,
    floor: 'tcp',
  },
  {
    id: 'xmlrpc-auth',
    label: 'polyrpc XML-RPC/HTTP, token',
    group: 'polyrpc',
    server: 'polyrpc-xmlrpc-auth',
    driver: 'polyrpc',
    figures: ['sequential', 'inflight64'],
    target: withToken,
    floor: 'http',
  },
];

/** stacks in the order they are run and printed. */
export const stacks: readonly Stack[] = [
  {
    id: 'msgpack',
    label: 'polyrpc msgpack/TCP',
    group: 'polyrpc',
    server: 'polyrpc-msgpack',
    driver: 'polyrpc',
    figures: ALL,
    floor: 'tcp',
  },
  // Issue 17: the msgpack server with metrics off (they are on by default on loopback).
  {
    id: 'msgpack-nometrics',
    label: 'polyrpc msgpack/TCP, metrics off',
    group: 'polyrpc',
    server: 'polyrpc-msgpack-nometrics',
    driver: 'polyrpc',
    figures: ['sequential', 'inflight64'],
    floor: 'tcp',
  },
  // Issue 13: bare msgpack-rpc framing (no length prefix) on the same msgpack port.
  {
    id: 'msgpack-bare',
    label: 'polyrpc msgpack/TCP bare',
    group: 'polyrpc',
    server: 'polyrpc-msgpack',
    driver: 'polyrpc',
    figures: ALL,
    target: (url) => url.replace(/^msgpack:/, 'msgpack+bare:'),
    floor: 'tcp',
  },
  {
    id: 'jsonrpc-tcp',
    label: 'polyrpc JSON-RPC/TCP',
    group: 'polyrpc',
    server: 'polyrpc-jsonrpc-tcp',
    driver: 'polyrpc',
    figures: ALL,
    floor: 'tcp',
  },
  {
    id: 'jsonrpc-http',
    label: 'polyrpc JSON-RPC/HTTP',
    group: 'polyrpc',
    server: 'polyrpc-jsonrpc-http',
    driver: 'polyrpc',
    figures: ALL,
    floor: 'http',
  },
  {
    id: 'xmlrpc',
    label: 'polyrpc XML-RPC/HTTP',
    group: 'polyrpc',
    server: 'polyrpc-xmlrpc',
    driver: 'polyrpc',
    figures: ALL,
    floor: 'http',
  },
  {
    id: 'jayson-tcp',
    label: 'jayson TCP',
    group: 'peer',
    server: 'jayson-tcp',
    driver: 'jayson-tcp',
    figures: ALL,
    floor: 'tcp',
  },
  {
    id: 'jayson-tcp>polyrpc',
    label: 'jayson TCP → polyrpc',
    group: 'cross',
    server: 'polyrpc-jsonrpc-tcp',
    driver: 'jayson-tcp',
    figures: ALL,
    floor: 'tcp',
  },
  {
    id: 'jayson-http',
    label: 'jayson HTTP',
    group: 'peer',
    server: 'jayson-http',
    driver: 'jayson-http',
    figures: ALL,
    floor: 'http',
  },
  {
    id: 'jayson-http>polyrpc',
    label: 'jayson HTTP → polyrpc',
    group: 'cross',
    server: 'polyrpc-jsonrpc-http',
    driver: 'jayson-http',
    figures: ALL,
    target: asHttp('/jsonrpc'),
    floor: 'http',
  },
  {
    id: 'xmlrpc-npm',
    label: 'npm xmlrpc',
    group: 'peer',
    server: 'xmlrpc-npm',
    driver: 'xmlrpc',
    figures: ALL,
    floor: 'http',
  },
  {
    id: 'xmlrpc-npm>polyrpc',
    label: 'npm xmlrpc → polyrpc',
    group: 'cross',
    server: 'polyrpc-xmlrpc',
    driver: 'xmlrpc',
    figures: ALL,
    floor: 'http',
  },
  {
    id: 'python',
    label: 'Python xmlrpc',
    group: 'peer',
    server: 'python-xmlrpc',
    driver: 'python',
    figures: ['sequential', 'inflight64', 'echo'],
    floor: 'http',
  },
  {
    id: 'python>polyrpc',
    label: 'Python xmlrpc → polyrpc',
    group: 'cross',
    server: 'polyrpc-xmlrpc',
    driver: 'python',
    figures: ['sequential', 'inflight64', 'echo'],
    floor: 'http',
  },
  {
    id: 'grpc',
    label: 'grpc-js unary',
    group: 'peer',
    server: 'grpc',
    driver: 'grpc',
    figures: ALL,
    floor: 'tcp',
  },
  {
    id: 'raw',
    label: 'floor: raw TCP echo',
    group: 'floor',
    server: 'raw',
    driver: 'raw',
    figures: ALL,
    floor: 'tcp',
  },
  {
    id: 'raw-batched',
    label: 'floor: raw TCP echo, batched',
    group: 'floor',
    server: 'raw-batched',
    driver: 'raw',
    figures: ALL,
    floor: 'tcp',
  },
  {
    id: 'http-bare',
    label: 'floor: bare node:http',
    group: 'floor',
    server: 'http-bare',
    driver: 'http',
    figures: ALL,
    floor: 'http',
  },
  ...webSocketStacks,
  ...secureStacks,
];

/** idleServers are measured for RSS with many idle TCP connections (a fresh process each). */
export const idleServers: readonly string[] = [
  'polyrpc-msgpack',
  'polyrpc-jsonrpc-tcp',
  'raw',
  'raw-batched',
  'http-bare',
];
