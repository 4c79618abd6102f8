import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeChallenge,
  decodeChallengeAck,
  decodeChallengeReply,
  decodeName,
  decodeStatus,
  encodeChallenge,
  encodeChallengeAck,
  encodeChallengeReply,
  encodeName,
  encodeStatus,
} from '../../src/handshake/messages.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 });

describe('handshake messages', () => {
  it("the 'N' name message is the bytes erl 25 sends (reference probe)", () => {
    const b = encodeName({ flags: 0x0d07df7fbdn, creation: 0x6b0c58b4, name: 'e1@127.0.0.1' });
    expect(b.toString('hex')).toBe(
      `4e0000000d07df7fbd6b0c58b4000c${Buffer.from('e1@127.0.0.1').toString('hex')}`,
    );
  });

  it('name and challenge round-trip; trailing bytes after a name are ignored', () => {
    fc.assert(
      fc.property(
        u64,
        u32,
        u32,
        name,
        fc.uint8Array({ maxLength: 4 }),
        (flags, creation, challenge, n, extra) => {
          expect(decodeName(Buffer.concat([encodeName({ flags, creation, name: n }), extra]))).toEqual({
            flags,
            creation,
            name: n,
          });
          expect(decodeChallenge(encodeChallenge({ flags, creation, challenge, name: n }))).toEqual({
            flags,
            creation,
            challenge,
            name: n,
          });
        },
      ),
    );
  });

  it('status, reply and ack round-trip', () => {
    fc.assert(
      fc.property(u32, fc.uint8Array({ minLength: 16, maxLength: 16 }), (ch, d) => {
        const digest = Buffer.from(d);
        expect(decodeChallengeReply(encodeChallengeReply(ch, digest))).toEqual({ challenge: ch, digest });
        expect(decodeChallengeAck(encodeChallengeAck(digest))).toEqual(digest);
      }),
    );
    for (const s of ['ok', 'ok_simultaneous', 'nok', 'not_allowed', 'alive', 'true', 'false']) {
      expect(decodeStatus(encodeStatus(s))).toBe(s);
    }
  });

  it('malformed bytes throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const b = Buffer.from(bytes);
        for (const f of [
          decodeName,
          decodeChallenge,
          decodeChallengeReply,
          decodeChallengeAck,
          decodeStatus,
        ]) {
          try {
            f(b);
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
          }
        }
      }),
    );
    expect(() => decodeName(Buffer.from([0x6e, 0, 5, 0, 0, 0, 0]))).toThrow(/old 'n'/);
    expect(() => decodeName(encodeName({ flags: 0n, creation: 0, name: 'abc' }).subarray(0, 16))).toThrow();
    expect(() => decodeChallengeReply(Buffer.alloc(20))).toThrow();
  });
});
