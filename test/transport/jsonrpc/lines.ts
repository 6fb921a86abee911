/**
 * A raw newline-delimited socket for tests: send lines, await the lines that come back.
 */
import { connect, type Socket } from 'node:net';

export interface LineSocket {
  readonly socket: Socket;
  send(data: string | Buffer): void;
  /** next resolves the next line received (without its newline); rejects after `ms`. */
  next(ms?: number): Promise<string>;
  /** ended resolves once the server has ended its side (or the socket closed). */
  readonly ended: Promise<void>;
  /** closed resolves once the socket has closed. */
  readonly closed: Promise<void>;
  close(): void;
}

export async function connectLines(port: number): Promise<LineSocket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve).once('error', reject);
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let held = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    held += chunk;
    for (let nl = held.indexOf('\n'); nl !== -1; nl = held.indexOf('\n')) {
      const line = held.slice(0, nl);
      held = held.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const ended = new Promise<void>((resolve) => socket.once('end', resolve).once('close', () => resolve()));
  return {
    socket,
    closed,
    ended,
    send: (data) => {
      socket.write(typeof data === 'string' ? `${data}\n` : data);
    },
    next: (ms = 3000) =>
      new Promise<string>((resolve, reject) => {
        const ready = lines.shift();
        if (ready !== undefined) return resolve(ready);
        const timer = setTimeout(() => reject(new Error(`no line within ${ms} ms`)), ms);
        waiters.push((line) => {
          clearTimeout(timer);
          resolve(line);
        });
      }),
    close: () => socket.destroy(),
  };
}
