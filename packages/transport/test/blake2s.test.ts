import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLAKE2S_IV, compress } from '../src/blake2s.js';

/** Unkeyed BLAKE2s-256 of `data` (RFC 7693) with the compression under test. */
function blake2s256(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / 64));
  const bytes = new Uint8Array(blocks * 64);
  bytes.set(data);
  const view = new DataView(bytes.buffer);
  const words = new Int32Array(blocks * 16);
  for (let i = 0; i < words.length; i++) words[i] = view.getInt32(i * 4, true);
  const h = Int32Array.from(BLAKE2S_IV);
  h[0] = (h[0] as number) ^ 0x01010020;
  for (let b = 0; b < blocks; b++) {
    const last = b === blocks - 1;
    compress(h, words, b * 16, last ? data.length : (b + 1) * 64, last);
  }
  const out = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) out.writeInt32LE(h[i] as number, i * 4);
  return out;
}

describe('BLAKE2s compression', () => {
  it("gives node:crypto's blake2s256 for every length 0..300 and random data", () => {
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n);
      expect(blake2s256(data).toString('hex')).toBe(createHash('blake2s256').update(data).digest('hex'));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (data) => {
        expect(blake2s256(data).toString('hex')).toBe(createHash('blake2s256').update(data).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('gives RFC 7693\'s test vector (Appendix B, BLAKE2s-256 of "abc")', () => {
    expect(blake2s256(Buffer.from('abc')).toString('hex')).toBe(
      '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982',
    );
  });

  it('reads the block at word offset k and leaves the message words alone', () => {
    const words = new Int32Array(48);
    for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 0x9e3779b9);
    const copy = Int32Array.from(words);
    const a = Int32Array.from(BLAKE2S_IV);
    const b = Int32Array.from(BLAKE2S_IV);
    compress(a, words, 16, 128, true);
    compress(b, words.slice(16, 32), 0, 128, true);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(words)).toEqual(Array.from(copy));
  });
});
