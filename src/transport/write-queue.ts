/**
 * Per-tick write batching for sockets: every frame written during one turn of the
 * event loop goes out in one `writev`, instead of one syscall per message.
 * @internal
 */
import type { Socket } from 'node:net';

/** WriteQueue batches writes to one socket. */
export interface WriteQueue {
  /** write queues one encoded frame; it is flushed at the end of the current tick. */
  write(frame: Uint8Array): void;
  /** Bytes queued in the socket that the peer has not read yet. */
  readonly buffered: number;
}

/** createWriteQueue wraps a socket. Writes after the socket is destroyed are dropped. */
export function createWriteQueue(socket: Socket): WriteQueue {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  return {
    write(frame) {
      if (socket.destroyed || !socket.writable) return;
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      socket.write(frame);
    },
    get buffered() {
      return socket.writableLength;
    },
  };
}
