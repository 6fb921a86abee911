/**
 * The TCP listener of a stream protocol: each accepted socket becomes a
 * {@link TcpConnection} (the protocol's framer) served by a {@link Session}. All the
 * per-connection behaviour lives in the session; this file only accepts and drains.
 *
 * Exports: createStreamServer, serveStream, StreamServer.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Code, RpcError } from '../rpc/errors.js';
import type { Registry } from '../rpc/registry.js';
import type { ConnectionGate } from './connection-gate.js';
import type { Instrument } from './observer.js';
import { Session, type SessionInit } from './session.js';
import { TcpConnection } from './tcp-connection.js';
import { serverTlsOptions } from './tls.js';
import type { FrameBytes, Limits, Protocol, ServerTlsOptions, StreamServerCodec } from './types.js';

/** StreamServer is a TCP server plus a way to end its connections gracefully. */
export interface StreamServer {
  /** The unlistened `net.Server`. */
  readonly server: NetServer;
  /**
   * drain stops accepting and sends every connection `rpc.goaway`: calls in flight are
   * answered, calls read from then on are answered -32003 (not run), and each
   * connection closes once its client is done (see `Session.drain`); whatever is
   * still open after `deadlineMs` is closed.
   */
  drain(deadlineMs: number): Promise<void>;
}

/** How often a drain checks whether every connection has gone, in ms. */
const DRAIN_POLL_MS = 20;

/**
 * createStreamServer returns an unlistened TCP server speaking `codec` (over TLS when
 * `tls` is given), reporting to `instrument` when one is given. The caller listens (`server.listen(port, host)`) and shuts down
 * with `drain`.
 */
export function createStreamServer(
  registry: Registry,
  codec: StreamServerCodec,
  limits: Limits,
  protocol: string,
  tls?: ServerTlsOptions,
  gate?: ConnectionGate,
  instrument?: Instrument,
): StreamServer {
  const sessions = new Set<Session<Buffer, FrameBytes>>();
  // One init for every connection: no object or closure per connection here.
  const init: SessionInit<Buffer, FrameBytes> = {
    registry,
    codec,
    limits,
    protocol,
    onClose: (session) => sessions.delete(session),
    instrument,
  };
  const observer = instrument?.observer;
  const accept = (socket: Socket): void => {
    const refused = gate?.admit(socket);
    if (refused !== undefined) {
      observer?.limitRejected(protocol, 'connections');
      refuse(socket, codec, protocol, refused);
      return;
    }
    sessions.add(new Session(new TcpConnection(socket, codec.createFramer(limits)), init));
    if (observer === undefined) return;
    observer.connectionOpened(protocol, socket);
    socket.once('close', () => observer.connectionClosed(protocol, socket));
  };
  const server =
    tls === undefined
      ? createServer({ allowHalfOpen: true, noDelay: true }, accept)
      : createTlsServer({ allowHalfOpen: true, noDelay: true, ...serverTlsOptions(tls) }, accept);

  return {
    server,
    drain(deadlineMs) {
      return new Promise<void>((resolve) => {
        server.close();
        for (const s of sessions) s.drain(deadlineMs);
        const finish = (): void => {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        };
        const check = setInterval(() => {
          if (sessions.size === 0) finish();
        }, DRAIN_POLL_MS);
        const timer = setTimeout(() => {
          for (const s of sessions) s.destroy();
          finish();
        }, deadlineMs);
        if (sessions.size === 0) finish();
      });
    },
  };
}

// Over the connection limit: the protocol's own error reply (id null), then close.
function refuse(socket: Socket, codec: StreamServerCodec, protocol: string, reason: string): void {
  socket.on('error', () => {});
  const error = new RpcError(Code.LimitExceeded, `${protocol}: ${reason}`);
  const bytes = codec.encodeReply({ id: null, ok: false, error });
  if (bytes instanceof Uint8Array) socket.end(bytes);
  else {
    for (const b of bytes) socket.write(b);
    socket.end();
  }
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * serveStream returns an unlistened TCP server for a protocol with a stream binding.
 * @throws TypeError when the protocol has none.
 */
export function serveStream(
  protocol: Protocol,
  registry: Registry,
  limits: Limits,
  tls?: ServerTlsOptions,
  gate?: ConnectionGate,
): StreamServer {
  if (protocol.stream === undefined) throw new TypeError(`transport: ${protocol.name} has no TCP listener`);
  return createStreamServer(registry, protocol.stream.codec, limits, protocol.name, tls, gate);
}
