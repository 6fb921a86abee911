/**
 * `polyrpc call <url> <method> [args...]`: one call, its result printed as one JSON
 * document on stdout.
 */
import type { Params } from '../rpc/message.js';
import { Exit, milliseconds, parse, parseUrl, UsageError } from './args.js';
import { parseArg, toJson } from './format.js';
import { failureLine, isRpcError, openTransport, rpcErrorLine, TOKEN_HELP } from './remote.js';
import { exampleUrl, urlHelp } from './urls.js';

/** help is the usage text of `polyrpc call`. */
export const help = `Usage: polyrpc call <url> <method> [args...] [options]

Calls one remote procedure and prints its result as one JSON document.
Each arg is parsed as JSON when it parses (3, true, [1,2], {"a":1}, "\\"3\\""),
else taken as a string. Binary results print as base64, dates as ISO 8601
strings, 64-bit integers with every digit.

The URL picks the protocol (any server of it, not only polyrpc), and every URL
"polyrpc serve" prints works as it is:
${urlHelp()}

Options:
  --named <json>      named parameters as a JSON object, instead of args
                      (refused where the protocol has positional parameters only)
  --timeout <time>    give up after this long: 10, 2.5s, 500ms (default 30s; 0 = never)
${TOKEN_HELP}
  --compact           print the JSON on one line
  -h, --help          show this help

Exit status: 0 success; 1 the procedure returned an error (printed as
"code: message" on stderr); 2 usage error or the server could not be reached.

Examples:
  polyrpc call ${exampleUrl()} add 2 3
  polyrpc call ${exampleUrl()} credentials.lookup "Time Lord"
  polyrpc call ${exampleUrl({ push: true })} hypotenuse --named '{"a":3,"b":4}'
  polyrpc call ${exampleUrl({ push: true, last: true })} echo '{"when":"now","n":[1,2]}'
  polyrpc call ${exampleUrl()} system.listMethods
`;

/** run executes `polyrpc call` with the arguments after the command name and returns the exit status. */
export async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    named: { type: 'string' },
    timeout: { type: 'string' },
    token: { type: 'string' },
    compact: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    process.stdout.write(help);
    return Exit.Ok;
  }
  const [urlText, method, ...rest] = positionals;
  if (urlText === undefined) throw new UsageError('missing <url>');
  if (method === undefined) throw new UsageError('missing <method>');
  const url = parseUrl(urlText);
  let params: Params = rest.map(parseArg);
  if (typeof values.named === 'string') {
    if (rest.length > 0) throw new UsageError('give either positional args or --named, not both');
    const named = parseArg(values.named);
    if (typeof named !== 'object' || named === null || Array.isArray(named)) {
      throw new UsageError('--named must be a JSON object, e.g. --named \'{"a":1}\'');
    }
    params = named as Record<string, unknown>;
  }
  const timeout = milliseconds('timeout', values.timeout);
  const transport = openTransport(url, { timeout, token: values.token as string | undefined });
  try {
    const result = await transport.call({ method, params });
    process.stdout.write(`${toJson(result, { indent: values.compact === true ? 0 : 2 })}\n`);
    return Exit.Ok;
  } catch (err) {
    if (isRpcError(err)) {
      process.stderr.write(`${rpcErrorLine(err)}\n`);
      return Exit.RpcError;
    }
    // A client's encoder throws TypeError, before sending, for params its protocol
    // cannot carry (named params where it has positional ones only).
    if (err instanceof TypeError) {
      const named = Array.isArray(params) ? '' : '; give the values as args in order instead of --named';
      throw new UsageError(`${err.message}${named}`);
    }
    process.stderr.write(`${failureLine(err, { url, protocol: transport.protocol })}\n`);
    return Exit.Failure;
  } finally {
    await transport.close().catch(() => {});
  }
}
