import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, SHA256_IV } from '../src/sha256.js';

/** SHA-256 of `data` with the compression under test: FIPS 180-4 padding, big-endian words. */
function sha256(data: Uint8Array): Buffer {
  const blocks = Math.ceil((data.length + 9) / 64);
  const bytes = new Uint8Array(blocks * 64);
  bytes.set(data);
  bytes[data.length] = 0x80;
  const view = new DataView(bytes.buffer);
  const bits = data.length * 8;
  view.setUint32(bytes.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(bytes.length - 4, bits >>> 0);
  const words = new Int32Array(blocks * 16);
  for (let i = 0; i < words.length; i++) words[i] = view.getInt32(i * 4);
  const state = Int32Array.from(SHA256_IV);
  for (let k = 0; k < words.length; k += 16) compress(state, words, k);
  const out = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) out.writeInt32BE(state[i] as number, i * 4);
  return out;
}

describe('SHA-256 compression', () => {
  it('gives the digests of node:crypto for every length 0..200 and random data', () => {
    for (let n = 0; n <= 200; n++) {
      const data = randomBytes(n);
      expect(sha256(data).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        expect(sha256(data).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the FIPS 180-2 test vectors', () => {
    expect(sha256(Buffer.from('abc')).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256(Buffer.alloc(0)).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('reads the block at word offset k and leaves the rest of the array alone', () => {
    const words = new Int32Array(48);
    for (let i = 0; i < words.length; i++) words[i] = (i * 0x9e3779b9) | 0;
    const copy = Int32Array.from(words);
    const a = Int32Array.from(SHA256_IV);
    const b = Int32Array.from(SHA256_IV);
    compress(a, words, 16);
    compress(b, words.slice(16, 32), 0);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(words)).toEqual(Array.from(copy));
  });
});
