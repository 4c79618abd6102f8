import { KindredError } from './errors.js';

/**
 * Option checks shared by every package, so "a port" or "a positive integer" means the same everywhere and every
 * refusal reads the same: the option named as the caller wrote it (`ticktimeMs` for a library, `--port` for the
 * CLI), what it must be, and what it got. Each throws a {@link KindredError} with the caller's own code (each package
 * keeps its `*_BAD_OPTION` code) and returns the value, typed, when it passes.
 */

/** How a check names the option and which code it throws. */
export interface CheckContext {
  /** The option as the caller wrote it: `port`, `--port`, `KINDRED_PORT`. */
  readonly option: string;
  /** The package's bad-option code, e.g. `KINDRED_ERR_TRANSPORT_OPTION`. */
  readonly code: string;
}

/** A short, bounded rendering of an untrusted value for an error message. */
export function describeValue(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : String(v);
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * The error for a refused option: the context's code, a message saying what the option must be, and
 * `details: { option }` (the option as the caller wrote it; what it must be is in the message).
 */
export function badOption(ctx: CheckContext, expected: string, got: unknown): KindredError {
  return new KindredError(ctx.code, `${ctx.option} must be ${expected}, got ${describeValue(got)}`, {
    details: { option: ctx.option },
  });
}

/** An integer in `[min, max]` (inclusive). */
export function checkInt(
  ctx: CheckContext,
  v: unknown,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw badOption(
      ctx,
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer ${min}-${max}`,
      v,
    );
  }
  return v;
}

/** An integer >= 1. */
export function checkPositiveInt(ctx: CheckContext, v: unknown): number {
  return checkInt(ctx, v, 1);
}

/** True for a TCP/UDP port number: an integer 1-65535, or 0 as well when `allowZero` (an OS-chosen listen port). */
export function isPort(v: unknown, opts: { allowZero?: boolean } = {}): v is number {
  return (
    typeof v === 'number' && Number.isInteger(v) && v >= (opts.allowZero === true ? 0 : 1) && v <= 65_535
  );
}

/** A TCP/UDP port a node listens on or dials: 1-65535, or 0 as well when `allowZero` (an OS-chosen listen port). */
export function checkPort(ctx: CheckContext, v: unknown, opts: { allowZero?: boolean } = {}): number {
  if (!isPort(v, opts)) throw badOption(ctx, `a port number ${opts.allowZero === true ? 0 : 1}-65535`, v);
  return v;
}

/** A port given as text (a flag or an environment variable): digits only, in {@link isPort}'s range. */
export function parsePort(ctx: CheckContext, raw: string, opts: { allowZero?: boolean } = {}): number {
  const n = Number(raw);
  // The text as given in the refusal, whichever rule it broke.
  if (!/^\d{1,5}$/.test(raw) || !isPort(n, opts)) {
    throw badOption(ctx, `a port number ${opts.allowZero === true ? 0 : 1}-65535`, raw);
  }
  return n;
}

/** A boolean. */
export function checkBoolean(ctx: CheckContext, v: unknown): boolean {
  if (typeof v !== 'boolean') throw badOption(ctx, 'true or false', v);
  return v;
}

/** A non-empty string. */
export function checkNonEmptyString(ctx: CheckContext, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw badOption(ctx, 'a non-empty string', v);
  return v;
}
