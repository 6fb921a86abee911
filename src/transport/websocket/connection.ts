/**
 * The WebSocket adapters of the message seam. On the server, one WebSocket carries
 * two channels — text frames (JSON-RPC) and binary frames (msgpack-rpc) — each a
 * {@link MessageConnection} served by its own session, so a reply always goes as the
 * frame type of its request and a push as the frame type its subscription was made
 * with. The binary channel exists only once a binary frame arrives. On the client, one
 * WebSocket is one channel, written against the WHATWG WebSocket surface (`send`,
 * `close`, `bufferedAmount`, `onmessage`…) so a browser build can use the global one.
 *
 * Both sides cork the underlying socket (when they have it) for the rest of the tick
 * on the first send, so the frames of one turn go out in one writev instead of one
 * syscall each, as `write-queue.ts` does for TCP.
 *
 * Exports: WsServerConnection, connectWebSocket, Corkable.
 * @internal
 */
import type { WebSocket as NodeWebSocket } from 'ws';
import type { Peer } from '../../rpc/context.js';
import type { ConnectionEvents, MessageConnection } from '../connection.js';
import type { FrameBytes } from '../types.js';

/** What goes out on a WebSocket: bytes (binary frames) or text. */
export type WsOut = FrameBytes | string;

/** While a channel waits for its peer to read, it checks this often, in ms. */
const DRAIN_POLL_MS = 20;

/**
 * DrainPoll stands in for a 'drain' event the WebSocket API does not have: while (rarely)
 * a channel waits for its peer to read, it looks at `drained()` every DRAIN_POLL_MS and
 * calls `then` once it is true. At most one wait is pending.
 */
class DrainPoll {
  #timer: ReturnType<typeof setTimeout> | undefined;

