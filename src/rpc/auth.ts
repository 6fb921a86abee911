/**
 * Authentication and authorization, protocol-free: what a credential is, the server's
 * `authenticate` hook, the token mode the CLI uses, per-procedure rules and namespace
 * guards, and the one access check dispatch and introspection share.
 *
 * Where credentials come from is the transports' business (an `Authorization` header,
 * a first `rpc.authenticate` call on a connection, a verified client certificate);
 * what they prove, and what an identity may call, is decided here.
 *
 * Exports: Credentials, Authenticate, AccessRule, guard, createTokenAuthenticator,
 * credentialsFromParams, parseAuthorization, checkAccess, mayCall, isGuard.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Procedure } from './bind.js';
import type { Context, Peer, PeerCertificate } from './context.js';
import { Code, RpcError } from './errors.js';
import type { Call } from './message.js';

/** Credentials are what a caller presents, whichever way it arrived. */
export type Credentials =
  /** `Authorization: Bearer …`, or `rpc.authenticate("token")`. */
  | { readonly scheme: 'bearer'; readonly token: string }
  /** `Authorization: Basic …` (user info in an http URL), or `rpc.authenticate({username, password})`. */
  | { readonly scheme: 'basic'; readonly username: string; readonly password: string }
  /** A client certificate the TLS layer verified against the server's CA (mutual TLS). */
  | { readonly scheme: 'certificate'; readonly certificate: PeerCertificate };

/**
 * Authenticate turns credentials into an identity: any value but `undefined`,
 * `null` or `false`, which refuse (as does throwing; an `RpcError` thrown is sent as
 * is, anything else becomes a generic refusal). The identity is `ctx.auth` for every
 * later call on the connection (or the keep-alive HTTP connection, while the same
 * `Authorization` header is sent). Compare secrets in constant time
 * ({@link createTokenAuthenticator} does), and never log them.
 */
export type Authenticate = (credentials: Credentials, peer: Peer | undefined) => unknown;

/**
 * AccessRule decides whether an identity may call a procedure. `auth` is `ctx.auth`:
 * `undefined` for an anonymous caller. Returning false refuses: with
 * {@link Code.Unauthenticated} when the caller is anonymous (authenticating might
 * help), with {@link Code.Forbidden} otherwise.
 */
export type AccessRule = (auth: unknown, ctx: Context) => boolean;

const GUARD = Symbol('rpc.guard');

/** Guard is a namespace rule, passed among a registry's `middleware`. */
export interface Guard {
  (call: Call, ctx: Context, next: () => Promise<unknown>): Promise<unknown>;
  readonly [GUARD]: { readonly prefix: string; readonly rule: AccessRule };
}

/**
 * guard returns a rule for every procedure named `prefix` or under `prefix.`, given
 * among the registry's `middleware`. Unlike an ordinary middleware it is known before
 * a call, so introspection (`system.listMethods`, `rpc.discover`) lists only what the
 * caller may call, and it costs nothing for procedures outside the namespace.
 *
 * @example
 * serve(service, { authenticate, middleware: [guard('admin', (auth) => isAdmin(auth))] })
 */
export function guard(prefix: string, rule: AccessRule): Guard {
  // Used as a middleware anyway (someone composing by hand): the same check.
  const fn = (async (call: Call, ctx: Context, next: () => Promise<unknown>) => {
    if (covers(prefix, call.method) && !rule(ctx.auth, ctx)) throw refusal(ctx, call.method);
    return next();
  }) as Guard;
  Object.defineProperty(fn, GUARD, { value: { prefix, rule } });
  return fn;
}

/** isGuard tells a {@link guard} from an ordinary middleware. @internal */
export function isGuard(value: unknown): value is Guard {
  return typeof value === 'function' && GUARD in value;
}

/** guardOf returns a guard's prefix and rule. @internal */
export function guardOf(g: Guard): { readonly prefix: string; readonly rule: AccessRule } {
  return g[GUARD];
}

/** covers tells whether a guard's prefix covers a method name. @internal */
export function covers(prefix: string, method: string): boolean {
  return method === prefix || (method.startsWith(prefix) && method.charCodeAt(prefix.length) === 46); // '.'
}

/** combineRules returns one rule that passes when every rule does, or undefined for none. @internal */
export function combineRules(rules: readonly AccessRule[]): AccessRule | undefined {
  if (rules.length === 0) return undefined;
  if (rules.length === 1) return rules[0];
  return (auth, ctx) => rules.every((r) => r(auth, ctx));
}

function refusal(ctx: Context, method: string): RpcError {
  const name = JSON.stringify(method.slice(0, 128));
  return ctx.auth === undefined
    ? new RpcError(Code.Unauthenticated, `rpc: ${name} needs an authenticated caller`)
    : new RpcError(Code.Forbidden, `rpc: this identity may not call ${name}`);
}

