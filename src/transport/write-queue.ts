/**
 * Write batching for sockets: frames written during one turn of the event loop go
 * out together instead of one syscall per message. Small frames are joined into one
 * buffer (one Writable entry and one syscall per batch); a frame that would take a
 * batch past {@link JOIN_BYTES} is written into the corked socket, so large output
 * counts in `socket.writableLength` and raises 'drain' exactly as plain writes do.
 *
 * A batch of small frames is also flushed early, once it holds {@link FLUSH_FRAMES}
 * frames: with many calls in flight, the peer starts on the first replies while this
 * side still works on the rest, instead of the two sides taking turns over one large
 * batch (in bench/, about 2× the calls/s with 64 in flight on one connection).
 * @internal
 */
import type { Socket } from 'node:net';

/** WriteQueue batches writes to one socket. */
export interface WriteQueue {
  /** write queues one encoded frame; it is flushed by the end of the current tick. */
  write(frame: Uint8Array): void;
  /** flush hands every queued frame to the socket now; call it before `socket.end()`. */
  flush(): void;
  /** Bytes queued here or in the socket that the peer has not read yet. */
  readonly buffered: number;
}

/** Small frames in one batch before it is flushed without waiting for the tick to end. */
const FLUSH_FRAMES = 16;
/** The most bytes joined (copied) into one buffer. */
const JOIN_BYTES = 64 * 1024;

/** createWriteQueue wraps a socket. Writes after the socket is destroyed or ended are dropped. */
export function createWriteQueue(socket: Socket): WriteQueue {
  let frames: Uint8Array[] = [];
  let bytes = 0;
  let corked = false;
  let scheduled = false;

  const writeJoined = (): void => {
    if (frames.length === 0) return;
    const list = frames;
    const total = bytes;
    frames = [];
    bytes = 0;
    if (socket.destroyed || !socket.writable) return;
    socket.write(list.length === 1 ? list[0]! : Buffer.concat(list, total));
  };
  const flush = (): void => {
    writeJoined();
    if (corked) {
      corked = false;
      socket.uncork();
    }
  };
  const onTick = (): void => {
    scheduled = false;
    flush();
  };

  return {
    write(frame) {
      if (socket.destroyed || !socket.writable) return;
      if (!scheduled) {
        scheduled = true;
        process.nextTick(onTick);
      }
      if (corked || bytes + frame.byteLength > JOIN_BYTES) {
        if (!corked) {
          corked = true;
          socket.cork();
        }
        writeJoined(); // keeps order: queued small frames go first
        socket.write(frame);
        return;
      }
      frames.push(frame);
      bytes += frame.byteLength;
      if (frames.length >= FLUSH_FRAMES) writeJoined();
    },
    flush,
    get buffered() {
      return socket.writableLength + bytes;
    },
  };
}
