import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestMatches, genDigest, newChallenge } from '../../src/handshake/digest.js';

describe('gen_digest', () => {
  it('is md5(cookie ++ unsigned decimal challenge), cookie first', () => {
    expect(genDigest(1234, 'secret')).toEqual(createHash('md5').update('secret1234').digest());
    // A challenge with the top bit set is written unsigned.
    expect(genDigest(-1, 'c')).toEqual(createHash('md5').update('c4294967295').digest());
    expect(genDigest(0xffffffff, 'c')).toEqual(genDigest(-1, 'c'));
  });

  it('compares digests of equal length only', () => {
    const d = genDigest(1, 'x');
    expect(digestMatches(d, genDigest(1, 'x'))).toBe(true);
    expect(digestMatches(d, genDigest(2, 'x'))).toBe(false);
    expect(digestMatches(d.subarray(0, 15), d)).toBe(false);
  });

  it('makes 32-bit challenges', () => {
    const c = newChallenge();
    expect(Number.isInteger(c) && c >= 0 && c <= 0xffffffff).toBe(true);
  });
});
