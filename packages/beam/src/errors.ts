import { KindredError } from '@kindred/interface';

/** Stable codes of the errors `@kindred/beam` throws; each is listed in docs/errors.md. */
export const BEAM_ERRORS = Object.freeze({
  /** The bytes are not a valid External Term Format term (bad tag, truncated, out-of-range field, bad UTF-8). */
  ETF_DECODE: 'KINDRED_ERR_ETF_DECODE',
  /** The value has no External Term Format encoding (NaN, a symbol, a function, an atom over 255 characters). */
  ETF_ENCODE: 'KINDRED_ERR_ETF_ENCODE',
  /** A decoder limit was hit (depth, element budget, atoms per decoder, bigint size, inflated size); `details.limit` names it. */
  ETF_LIMIT: 'KINDRED_ERR_ETF_LIMIT',
  /** A codec option has the wrong type or range; the message names it. */
  ETF_BAD_OPTION: 'KINDRED_ERR_ETF_BAD_OPTION',
});

/** @internal A KindredError with one of {@link BEAM_ERRORS}' codes. */
export function beamError(code: string, message: string, details?: Record<string, unknown>): KindredError {
  return new KindredError(code, message, details === undefined ? {} : { details });
}
