/**
 * The logger every kindred library takes: the part of pino's interface kindred calls, so a pino logger fits as is
 * and any other logger can be adapted in a few lines. Libraries make child loggers with fixed context
 * (`{ component: 'transport' }`) and put untrusted data under a fixed key, never as bindings. Only the CLI and the
 * examples create a root logger.
 */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  error(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  trace(obj: unknown, msg?: string): void;
}

const noop = (): void => {};

/** One shared logger that writes nothing: what a library uses when it is given none. */
export const SILENT_LOGGER: Logger = Object.freeze({
  child: () => SILENT_LOGGER,
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  trace: noop,
});

/** The given logger's child with `bindings`, or {@link SILENT_LOGGER} when there is none. */
export function childLogger(logger: Logger | undefined, bindings: Record<string, unknown>): Logger {
  return logger === undefined ? SILENT_LOGGER : logger.child(bindings);
}
