import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameTagKey, SMALL_MAX_BYTES } from '../src/frame-tag.js';
import { referenceTag } from './support.js';

const SEQS = [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 77, 2 ** 53 - 1];

describe('frame tags', () => {
  it('equal the documented tag (BLAKE2s-128 up to 1024 bytes, Poly1305 past), random keys, seqs, payloads', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.oneof(
          fc.nat(),
          ...SEQS.map((s) => fc.constant(s)),
          fc.integer({ min: 2 ** 32, max: 2 ** 53 - 1 }),
        ),
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.integer({ min: 0, max: 3000 }).map((n) => randomBytes(n)),
        ),
        (key, seq, payload) => {
          expect(new FrameTagKey(key).tag(seq, payload).toString('hex')).toBe(
            referenceTag(key, seq, payload).toString('hex'),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('sign() writes the same bytes at any offset, for every length 0..1099 and some large ones, any seq', () => {
    const key = randomBytes(32);
    const k = new FrameTagKey(key);
    const lengths = [...Array.from({ length: 1100 }, (_, n) => n), 4096, 16_384, 65_536 + 5];
    for (const n of lengths) {
      for (const seq of [SEQS[n % SEQS.length] as number, n]) {
        const p = randomBytes(n);
        const at = n % 5;
        const out = Buffer.alloc(at + 16 + 3, 0xee);
        k.sign(seq, p, out, at);
        expect(out.subarray(at, at + 16)).toEqual(referenceTag(key, seq, p));
        expect(out.subarray(0, at).every((b) => b === 0xee)).toBe(true);
        expect(out.subarray(at + 16).every((b) => b === 0xee)).toBe(true);
      }
    }
  });

  it('verify() accepts the tag, and refuses any other bit of the tag, payload or seq', () => {
    const key = randomBytes(32);
    const k = new FrameTagKey(key);
    for (const n of [
      0,
      1,
      55,
      56,
      57,
      119,
      120,
      121,
      189,
      1000,
      SMALL_MAX_BYTES,
      SMALL_MAX_BYTES + 1,
      5000,
    ]) {
      const p = randomBytes(n);
      const message = Buffer.concat([p, referenceTag(key, 9, p)]);
      expect(k.verify(9, p, message, n)).toBe(true);
      expect(k.verify(8, p, message, n)).toBe(false);
      expect(k.verify(9 + 2 ** 32, p, message, n)).toBe(false);
      for (let i = 0; i < 16; i++) {
        const bad = Buffer.from(message);
        bad[n + i] = (bad[n + i] as number) ^ (1 << (i % 8));
        expect(k.verify(9, p, bad, n)).toBe(false);
      }
      if (n > 0) {
        const q = Buffer.from(p);
        q[n - 1] = (q[n - 1] as number) ^ 0x01;
        expect(k.verify(9, q, message, n)).toBe(false);
        // Zero padding is not the payload: one more zero byte is another message.
        expect(k.verify(9, Buffer.concat([p, Buffer.of(0)]), message, n)).toBe(false);
      }
      // A tag cut short is refused, never read past the end.
      expect(k.verify(9, p, message.subarray(0, n + 15), n)).toBe(false);
    }
  });

  it('tags under one key do not depend on tags made before under another (shared scratch state)', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const [ka, kb] = [new FrameTagKey(a), new FrameTagKey(b)];
    const p = randomBytes(150);
    const first = ka.tag(1, p);
    kb.tag(2, randomBytes(300));
    expect(ka.tag(1, p)).toEqual(first);
    expect(first).toEqual(referenceTag(a, 1, p));
  });

  it("gives docs/protocol.md's test vectors", () => {
    const k = new FrameTagKey(Uint8Array.from({ length: 32 }, (_, i) => i));
    expect(k.tag(1, Buffer.from('abc')).toString('hex')).toBe('e315ed4265c0859fd8569157ea09ac66');
    expect(k.tag(1, Buffer.alloc(2000, 0x61)).toString('hex')).toBe('cc086e479bff401c5f093ec9ac679785');
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new FrameTagKey(Buffer.alloc(31))).toThrow(RangeError);
    expect(() => new FrameTagKey(Buffer.alloc(33))).toThrow(RangeError);
  });
});
