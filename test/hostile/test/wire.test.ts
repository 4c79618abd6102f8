import { describe, expect, it } from 'vitest';
import { readAll } from '../src/reader.js';
import { FLAG, type HandshakeTranscript, wireProfile } from '../src/wire.js';

const t: HandshakeTranscript = {
  initiator: 'a@h.example',
  acceptor: 'b@h.example',
  initiatorChallenge: Buffer.alloc(32, 1),
  acceptorChallenge: Buffer.alloc(32, 2),
  initiatorFlags: FLAG.INTEGRITY,
  acceptorFlags: FLAG.INTEGRITY,
};

describe('wire profiles', () => {
  it('version 1 matches the test vectors of docs/protocol.md and has no session keys', () => {
    const v1 = wireProfile(1);
    expect(v1.subprotocol).toBe('kindred-dist.1');
    expect(v1.digest('cookie', 'reply', t).toString('hex')).toBe(
      '6086fd3ba47a063568bbd3c8d0b8e2cac9af8a1a7cb4ec2aaf24e50de53dc45e',
    );
    expect(v1.digest('cookie', 'ack', t).toString('hex')).toBe(
      'b1fefe95ad0e5b46c02ea3ac92eea6ac3341f53a2a540c35ea6089991a3a7278',
    );
    expect(v1.sessionKeys('cookie', t)).toBeUndefined();
  });

  it('version 2 binds the flags into the digest and derives one key per direction', () => {
    const v2 = wireProfile(2);
    expect(v2.subprotocol).toBe('kindred-dist.2');
    expect(v2.defaultFlags & FLAG.INTEGRITY).toBe(FLAG.INTEGRITY);
    const d = v2.digest('cookie', 'reply', t);
    expect(d).not.toEqual(wireProfile(1).digest('cookie', 'reply', t));
    expect(d).not.toEqual(v2.digest('cookie', 'reply', { ...t, acceptorFlags: 0 }));
    const keys = v2.sessionKeys('cookie', t)!;
    expect(keys.i2a).toHaveLength(32);
    expect(keys.i2a).not.toEqual(keys.a2i);
    expect(v2.sessionKeys('cookie', { ...t, acceptorFlags: 0 })).toBeUndefined();
    const tag0 = v2.tag(keys.i2a, 0n, Buffer.from('x'));
    expect(tag0).toHaveLength(16);
    expect(tag0).not.toEqual(v2.tag(keys.i2a, 1n, Buffer.from('x')));
  });

  it('lays out references per version, and the client reader reads both', () => {
    const want = { kind: 'ref', node: 'a@h', creation: 9, words: [1, 2, 3] };
    expect(readAll(wireProfile(1).ref('a@h', [1, 2, 3], 9))).toEqual([want]);
    const v2 = wireProfile(2).ref('a@h', [1, 2, 3], 9);
    expect(v2.subarray(0, 3).toString('hex')).toBe('c71452'); // ext8, 20 bytes, type 0x52: self-contained
    expect(readAll(v2)).toEqual([want]);
  });
});
