/**
 * The TCP adapter of the message seam: a `net.Socket` and a protocol's {@link Framer}
 * make a {@link MessageConnection} of byte messages. Output is batched per tick
 * (`write-queue.ts`).
 *
 * Exports: TcpConnection, connectTcp, createTcpTransport.
 * @internal
 */

import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Peer } from '../rpc/context.js';
import { hostForUrl, hostOf, portOf } from './address.js';
import { resolveAuth } from './client-auth.js';
import type { ConnectionEvents, MessageConnection } from './connection.js';
import { createMessageClient } from './message-client.js';
import { clientTlsOptions, peerOf } from './tls.js';
import {
  type ClientOptions,
  type ClientTransport,
  type FrameBytes,
  FrameError,
  type Framer,
  type StreamClientCodec,
} from './types.js';
import { createWriteQueue, type WriteQueue } from './write-queue.js';

const noop = (): void => {};

/**
 * TcpConnection adapts one socket. It listens with one handler per socket event (no
 * listener is ever added per message or per wait), so a connection's cost is fixed
 * however long it lives.
 */
export class TcpConnection implements MessageConnection<Buffer, FrameBytes> {
  readonly #out: WriteQueue;
  #events: ConnectionEvents<Buffer, FrameBytes> | undefined;
  #waitingDrain = false;
  #drainListening = false;
  #broken = false;
  readonly #onFrame = (frame: Uint8Array): void => this.#events!.message(frame as Buffer); // views of Buffer chunks
  readonly #onData = (chunk: Buffer): void => {
    if (this.#broken) return; // input after a framing error is read and dropped
    try {
      this.framer.push(chunk, this.#onFrame);
    } catch (err) {
      this.#broken = true;
      const reply = err instanceof FrameError ? err.reply : undefined;
      this.#events!.broken(err instanceof Error ? err.message : String(err), reply);
    }
  };
  readonly #onDrain = (): void => {
    if (!this.#waitingDrain) return;
    this.#waitingDrain = false;
    this.#events?.drained();
  };

  constructor(
    readonly socket: Socket,
    readonly framer: Framer,
  ) {
    this.#out = createWriteQueue(socket);
  }

  get peer(): Peer | undefined {
    return peerOf(this.socket);
  }

  get buffered(): number {
    return this.#out.buffered;
  }

  open(events: ConnectionEvents<Buffer, FrameBytes>): void {
    this.#events = events;
    const socket = this.socket;
    socket.on('data', this.#onData);
    socket.on('end', () => events.ended());
    socket.on('error', noop); // 'close' follows with the error
    socket.on('close', (hadError: boolean) => {
      this.#waitingDrain = false;
      events.closed(hadError ? new Error('connection reset') : undefined);
    });
  }

  send(message: FrameBytes): void {
    const outgoing = this.framer.outgoing;
    this.#out.write(outgoing === undefined ? message : outgoing(message));
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  waitDrain(): void {
    this.#waitingDrain = true;
    if (!this.#drainListening) {
      this.#drainListening = true;
      this.socket.on('drain', this.#onDrain); // once per connection, kept: see the class doc
    }
  }

  setIdleTimeout(ms: number, canClose: () => boolean): void {
    this.socket.setTimeout(ms, () => {
      if (canClose()) this.socket.destroy();
    });
  }

  end(): void {
    this.#out.flush(); // end() would otherwise drop what is still queued
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * connectTcp opens a client connection (over TLS when `tls` is given). It resolves
 * once connected (and the TLS handshake verified) and rejects with the socket's error
 * when the connection cannot be made.
 */
export function connectTcp(
  host: string,
  port: number,
  framer: Framer,
  tls?: ClientOptions['tls'] | true,
): Promise<TcpConnection> {
  return new Promise((resolve, reject) => {
    const socket =
      tls === undefined
        ? connect({ host, port, noDelay: true })
        : connectTls({ host, port, ...clientTlsOptions(tls === true ? undefined : tls, host) }).setNoDelay(
            true,
          );
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      socket.off('error', onError);
      resolve(new TcpConnection(socket, framer));
    });
  });
}

/**
 * createTcpTransport returns the client of a stream protocol at `url`: one TCP
 * connection (opened on the first call, again after a drop) carrying `codec`, over
 * TLS when the URL's scheme ends in `+tls:` (with `options.tls`).
 */
export function createTcpTransport(
  url: URL,
  protocol: string,
  codec: StreamClientCodec,
  defaultPort: number,
  options: ClientOptions = {},
): ClientTransport {
  const host = hostOf(url);
  const port = portOf(url, defaultPort);
  const maxBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
  const tls = url.protocol.endsWith('+tls:') ? (options.tls ?? true) : undefined;
  return createMessageClient({
    protocol,
    where: `${hostForUrl(host)}:${port}`,
    codec,
    options,
    auth: resolveAuth(url, options),
    dial: () => connectTcp(host, port, codec.createFramer(maxBytes), tls),
  });
}
