import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Packr } from 'msgpackr';
import { FrameRefusedError, scanMessages } from './decoder.js';

/** The handshake version this implementation speaks (docs/protocol.md). */
export const PROTOCOL_VERSION = 2;

/** The WebSocket subprotocol both sides must agree on; it carries the protocol version. */
export const SUBPROTOCOL = `kindred-dist.${PROTOCOL_VERSION}`;

/** Limits on every handshake field (docs/protocol.md, "Limits"). */
export const HANDSHAKE_LIMITS = Object.freeze({
  /** Largest handshake WebSocket message, bytes. */
  maxMessageBytes: 1024,
  /** Longest node name, characters (an Erlang atom holds 255). */
  maxNameChars: 255,
  /** Challenge length, bytes (exact). */
  challengeBytes: 32,
  /** HMAC-SHA256 digest length, bytes (exact). */
  digestBytes: 32,
  /** Longest refusal reason, characters. */
  maxReasonChars: 64,
  /** Largest flags value (unsigned 32 bits). */
  maxFlags: 0xffff_ffff,
});

/** Flag bits in the `flags` field of NAME and CHALLENGE. */
export const FLAGS = Object.freeze({
  /** The sender is a hidden node: not in nodes(), no part in the mesh. */
  HIDDEN: 1,
  /** The sender MACs every frame after the handshake (frameIntegrity); both sides must set it alike. */
  INTEGRITY: 2,
});

/**
 * WebSocket close codes kindred uses (4000-4999 is the private range), with the reason string sent beside each.
 * A closed connection's code tells the other side, and a packet capture, why.
 */
export const CLOSE = Object.freeze({
  /** Normal end after the handshake (disconnect, shutdown). */
  NORMAL: { code: 1000, reason: 'normal' },
  /** A message that does not decode or does not fit the state (wrong tag, wrong field types). */
  PROTOCOL_ERROR: { code: 4000, reason: 'protocol_error' },
  /** The subprotocol/version is not one this side speaks. */
  BAD_VERSION: { code: 4001, reason: 'bad_version' },
  /** A handshake message or field over its limit. */
  TOO_LARGE: { code: 4002, reason: 'too_large' },
  /** The challenge digest was wrong: the cookies differ. */
  BAD_COOKIE: { code: 4003, reason: 'bad_cookie' },
  /** The acceptor refuses this initiator (illegal name, allow list, host check). */
  NOT_ALLOWED: { code: 4004, reason: 'not_allowed' },
  /** The initiator dialed another name than the acceptor's. */
  NAME_MISMATCH: { code: 4005, reason: 'name_mismatch' },
  /** Another connection between the same pair wins (duplicate or simultaneous connect). */
  NOK: { code: 4006, reason: 'nok' },
  /** The handshake took longer than setupTimeoutMs. */
  SETUP_TIMEOUT: { code: 4007, reason: 'setup_timeout' },
  /** Too many handshakes in progress on this listener. */
  OVERLOADED: { code: 4008, reason: 'overloaded' },
  /** Ticks stopped arriving: the peer is unresponsive. */
  TICK_TIMEOUT: { code: 4009, reason: 'net_tick_timeout' },
  /** A newer connection to the same node replaced this one. */
  REPLACED: { code: 4010, reason: 'replaced' },
  /** A frame's MAC was wrong or missing (frameIntegrity): bytes injected or altered on the path. */
  BAD_MAC: { code: 4011, reason: 'bad_mac' },
  /**
   * The sender is leaving the cluster on purpose (`close({ leave: true })`, a node's `leave()`): the receiver's
   * nodedown reason is `shutdown` instead of `connection_closed`.
   */
  LEAVE: { code: 4012, reason: 'leave' },
});

/** The reason string of a close code, or undefined for codes kindred does not define. */
export function closeReasonOf(code: number): string | undefined {
  for (const entry of Object.values(CLOSE)) if (entry.code === code) return entry.reason;
  return undefined;
}

/** Acceptor statuses that let the handshake go on. */
export type AcceptStatus = 'ok' | 'ok_simultaneous' | 'alive';
/** Acceptor statuses that end the handshake. */
export type RefuseStatus = 'nok' | 'not_allowed';

