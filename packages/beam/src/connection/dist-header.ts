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
  let o = offset;
  const need = (n: number): void => {
    if (o + n > buf.length) throw new Error('truncated distribution header');
  };
  need(1);
  const count = buf.readUInt8(o++);
  if (count === 0) return { refs: [], end: o };
  const flagBytes = (count >> 1) + 1;
  need(flagBytes);
  const flagsAt = o;
  o += flagBytes;
  const half = (i: number): number => (buf.readUInt8(flagsAt + (i >> 1)) >> ((i & 1) * 4)) & 0xf;
  const longAtoms = (half(count) & 1) === 1;
  const refs: string[] = [];
  for (let i = 0; i < count; i++) {
    const h = half(i);
    need(1);
    const slot = (h & 7) * 256 + buf.readUInt8(o++);
    if (slot >= ATOM_CACHE_SIZE) throw new Error('atom cache index out of range');
    if ((h & 8) !== 0) {
      need(longAtoms ? 2 : 1);
      const len = longAtoms ? buf.readUInt16BE(o) : buf.readUInt8(o);
      o += longAtoms ? 2 : 1;
      need(len);
      cache[slot] = buf.toString('utf8', o, o + len);
      o += len;
    }
    const text = cache[slot];
    if (text === undefined) throw new Error(`atom cache slot ${slot} referenced before it was set`);
    refs.push(text);
  }
  return { refs, end: o };
}
