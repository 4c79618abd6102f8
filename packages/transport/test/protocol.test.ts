import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLOSE,
  closeReasonOf,
  computeDigest,
  decodeHandshake,
  deriveSessionKeys,
  digestsEqual,
  encodeHandshake,
  FLAGS,
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
      version: PROTOCOL_VERSION,
      name: 'x'.repeat(256),
      challenge: newChallenge(),
      flags: 0,
    });
    expect(() => decodeHandshake(long)).toThrow(expect.objectContaining({ close: CLOSE.TOO_LARGE }));
    for (const version of [1, 3]) {
      const other = encodeHandshake({
        tag: 'n',
        version,
        name: 'a@b.c',
        challenge: newChallenge(),
        flags: 0,
      });
      expect(() => decodeHandshake(other)).toThrow(expect.objectContaining({ close: CLOSE.BAD_VERSION }));
    }
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
    initiatorFlags: FLAGS.INTEGRITY,
    acceptorFlags: FLAGS.INTEGRITY | FLAGS.HIDDEN,
  };

  it('is HMAC-SHA256 over the documented input (a fixed vector for other implementations)', () => {
    expect(computeDigest('cookie', base).toString('hex')).toBe(
      computeDigestReference('cookie', base).toString('hex'),
    );
    // The test vectors in docs/protocol.md.
    expect(computeDigest('cookie', base).toString('hex')).toBe(VECTORS.reply);
    expect(computeDigest('cookie', { ...base, role: 'ack' }).toString('hex')).toBe(VECTORS.ack);
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
    // The flags are bound: stripping INTEGRITY on the path changes both digests.
    expect(digestsEqual(d, computeDigest('cookie', { ...base, initiatorFlags: 0 }))).toBe(false);
    expect(digestsEqual(d, computeDigest('cookie', { ...base, acceptorFlags: FLAGS.HIDDEN }))).toBe(false);
  });
});

describe('session keys', () => {
  const input = {
    initiator: 'a@h.example',
    acceptor: 'b@h.example',
    initiatorChallenge: Buffer.alloc(32, 1),
    acceptorChallenge: Buffer.alloc(32, 2),
  };

  it('are HMAC-SHA256 over the documented input, one per direction, mirrored between the two sides', () => {
    const i = deriveSessionKeys('cookie', 'initiator', input);
    const a = deriveSessionKeys('cookie', 'acceptor', input);
    expect(i.send.toString('hex')).toBe(sessionKeyReference('cookie', 'i2a', input).toString('hex'));
    expect(i.receive.toString('hex')).toBe(sessionKeyReference('cookie', 'a2i', input).toString('hex'));
    expect(a.send).toEqual(i.receive);
    expect(a.receive).toEqual(i.send);
    expect(i.send.toString('hex')).toBe(VECTORS.i2a);
    expect(i.receive.toString('hex')).toBe(VECTORS.a2i);
    expect(i.send).not.toEqual(
      deriveSessionKeys('cookie', 'initiator', { ...input, acceptorChallenge: Buffer.alloc(32, 3) }).send,
    );
  });
});

/** The test vectors printed in docs/protocol.md (cookie `cookie`, Ci = 32 x 0x01, Ca = 32 x 0x02, Fi = 2, Fa = 3). */
const VECTORS = {
  reply: '3d334352c662864f2d73bbc98c88fc08abd5bf61cf72ec106e25af0e1e6c11b0',
  ack: '44ca8a3f6db249ec38348fb5da142734b7d8e965ce62243eb496372305bb3dde',
  i2a: 'dd7e7854f93fd273f6b2c77e1d3ba3b8431656f327009e2dc98f990181e76f14',
  a2i: '428705942b7e17fb9fa55854ae2f92737b6ba486d2228c4344b23621afa044f2',
};

// docs/protocol.md's definition, written out independently with node:crypto.

function sessionKeyReference(
  cookie: string,
  dir: string,
  i: { initiator: string; acceptor: string; initiatorChallenge: Buffer; acceptorChallenge: Buffer },
): Buffer {
  return createHmac('sha256', Buffer.from(cookie, 'utf8'))
    .update(
      Buffer.concat([
        Buffer.from(`kindred-dist-2 session ${dir}`),
        lp(i.initiator),
        lp(i.acceptor),
        i.initiatorChallenge,
        i.acceptorChallenge,
      ]),
    )
    .digest();
}

function lp(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const l = Buffer.alloc(2);
  l.writeUInt16BE(b.length);
  return Buffer.concat([l, b]);
}

function computeDigestReference(
  cookie: string,
  i: {
    role: string;
    initiator: string;
    acceptor: string;
    initiatorChallenge: Buffer;
    acceptorChallenge: Buffer;
    initiatorFlags: number;
    acceptorFlags: number;
  },
): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32BE(i.initiatorFlags, 0);
  flags.writeUInt32BE(i.acceptorFlags, 4);
  return createHmac('sha256', cookie)
    .update(
      Buffer.concat([
        Buffer.from(`kindred-dist-2 ${i.role}`),
        lp(i.initiator),
        lp(i.acceptor),
        i.initiatorChallenge,
        i.acceptorChallenge,
        flags,
      ]),
    )
    .digest();
}

describe('handshake decoding is strict', () => {
  it("refuses any msgpack extension, msgpackr's looping bundle included, with 4000", () => {
    for (const h of [
      'a0a0d662fffffffcc0', // bundled strings, negative offset (loops msgpackr's unpackMultiple)
      '95a16e02a3614062c4200000000000000000000000000000000000000000000000000000000000000000d6ff00000001', // a timestamp as flags
      '92a172d40000', // undefined as the digest
      '92a161c1', // 0xc1
      '91dd7fffffff', // a lying array count
    ]) {
      expect(() => decodeHandshake(Buffer.from(h, 'hex'))).toThrow(
        expect.objectContaining({ close: CLOSE.PROTOCOL_ERROR }),
      );
    }
  });
});
