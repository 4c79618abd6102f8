import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLOSE,
  closeReasonOf,
  computeDigest,
  decodeHandshake,
  digestsEqual,
  encodeHandshake,
  HANDSHAKE_LIMITS,
  HandshakeDecodeError,
  type HandshakeMsg,
  newChallenge,
  PROTOCOL_VERSION,
} from '../src/protocol.js';

const challenge = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => Buffer.from(u));
const name = fc.string({ minLength: 1, maxLength: 255 });
const flags = fc.nat({ max: 0xffff_ffff });
const message: fc.Arbitrary<HandshakeMsg> = fc.oneof(
  fc.record({
    tag: fc.constant('n' as const),
    version: fc.constant(PROTOCOL_VERSION),
    name,
    challenge,
    flags,
  }),
  fc.record({
    tag: fc.constant('c' as const),
    status: fc.constantFrom('ok' as const, 'ok_simultaneous' as const, 'alive' as const),
    name,
    challenge,
    flags,
  }),
  fc.record({
    tag: fc.constant('s' as const),
    status: fc.constantFrom('nok' as const, 'not_allowed' as const),
    reason: fc.string({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({ tag: fc.constantFrom('r' as const, 'a' as const), digest: challenge }),
);

describe('handshake messages', () => {
  it('decode(encode(m)) is m, and every encoding fits the message limit', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeHandshake(m);
        expect(bytes.length).toBeLessThanOrEqual(HANDSHAKE_LIMITS.maxMessageBytes);
        expect(decodeHandshake(bytes)).toEqual(m);
      }),
    );
  });

  it('decode never throws anything but HandshakeDecodeError, on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1100 }), (bytes) => {
        try {
          decodeHandshake(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(HandshakeDecodeError);
          expect((err as HandshakeDecodeError).close.code).toBeGreaterThanOrEqual(4000);
        }
      }),
    );
  });

  it('refuses oversize messages and fields, and other versions', () => {
    expect(() => decodeHandshake(Buffer.alloc(1025))).toThrow(
      expect.objectContaining({ close: CLOSE.TOO_LARGE }),
    );
    const long = encodeHandshake({
      tag: 'n',
      version: 1,
      name: 'x'.repeat(256),
      challenge: newChallenge(),
      flags: 0,
    });
    expect(() => decodeHandshake(long)).toThrow(expect.objectContaining({ close: CLOSE.TOO_LARGE }));
    const v2 = encodeHandshake({ tag: 'n', version: 2, name: 'a@b.c', challenge: newChallenge(), flags: 0 });
    expect(() => decodeHandshake(v2)).toThrow(expect.objectContaining({ close: CLOSE.BAD_VERSION }));
    const short = encodeHandshake({ tag: 'r', digest: Buffer.alloc(16) });
    expect(() => decodeHandshake(short)).toThrow(expect.objectContaining({ close: CLOSE.PROTOCOL_ERROR }));
  });

  it('names every close code', () => {
    expect(closeReasonOf(4003)).toBe('bad_cookie');
    expect(closeReasonOf(1006)).toBeUndefined();
  });
});

describe('digests', () => {
  const base = {
    role: 'reply' as const,
    initiator: 'a@h.example',
    acceptor: 'b@h.example',
    initiatorChallenge: Buffer.alloc(32, 1),
    acceptorChallenge: Buffer.alloc(32, 2),
  };

  it('is HMAC-SHA256 over the documented input (a fixed vector for other implementations)', () => {
    expect(computeDigest('cookie', base).toString('hex')).toBe(
      computeDigestReference('cookie', base).toString('hex'),
    );
    // The test vectors in docs/protocol.md.
    expect(computeDigest('cookie', base).toString('hex')).toBe(
      '6086fd3ba47a063568bbd3c8d0b8e2cac9af8a1a7cb4ec2aaf24e50de53dc45e',
    );
    expect(computeDigest('cookie', { ...base, role: 'ack' }).toString('hex')).toBe(
      'b1fefe95ad0e5b46c02ea3ac92eea6ac3341f53a2a540c35ea6089991a3a7278',
    );
  });

  it('changes with the cookie, either name, either challenge and the role', () => {
    const d = computeDigest('cookie', base);
    expect(digestsEqual(d, computeDigest('cookie', base))).toBe(true);
    expect(digestsEqual(d, computeDigest('cookie2', base))).toBe(false);
    expect(digestsEqual(d, computeDigest('cookie', { ...base, role: 'ack' }))).toBe(false);
    expect(digestsEqual(d, computeDigest('cookie', { ...base, initiator: 'c@h.example' }))).toBe(false);
    expect(digestsEqual(d, computeDigest('cookie', { ...base, acceptor: 'c@h.example' }))).toBe(false);
    expect(
      digestsEqual(d, computeDigest('cookie', { ...base, acceptorChallenge: Buffer.alloc(32, 3) })),
    ).toBe(false);
    // Names are length-prefixed: moving a character across the boundary changes the digest.
    expect(
      digestsEqual(
        d,
        computeDigest('cookie', { ...base, initiator: 'a@h.exampleb', acceptor: '@h.example' }),
      ),
    ).toBe(false);
    expect(digestsEqual(d, d.subarray(0, 16))).toBe(false);
  });
});

// docs/protocol.md's definition, written out independently with node:crypto.

function computeDigestReference(
  cookie: string,
  i: {
    role: string;
    initiator: string;
    acceptor: string;
    initiatorChallenge: Buffer;
    acceptorChallenge: Buffer;
  },
): Buffer {
  const lp = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const l = Buffer.alloc(2);
    l.writeUInt16BE(b.length);
    return Buffer.concat([l, b]);
  };
  return createHmac('sha256', cookie)
    .update(
      Buffer.concat([
        Buffer.from(`kindred-dist-1 ${i.role}`),
        lp(i.initiator),
        lp(i.acceptor),
        i.initiatorChallenge,
        i.acceptorChallenge,
      ]),
    )
    .digest();
}
