import { EnvError } from './command.js';

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
