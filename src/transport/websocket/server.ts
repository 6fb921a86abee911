/**
 * Serving over WebSocket: the upgrade handler mounted at `/ws` on the shared HTTP
 * server (the `ws` package, `noServer`), a session per channel, one sweep timer for
 * idle timeouts and pings, and a graceful drain.
 *
 * Exports: createUpgradeServer.
 * @internal
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { authorizeRequest, CHALLENGE } from '../http-auth.js';
import { Session } from '../session.js';
import { peerOf } from '../tls.js';
import type { UpgradeInit, UpgradeServer } from '../types.js';
import { binaryServerCodec, textServerCodec } from './codec.js';
import { type WsOut, WsServerConnection } from './connection.js';

/** How often idle and unanswered connections are looked for, in ms (clamped). */
function sweepEvery(init: UpgradeInit): number {
  const shortest = Math.min(init.limits.idleTimeoutMs, init.limits.pingIntervalMs);
  return Math.max(250, Math.min(5000, Math.floor(shortest / 4)));
}

function originAllowed(init: UpgradeInit, origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true; // not a browser: origins do not apply
  if (init.sameOrigin === true && host !== undefined && sameHost(origin, host)) return true;
  if (init.allowedOrigins !== undefined) return init.allowedOrigins.includes(origin);
  return init.loopback;
}

// A page's Origin names the host (and port) the browser loaded it from, which is the
// Host it sends with the upgrade when the page connects back to where it came from.
function sameHost(origin: string, host: string): boolean {
  try {
    const page = new URL(origin);
    return page.host === new URL(`${page.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, text: string, extra = ''): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/**
 * createUpgradeServer serves WebSocket upgrades: text frames as JSON-RPC, binary
 * frames as msgpack-rpc. A frame over `maxMessageBytes` closes the connection (1009),
 * checked by `ws` before it is buffered. A browser's `Origin` must be allowed.
 */
export function createUpgradeServer(init: UpgradeInit): UpgradeServer {
  const { registry, limits, protocol } = init;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxMessageBytes,
    perMessageDeflate: false,
  });
  const connections = new Set<WsServerConnection>();
  const sessions = new Set<Session<Buffer, WsOut>>();
  const onClose = (s: Session<Buffer, WsOut>): void => {
    sessions.delete(s);
  };
  const instrument = init.instrument;
  const observer = instrument?.observer;
  const text = { registry, limits, protocol, codec: textServerCodec, onClose, instrument };
  const binary = { registry, limits, protocol, codec: binaryServerCodec, onClose, instrument };

  const sweep = setInterval(() => {
    const now = performance.now();
    for (const c of connections) {
      if (c.pingSentAt > 0 && now - c.pingSentAt >= limits.pingIntervalMs) c.ws.terminate();
      else if (now - c.lastMessage >= limits.idleTimeoutMs && c.idle()) c.ws.terminate();
      else if (c.pingSentAt === 0 && now - c.lastHeard >= limits.pingIntervalMs) {
        c.pingSentAt = now;
        c.ws.ping();
      }
    }
  }, sweepEvery(init));
  sweep.unref();

  // `identity`: what the upgrade's Authorization header proved, if it carried one.
  const accept = (
    request: IncomingMessage,
    socket: Duplex,
    ws: import('ws').WebSocket,
    identity: unknown,
  ): void => {
    const peer = peerOf(request.socket);
    const conn = new WsServerConnection(ws, socket, peer, (channel, isBinary) => {
      const session = new Session<Buffer, WsOut>(channel, isBinary ? binary : text);
      if (identity !== undefined) session.identify(identity);
      sessions.add(session);
    });
    connections.add(conn);
    ws.on('close', () => connections.delete(conn));
    if (observer !== undefined) {
      const counted = request.socket;
      observer.connectionOpened(protocol, counted);
      ws.on('close', () => observer.connectionClosed(protocol, counted));
      ws.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') observer.limitRejected(protocol, 'too_large');
      });
    }
  };

  return {
    upgrade(req, raw, head) {
      // node:http's 'upgrade' arguments (typed opaquely in the public UpgradeServer).
      const request = req as IncomingMessage;
      const socket = raw as Duplex;
      if (!originAllowed(init, request.headers.origin, request.headers.host)) {
        refuse(socket, 403, 'Forbidden');
        return;
      }
      const upgrade = (identity: unknown): void =>
        wss.handleUpgrade(request, socket, head as Buffer, (ws) => accept(request, socket, ws, identity));
      // Without a header (a browser cannot set one) the connection opens anonymous and
      // must call rpc.authenticate; a header that does not prove anything is a 401.
      if (registry.authenticate === undefined || request.headers.authorization === undefined) {
        upgrade(undefined);
        return;
      }
      const outcome = authorizeRequest(registry, request);
      const settle = (o: Awaited<typeof outcome>): void => {
        if (o.ok) upgrade(o.identity);
        else refuse(socket, 401, 'Unauthorized', `WWW-Authenticate: ${CHALLENGE}\r\n`);
      };
      if (outcome instanceof Promise) outcome.then(settle);
      else settle(outcome);
    },
    drain(deadlineMs) {
      clearInterval(sweep);
      for (const c of connections) c.ensureOpened();
      for (const s of sessions) s.drain(deadlineMs);
      return new Promise<void>((resolve) => {
        const finish = (): void => {
          clearInterval(check);
          clearTimeout(timer);
          wss.close();
          resolve();
        };
        const check = setInterval(() => {
          if (connections.size === 0) finish();
        }, 20);
        const timer = setTimeout(() => {
          for (const c of connections) c.ws.terminate();
          finish();
        }, deadlineMs);
        if (connections.size === 0) finish();
      });
    },
  };
}
