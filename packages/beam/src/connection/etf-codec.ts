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
  // The header's atom texts repeat frame after frame, in the same order, as the very same strings (the connection
  // keeps one per cache slot): the Atoms of the last frame's refs are kept and only a changed position is looked up,
  // in a table by text bounded like the decoder's own (each Atom made by decoder.atom, so counted against maxAtoms).
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
  const names: string[] = [];
  const atoms: Atom[] = [];
  const bare = { versioned: false } as const;
  const cached = { versioned: false, atomCache: atoms } as const;
  const withVersion = { versioned: true } as const;
  return {
    decode(buf, offset, atomCache) {
      if (buf[offset] === COMPRESSED && offset > 0 && buf[offset - 1] === VERSION) {
        return decoder.decode(buf, offset - 1, withVersion);
      }
      const n = atomCache.length;
      if (n === 0) return decoder.decode(buf, offset, bare);
      if (atoms.length !== n) {
        atoms.length = n;
        names.length = n;
      }
      for (let i = 0; i < n; i++) {
        const name = atomCache[i]!;
        if (names[i] !== name || atoms[i] === undefined) {
          atoms[i] = atomOf(name);
          names[i] = name;
        }
      }
      return decoder.decode(buf, offset, cached);
    },
    encode: (term) => encoder.encode(term, { versioned: false }),
    encodeFrame: (control, payload, headroom, versioned, atomRef) =>
      encoder.encodeAll(
        payload === undefined ? [control] : [control, payload],
        atomRef === undefined
          ? { headroom, versioned, view: true }
          : { headroom, versioned, atomRef, view: true },
      ),
  };
}
