/**
 * Authentication over HTTP: the `Authorization` header (Basic or Bearer) of a request
 * or a WebSocket upgrade, checked once per keep-alive connection while the header
 * stays the same, and the 401 challenge a refusal carries.
 *
 * Exports: authorizeRequest, AuthOutcome, CHALLENGE.
 */
import type { IncomingMessage } from 'node:http';
import {
  type Credentials,
  MAX_AUTH_FAILURES,
  parseAuthorization,
  runAuthenticate,
  unauthenticated,
} from '../rpc/auth.js';
import type { RpcError } from '../rpc/errors.js';
import type { Registry } from '../rpc/registry.js';
import { peerOf } from './tls.js';

/**
 * CHALLENGE is the `WWW-Authenticate` header of a 401: both schemes polyrpc reads, so
 * that a client (Python's `ServerProxy`, curl, a browser) knows what to send.
 */
export const CHALLENGE = 'Bearer realm="polyrpc", Basic realm="polyrpc", charset="UTF-8"';

/** AuthOutcome is a request's identity, or the refusal to send (and whether to close after it). */
export type AuthOutcome =
  | { readonly ok: true; readonly identity: unknown }
  | { readonly ok: false; readonly error: RpcError; readonly close: boolean };

/** What one keep-alive connection has proved: the header that proved it, and its refusals. */
interface Proof {
  header: string | undefined;
  identity: unknown;
  failures: number;
}

const proofs = new WeakMap<object, Proof>();

/** The cache key of a connection proved by its client certificate (no header can equal it). */
const CERTIFICATE = '\0certificate';

/**
 * authorizeRequest returns the identity of a request on a server that authenticates.
 * A connection that sent the same `Authorization` before gets its identity at once
 * (synchronously: no promise on the warm path); a new header runs the hook. After
 * {@link MAX_AUTH_FAILURES} refusals the connection is closed. A request with no
 * header, or one that cannot be read, is refused without calling the hook.
 */
export function authorizeRequest(
  registry: Registry,
  req: IncomingMessage,
): AuthOutcome | Promise<AuthOutcome> {
  const authenticate = registry.authenticate!;
  const socket = req.socket;
  const given = req.headers.authorization;
  let proof = proofs.get(socket);
  // The warm path: the same header as before, or no header on a connection its client
  // certificate proved (a TLS socket's certificate does not change). Nothing else is read.
  if (proof !== undefined && proof.header === (given ?? CERTIFICATE))
    return { ok: true, identity: proof.identity };
  // Without a header, a verified client certificate (mutual TLS) is the credential.
  const peer = peerOf(socket);
  const header = given ?? (peer?.certificate === undefined ? undefined : CERTIFICATE);
  if (proof === undefined) {
    proof = { header: undefined, identity: undefined, failures: 0 };
    proofs.set(socket, proof);
  }
  const credentials: Credentials | undefined =
    header === CERTIFICATE && peer?.certificate !== undefined
      ? { scheme: 'certificate', certificate: peer.certificate }
      : parseAuthorization(header);
  if (credentials === undefined) return refuse(proof, unauthenticated());
  const p = proof;
  const log = (m: string, f: Record<string, unknown>): void => registry.logger.error(m, f);
  return runAuthenticate(authenticate, credentials, peer, log).then((outcome) => {
    if (!outcome.ok) return refuse(p, outcome.error);
    p.header = header;
    p.identity = outcome.identity;
    return { ok: true, identity: outcome.identity };
  });
}

function refuse(proof: Proof, error: RpcError): AuthOutcome {
  proof.header = undefined;
  proof.identity = undefined;
  proof.failures++;
  return { ok: false, error, close: proof.failures >= MAX_AUTH_FAILURES };
}
