/**
 * Raw sockets for the stream protocols, for tests that must not go through our own
 * client: send a call or arbitrary bytes, read back decoded messages in a neutral
 * form. The wire encodings are written here from the protocol docs (JSON lines,
 * msgpack-rpc frames with a 4-byte length, bare msgpack-rpc values back to back), so
 * they survive any rewrite of src/.
 */
import { connect, type Socket } from 'node:net';
import { pack, unpack, unpackMultiple } from 'msgpackr';

/** WireProtocol names the stream protocols (and framings) this helper speaks. */
export type WireProtocol = 'jsonrpc' | 'msgpack' | 'msgpack+bare';

/** WireCall is a request (with id) or a notification (without). */
export interface WireCall {
  readonly id?: number;
  readonly method: string;
  readonly params: readonly unknown[];
}

/** WireMessage is one decoded message from the server. */
export type WireMessage =
  | { readonly kind: 'reply'; readonly id: unknown; readonly result?: unknown; readonly error?: WireError }
  | { readonly kind: 'batch'; readonly replies: readonly WireMessage[] }
  | { readonly kind: 'push'; readonly method: string; readonly params: readonly unknown[] }
  | { readonly kind: 'closed' };

export interface WireError {
  readonly code: number;
  readonly message: string;
}

/** encodeCall returns the bytes of one call on `protocol`'s wire, framing included. */
export function encodeCall(protocol: WireProtocol, call: WireCall): Buffer {
  if (protocol === 'jsonrpc') {
    const msg =
      call.id === undefined
        ? { jsonrpc: '2.0', method: call.method, params: call.params }
        : { jsonrpc: '2.0', id: call.id, method: call.method, params: call.params };
    return Buffer.from(`${JSON.stringify(msg)}\n`);
  }
  const body = call.id === undefined ? [2, call.method, call.params] : [0, call.id, call.method, call.params];
  return protocol === 'msgpack+bare' ? pack(body) : frame(pack(body));
}

/** frame puts a msgpack body behind its 4-byte big-endian length. */
export function frame(body: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

function decodeJson(value: unknown): WireMessage {
  if (Array.isArray(value)) return { kind: 'batch', replies: value.map(decodeJson) };
  const m = value as {
    id?: unknown;
    method?: string;
    params?: unknown[];
    result?: unknown;
    error?: WireError;
  };
  if (typeof m.method === 'string') return { kind: 'push', method: m.method, params: m.params ?? [] };
  return m.error === undefined
    ? { kind: 'reply', id: m.id, result: m.result }
    : { kind: 'reply', id: m.id, error: m.error };
}

function decodeMsgPack(value: unknown): WireMessage {
  const m = value as unknown[];
  if (m[0] === 2) return { kind: 'push', method: m[1] as string, params: (m[2] as unknown[]) ?? [] };
  return m[2] === null || m[2] === undefined
    ? { kind: 'reply', id: m[1], result: m[3] }
    : { kind: 'reply', id: m[1], error: m[2] as WireError };
}

/** WireSocket is one raw connection. */
export interface WireSocket {
  readonly socket: Socket;
  readonly protocol: WireProtocol;
  send(call: WireCall): void;
  sendRaw(bytes: Uint8Array | string): void;
  /** next resolves the next message, `{ kind: 'closed' }` once the server has closed; rejects after `ms`. */
  next(ms?: number): Promise<WireMessage>;
  /** Resolves when the server ends its side or the socket closes. */
  readonly ended: Promise<void>;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  /** Messages received so far and not yet taken by `next`. */
  readonly queued: number;
}

/** WireOptions configure {@link connectWire}. */
export interface WireOptions {
  /** Decode what arrives. Defaults to true; false leaves data unread (with `socket.pause()`) or dropped. */
  readonly decode?: boolean;
}

/** connectWire opens a raw connection to `port` and resolves once connected. */
export async function connectWire(
  protocol: WireProtocol,
  port: number,
  options: WireOptions = {},
): Promise<WireSocket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve).once('error', reject);
  });
  socket.on('error', () => {});
  const messages: WireMessage[] = [];
  const waiters: ((m: WireMessage) => void)[] = [];
  let done = false;
  const deliver = (m: WireMessage): void => {
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  };
  let held: Buffer = Buffer.alloc(0);
  if (options.decode !== false) {
    socket.on('data', (chunk: Buffer) => {
      held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      if (protocol === 'jsonrpc') {
        for (let nl = held.indexOf(10); nl !== -1; nl = held.indexOf(10)) {
          const line = held.subarray(0, nl).toString('utf8');
          held = held.subarray(nl + 1);
          deliver(decodeJson(JSON.parse(line)));
        }
      } else if (protocol === 'msgpack+bare') {
        held = takeBare(held, (value) => deliver(decodeMsgPack(value)));
      } else {
        while (held.length >= 4 && held.length >= 4 + held.readUInt32BE(0)) {
          const n = held.readUInt32BE(0);
          const body = held.subarray(4, 4 + n);
          held = held.subarray(4 + n);
          deliver(decodeMsgPack(unpack(body)));
        }
      }
    });
  }
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      done = true;
      for (const w of waiters.splice(0)) w({ kind: 'closed' });
      resolve();
    }),
  );
  const ended = new Promise<void>((resolve) => {
    socket.once('end', () => resolve());
    void closed.then(resolve);
  });
  return {
    socket,
    protocol,
    ended,
    closed,
    get queued() {
      return messages.length;
    },
    send: (call) => {
      socket.write(encodeCall(protocol, call));
    },
    sendRaw: (bytes) => {
      socket.write(bytes);
    },
    next: (ms = 3000) =>
      new Promise<WireMessage>((resolve, reject) => {
        const ready = messages.shift();
        if (ready !== undefined) return resolve(ready);
        if (done) return resolve({ kind: 'closed' });
        const timer = setTimeout(() => reject(new Error(`${protocol}: no message within ${ms} ms`)), ms);
        waiters.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      }),
  };
}

/** takeBare delivers every whole value at the start of `held` and returns the bytes left. */
function takeBare(held: Buffer, deliver: (value: unknown) => void): Buffer {
  let used = 0;
  try {
    unpackMultiple(held, (value: unknown, _start?: number, end?: number) => {
      used = end ?? held.length;
      deliver(value);
    });
  } catch (err) {
    if (!(err as { incomplete?: boolean }).incomplete) throw err;
  }
  return held.subarray(used);
}

/** nextReply skips pushes and resolves the next reply (or closed). */
export async function nextReply(sock: WireSocket, ms = 3000): Promise<WireMessage> {
  for (;;) {
    const m = await sock.next(ms);
    if (m.kind !== 'push') return m;
  }
}
