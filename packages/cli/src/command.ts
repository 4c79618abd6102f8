import { type ParseArgsConfig, parseArgs } from 'node:util';
import { KindredError } from '@kindred/dns';
import { parsePort } from '@kindred/interface';
import { didYouMean } from './suggest.js';

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
  /** An environment variable the CLI reads has a value it cannot use; `details.variable` names it; exit 2. */
  BAD_ENV: 'KINDRED_ERR_BAD_ENV',
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
 * A bad environment variable (`KINDRED_LOG_LEVEL=bogus`): like a usage error it exits 2 and nothing was done, but it
 * carries its own code and names the variable (`details.variable`), since no command-line flag is wrong.
 */
export class EnvError extends KindredError {
  /** The variable, e.g. `KINDRED_LOG_LEVEL`. */
  readonly variable: string;
  /**
   * @param variable - the environment variable's name
   * @param message - what is wrong and what it may be; starts with the variable's name
   */
  constructor(variable: string, message: string) {
    super(CLI_ERRORS.BAD_ENV, message, { details: { variable } });
    this.name = 'EnvError';
    this.variable = variable;
  }
}

/** The option that `--output json` stands for: every command with JSON output takes both. */
const OUTPUT_FORMATS = ['json', 'text'] as const;

/**
 * `util.parseArgs` with kindred's conventions: strict, unknown options and bad values become {@link UsageError}.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>> {
  // --output json is --json (kubectl's and gcloud's spelling); --output text is the default.
  const withOutput = 'json' in options ? { ...options, output: { type: 'string' as const } } : options;
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: withOutput as T, strict: true, allowPositionals });
  } catch (err) {
    const message = (err as Error).message;
    const hint = optionSuggestion(err, Object.keys(withOutput));
    throw new UsageError(hint === '' || message.endsWith('.') ? `${message}${hint}` : `${message}.${hint}`);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.output !== undefined) {
    const output = values.output as string;
    if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
      throw new UsageError(`--output must be json or text, got ${JSON.stringify(output)}`);
    }
    if (output === 'text' && values.json === true)
      throw new UsageError('give --json or --output text, not both');
    values.json = output === 'json' || values.json === true;
    delete values.output;
  }
  return parsed;
}

/** ` Did you mean --json?` for parseArgs's unknown-option error, '' for any other error or nothing close. */
function optionSuggestion(err: unknown, names: readonly string[]): string {
  if ((err as { code?: unknown }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return '';
  const typed = /'(-{1,2}[^'=]+)/.exec((err as Error).message)?.[1];
  if (typed === undefined) return '';
  return didYouMean(typed.replace(/^-+/, ''), names, (n) => `--${n}`);
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
    // The shared rule and wording: a bad flag is a UsageError, a bad variable an EnvError naming it; both exit 2.
    if (!what.startsWith('-')) throw new EnvError(what, (err as Error).message);
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
 * the exit code: 2 for usage errors (and node's own ERR_PARSE_ARGS_* errors) and bad environment variables, 1
 * otherwise. Other programs built on
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
  if (err instanceof EnvError) {
    io.stderr.write(`${label}: ${err.message} (${err.code})\n`);
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