  start(drained: () => boolean, then: () => void): void {
    if (this.#timer !== undefined) return;
    const check = (): void => {
      this.#timer = drained() ? undefined : setTimeout(check, DRAIN_POLL_MS);
      if (this.#timer === undefined) then();
    };
    this.#timer = setTimeout(check, DRAIN_POLL_MS);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The part of a socket (node:net, node:tls) that batches writes. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Frames sent in one corked batch before it is flushed without waiting for the tick to end. */
const FLUSH_FRAMES = 16;

/**
 * TickCork corks a socket on the first frame of a tick and uncorks it at the end of
 * the tick, or early after {@link FLUSH_FRAMES} frames so that, with many calls in
 * flight, the peer starts on the first ones while this side works on the rest (as
 * `write-queue.ts` does). `ws` corks each frame's header and payload itself; corks nest.
 */
class TickCork {
  #frames = 0;
  #corked = false;
  #scheduled = false;
  readonly #onTick = (): void => {
    this.#scheduled = false;
    this.#uncork();
  };

  constructor(private readonly socket: Corkable) {}

  /** around runs `send` (one frame) inside the tick's cork. */
  around(send: () => void): void {
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      if (!this.#scheduled) {
        this.#scheduled = true;
        process.nextTick(this.#onTick);
      }
    }
    send();
    if (++this.#frames >= FLUSH_FRAMES) this.#uncork();
  }

  #uncork(): void {
    this.#frames = 0;
    if (!this.#corked) return;
    this.#corked = false;
    this.socket.uncork();
  }
}

function payload(message: WsOut): string | Uint8Array {
  if (typeof message === 'string' || message instanceof Uint8Array) return message;
  return Buffer.concat(message as readonly Uint8Array[]);
}

/** One frame type of a server-side WebSocket. */
class Channel implements MessageConnection<Buffer, WsOut> {
  events: ConnectionEvents<Buffer, WsOut> | undefined;
  canClose: () => boolean = () => true;
  paused = false;
  ended = false;
  readonly #drain = new DrainPoll();

  constructor(
    private readonly owner: WsServerConnection,
    readonly binary: boolean,
  ) {}

  get peer(): Peer | undefined {
    return this.owner.peer;
  }

  get buffered(): number {
    return this.owner.ws.bufferedAmount;
  }

  open(events: ConnectionEvents<Buffer, WsOut>): void {
    this.events = events;
  }

  send(message: WsOut): void {
    this.owner.send(payload(message), this.binary);
  }

  pause(): void {
    this.paused = true;
    this.owner.flow();
  }

  resume(): void {
    this.paused = false;
    this.owner.flow();
  }

  waitDrain(): void {
    const ws = this.owner.ws;
    this.#drain.start(
      () => ws.bufferedAmount === 0 || ws.readyState !== ws.OPEN,
      () => this.events?.drained(),
    );
  }

  setIdleTimeout(_ms: number, canClose: () => boolean): void {
    this.canClose = canClose; // the server's sweep applies `idleTimeoutMs` to the whole WebSocket
  }

  end(): void {
    this.ended = true;
    this.owner.endIfDone();
  }

  destroy(): void {
    this.owner.ws.terminate();
  }

  closed(): void {
    this.#drain.stop();
    this.events?.closed();
  }
}

/**
 * WsServerConnection is one accepted WebSocket and its channels. `serveChannel` is
 * called once per channel, when it first carries a message, to start its session.
 */
export class WsServerConnection {
  readonly #channels: [Channel | undefined, Channel | undefined] = [undefined, undefined];
  /** When the peer last sent a message, from performance.now() (idle timeout). */
  lastMessage = performance.now();
  /** When the peer last sent anything, a message or a pong (pings). */
  lastHeard = this.lastMessage;
  /** When a ping went unanswered so far; 0 when none is outstanding. */
  pingSentAt = 0;
  readonly #cork: TickCork;

  constructor(
    readonly ws: NodeWebSocket,
    socket: Corkable,
    readonly peer: Peer | undefined,
    private readonly serveChannel: (channel: MessageConnection<Buffer, WsOut>, binary: boolean) => void,
  ) {
    this.#cork = new TickCork(socket);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.lastMessage = performance.now();
      this.lastHeard = this.lastMessage;
      this.#channel(isBinary).events?.message(data);
    });
    ws.on('pong', () => {
      this.lastHeard = performance.now();
      this.pingSentAt = 0;
    });
    ws.on('error', () => {}); // 'close' follows
    ws.on('close', () => {
      for (const c of this.#channels) c?.closed();
    });
  }

  /** send writes one frame, batched with the others of this tick. */
  send(data: string | Uint8Array, binary: boolean): void {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    this.#cork.around(() => ws.send(data, { binary }));
  }

  /** idle tells whether every channel's session would let the connection go. */
  idle(): boolean {
    return this.#channels.every((c) => c === undefined || c.canClose());
  }

  /** flow pauses reading while any channel wants it paused. */
  flow(): void {
    if (this.#channels.some((c) => c?.paused === true)) this.ws.pause();
    else this.ws.resume();
  }

  /** endIfDone closes the WebSocket once every channel in use has ended. */
  endIfDone(): void {
    if (this.#channels.every((c) => c === undefined || c.ended)) this.ws.close(1000);
  }

  /** drain ends the text channel's session if nothing else opened one (server shutdown). */
  ensureOpened(): void {
    this.#channel(false);
  }

  #channel(binary: boolean): Channel {
    const i = binary ? 1 : 0;
    let c = this.#channels[i];
    if (c === undefined) {
      c = new Channel(this, binary);
      this.#channels[i] = c;
      this.serveChannel(c, binary);
    }
    return c;
  }
}

/** The part of the WHATWG WebSocket a client connection uses. */
interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** Opens a WHATWG WebSocket: the `ws` package's (with TLS options), or a browser's global. */
export type WebSocketFactory = (url: string) => WebSocketLike;

const OPEN = 1;

/** A client-side WebSocket as one channel. Reading cannot be paused here (the browser API cannot). */
class ClientConnection implements MessageConnection<Uint8Array, WsOut> {
  #events: ConnectionEvents<Uint8Array, WsOut> | undefined;
  readonly #drain = new DrainPoll();
  readonly #cork: TickCork | undefined;

  constructor(
    readonly ws: WebSocketLike,
    socket: Corkable | undefined,
  ) {
    this.#cork = socket === undefined ? undefined : new TickCork(socket);
    ws.onmessage = (event) => {
      const data = event.data;
      if (typeof data === 'string') this.#events?.message(Buffer.from(data));
      else if (data instanceof ArrayBuffer) this.#events?.message(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) this.#events?.message(data as Uint8Array);
    };
    ws.onclose = () => {
      this.#drain.stop();
      this.#events?.closed();
    };
  }

  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  open(events: ConnectionEvents<Uint8Array, WsOut>): void {
    this.#events = events;
  }

  send(message: WsOut): void {
    if (this.ws.readyState !== OPEN) return;
    const data = payload(message);
    if (this.#cork === undefined) this.ws.send(data);
    else this.#cork.around(() => this.ws.send(data));
  }

  pause(): void {}

  resume(): void {}

  waitDrain(): void {
    this.#drain.start(
      () => this.ws.bufferedAmount === 0,
      () => this.#events?.drained(),
    );
  }

  setIdleTimeout(): void {}

  end(): void {
    this.ws.close(1000);
  }

  // A frozen peer never answers a closing handshake: the `ws` package's terminate()
  // drops the socket at once (a browser's WebSocket has only close()).
  destroy(): void {
    const terminate = (this.ws as { terminate?: () => void }).terminate;
    if (typeof terminate === 'function') terminate.call(this.ws);
    else this.ws.close(1000);
  }
}

/**
 * connectWebSocket opens a client WebSocket and resolves once it is open; it rejects
 * with the reason it could not open. `socketOf` gives the socket under an open
 * WebSocket where there is one to batch writes on (Node; a browser has none).
 */
export function connectWebSocket(
  open: WebSocketFactory,
  url: string,
  socketOf: (ws: WebSocketLike) => Corkable | undefined = () => undefined,
): Promise<MessageConnection<Uint8Array, WsOut>> {
  return new Promise((resolve, reject) => {
    const ws = open(url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      ws.onerror = null;
      resolve(new ClientConnection(ws, socketOf(ws)));
    };
    ws.onerror = (event) => {
      const message = (event as { message?: unknown }).message;
      reject(new Error(typeof message === 'string' ? message : 'the WebSocket could not be opened'));
    };
  });
}
