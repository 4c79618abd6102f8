import { type CommandIO, EXIT, reportFailure } from './command.js';
import { COMMANDS } from './commands/index.js';

const USAGE_HEAD = `Usage: kindred <command> [options]

Erlang-style clustering for Node.js replicas. Run 'kindred <command> --help' for a command's options.

Commands:
`;

const USAGE_TAIL = `
Exit codes: 0 success, 1 the command ran and the answer was no (pang, a failed check, a DNS failure), 2 usage error.
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
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`kindred: unknown command '${name}'. Run 'kindred --help' for the list.\n`);
    return EXIT.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return EXIT.OK;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    return reportFailure(io, name, err);
  }
}
