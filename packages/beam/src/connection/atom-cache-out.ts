import { ATOM_CACHE_SIZE } from './defaults.js';

/** Names whose slot and bytes are remembered; past it the table starts over (names from data cannot grow it). */
const MAX_NAMES = 8_192;
/** A header holds at most 255 references (NumberOfAtomCacheRefs is one byte). */
const MAX_REFS = 255;

interface Entry {
  readonly slot: number;
  readonly bytes: Buffer;
}

/**
 * The sending side of the distribution header's atom cache (erl_ext_dist, "Distribution Header"), as erts keeps one
 * per connection: each atom of a message is a reference into the header, and an atom the peer already holds in its
 * slot costs one byte there and two in the term, instead of its text in every message. Slots (2048: 8 segments of
 * 256) are chosen by a hash of the name; a name whose slot holds another is sent as a new entry, replacing it.
 *
 * Use per frame: {@link OutAtomCache.begin}, encode with {@link OutAtomCache.ref} as the encoder's `atomRef`, then
 * {@link OutAtomCache.headerLength} and {@link OutAtomCache.writeHeader}.
 */
export class OutAtomCache {
  /** What the peer holds in each slot (what this side told it). */
  readonly #slots: (string | undefined)[] = new Array(ATOM_CACHE_SIZE);
  readonly #entries = new Map<string, Entry>();
  /** This frame's references: names, entries, and whether each is a new cache entry. */
  readonly #names: string[] = [];
  readonly #refs: Entry[] = [];
  readonly #fresh: boolean[] = [];

  /** Starts a frame: no references yet. */
  begin(): void {
    this.#names.length = 0;
    this.#refs.length = 0;
    this.#fresh.length = 0;
  }

  /** The encoder's `atomRef`: the index of `name`'s reference in this frame's header, or -1 (written in full). */
  readonly ref = (name: string): number => {
    const names = this.#names;
    const n = names.length;
    for (let i = 0; i < n; i++) if (names[i] === name) return i;
    if (n >= MAX_REFS) return -1;
    let e = this.#entries.get(name);
    if (e === undefined) {
      const bytes = Buffer.from(name, 'utf8');
      // Only short atoms (a length byte): the header then never needs the LongAtoms flag.
      if (bytes.length > 255) return -1;
      let h = 0;
      for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) | 0;
      e = { slot: h & (ATOM_CACHE_SIZE - 1), bytes };
      if (this.#entries.size >= MAX_NAMES) this.#entries.clear();
      this.#entries.set(name, e);
    }
    // Two names of one frame in the same slot: the second is written in full, so each slot changes once a frame.
    for (let i = 0; i < n; i++) if (this.#refs[i]!.slot === e.slot) return -1;
    // The slot changes in writeHeader, when the frame is sent: a frame that fails to encode changes nothing.
    const fresh = this.#slots[e.slot] !== name;
    names.push(name);
    this.#refs.push(e);
    this.#fresh.push(fresh);
    return n;
  };

  /** Bytes of this frame's header after `131 68`: the count, the flag nibbles and the references. */
  headerLength(): number {
    const n = this.#refs.length;
    if (n === 0) return 1;
    let len = 1 + (n >> 1) + 1;
    for (let i = 0; i < n; i++) len += this.#fresh[i] ? 2 + this.#refs[i]!.bytes.length : 1;
    return len;
  }

  /**
   * Writes the header (after `131 68`) at `at` in `out` and records its new entries as the peer's; returns the
   * offset past it. Call it only for a frame that is sent.
   */
  writeHeader(out: Buffer, at: number): number {
    const n = this.#refs.length;
    let o = at;
    out[o++] = n;
    if (n === 0) return o;
    const flagsAt = o;
    const flagBytes = (n >> 1) + 1;
    out.fill(0, flagsAt, flagsAt + flagBytes);
    o += flagBytes;
    for (let i = 0; i < n; i++) {
      const e = this.#refs[i]!;
      const fresh = this.#fresh[i]!;
      // Nibble i: NewCacheEntryFlag (8) | SegmentIndex; the nibble after the last holds LongAtoms (0 here).
      const nibble = (fresh ? 8 : 0) | (e.slot >> 8);
      out[flagsAt + (i >> 1)]! |= nibble << ((i & 1) * 4);
      out[o++] = e.slot & 0xff;
      if (fresh) {
        this.#slots[e.slot] = this.#names[i];
        out[o++] = e.bytes.length;
        o += e.bytes.copy(out, o);
      }
    }
    return o;
  }
}
