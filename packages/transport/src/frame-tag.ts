import { createCipheriv, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { BLAKE2S_IV, compress } from './blake2s.js';

/**
 * The frame tag of docs/protocol.md ("Frame integrity"), under the session key K of one direction:
 *
 * - payloads up to {@link SMALL_MAX_BYTES}: keyed BLAKE2s with a 16-byte output (RFC 7693; WireGuard's MAC) of
 *   u64 BE seq || payload under K_small, computed here in JavaScript (./blake2s.ts): the state after the key block
 *   is computed once per key, then seq and payload are read straight into little-endian message words. A tag of a
 *   ~150-200-byte kindred frame costs ~0.4-0.5 us on the bench machine, against ~1-1.1 us for HMAC-SHA256 in the
 *   same style and ~2.5-3 us through node:crypto's createHmac (a fixed cost per call, OpenSSL context setup);
 * - longer payloads: the Poly1305 tag of ChaCha20-Poly1305 (RFC 8439) under K_large, by OpenSSL, with the payload
 *   as associated data, nothing to encrypt and the nonce 0x00000000 || u64 BE seq (unique per key: seq never
 *   repeats in a direction). One-way throughput batches messages into frames of ~10-256 KiB; measured here, a tag
 *   of 10 KiB costs ~4 us this way against ~9-10 us for HMAC-SHA256 through createHmac, 64 KiB ~8-11 us against
 *   ~43 us (SHA-256 runs ~1.6 GB/s; Poly1305 several times that).
 *
 * K_small and K_large are HMAC-SHA256(K, label), so each MAC has a key of its own. See bench/README.md, "The frame
 * MAC's cost".
 */
/** Payloads up to this many bytes are tagged with BLAKE2s, longer ones with Poly1305 (docs/protocol.md). */
export const SMALL_MAX_BYTES = 1024;

/** Length in bytes of a tag (docs/protocol.md). */
const TAG_BYTES = 16;

/** The parameter block's first word for a 32-byte key and a 16-byte digest (RFC 7693, 2.5: 0x0101kknn). */
const PARAM_WORD = 0x01010000 | (32 << 8) | TAG_BYTES;

/** One message block (16 little-endian words), reused: tags are computed synchronously, one at a time. */
const m = new Int32Array(16);
/** The running state of the tag being computed. */
const st = new Int32Array(8);

/** The ChaCha20-Poly1305 nonce of the tag being computed: 0^4 || u64 BE seq (see FrameTagKey's poly1305). */
const NONCE = Buffer.alloc(12);

/** Little-endian u32 of b[i..i+4) (signed). */
function le32(b: Uint8Array, i: number): number {
  return (
    (b[i] as number) |
    ((b[i + 1] as number) << 8) |
    ((b[i + 2] as number) << 16) |
    ((b[i + 3] as number) << 24)
  );
}

/** Little-endian u32 of the bytes of b from i up to n (fewer than 4 when n - i < 4; none when i >= n), zero-padded. */
function le32Tail(b: Uint8Array, i: number, n: number): number {
  let w = 0;
  for (let s = 0; i < n && s < 32; i++, s += 8) w |= (b[i] as number) << s;
  return w;
}

/** The bytes of a big-endian u32 as a little-endian word. */
function swap32(x: number): number {
  return (x >>> 24) | ((x >>> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24);
}

/** A session key ready to tag frames. */
export class FrameTagKey {
  /** BLAKE2s state after the parameter block and the key block (RFC 7693, 3.3: K_small padded to 64 bytes). */
  private readonly keyed = new Int32Array(8);
  /** K_large (ChaCha20-Poly1305's key), for payloads over SMALL_MAX_BYTES. */
  private readonly large: KeyObject;

  /** @param key the 32-byte session key K of one direction */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('frame tag keys are 32 bytes');
    const derive = (label: string) => createHmac('sha256', key).update(label, 'latin1').digest();
    this.large = createSecretKey(derive('kindred-dist-2 frame tag large'));
    this.keyed.set(BLAKE2S_IV);
    this.keyed[0] = (this.keyed[0] as number) ^ PARAM_WORD;
    const block = new Uint8Array(64);
    block.set(derive('kindred-dist-2 frame tag small'));
    const words = new Int32Array(16);
    for (let i = 0; i < 16; i++) words[i] = le32(block, i * 4);
    // The message is never empty (it starts with the 8-byte seq), so the key block is never the last.
    compress(this.keyed, words, 0, 64, false);
  }

  /** The 16-byte tag of `payload` as message number `seq` (< 2^53), in a new Buffer. */
  tag(seq: number, payload: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(TAG_BYTES);
    this.sign(seq, payload, out, 0);
    return out;
  }

  /** Writes the tag of `payload` as message number `seq` (< 2^53) into `out[at..at+16)`. */
  sign(seq: number, payload: Uint8Array, out: Uint8Array, at: number): void {
    if (payload.length > SMALL_MAX_BYTES) {
      out.set(this.poly1305(seq, payload), at);
      return;
    }
    this.digest(seq, payload);
    for (let i = 0; i < 4; i++) {
      const v = st[i] as number;
      const j = at + i * 4;
      out[j] = v;
      out[j + 1] = v >>> 8;
      out[j + 2] = v >>> 16;
      out[j + 3] = v >>> 24;
    }
  }

  /**
   * True when `tag[at..at+16)` is the tag of `payload` as message number `seq`. Constant time in the tag's bytes:
   * every word is compared, the differences or-ed together.
   */
  verify(seq: number, payload: Uint8Array, tag: Uint8Array, at: number): boolean {
    if (at < 0 || tag.length - at < TAG_BYTES) return false;
    let diff = 0;
    if (payload.length > SMALL_MAX_BYTES) {
      const expected = this.poly1305(seq, payload);
      for (let i = 0; i < TAG_BYTES; i++) diff |= (expected[i] as number) ^ (tag[at + i] as number);
      return diff === 0;
    }
    this.digest(seq, payload);
    for (let i = 0; i < 4; i++) diff |= (st[i] as number) ^ le32(tag, at + i * 4);
    return diff === 0;
  }

  /** The 16-byte Poly1305 tag of ChaCha20-Poly1305 under K_large: nonce 0^4 || u64 BE seq, the payload as AAD. */
  private poly1305(seq: number, payload: Uint8Array): Buffer {
    // createCipheriv copies the nonce, so one buffer serves every call (its first 4 bytes stay zero).
    const nonce = NONCE;
    nonce.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 4);
    nonce.writeUInt32BE(seq >>> 0, 8);
    const aead = createCipheriv('chacha20-poly1305', this.large, nonce, { authTagLength: TAG_BYTES });
    aead.setAAD(payload, { plaintextLength: 0 });
    aead.final();
    return aead.getAuthTag();
  }

  /** Keyed BLAKE2s of seq || payload under K_small: the first 4 words of the digest land in `st`. */
  private digest(seq: number, payload: Uint8Array): void {
    const n = payload.length;
    const total = 8 + n;
    const blocks = (total + 63) >>> 6;
    st.set(this.keyed);
    m[0] = swap32(Math.floor(seq / 0x1_0000_0000));
    m[1] = swap32(seq | 0);
    // The payload starts at byte 8, on a word boundary: word i of the message is payload bytes 4(i - 2)...
    let i = 2;
    let p = 0;
    for (let b = 1; b < blocks; b++) {
      for (; i < 16; i++, p += 4) m[i] = le32(payload, p);
      compress(st, m, 0, 64 + 64 * b, false);
      i = 0;
    }
    // The last block: what is left of the payload, zero-padded (RFC 7693: no length or marker; the counter says).
    for (; i < 16; i++, p += 4) m[i] = p + 4 <= n ? le32(payload, p) : le32Tail(payload, p, n);
    compress(st, m, 0, 64 + total, true);
  }
}
