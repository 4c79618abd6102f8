import { createCipheriv, createHmac } from 'node:crypto';
import { blake2s } from '@noble/hashes/blake2.js';
import { arrayHeader, cat, ext, int, str } from './msgpack.js';

/**
 * Everything that differs between protocol versions, in one place: the version number, the subprotocol, the flag
 * bits, the handshake digest, the session keys and per-message tags, and the reference layout. Written from
 * docs/protocol.md (version 1) and the version 2 specification of issue 11; when the real implementation differs in
 * a detail, this is the one file to adapt.
 */

/** Flag bits of NAME and CHALLENGE. */
export const FLAG = Object.freeze({
  /** The sender is a hidden node. */
  HIDDEN: 1,
  /** Version 2: every message after the handshake carries a tag (both sides must set it). */
  INTEGRITY: 2,
});

/** The protocol version the client speaks when none is asked for. */
export const DEFAULT_VERSION = 2;

/** What a handshake digest and the session keys are computed over. */
export interface HandshakeTranscript {
  readonly initiator: string;
  readonly acceptor: string;
  readonly initiatorChallenge: Uint8Array;
  readonly acceptorChallenge: Uint8Array;
  readonly initiatorFlags: number;
  readonly acceptorFlags: number;
}

/** Keys of the two directions of a connection. */
export interface SessionKeys {
  /** Initiator -> acceptor. */
  readonly i2a: Buffer;
  /** Acceptor -> initiator. */
  readonly a2i: Buffer;
}

/** One protocol version's rules. */
export interface WireProfile {
  readonly version: number;
  /** WebSocket subprotocol offered by the initiator. */
  readonly subprotocol: string;
  /** Flags a real node of this version sends by default. */
  readonly defaultFlags: number;
  /** Bytes of the tag after each message (0: none). */
  readonly tagBytes: number;
  /** The REPLY (`reply`) or ACK (`ack`) digest. */
  digest(cookie: string, role: 'reply' | 'ack', t: HandshakeTranscript): Buffer;
  /** Session keys, or undefined when this connection runs without integrity. */
  sessionKeys(cookie: string, t: HandshakeTranscript): SessionKeys | undefined;
  /** The tag of the `seq`-th message sent in one direction. */
  tag(key: Buffer, seq: bigint, payload: Uint8Array): Buffer;
  /** A reference as this version lays it out on the wire. */
  ref(node: string, words: readonly number[], creation: number): Buffer;
}

function lp(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length, 0);
  return cat(len, b);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function hmac(cookie: string, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', Buffer.from(cookie, 'utf8'));
  for (const p of parts) h.update(p);
  return h.digest();
}

const V1: WireProfile = {
  version: 1,
  subprotocol: 'kindred-dist.1',
  defaultFlags: 0,
  tagBytes: 0,
  digest: (cookie, role, t) =>
    hmac(
      cookie,
      Buffer.from(`kindred-dist-1 ${role}`),
      lp(t.initiator),
      lp(t.acceptor),
      t.initiatorChallenge,
      t.acceptorChallenge,
    ),
  sessionKeys: () => undefined,
  tag: () => Buffer.alloc(0),
  // Version 1 wrote a one-byte tag extension followed by the array [node, creation, w0, w1, w2].
  ref: (node, words, creation) =>
    cat(Buffer.of(0xd4, 0x52, 0), arrayHeader(2 + words.length), str(node), int(creation), ...words.map(int)),
};

const V2: WireProfile = {
  version: 2,
  subprotocol: 'kindred-dist.2',
  defaultFlags: FLAG.INTEGRITY,
  tagBytes: 16,
  digest: (cookie, role, t) =>
    hmac(
      cookie,
      Buffer.from(`kindred-dist-2 ${role}`),
      lp(t.initiator),
      lp(t.acceptor),
      t.initiatorChallenge,
      t.acceptorChallenge,
      u32(t.initiatorFlags),
      u32(t.acceptorFlags),
    ),
  sessionKeys: (cookie, t) => {
    if ((t.initiatorFlags & t.acceptorFlags & FLAG.INTEGRITY) === 0) return undefined;
    const key = (dir: string) =>
      hmac(
        cookie,
        Buffer.from(`kindred-dist-2 session ${dir}`),
        lp(t.initiator),
        lp(t.acceptor),
        t.initiatorChallenge,
        t.acceptorChallenge,
      );
    return { i2a: key('i2a'), a2i: key('a2i') };
  },
  // docs/protocol.md, "Frame integrity": keyed BLAKE2s-128 (RFC 7693) of u64be(seq) || payload under K_small for
  // payloads up to 1024 bytes; for longer ones the Poly1305 tag of ChaCha20-Poly1305 under K_large with the payload as
  // associated data and the nonce 00000000 || u64be(seq).
  tag: (key, seq, payload) => {
    const s = Buffer.alloc(8);
    s.writeBigUInt64BE(seq, 0);
    const sub = (label: string) => createHmac('sha256', key).update(label).digest();
    if (payload.length <= 1024) {
      return Buffer.from(blake2s(cat(s, payload), { key: sub('kindred-dist-2 frame tag small'), dkLen: 16 }));
    }
    const nonce = Buffer.concat([Buffer.alloc(4), s]);
    const aead = createCipheriv('chacha20-poly1305', sub('kindred-dist-2 frame tag large'), nonce, {
      authTagLength: 16,
    });
    aead.setAAD(payload, { plaintextLength: 0 });
    aead.final();
    return aead.getAuthTag();
  },
  ref: (node, words, creation) => {
    const name = Buffer.from(node, 'utf8');
    const body = Buffer.alloc(5 + 4 * words.length + name.length);
    body.writeUInt32BE(creation >>> 0, 0);
    body.writeUInt8(words.length & 0xff, 4);
    for (const [i, w] of words.entries()) body.writeUInt32BE(w >>> 0, 5 + 4 * i);
    name.copy(body, 5 + 4 * words.length);
    return ext(0x52, body);
  },
};

/** The rules of protocol `version` (1 or 2). */
export function wireProfile(version: number = DEFAULT_VERSION): WireProfile {
  if (version === 1) return V1;
  if (version === 2) return V2;
  throw new Error(`the hostile client knows protocol versions 1 and 2, not ${version}`);
}

/**
 * The version the tests run against: `KINDRED_HOSTILE_VERSION` when set (1 checks the client against a version-1
 * node), else {@link DEFAULT_VERSION}.
 */
export function versionFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.KINDRED_HOSTILE_VERSION;
  return v === undefined || v === '' ? DEFAULT_VERSION : Number(v);
}
