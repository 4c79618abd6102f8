import { NODE_IDENTITY_ENV, releaseNameFromEnv } from '@kindred/node-identity';
import { EnvError, UsageError } from './command.js';

/** The levels `KINDRED_LOG_LEVEL` may name: pino's, lowest to highest, and `silent`. */
export const LOG_LEVELS = Object.freeze([
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
] as const);

/** A level of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The log level from `KINDRED_LOG_LEVEL` (unset or empty: `fallback`). Checked here, so a typo is an
 * {@link EnvError} naming the variable (`KINDRED_ERR_BAD_ENV`, exit 2), not pino's uncoded "unknown level".
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv, fallback: LogLevel = 'info'): LogLevel {
  const raw = env.KINDRED_LOG_LEVEL;
  if (raw === undefined || raw === '') return fallback;
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new EnvError(
    'KINDRED_LOG_LEVEL',
    `KINDRED_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`,
  );
}

/** The `--name` and `--sname` options (parseArgs specs), shared by every command that names its own node. */
export const NAME_OPTIONS = Object.freeze({
  name: { type: 'string' },
  sname: { type: 'string' },
} as const);

/** What the command line says about the node's name, as `resolveOwnName` options (none: the environment's). */
export interface NameChoice {
  readonly name?: string;
  readonly sname?: string;
}

/**
 * Reads `--name`/`--sname` from parsed options: both at once is a {@link UsageError}. Given `env`, the node must be
 * named: one of them, or KINDRED_NODE_NAME, RELEASE_NODE or RELEASE_NAME in `env` (a UsageError else).
 */
export function nameChoice(
  values: { readonly name?: string | undefined; readonly sname?: string | undefined },
  env?: NodeJS.ProcessEnv,
): NameChoice {
  const { name, sname } = values;
  if (name !== undefined && sname !== undefined) {
    throw new UsageError('give either --name (long names) or --sname (short names), not both');
  }
  if (
    env !== undefined &&
    name === undefined &&
    sname === undefined &&
    !env[NODE_IDENTITY_ENV.nodeName] &&
    releaseNameFromEnv(env) === undefined
  ) {
    throw new UsageError(
      'give --name BASE (long names) or --sname BASE (short names), or set KINDRED_NODE_NAME',
    );
  }
  return { ...(name === undefined ? {} : { name }), ...(sname === undefined ? {} : { sname }) };
}
