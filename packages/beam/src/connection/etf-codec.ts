import { TermDecoder } from '../etf/decode.js';
import type { TermDecoderOptions } from '../etf/defaults.js';
import { TermEncoder, type TermEncoderOptions } from '../etf/encode.js';
import type { Atom, Term } from '../etf/terms.js';
import type { TermCodec } from './term-codec.js';

const COMPRESSED = 80;
const VERSION = 131;

/** Options of {@link createEtfCodec}: the decoder's limits and the encoder's options. */
export interface EtfCodecOptions {
  readonly decoder?: TermDecoderOptions;
  readonly encoder?: TermEncoderOptions;
}

/**
 * The connection's {@link TermCodec} over the External Term Format codec (`src/etf/`): exact terms in, exact terms
 * (or natural JS values, which the encoder accepts too) out. Make one per connection: its decoder's atom table, and
 * so `maxAtoms`, is then per peer. A compressed term (`131 80`, which erts may send in the `'p'` layout) is inflated
 * within `maxInflatedBytes`.
 */
export function createEtfCodec(options: EtfCodecOptions = {}): TermCodec<Term> {
  const decoder = new TermDecoder(options.decoder);
  const encoder = new TermEncoder(options.encoder);
  let lastRefs: readonly string[] = [];
  let lastAtoms: Atom[] = [];
  // The header's atom texts repeat frame after frame (the connection keeps one string per cache slot): their Atoms
  // by text, bounded like the decoder's own table (each was made by decoder.atom, so counted against maxAtoms).
  const byText = new Map<string, Atom>();
  const atomOf = (name: string): Atom => {
    let a = byText.get(name);
    if (a === undefined) {
      a = decoder.atom(name);
      if (byText.size >= 4096) byText.clear();
      byText.set(name, a);
    }
    return a;
  };
  return {
    decode(buf, offset, atomCache) {
      if (atomCache !== lastRefs) {
        lastAtoms = atomCache.map(atomOf);
        lastRefs = atomCache;
      }
      if (buf[offset] === COMPRESSED && offset > 0 && buf[offset - 1] === VERSION) {
        return decoder.decode(buf, offset - 1, { versioned: true });
      }
      return decoder.decode(buf, offset, {
        versioned: false,
        ...(atomCache.length === 0 ? {} : { atomCache: lastAtoms }),
      });
    },
    encode: (term) => encoder.encode(term, { versioned: false }),
    encodeFrame: (control, payload, headroom, versioned, atomRef) =>
      encoder.encodeAll(payload === undefined ? [control] : [control, payload], {
        headroom,
        versioned,
        ...(atomRef === undefined ? {} : { atomRef }),
      }),
  };
}
