/**
 * TLS for every listener and every client, in one place: the options node:tls takes
 * on each side, secure URL schemes, and the verified client certificate of a socket.
 *
 * Exports: serverTlsOptions, clientTlsOptions, secureScheme, peerOf.
 * @internal
 */
import type { Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket, TlsOptions } from 'node:tls';
import type { Peer, PeerCertificate } from '../rpc/context.js';
import type { ClientTlsOptions, ServerTlsOptions } from './types.js';

type Pem = string | Uint8Array;
const buffers = (v: Pem | readonly Pem[] | undefined): Buffer | string | (string | Buffer)[] | undefined => {
  if (v === undefined) return undefined;
  const one = (x: Pem): string | Buffer => (typeof x === 'string' ? x : Buffer.from(x));
  return Array.isArray(v) ? (v as readonly Pem[]).map(one) : one(v as Pem);
};

/** serverTlsOptions maps polyrpc's server TLS options to node:tls's. */
export function serverTlsOptions(tls: ServerTlsOptions): TlsOptions {
  return {
    cert: buffers(tls.cert),
    key: buffers(tls.key),
    ca: buffers(tls.ca),
    requestCert: tls.requestClientCert === true,
    rejectUnauthorized: tls.requestClientCert === true,
    minVersion: 'TLSv1.2',
  };
}

/** clientTlsOptions maps polyrpc's client TLS options to node:tls's. */
export function clientTlsOptions(tls: ClientTlsOptions | undefined, host: string): ConnectionOptions {
  const isIp = /^[\d.]+$|:/.test(host);
  return {
    ca: buffers(tls?.ca),
    cert: buffers(tls?.cert),
    key: buffers(tls?.key),
    servername: tls?.servername ?? (isIp ? undefined : host),
    rejectUnauthorized: tls?.insecureSkipVerify !== true,
    minVersion: 'TLSv1.2',
  };
}

/**
 * secureScheme is the TLS form of a client URL scheme: `http:` → `https:`,
 * `jsonrpc+http:` → `jsonrpc+https:`, `ws:` → `wss:`, `msgpack+ws:` → `msgpack+wss:`.
 */
export function secureScheme(scheme: string): string {
  if (scheme.endsWith('http:')) return `${scheme.slice(0, -1)}s:`;
  if (scheme.endsWith('ws:')) return `${scheme.slice(0, -1)}s:`;
  return scheme;
}

function fields(o: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof o !== 'object' || o === null) return out;
  for (const [k, v] of Object.entries(o)) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

/** peerOf is a socket's remote address, with its verified client certificate on mutual TLS. */
export function peerOf(socket: Socket): Peer | undefined {
  const address = socket.remoteAddress;
  if (address === undefined) return undefined;
  const port = socket.remotePort ?? 0;
  const tlsSocket = socket as Partial<TLSSocket>;
  if (tlsSocket.encrypted !== true || tlsSocket.authorized !== true) return { address, port };
  const cert = tlsSocket.getPeerCertificate?.();
  if (cert === undefined || Object.keys(cert).length === 0) return { address, port };
  const certificate: PeerCertificate = {
    subject: fields(cert.subject),
    issuer: fields(cert.issuer),
    fingerprint256: cert.fingerprint256,
  };
  return { address, port, certificate };
}
