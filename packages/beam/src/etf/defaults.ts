import { badOption, checkInt } from '@kindred/interface';
import { BEAM_ERRORS } from '../errors.js';

/**
 * Defaults of the External Term Format codec. The limits guard a node against an untrusted peer: each one, when hit,
 * ends the decode with a `KINDRED_ERR_ETF_LIMIT` error naming it in `details.limit`.
 */
export const ETF_DEFAULTS = Object.freeze({
  /** Deepest nesting of tuples, lists and maps a decode (or an encode) accepts; JS recursion needs a bound. */
  maxDepth: 1024,
  /**
   * Decoded terms allowed per input byte. Every term takes at least one byte, so 1 admits every valid input and
   * makes the bound explicit (a compressed term is counted against its inflated size).
   */
  maxTermsPerByte: 1,
  /** Distinct atoms one decoder creates (per connection) before it refuses more: an atom flood ends, memory does not grow. */
  maxAtoms: 65_536,
  /** Largest bignum magnitude in bytes (8192 bytes = 65 536 bits); erts' own bignums are far smaller in practice. */
  maxBigIntBytes: 8192,
  /** Largest inflated size of a compressed term (tag 80), checked before inflating and enforced by zlib. */
  maxInflatedBytes: 64 * 1024 * 1024,
  /** Copy decoded binaries out of the input (true), or return views into it (false: faster, the input must live on). */
  copyBinaries: true,
});

/** Options of a {@link TermDecoder}: any subset of {@link ETF_DEFAULTS}. */
export interface TermDecoderOptions {
  /** See {@link ETF_DEFAULTS}.maxDepth. */
  maxDepth?: number;
  /** See {@link ETF_DEFAULTS}.maxTermsPerByte. */
  maxTermsPerByte?: number;
  /** See {@link ETF_DEFAULTS}.maxAtoms. */
  maxAtoms?: number;
  /** See {@link ETF_DEFAULTS}.maxBigIntBytes. */
  maxBigIntBytes?: number;
  /** See {@link ETF_DEFAULTS}.maxInflatedBytes. */
  maxInflatedBytes?: number;
  /** See {@link ETF_DEFAULTS}.copyBinaries. */
  copyBinaries?: boolean;
}

/** @internal The decoder options with defaults applied, checked once at construction. */
export type ResolvedDecoderOptions = Required<TermDecoderOptions>;

/** @internal */
export function resolveDecoderOptions(options: TermDecoderOptions = {}): ResolvedDecoderOptions {
  const o = { ...ETF_DEFAULTS, ...options };
  const ctx = (option: string) => ({ option, code: BEAM_ERRORS.ETF_BAD_OPTION });
  checkInt(ctx('maxDepth'), o.maxDepth, 1, 100_000);
  checkInt(ctx('maxAtoms'), o.maxAtoms, 0);
  checkInt(ctx('maxBigIntBytes'), o.maxBigIntBytes, 8);
  checkInt(ctx('maxInflatedBytes'), o.maxInflatedBytes, 0, 2 ** 32 - 1);
  if (
    typeof o.maxTermsPerByte !== 'number' ||
    !(o.maxTermsPerByte > 0) ||
    !Number.isFinite(o.maxTermsPerByte)
  ) {
    throw badOption(ctx('maxTermsPerByte'), 'a positive finite number', o.maxTermsPerByte);
  }
  if (typeof o.copyBinaries !== 'boolean') throw badOption(ctx('copyBinaries'), 'a boolean', o.copyBinaries);
  return o;
}
