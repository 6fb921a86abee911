/**
 * MessagePack-RPC over TCP: each message is one MessagePack value, behind a 4-byte
 * big-endian length or bare (values back to back, as in the msgpack-rpc
 * specification; the port takes both, told apart by a connection's first byte), a
 * msgpack-rpc request `[0, msgid, method, params]`, response
 * `[1, msgid, error, result]` or notification `[2, method, params]`; server push uses
 * `rpc.event` / `rpc.end` notifications. The wire format, type mapping and limits are
 * described in `docs/msgpack.md`.
 *
 * Exports: msgPack, the {@link Protocol} registered in `src/transport/index.ts`.
 */
import type { Protocol } from '../types.js';
import { createTransport } from './client.js';
import { DEFAULT_PORT, PROTOCOL, serverCodec } from './codec.js';

/**
 * msgPack serves a registry on TCP (default port 8002) and calls servers at
 * `msgpack://` and `msgpack+tcp://` URLs (length-prefixed frames) and
 * `msgpack+bare://` URLs (bare msgpack-rpc).
 */
export const msgPack: Protocol = {
  name: PROTOCOL,
  title: 'MessagePack-RPC over TCP (4-byte length-prefixed or bare msgpack-rpc)',
  schemes: ['msgpack:', 'msgpack+tcp:', 'msgpack+bare:', 'msgpack+tls:'],
  pushSchemes: ['msgpack:', 'msgpack+tcp:', 'msgpack+bare:', 'msgpack+tls:'],
  createTransport,
  stream: {
    defaultPort: DEFAULT_PORT,
    tlsScheme: 'msgpack+tls:',
    codec: serverCodec,
    clientSchemes: ['msgpack:', 'msgpack+bare:'],
  },
};