/** UNAUTHENTICATED is the refusal of a call made before authenticating. @internal */
export function unauthenticated(): RpcError {
  return new RpcError(
    Code.Unauthenticated,
    'rpc: authentication required: send an Authorization header (HTTP) or call rpc.authenticate first',
  );
}

/**
 * checkAccess throws the refusal when `ctx` may not call `proc`: anonymous callers
 * when the server authenticates, and a procedure's own rule. @internal
 */
export function checkAccess(
  required: boolean,
  proc: Procedure | undefined,
  ctx: Context,
  method: string,
): void {
  if (required && ctx.auth === undefined) throw unauthenticated();
  const rule = proc?.allow;
  if (rule !== undefined && !rule(ctx.auth, ctx)) throw refusal(ctx, method);
}

/** mayCall tells introspection whether to list `proc` for `ctx`. @internal */
export function mayCall(proc: Procedure, ctx: Context): boolean {
  return proc.allow === undefined || proc.allow(ctx.auth, ctx);
}

/**
 * credentialsFromParams reads `rpc.authenticate`'s one parameter: a token string, or
 * `{ username, password }`, or `{ token }`.
 * @throws RpcError `Code.InvalidParams` for anything else.
 */
export function credentialsFromParams(params: Call['params']): Credentials {
  const p: unknown = Array.isArray(params) ? params[0] : params;
  if (typeof p === 'string') return { scheme: 'bearer', token: p };
  if (typeof p === 'object' && p !== null) {
    const o = p as { token?: unknown; username?: unknown; password?: unknown; credentials?: unknown };
    if (typeof o.credentials === 'string') return { scheme: 'bearer', token: o.credentials };
    if (typeof o.token === 'string') return { scheme: 'bearer', token: o.token };
    if (typeof o.password === 'string')
      return {
        scheme: 'basic',
        username: typeof o.username === 'string' ? o.username : '',
        password: o.password,
      };
  }
  throw new RpcError(
    Code.InvalidParams,
    'rpc: rpc.authenticate takes one credential: a token string or {username, password}',
  );
}

/** The longest Authorization header value read; longer is refused unread. */
const MAX_AUTHORIZATION = 4096;

/**
 * parseAuthorization reads an HTTP `Authorization` header: `Bearer <token>` or
 * `Basic <base64 user:password>` (RFC 7617, UTF-8). Returns undefined when there is
 * none or it cannot be read.
 */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined || header.length > MAX_AUTHORIZATION) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value === '' ? undefined : { scheme: 'bearer', token: value };
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { scheme: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** TokenIdentity is what {@link createTokenAuthenticator} returns for a good token. */
export interface TokenIdentity {
  /** The user name given with Basic authentication, or `token` for a bearer token. */
  readonly user: string;
}

/**
 * createTokenAuthenticator accepts one shared secret, as the CLI's token mode does:
 * `Authorization: Bearer <token>`, Basic with any user name and the token as the
 * password, or `rpc.authenticate(token)`. The comparison takes the same time whatever
 * the guess (both sides are hashed to 32 bytes first, so not even the length leaks).
 * @throws Error when the token is empty.
 */
export function createTokenAuthenticator(token: string): Authenticate {
  if (token === '') throw new Error('rpc: the authentication token is empty');
  const expected = digest(token);
  return (credentials): TokenIdentity | undefined => {
    const given =
      credentials.scheme === 'bearer'
        ? credentials.token
        : credentials.scheme === 'basic'
          ? credentials.password
          : undefined;
    if (given === undefined || !timingSafeEqual(digest(given), expected)) return undefined;
    return {
      user: credentials.scheme === 'basic' && credentials.username !== '' ? credentials.username : 'token',
    };
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** MAX_AUTH_FAILURES is how many refused attempts close a connection. */
export const MAX_AUTH_FAILURES = 5;

/**
 * runAuthenticate calls the hook and normalises its answer: the identity, or the
 * `RpcError` to send (never the hook's own exception, which may quote a secret).
 * @internal
 */
export async function runAuthenticate(
  authenticate: Authenticate,
  credentials: Credentials,
  peer: Peer | undefined,
  log: (message: string, fields: Record<string, unknown>) => void,
): Promise<{ ok: true; identity: unknown } | { ok: false; error: RpcError }> {
  try {
    const identity = await authenticate(credentials, peer);
    if (identity === undefined || identity === null || identity === false)
      return { ok: false, error: badCredentials() };
    return { ok: true, identity };
  } catch (err) {
    if (err instanceof RpcError) return { ok: false, error: err };
    log('rpc: authenticate failed', { error: err instanceof Error ? err.name : typeof err });
    return { ok: false, error: badCredentials() };
  }
}

function badCredentials(): RpcError {
  return new RpcError(Code.Unauthenticated, 'rpc: authentication failed: wrong or unknown credentials');
}
