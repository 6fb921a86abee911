/**
 * `polyrpc serve`'s simple authentication mode and its safe default: one shared token
 * (from `--auth-token-file` or `POLYRPC_AUTH_TOKEN`), and refusing to listen off
 * loopback with neither TLS nor authentication unless `--insecure` says so (as
 * Redis' protected mode does).
 */
import { readFileSync } from 'node:fs';
import { type Authenticate, createTokenAuthenticator } from '../rpc/auth.js';
import { isLoopbackHost } from '../transport/address.js';
import type { ServerTlsOptions } from '../transport/types.js';
import { FatalError, UsageError } from './args.js';

/** The help lines of the flags read here. */
export const AUTH_HELP = `  --auth-token-file <f>   require this token (the file's first line) from every
                          caller: Bearer, Basic with any user name, or
                          rpc.authenticate(token); env POLYRPC_AUTH_TOKEN also sets it
  --insecure              allow a non-loopback --host with neither TLS nor a token`;

/**
 * authOptions returns serve()'s `authenticate` for the token mode, if one is set, and
 * refuses an exposed, unprotected listener.
 * @throws UsageError for an empty token or an exposed listener without --insecure.
 * @throws FatalError when the token file cannot be read.
 */
export function authOptions(
  values: Record<string, string | boolean | undefined>,
  host: string,
  tls: ServerTlsOptions | undefined,
): { authenticate?: Authenticate } {
  const token = readToken(values['auth-token-file']);
  if (!isLoopbackHost(host) && tls === undefined && token === undefined && values.insecure !== true)
    throw new UsageError(
      `serve: refusing to listen on ${host} with neither TLS nor authentication: anyone who can reach it could call every procedure, in clear text. ` +
        'Add --tls-cert FILE --tls-key FILE and --auth-token-file FILE (or POLYRPC_AUTH_TOKEN), or --insecure to serve it unprotected anyway',
    );
  return token === undefined ? {} : { authenticate: createTokenAuthenticator(token) };
}

function readToken(file: string | boolean | undefined): string | undefined {
  let token: string | undefined;
  let from: string;
  if (typeof file === 'string') {
    from = `--auth-token-file ${file}`;
    try {
      token = readFileSync(file, 'utf8').split(/\r?\n/, 1)[0];
    } catch (err) {
      throw new FatalError(`serve: --auth-token-file: cannot read ${file}: ${(err as Error).message}`);
    }
  } else {
    from = 'POLYRPC_AUTH_TOKEN';
    token = process.env.POLYRPC_AUTH_TOKEN;
    if (token === undefined) return undefined;
  }
  token = token?.trim();
  if (token === undefined || token === '') throw new UsageError(`serve: the token from ${from} is empty`);
  return token;
}
