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
});
