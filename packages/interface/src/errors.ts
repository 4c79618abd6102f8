/**
 * The base of every error kindred throws. Callers match on {@link KindredError.code}, which is stable across
 * releases and listed once in docs/errors.md; the message is for people and may change.
 */
export class KindredError extends Error {
  /** Stable machine-readable code, `KINDRED_ERR_*`. */
  readonly code: string;
  /** Structured facts about the failure (names, addresses, limits), safe to log. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  /**
   * @param code - stable `KINDRED_ERR_*` code
   * @param message - what happened and what to do next
   * @param options - the underlying cause and structured details
   */
  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KindredError';
    this.code = code;
    this.details = options.details;
  }
}

/** True when `err` is a {@link KindredError}, optionally with the given code. */
export function isKindredError(err: unknown, code?: string): err is KindredError {
  return err instanceof KindredError && (code === undefined || err.code === code);
}