/** NAME, initiator -> acceptor: who the initiator is, and its challenge. */
export interface NameMsg {
  readonly tag: 'n';
  readonly version: number;
  readonly name: string;
  readonly challenge: Buffer;
  readonly flags: number;
}
/** CHALLENGE, acceptor -> initiator: the status, who the acceptor is, and its challenge. */
export interface ChallengeMsg {
  readonly tag: 'c';
  readonly status: AcceptStatus;
  readonly name: string;
  readonly challenge: Buffer;
  readonly flags: number;
}
/** STATUS, acceptor -> initiator: a refusal; the acceptor closes right after. */
export interface StatusMsg {
  readonly tag: 's';
  readonly status: RefuseStatus;
  readonly reason: string;
}
/** REPLY, initiator -> acceptor: the initiator's proof of the cookie. */
export interface ReplyMsg {
  readonly tag: 'r';
  readonly digest: Buffer;
}
/** ACK, acceptor -> initiator: the acceptor's proof of the cookie. */
export interface AckMsg {
  readonly tag: 'a';
  readonly digest: Buffer;
}
/** Any handshake message. */
export type HandshakeMsg = NameMsg | ChallengeMsg | StatusMsg | ReplyMsg | AckMsg;

/** Why a handshake message was refused by {@link decodeHandshake}. */
export class HandshakeDecodeError extends Error {
  /** The close to send for it. */
  readonly close: { code: number; reason: string };
  constructor(message: string, close: { code: number; reason: string } = CLOSE.PROTOCOL_ERROR) {
    super(message);
    this.name = 'HandshakeDecodeError';
    this.close = close;
  }
}

// Handshake messages are plain msgpack arrays; no records, no extensions.
const handshakePackr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
// One array of at most five scalars: depth 2 and 16 values leave room and nothing more.
const HANDSHAKE_SCAN = Object.freeze({ maxValues: 16, maxDepth: 2, extensions: false });

/** Encodes a handshake message as one WebSocket binary message (a msgpack array, docs/protocol.md). */
export function encodeHandshake(msg: HandshakeMsg): Buffer {
  switch (msg.tag) {
    case 'n':
      return handshakePackr.pack(['n', msg.version, msg.name, msg.challenge, msg.flags]);
    case 'c':
      return handshakePackr.pack(['c', msg.status, msg.name, msg.challenge, msg.flags]);
    case 's':
      return handshakePackr.pack(['s', msg.status, msg.reason]);
    case 'r':
      return handshakePackr.pack(['r', msg.digest]);
    case 'a':
      return handshakePackr.pack(['a', msg.digest]);
  }
}

function str(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string') throw new HandshakeDecodeError(`${what} is not a string`);
  if (v.length === 0) throw new HandshakeDecodeError(`${what} is empty`);
  if (v.length > max) throw new HandshakeDecodeError(`${what} is longer than ${max}`, CLOSE.TOO_LARGE);
  return v;
}

function bin(v: unknown, what: string, len: number): Buffer {
  if (!(v instanceof Uint8Array)) throw new HandshakeDecodeError(`${what} is not binary`);
  if (v.length !== len) throw new HandshakeDecodeError(`${what} is ${v.length} bytes, not ${len}`);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function uint(v: unknown, what: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new HandshakeDecodeError(`${what} is not an integer in 0..${max}`);
  }
  return v;
}

function arity(arr: unknown[], n: number, tag: string): void {
  if (arr.length !== n) throw new HandshakeDecodeError(`'${tag}' message has ${arr.length} fields, not ${n}`);
}

/**
 * Decodes and validates one handshake message. Every field is checked against {@link HANDSHAKE_LIMITS}; anything
 * else throws {@link HandshakeDecodeError} carrying the close code to send.
 */
export function decodeHandshake(data: Buffer): HandshakeMsg {
  if (data.length > HANDSHAKE_LIMITS.maxMessageBytes) {
    throw new HandshakeDecodeError(`handshake message of ${data.length} bytes`, CLOSE.TOO_LARGE);
  }
  let value: unknown;
  try {
    // The same strict scanner as data frames, with no extension at all: msgpackr only sees plain msgpack.
    if (scanMessages(data, 0, data.length, HANDSHAKE_SCAN) !== 1) {
      throw new HandshakeDecodeError('not exactly one msgpack value');
    }
    value = handshakePackr.unpack(data);
  } catch (err) {
    if (err instanceof HandshakeDecodeError) throw err;
    const what = err instanceof FrameRefusedError ? err.message : `not msgpack: ${(err as Error).message}`;
    throw new HandshakeDecodeError(what);
  }
  if (!Array.isArray(value) || value.length === 0) throw new HandshakeDecodeError('not a non-empty array');
  const [tag] = value;
  switch (tag) {
    case 'n': {
      arity(value, 5, tag);
      const version = uint(value[1], 'version', HANDSHAKE_LIMITS.maxFlags);
      if (version !== PROTOCOL_VERSION) {
        throw new HandshakeDecodeError(
          `version ${version}, this node speaks ${PROTOCOL_VERSION}`,
          CLOSE.BAD_VERSION,
        );
      }
      return {
        tag,
        version,
        name: str(value[2], 'name', HANDSHAKE_LIMITS.maxNameChars),
        challenge: bin(value[3], 'challenge', HANDSHAKE_LIMITS.challengeBytes),
        flags: uint(value[4], 'flags', HANDSHAKE_LIMITS.maxFlags),
      };
    }
    case 'c': {
      arity(value, 5, tag);
      const status = value[1];
      if (status !== 'ok' && status !== 'ok_simultaneous' && status !== 'alive') {
        throw new HandshakeDecodeError('unknown challenge status');
      }
      return {
        tag,
        status,
        name: str(value[2], 'name', HANDSHAKE_LIMITS.maxNameChars),
        challenge: bin(value[3], 'challenge', HANDSHAKE_LIMITS.challengeBytes),
        flags: uint(value[4], 'flags', HANDSHAKE_LIMITS.maxFlags),
      };
    }
    case 's': {
      arity(value, 3, tag);
      const status = value[1];
      if (status !== 'nok' && status !== 'not_allowed')
        throw new HandshakeDecodeError('unknown refusal status');
      return { tag, status, reason: str(value[2], 'reason', HANDSHAKE_LIMITS.maxReasonChars) };
    }
    case 'r':
    case 'a':
      arity(value, 2, tag);
      return { tag, digest: bin(value[1], 'digest', HANDSHAKE_LIMITS.digestBytes) };
    default:
      throw new HandshakeDecodeError('unknown message tag');
  }
}

