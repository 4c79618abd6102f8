import { type CommandIO, EXIT, reportFailure } from './command.js';
import { COMMANDS } from './commands/index.js';
import { didYouMean } from './suggest.js';
import { CLI_VERSION } from './version.js';

const USAGE_HEAD = `Usage: kindred <command> [options]
       kindred help <command>
       kindred --version

Erlang-style clustering for Node.js replicas. Run 'kindred help <command>' for a command's options.

Commands:
`;

const USAGE_TAIL = `
Exit codes: 0 success, 1 the command ran and the answer was no (pang, a failed check, a DNS failure), 2 usage error
(or a bad environment variable, KINDRED_ERR_BAD_ENV).
`;

/** The options every command takes, appended to each command's help. */
const COMMON_HELP = `
Every command also takes:
  --help, -h          this text (also: kindred help <command>)
  --version, -V       print kindred's version and exit
  --output json       the same as --json, for commands with JSON output (--output text: the default)
`;

/** The top-level help text. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 8);
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `${USAGE_HEAD}${lines.join('\n')}\n${USAGE_TAIL}`;
}

/** The real process's IO: stdout, stderr, the environment, and SIGINT/SIGTERM as a stop signal. */
export function processIO(): CommandIO {
  const stopSignal = new Promise<string>((resolve) => {
    const onSignal = (signal: string) => resolve(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stopSignal };
}

const isHelp = (arg: string) => arg === '--help' || arg === '-h';
const isVersion = (arg: string) => arg === '--version' || arg === '-V';

/** `kindred: unknown command 'X'. Did you mean Y?` and the usage hint, exit 2. */
function unknownCommand(io: CommandIO, name: string): number {
  const hint = didYouMean(
    name,
    COMMANDS.map((c) => c.name),
    (c) => `'${c}'`,
  );
  io.stderr.write(`kindred: unknown command '${name}'.${hint} Run 'kindred --help' for the list.\n`);
  return EXIT.USAGE;
}

/**
 * Runs the kindred command line with the given arguments and resolves to the exit code.
 * Exit codes: 0 success, 1 the command ran and failed, 2 usage error.
 */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(usage());
    return EXIT.USAGE;
  }
  if (isVersion(name)) {
    io.stdout.write(`kindred ${CLI_VERSION}\n`);
    return EXIT.OK;
  }
  if (isHelp(name) || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      io.stdout.write(usage());
      return EXIT.OK;
    }
    const command = COMMANDS.find((c) => c.name === topic);
    if (command === undefined) return unknownCommand(io, topic);
    io.stdout.write(commandHelp(command.help));
    return EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return unknownCommand(io, name);
  // Before `--` only: after it everything is an argument.
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.some(isHelp)) {
    io.stdout.write(commandHelp(command.help));
    return EXIT.OK;
  }
  if (options.some(isVersion)) {
    io.stdout.write(`kindred ${CLI_VERSION}\n`);
    return EXIT.OK;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    return reportFailure(io, name, err);
  }
}

/** A command's help with the common options after it. */
function commandHelp(help: string): string {
  return `${help.endsWith('\n') ? help : `${help}\n`}${COMMON_HELP}`;
}
