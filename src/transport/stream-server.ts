/**
 * The shared TCP loop for stream protocols: framer → codec → dispatch → codec, with
 * limits, backpressure, per-tick write batching, idle timeouts, server push and
 * graceful drain. A protocol folder supplies only its {@link StreamServerCodec}.
 *
 * Failure contract: an undecodable frame gets the codec's error reply and the loop
 * goes on; broken framing (bad length, over-long line) closes the connection after
 * the error frame. Nothing a peer sends can throw out of this loop.
 */
import { createServer, type Socket } from 'node:net';
import { createConnectionContext } from '../rpc/context.js';
import { dispatch, type SentReply } from '../rpc/dispatch.js';
import type { Call, Reply } from '../rpc/message.js';
import type { Registry } from '../rpc/registry.js';
import { createSubscriptions } from '../rpc/subscriptions.js';
import { FrameError, type Limits, type StreamServer, type StreamServerCodec } from './types.js';
import { createWriteQueue } from './write-queue.js';

/** Output queued beyond this pauses reading from the peer until it drains. */
const READ_PAUSE_BYTES = 1024 * 1024;
/** How long a connection ended for bad input lingers so its error reply is delivered. */
const CLOSE_GRACE_MS = 1000;

const discard = (): void => {};

interface Connection {
  readonly socket: Socket;
  /** Stops reading and ends the connection once its calls in flight are answered. */
  drain(): void;
}

/**
 * createStreamServer returns an unlistened TCP server speaking `codec`.
 * The caller listens (`server.listen(port, host)`) and shuts down with `drain`.
 */
export function createStreamServer(
  registry: Registry,
  codec: StreamServerCodec,
  limits: Limits,
  protocol: string,
): StreamServer {
  const connections = new Set<Connection>();
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const conn = serveConnection(socket, registry, codec, limits, protocol, () => connections.delete(conn));
    connections.add(conn);
  });

  return {
    server,
    drain(deadlineMs) {
      return new Promise<void>((resolve) => {
        server.close();
        for (const conn of connections) conn.drain();
        const check = setInterval(() => {
          if (connections.size === 0) finish();
        }, 20);
        const timer = setTimeout(() => {
          for (const conn of connections) conn.socket.destroy();
          finish();
        }, deadlineMs);
        const finish = (): void => {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        };
        if (connections.size === 0) finish();
      });
    },
  };
}

function serveConnection(
  socket: Socket,
  registry: Registry,
  codec: StreamServerCodec,
  limits: Limits,
  protocol: string,
  onClose: () => void,
): Connection {
  const out = createWriteQueue(socket);
  const framer = codec.createFramer(limits);
  let inFlight = 0;
  let readEnded = false;
  let draining = false;
  let paused = false;

  // A peer that does not read its output is cut off rather than growing our memory.
  const overLimit = (): boolean => {
    if (out.buffered <= limits.maxBufferedBytes) return false;
    socket.destroy();
    return true;
  };

  const waitDrain = (): Promise<void> =>
    new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));

  const subscriptions = createSubscriptions((push) => {
    out.write(codec.encodePush(push));
    if (overLimit()) return;
    if (out.buffered > READ_PAUSE_BYTES) return waitDrain();
  });
  const peer =
    socket.remoteAddress === undefined
      ? undefined
      : { address: socket.remoteAddress, port: socket.remotePort ?? 0 };
  const { context, abort } = createConnectionContext({ protocol, peer, subscriptions });

  const maybeEnd = (): void => {
    if (inFlight > 0) return;
    if (draining || (readEnded && subscriptions.size === 0)) {
      out.flush(); // end() would otherwise drop what is still queued
      socket.end();
    }
  };

  const updateFlow = (): void => {
    const shouldPause = inFlight >= limits.maxInFlight || out.buffered > READ_PAUSE_BYTES;
    if (shouldPause && !paused) {
      paused = true;
      socket.pause();
      if (out.buffered > READ_PAUSE_BYTES) socket.once('drain', updateFlow);
    } else if (!shouldPause && paused && !draining) {
      paused = false;
      socket.resume();
    }
  };

  const send = (reply: SentReply | null): void => {
    if (reply !== null) {
      out.write(codec.encodeReply(reply));
      reply.onSent?.();
    }
  };

  const settle = (reply: SentReply | null): void => {
    inFlight--;
    send(reply);
    if (overLimit()) return;
    if (paused || out.buffered > READ_PAUSE_BYTES) updateFlow();
    maybeEnd();
  };

  const runBatch = async (calls: readonly Call[]): Promise<void> => {
    const replies = await Promise.all(calls.map((c) => dispatch(registry, c, context)));
    const answered = replies.filter((r): r is SentReply => r !== null);
    inFlight--;
    if (answered.length > 0 && codec.encodeBatch !== undefined) {
      out.write(codec.encodeBatch(answered as Reply[]));
      for (const r of answered) r.onSent?.();
    }
    if (!overLimit()) maybeEnd();
  };

  const onFrame = (frame: Buffer): void => {
    if (draining) return;
    const incoming = codec.decode(frame, limits);
    switch (incoming.kind) {
      case 'call':
        inFlight++;
        dispatch(registry, incoming.call, context).then(settle);
        break;
      case 'batch':
        inFlight++;
        void runBatch(incoming.calls);
        break;
      case 'reply':
        out.write(codec.encodeReply(incoming.reply));
        if (incoming.close === true) closeAfterError();
        break;
      case 'close':
        socket.destroy();
        break;
      case 'ignore':
        break;
    }
    if (inFlight >= limits.maxInFlight) updateFlow();
  };

  // After a fatal framing error: answer, then end. Whatever the peer still sends is
  // read and dropped (so it never blocks on a full window), and the socket is
  // destroyed after a short grace that lets the error reply reach the peer first.
  const closeAfterError = (): void => {
    if (draining && socket.listenerCount('data') === 0) return;
    draining = true;
    socket.removeListener('data', onData);
    socket.on('data', discard);
    if (paused) {
      paused = false;
      socket.resume();
    }
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    maybeEnd();
  };

  const onData = (chunk: Buffer): void => {
    try {
      framer.push(chunk, onFrame);
    } catch (err) {
      if (err instanceof FrameError) {
        if (err.reply !== undefined) out.write(err.reply);
        closeAfterError();
      } else {
        registry.logger.error(`${protocol}: connection failed`, { error: err });
        socket.destroy();
      }
    }
  };

  socket.on('data', onData);
  socket.on('end', () => {
    readEnded = true;
    maybeEnd();
  });
  socket.on('error', ignore); // 'close' follows; nothing to report to anyone.
  // One 'close' listener, with `on`: 'close' fires once, and `once` would cost every
  // idle connection a wrapper object and a bound function.
  socket.on('close', () => {
    abort();
    onClose();
  });
  socket.setTimeout(limits.idleTimeoutMs, () => {
    // Quiet is fine while a call runs or a subscriber waits for events.
    if (inFlight === 0 && subscriptions.size === 0) socket.destroy();
  });

  return {
    socket,
    drain() {
      draining = true;
      socket.pause();
      subscriptions.closeAll();
      maybeEnd();
    },
  };
}

function ignore(): void {}
