// The External Term Format codec: exact model, decoder, encoder, natural mapping.
export { type DecodeCallOptions, type DecodeResult, decodeTerm, TermDecoder } from './decode.js';
export { ETF_DEFAULTS, type TermDecoderOptions } from './defaults.js';
export { type EncodeCallOptions, encodeTerm, TermEncoder, type TermEncoderOptions } from './encode.js';
export { type FromTermOptions, fromTerm, type ToTermOptions, toTerm } from './natural.js';
export {
  Atom,
  atom,
  BitBinary,
  charlist,
  ErlMap,
  Export,
  Float,
  Fun,
  ImproperList,
  isAtom,
  Pid,
  Port,
  Ref,
  type Term,
  Tuple,
  termEquals,
  tuple,
} from './terms.js';
