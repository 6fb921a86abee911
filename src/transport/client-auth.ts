/**
 * The client's credentials: from `ClientOptions.auth` or the URL's user info
 * (`https://user:secret@host/RPC2`, `msgpack://:TOKEN@host:8002`), and the two forms
 * they travel in: an HTTP `Authorization` header, or `rpc.authenticate`'s parameter.
 *
 * Exports: resolveAuth, authorizationHeader, authenticateParams.
 * @internal
 */
import type { ClientAuth, ClientOptions } from './types.js';

/** ResolvedAuth is a client credential in one shape. */
export type ResolvedAuth =
  | { readonly scheme: 'bearer'; readonly token: string }
  | { readonly scheme: 'basic'; readonly username: string; readonly password: string };

/**
 * resolveAuth returns the credential to send: `options.auth` when given, else the
 * URL's user info (`user:password` is Basic; a password alone, or a user name alone,
 * is a token), else none.
 */
export function resolveAuth(url: URL, options: ClientOptions | undefined): ResolvedAuth | undefined {
  const auth: ClientAuth | undefined = options?.auth;
  if (typeof auth === 'string') return { scheme: 'bearer', token: auth };
  if (auth !== undefined) {
    if ('token' in auth) return { scheme: 'bearer', token: auth.token };
    return { scheme: 'basic', username: auth.username ?? '', password: auth.password };
  }
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if (username !== '' && password !== '') return { scheme: 'basic', username, password };
  if (password !== '') return { scheme: 'bearer', token: password };
  if (username !== '') return { scheme: 'bearer', token: username };
  return undefined;
}

/** authorizationHeader is the `Authorization` header value of a credential. */
export function authorizationHeader(auth: ResolvedAuth): string {
  return auth.scheme === 'bearer'
    ? `Bearer ${auth.token}`
    : `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

/** authenticateParams is `rpc.authenticate`'s parameter list for a credential. */
export function authenticateParams(auth: ResolvedAuth): unknown[] {
  return auth.scheme === 'bearer' ? [auth.token] : [{ username: auth.username, password: auth.password }];
}
