/**
 * `@kindred/beam`: Erlang's own distribution protocol (the External Term Format, EPMD, the handshake and the
 * connection), so that BEAM nodes and kindred nodes can form one cluster. See README.md.
 *
 * @packageDocumentation
 */

/** The protocol version this package speaks in the handshake (the 'N' message, OTP 23 and later). */
export const BEAM_HANDSHAKE_VERSION = 6 as const;

export { BEAM_ERRORS } from './errors.js';
export {
  Atom,
  atom,
  BitBinary,
  charlist,
  type DecodeCallOptions,
  type DecodeResult,
  decodeTerm,
  type EncodeCallOptions,
  ErlMap,
  ETF_DEFAULTS,
  Export,
  encodeTerm,
  Float,
  type FromTermOptions,
  Fun,
  fromTerm,
  ImproperList,
  isAtom,
  Pid,
  Port,
  Ref,
  type Term,
  TermDecoder,
  type TermDecoderOptions,
  TermEncoder,
  type TermEncoderOptions,
  type ToTermOptions,
  Tuple,
  termEquals,
  toTerm,
  tuple,
} from './etf/index.js';
