import { KindredError } from '@kindred/interface';
import { BEAM_NET_ERRORS } from './errors-net.js';

/**
 * Stable codes of every error `@kindred/beam` throws, the codec's and the network's ({@link BEAM_NET_ERRORS}, the
 * same codes); each is listed in docs/errors.md and keyed by its code minus `KINDRED_ERR_`.
 */
export const BEAM_ERRORS = Object.freeze({
  ...BEAM_NET_ERRORS,
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
