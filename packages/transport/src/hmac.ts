import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { compress, SHA256_IV } from './sha256.js';

/**
 * The frame tag of docs/protocol.md ("Frame integrity"): the first 16 bytes of HMAC-SHA256(key, u64 BE seq ||
 * payload). Node's createHmac costs a fixed ~2-3 us per call under OpenSSL 3 (context creation), which dominated the
 * MAC's cost on small frames, ticks and the round trip (bench/run.mjs --only mac); so payloads up to
 * {@link JS_MAX_BYTES} are hashed here in JavaScript (./sha256.ts) from precomputed inner and outer pad states
 * (RFC 2104): the sequence number and payload are read straight into big-endian message words, padded, compressed
 * (one to a few blocks), and the outer hash is one more block. Larger payloads go to OpenSSL, whose per-byte speed
 * (SHA-NI) wins there. Both give the same bytes (test/hmac.test.ts checks every length against node:crypto).
 */

/**
 * Payloads up to this many bytes are hashed in JavaScript (seq, payload and padding fill at most ceil((8 + n + 9) /
 * 64) blocks, plus one for the outer hash); past that one createHmac call is cheaper. Measured with
 * bench/experiments/mac-tag.mjs on the 2-core bench machine: JS ~1.0 us at 120 bytes, ~1.9 us at 300, ~3 us at 500
 * (0.22 us a block), createHmac ~2.3-3 us at any of them.
 */
export const JS_MAX_BYTES = 375;

/** Length in bytes of a tag (docs/protocol.md: the HMAC truncated to 16 bytes). */
const TAG_BYTES = 16;

/** Message words of the inner hash: seq (2), payload, 0x80 and the 64-bit bit length, in whole 16-word blocks. */
const msg = new Int32Array(((8 + JS_MAX_BYTES + 9 + 63) >>> 6) * 16);
/** The outer hash's one block: the inner digest (words 0-7), then fixed padding for 64 + 32 bytes. */
const outerMsg = new Int32Array(16);
outerMsg[8] = 0x80000000 | 0;
outerMsg[15] = (64 + 32) * 8;
/** The running state of the hash being computed (tag() is synchronous: one is enough). */
const st = new Int32Array(8);

/** Big-endian u32 of b[i..i+4) (signed; the hash is computed modulo 2^32). */
function word(b: Uint8Array, i: number): number {
  return (
    ((b[i] as number) << 24) |
    ((b[i + 1] as number) << 16) |
    ((b[i + 2] as number) << 8) |
    (b[i + 3] as number)
  );
}

/** A session key ready to tag frames. */
export class FrameTagKey {
  private readonly native: KeyObject;
  /** SHA-256 state after the block key ^ ipad, and after key ^ opad (RFC 2104). */
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);

  /** @param key the 32-byte session key (any key up to 64 bytes) */
  constructor(key: Buffer) {
    if (key.length > 64) throw new RangeError('frame tag keys are at most 64 bytes');
    this.native = createSecretKey(key);
    const padded = new Uint8Array(64);
    padded.set(key);
    const pad = new Int32Array(16);
    for (const [state, byte] of [
      [this.inner, 0x36363636],
      [this.outer, 0x5c5c5c5c],
    ] as const) {
      for (let i = 0; i < 16; i++) pad[i] = word(padded, i * 4) ^ byte;
      state.set(SHA256_IV);
      compress(state, pad, 0);
    }
  }

  /** The 16-byte tag of `payload` as message number `seq` (< 2^53), in a new Buffer. */
  tag(seq: number, payload: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(TAG_BYTES);
    this.sign(seq, payload, out, 0);
    return out;
  }

  /** Writes the tag of `payload` as message number `seq` (< 2^53) into `out[at..at+16)`. */
  sign(seq: number, payload: Uint8Array, out: Uint8Array, at: number): void {
    if (payload.length > JS_MAX_BYTES) {
      out.set(this.nativeHmac(seq, payload).subarray(0, TAG_BYTES), at);
      return;
    }
    this.digest(seq, payload);
    for (let i = 0; i < 4; i++) {
      const v = st[i] as number;
      const j = at + i * 4;
      out[j] = v >>> 24;
      out[j + 1] = v >>> 16;
      out[j + 2] = v >>> 8;
      out[j + 3] = v;
    }
  }

  /**
   * True when `tag[at..at+16)` is the tag of `payload` as message number `seq`. Constant time in the tag's bytes:
   * every word is compared, the differences or-ed together.
   */
  verify(seq: number, payload: Uint8Array, tag: Uint8Array, at: number): boolean {
    if (at < 0 || tag.length - at < TAG_BYTES) return false;
    let diff = 0;
    if (payload.length > JS_MAX_BYTES) {
      const expected = this.nativeHmac(seq, payload);
      for (let i = 0; i < TAG_BYTES; i++) diff |= (expected[i] as number) ^ (tag[at + i] as number);
      return diff === 0;
    }
    this.digest(seq, payload);
    for (let i = 0; i < 4; i++) diff |= (st[i] as number) ^ word(tag, at + i * 4);
    return diff === 0;
  }

  /** The HMAC by OpenSSL (32 bytes: the tag is the first 16). */
  private nativeHmac(seq: number, payload: Uint8Array): Buffer {
    const s = Buffer.allocUnsafe(8);
    s.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 0);
    s.writeUInt32BE(seq >>> 0, 4);
    return createHmac('sha256', this.native).update(s).update(payload).digest();
  }

  /** HMAC-SHA256 in JavaScript of seq || payload (at most JS_MAX_BYTES): the first 4 words land in `st`. */
  private digest(seq: number, payload: Uint8Array): void {
    const n = payload.length;
    msg[0] = Math.floor(seq / 0x1_0000_0000);
    msg[1] = seq | 0;
    // The payload starts at byte 8, on a word boundary: whole words, then the last 0-3 bytes with the 0x80 marker.
    let j = 2;
    let p = 0;
    for (const whole = n & ~3; p < whole; p += 4) msg[j++] = word(payload, p);
    const rest = n - p;
    let last = 0x80 << (24 - 8 * rest);
    for (let r = 0; r < rest; r++) last |= (payload[p + r] as number) << (24 - 8 * r);
    msg[j++] = last;
    // Zeros up to the 64-bit bit length (its high word is 0: (64 + 8 + n) * 8 < 2^32), which ends a block.
    const words = ((j + 2 + 15) >>> 4) << 4;
    while (j < words - 1) msg[j++] = 0;
    msg[j] = (64 + 8 + n) * 8;
    st.set(this.inner);
    for (let k = 0; k < words; k += 16) compress(st, msg, k);
    for (let i = 0; i < 8; i++) outerMsg[i] = st[i] as number;
    st.set(this.outer);
    compress(st, outerMsg, 0);
  }
}