/** A fresh random challenge. */
export function newChallenge(): Buffer {
  return randomBytes(HANDSHAKE_LIMITS.challengeBytes);
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

/** What a digest proves: which side it comes from, both names, both challenges, both flags. */
export interface DigestInput {
  readonly role: 'reply' | 'ack';
  readonly initiator: string;
  readonly acceptor: string;
  readonly initiatorChallenge: Buffer;
  readonly acceptorChallenge: Buffer;
  /** The flags of the initiator's NAME. */
  readonly initiatorFlags: number;
  /** The flags of the acceptor's CHALLENGE. */
  readonly acceptorFlags: number;
}

function u32be(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/**
 * HMAC-SHA256 keyed with the cookie over `"kindred-dist-2 " + role`, both names (u16 length-prefixed UTF-8,
 * initiator first), both challenges (initiator's first), then both flags (u32 BE, initiator's first). Binding both
 * names stops a digest from being replayed to another node; the role label stops an acceptor's ack from passing as
 * a reply; the flags stop an on-path attacker from stripping INTEGRITY (a downgrade) unnoticed.
 */
export function computeDigest(cookie: string, input: DigestInput): Buffer {
  const h = createHmac('sha256', Buffer.from(cookie, 'utf8'));
  h.update(`kindred-dist-${PROTOCOL_VERSION} ${input.role}`);
  h.update(lengthPrefixed(input.initiator));
  h.update(lengthPrefixed(input.acceptor));
  h.update(input.initiatorChallenge);
  h.update(input.acceptorChallenge);
  h.update(u32be(input.initiatorFlags));
  h.update(u32be(input.acceptorFlags));
  return h.digest();
}

/** The two session keys of a connection with frameIntegrity, from one side's point of view. */
export interface SessionKeys {
  /** Key of the MACs this side sends. */
  readonly send: Buffer;
  /** Key of the MACs this side receives. */
  readonly receive: Buffer;
}

/** What the session keys are derived from: the cookie, both names and both challenges of the handshake. */
export interface SessionKeyInput {
  readonly initiator: string;
  readonly acceptor: string;
  readonly initiatorChallenge: Buffer;
  readonly acceptorChallenge: Buffer;
}

function sessionKey(cookie: string, dir: 'i2a' | 'a2i', input: SessionKeyInput): Buffer {
  const h = createHmac('sha256', Buffer.from(cookie, 'utf8'));
  h.update(`kindred-dist-${PROTOCOL_VERSION} session ${dir}`);
  h.update(lengthPrefixed(input.initiator));
  h.update(lengthPrefixed(input.acceptor));
  h.update(input.initiatorChallenge);
  h.update(input.acceptorChallenge);
  return h.digest();
}

/**
 * The session keys (docs/protocol.md, "Frame integrity"): K_i2a and K_a2i, each HMAC-SHA256 keyed with the cookie
 * over `"kindred-dist-2 session " + direction`, both names and both challenges. Fresh challenges on both sides make
 * them unique to the connection, so frames recorded from another connection do not verify.
 */
export function deriveSessionKeys(
  cookie: string,
  role: 'initiator' | 'acceptor',
  input: SessionKeyInput,
): SessionKeys {
  const i2a = sessionKey(cookie, 'i2a', input);
  const a2i = sessionKey(cookie, 'a2i', input);
  return role === 'initiator' ? { send: i2a, receive: a2i } : { send: a2i, receive: i2a };
}

/** Constant-time comparison of a received digest with the expected one. */
export function digestsEqual(received: Buffer, expected: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}
