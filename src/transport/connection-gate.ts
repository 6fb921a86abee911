/**
 * The server-wide connection limits: connections in all, and connections from one
 * client address, across every listener of one `serve()` (TCP, TLS, HTTP keep-alive
 * and WebSocket alike). The excess is refused at accept, before any byte is read: a
 * stream protocol gets its own error reply, HTTP a 503, then the socket closes.
 *
 * Exports: ConnectionGate, createConnectionGate.
 * @internal
 */
import type { Socket } from 'node:net';
import type { Limits } from './types.js';

/** ConnectionGate admits a socket, or says why not, and counts it until it closes. */
export interface ConnectionGate {
  /**
   * admit counts `socket` (until its 'close') and returns undefined, or returns the
   * reason it is refused (then it is not counted and the caller closes it).
   */
  admit(socket: Socket): string | undefined;
  /** Connections open now. */
  readonly open: number;
  /** Connections refused so far. */
  readonly refused: number;
}

/** createConnectionGate returns the gate of one server, with its limits. */
export function createConnectionGate(
  limits: Pick<Limits, 'maxConnections' | 'maxConnectionsPerIp'>,
): ConnectionGate {
  const perIp = new Map<string, number>();
  let open = 0;
  let refused = 0;
  return {
    get open() {
      return open;
    },
    get refused() {
      return refused;
    },
    admit(socket) {
      const ip = socket.remoteAddress ?? '';
      const mine = perIp.get(ip) ?? 0;
      if (open >= limits.maxConnections) {
        refused++;
        return `too many connections (${limits.maxConnections} open); try again later`;
      }
      if (mine >= limits.maxConnectionsPerIp) {
        refused++;
        return `too many connections from ${ip} (${limits.maxConnectionsPerIp}); try again later`;
      }
      open++;
      perIp.set(ip, mine + 1);
      socket.once('close', () => {
        open--;
        const n = (perIp.get(ip) ?? 1) - 1;
        if (n === 0) perIp.delete(ip);
        else perIp.set(ip, n);
      });
      return undefined;
    },
  };
}
