import { type ParseArgsConfig, parseArgs } from 'node:util';
import { KindredError } from '@kindred/dns';
import { parsePort } from '@kindred/interface';

/** Exit codes every kindred command uses. */
export const EXIT = Object.freeze({
  /** The command did what was asked (for `ping`: pong; for `doctor`: every check passed). */
  OK: 0,
  /** The command ran and the answer is no, or it failed (pang, a DNS failure, a failed check). */
  FAILED: 1,
  /** The command line was wrong; nothing was done. */
  USAGE: 2,
});

/** Where a command writes; injected so tests can capture output without a process. */
export interface CommandIO {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the user asks the command to stop (SIGINT/SIGTERM); long-running commands await it. */
  readonly stopSignal: Promise<string>;
}

/** One `kindred <name>` sub-command. */
export interface Command {
  /** The word after `kindred`. */
  readonly name: string;
  /** One line for `kindred --help`. */
  readonly summary: string;
  /** The full `kindred <name> --help` text: usage, options, output, exit codes. */
  readonly help: string;
  /** Runs the command; resolves to an exit code from {@link EXIT}. */
  run(argv: string[], io: CommandIO): Promise<number>;
}

/** Error codes of @kindred/cli, key = code minus `KINDRED_ERR_`; each is listed in docs/errors.md. */
export const CLI_ERRORS = Object.freeze({
  /** The command line is wrong (unknown option, missing or extra argument, bad value); exit 2. */
  USAGE: 'KINDRED_ERR_USAGE',
  /** `kindred doctor` got no answer from a discovered peer within its ping timeout. */
  DOCTOR_PING_TIMEOUT: 'KINDRED_ERR_DOCTOR_PING_TIMEOUT',
});

/** @deprecated the catalogue's former name; use {@link CLI_ERRORS} (the same object). */
export const CLI_ERROR_CODES = CLI_ERRORS;

/** A usage error: printed with the command's usage hint, exit code 2. */
export class UsageError extends KindredError {
  /** @param message - what is wrong with the command line */
  constructor(message: string) {
    super(CLI_ERRORS.USAGE, message);
    this.name = 'UsageError';
  }
}

/**
 * `util.parseArgs` with kindred's conventions: strict, unknown options and bad values become {@link UsageError}.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * A port given as a flag or an environment variable (`what` names it: `--port`, `KINDRED_PORT`): digits only, 1-65535
 * (0 as well with `allowZero`: an OS-chosen listen port). Undefined when absent or empty; a {@link UsageError} else.
 */
export function parsePortArg(
  text: string | undefined,
  what: string,
  opts: { allowZero?: boolean } = {},
): number | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return parsePort({ option: what, code: CLI_ERRORS.USAGE }, text, opts);
  } catch (err) {
    // The shared rule and wording, as a UsageError: a bad flag or variable exits 2.
    throw new UsageError((err as Error).message);
  }
}

/** Writes one JSON document on its own line. */
export function printJson(io: CommandIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** How {@link reportFailure} names the program in its messages. */
export interface FailureLabels {
  /** What starts each line; default `kindred <command>`. */
  readonly label?: string;
  /** The command that prints usage; default `kindred <command> --help`. */
  readonly helpCommand?: string;
}

/**
 * Turns any failure into one line on stderr (`kindred <cmd>: <message> (<code>)`), never a stack trace, and returns
 * the exit code: 2 for usage errors (and node's own ERR_PARSE_ARGS_* errors), 1 otherwise. Other programs built on
 * these commands (the lab's `pnpm lab`) pass their own labels.
 */
export function reportFailure(
  io: CommandIO,
  command: string,
  err: unknown,
  labels: FailureLabels = {},
): number {
  const label = labels.label ?? `kindred ${command}`;
  const helpCommand = labels.helpCommand ?? `kindred ${command} --help`;
  const parseArgsError =
    err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS');
  if (err instanceof UsageError || parseArgsError) {
    io.stderr.write(`${label}: ${(err as Error).message}\nRun '${helpCommand}' for usage.\n`);
    return EXIT.USAGE;
  }
  if (err instanceof KindredError) {
    io.stderr.write(`${label}: ${err.message} (${err.code})\n`);
    return EXIT.FAILED;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`${label}: unexpected error: ${message}\n`);
  return EXIT.FAILED;
}
