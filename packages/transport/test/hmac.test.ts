import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameTagKey, JS_MAX_BYTES } from '../src/hmac.js';

/** docs/protocol.md's tag, with node:crypto only. */
function reference(key: Buffer, seq: number, payload: Buffer): Buffer {
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(BigInt(seq));
  return createHmac('sha256', key).update(s).update(payload).digest().subarray(0, 16);
}

describe('frame tags', () => {
  it('equal HMAC-SHA256 truncated to 16 bytes, on both sides of the JavaScript/OpenSSL threshold', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.oneof(
          fc.nat(),
          fc.constant(2 ** 32),
          fc.constant(2 ** 53 - 1),
          fc.integer({ min: 2 ** 32, max: 2 ** 53 - 1 }),
        ),
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.integer({ min: 0, max: JS_MAX_BYTES + 80 }).map((n) => randomBytes(n)),
        ),
        (key, seq, payload) => {
          const k = Buffer.from(key);
          const p = Buffer.from(payload);
          expect(new FrameTagKey(k).tag(seq, p).toString('hex')).toBe(reference(k, seq, p).toString('hex'));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('every payload length around the SHA-256 block boundaries (padding into a second block)', () => {
    const key = randomBytes(32);
    const k = new FrameTagKey(key);
    for (let n = 0; n <= JS_MAX_BYTES + 2; n++) {
      const p = randomBytes(n);
      expect(k.tag(n * 7, p)).toEqual(reference(key, n * 7, p));
    }
  });

  it('sign() writes the same bytes at any offset, for every length 0..600 and some large ones, any seq', () => {
    const key = randomBytes(32);
    const k = new FrameTagKey(key);
    const lengths = [...Array.from({ length: 601 }, (_, n) => n), 1023, 1024, 4096, 16_384, 65_536 + 5];
    for (const n of lengths) {
      for (const seq of [0, n, 2 ** 32 - 1, 2 ** 32 + n, 2 ** 53 - 1]) {
        const p = randomBytes(n);
        const at = n % 5;
        const out = Buffer.alloc(at + 16 + 3, 0xee);
        k.sign(seq, p, out, at);
        expect(out.subarray(at, at + 16)).toEqual(reference(key, seq, p));
        expect(out.subarray(0, at).every((b) => b === 0xee)).toBe(true);
        expect(out.subarray(at + 16).every((b) => b === 0xee)).toBe(true);
      }
    }
  });

  it('verify() accepts the tag, and refuses any other byte of the tag, payload or seq, on both paths', () => {
    const key = randomBytes(32);
    const k = new FrameTagKey(key);
    for (const n of [0, 1, 55, 56, 111, 112, 189, JS_MAX_BYTES, JS_MAX_BYTES + 1, 5000]) {
      const p = randomBytes(n);
      const message = Buffer.concat([p, reference(key, 9, p)]);
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
    expect(first).toEqual(reference(a, 1, p));
  });
});
