/**
 * The handshake's messages (erl_dist_protocol "Distribution Handshake", version 6). Each travels as
 * `Length:u16 | Tag | ...`; these functions build and parse the part after the length. Parsers throw a plain Error
 * on malformed bytes; the handshake turns it into `protocol_error`.
 */

/** The handshake's tags. */
export const HS_TAG = Object.freeze({
  NAME: 0x4e, // 'N' (the new name message, and the new challenge)
  OLD_NAME: 0x6e, // 'n', version 5, never accepted (OTP 25 drops it too)
  STATUS: 0x73, // 's'
  CHALLENGE_REPLY: 0x72, // 'r'
  CHALLENGE_ACK: 0x61, // 'a'
  COMPLEMENT: 0x63, // 'c'
});

/** The acceptor's answers to a name (send_status). */
export type HandshakeStatus = 'ok' | 'ok_simultaneous' | 'nok' | 'not_allowed' | 'alive';

/** The initiator's 'N' name message. */
export interface NameMessage {
  readonly flags: bigint;
  readonly creation: number;
  readonly name: string;
}

/** The acceptor's 'N' challenge. */
export interface ChallengeMessage extends NameMessage {
  readonly challenge: number;
}

/** Largest handshake packet accepted (a 255-character name is at most 1,020 UTF-8 bytes, plus 19 bytes). */
export const MAX_HANDSHAKE_PACKET_BYTES = 2_048;

/** Prefixes `body` with its u16 length. */
export function packet2(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}

/** `'N', Flags:u64, Creation:u32, Nlen:u16, Name`. */
export function encodeName(m: NameMessage): Buffer {
  const name = Buffer.from(m.name, 'utf8');
  const b = Buffer.alloc(15 + name.length);
  b.writeUInt8(HS_TAG.NAME, 0);
  b.writeBigUInt64BE(m.flags, 1);
  b.writeUInt32BE(m.creation >>> 0, 9);
  b.writeUInt16BE(name.length, 13);
  name.copy(b, 15);
  return b;
}

/** Parses the 'N' name message; trailing bytes are ignored as OTP does. */
export function decodeName(b: Buffer): NameMessage {
  if (b.length < 15 || b.readUInt8(0) !== HS_TAG.NAME) {
    throw new Error(
      b.length > 0 && b.readUInt8(0) === HS_TAG.OLD_NAME ? "old 'n' name message" : 'not a name message',
    );
  }
  const nlen = b.readUInt16BE(13);
  if (b.length < 15 + nlen) throw new Error('name overruns the message');
  return {
    flags: b.readBigUInt64BE(1),
    creation: b.readUInt32BE(9),
    name: b.toString('utf8', 15, 15 + nlen),
  };
}

/** `'N', Flags:u64, Challenge:u32, Creation:u32, Nlen:u16, Name`. */
export function encodeChallenge(m: ChallengeMessage): Buffer {
  const name = Buffer.from(m.name, 'utf8');
  const b = Buffer.alloc(19 + name.length);
  b.writeUInt8(HS_TAG.NAME, 0);
  b.writeBigUInt64BE(m.flags, 1);
  b.writeUInt32BE(m.challenge >>> 0, 9);
  b.writeUInt32BE(m.creation >>> 0, 13);
  b.writeUInt16BE(name.length, 17);
  name.copy(b, 19);
  return b;
}

/** Parses the acceptor's 'N' challenge. */
export function decodeChallenge(b: Buffer): ChallengeMessage {
  if (b.length < 19 || b.readUInt8(0) !== HS_TAG.NAME) throw new Error('not a challenge message');
  const nlen = b.readUInt16BE(17);
  if (b.length < 19 + nlen) throw new Error('name overruns the challenge');
  return {
    flags: b.readBigUInt64BE(1),
    challenge: b.readUInt32BE(9),
    creation: b.readUInt32BE(13),
    name: b.toString('utf8', 19, 19 + nlen),
  };
}

/** `'s'` + text (a status, or `true`/`false` after `alive`). */
export function encodeStatus(text: string): Buffer {
  return Buffer.concat([Buffer.from([HS_TAG.STATUS]), Buffer.from(text, 'latin1')]);
}

/** The text of an `'s'` message. */
export function decodeStatus(b: Buffer): string {
  if (b.length < 1 || b.readUInt8(0) !== HS_TAG.STATUS) throw new Error('not a status message');
  return b.toString('latin1', 1);
}

/** `'r', Challenge:u32, Digest[16]`. */
export function encodeChallengeReply(challenge: number, digest: Buffer): Buffer {
  const b = Buffer.alloc(21);
  b.writeUInt8(HS_TAG.CHALLENGE_REPLY, 0);
  b.writeUInt32BE(challenge >>> 0, 1);
  digest.copy(b, 5);
  return b;
}

/** Parses `'r'`. */
export function decodeChallengeReply(b: Buffer): { challenge: number; digest: Buffer } {
  if (b.length !== 21 || b.readUInt8(0) !== HS_TAG.CHALLENGE_REPLY) throw new Error('not a challenge reply');
  return { challenge: b.readUInt32BE(1), digest: Buffer.from(b.subarray(5, 21)) };
}

/** `'a', Digest[16]`. */
export function encodeChallengeAck(digest: Buffer): Buffer {
  return Buffer.concat([Buffer.from([HS_TAG.CHALLENGE_ACK]), digest]);
}

/** Parses `'a'`. */
export function decodeChallengeAck(b: Buffer): Buffer {
  if (b.length !== 17 || b.readUInt8(0) !== HS_TAG.CHALLENGE_ACK) throw new Error('not a challenge ack');
  return Buffer.from(b.subarray(1));
}
