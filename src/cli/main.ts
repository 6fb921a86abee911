/**
 * The `polyrpc` command: `serve`, `call`, `repl` and `chat`. Importing this module
 * runs the CLI on `process.argv` (bin/polyrpc.js imports the compiled copy).
 *
 * Exit statuses: 0 success, 1 a remote procedure returned an error (`call`),
 * 2 a usage error or a failure to load, listen or connect.
 */
import { readFileSync } from 'node:fs';
import { Exit, FatalError, UsageError } from './args.js';
import * as call from './call.js';
import * as chat from './chat.js';
import { failureLine } from './remote.js';
import * as repl from './repl.js';
import * as serve from './serve.js';
import { exampleUrl, urlHelp } from './urls.js';

interface Command {
  readonly help: string;
  run(argv: readonly string[]): Promise<number>;
}

const commands: Readonly<Record<string, Command>> = { serve, call, repl, chat };

const help = `Usage: polyrpc <command> [args...] [options]

One typed service over several RPC protocols at once.

Commands:
  serve [module]                  serve the demo service (or your module's) on every protocol
  call <url> <method> [args...]   call one procedure and print the result as JSON
  repl <url>                      a Node REPL with every remote procedure in scope
  chat <url> <room> [--nick name] chat in a room of the demo service (stdin → room → stdout)

Protocols and their URLs (every URL "polyrpc serve" prints works as it is):
${urlHelp()}

Run "polyrpc <command> --help" for a command's options and examples,
"polyrpc --version" (or -v) for the version.

Examples:
  polyrpc serve
  polyrpc call ${exampleUrl()} add 2 3
  polyrpc repl ${exampleUrl({ push: true, last: true })}
  polyrpc chat ${exampleUrl({ push: true })} lobby --nick amy
`;

/** version reads the package's version from its package.json (two folders up, in src/ and in dist/). */
export function version(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return String((JSON.parse(text) as { version?: unknown }).version);
}

// A command's own errors may start with its name (`serve: …`); the line gets it once.
function withoutName(name: string, message: string): string {
  return message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
}

/** main runs the CLI on `argv` (the arguments after the script) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`polyrpc ${version()}\n`);
    return Exit.Ok;
  }
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : commands[topic];
    if (name === undefined) {
      process.stderr.write(help);
      return Exit.Failure;
    }
    process.stdout.write(command?.help ?? help);
    return Exit.Ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    process.stderr.write(
      `polyrpc: unknown command "${name}" (commands: ${Object.keys(commands).join(', ')})\n`,
    );
    process.stderr.write('Run "polyrpc --help" for usage.\n');
    return Exit.Failure;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      const message = withoutName(name, err.message);
      process.stderr.write(`polyrpc ${name}: ${message}\nRun "polyrpc ${name} --help" for usage.\n`);
      return Exit.Failure;
    }
    if (err instanceof FatalError) {
      process.stderr.write(`polyrpc ${name}: ${withoutName(name, err.message)}\n`);
      return Exit.Failure;
    }
    process.stderr.write(`${failureLine(err)}\n`);
    return Exit.Failure;
  }
}

const status = await main(process.argv.slice(2));
process.exitCode = status;
// Whatever a command leaves open (a keep-alive socket, a stdin handle) must not
// keep the process alive; the timer itself does not hold the event loop.
setTimeout(() => process.exit(status), 1000).unref();
