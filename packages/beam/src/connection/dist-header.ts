import { ATOM_CACHE_SIZE } from './defaults.js';

/** The first bytes of a frame after the handshake (erl_ext_dist, "Distribution Header"). */
export const FRAME_TAG = Object.freeze({
  PASS_THROUGH: 112, // 'p'
  VERSION: 131,
  DIST_HEADER: 68,
  DIST_FRAG_HEADER: 69,
  DIST_FRAG_CONT: 70,
});

/**
 * Reads a `131 68` header at `offset` (just past `131 68`), updating the connection's atom `cache` (2048 slots)
 * with the new entries it carries. Returns the atom text of each reference, in order, and the offset of the control
 * message. Throws a plain Error on a truncated header, a reference to an empty slot, or bad UTF-8 lengths.
 */
export function readDistHeader(
  buf: Buffer,
  offset: number,
  cache: (string | undefined)[],
): { refs: string[]; end: number } {
  // Called for every frame: no closures, no growing array.
  const len = buf.length;
  let o = offset;
  if (o + 1 > len) throw new Error('truncated distribution header');
  const count = buf[o++]!;
  if (count === 0) return { refs: NO_REFS, end: o };
  const flagsAt = o;
  o += (count >> 1) + 1;
  if (o > len) throw new Error('truncated distribution header');
  const longAtoms = ((buf[flagsAt + (count >> 1)]! >> ((count & 1) * 4)) & 1) === 1;
  const refs = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const h = (buf[flagsAt + (i >> 1)]! >> ((i & 1) * 4)) & 0xf;
    if (o + 1 > len) throw new Error('truncated distribution header');
    const slot = (h & 7) * 256 + buf[o++]!;
    if (slot >= ATOM_CACHE_SIZE) throw new Error('atom cache index out of range');
    if ((h & 8) !== 0) {
      if (o + (longAtoms ? 2 : 1) > len) throw new Error('truncated distribution header');
      const n = longAtoms ? buf.readUInt16BE(o) : buf[o]!;
      o += longAtoms ? 2 : 1;
      if (o + n > len) throw new Error('truncated distribution header');
      cache[slot] = buf.toString('utf8', o, o + n);
      o += n;
    }
    const text = cache[slot];
    if (text === undefined) throw new Error(`atom cache slot ${slot} referenced before it was set`);
    refs[i] = text;
  }
  return { refs, end: o };
}

// The refs of a header with none, shared: frozen, so no caller can add to it.
const NO_REFS = Object.freeze([]) as unknown as string[];
