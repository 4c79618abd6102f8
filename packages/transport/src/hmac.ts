import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * The frame tag of docs/protocol.md ("Frame integrity"): the first 16 bytes of HMAC-SHA256(key, u64 BE seq ||
 * payload). Node's createHmac costs a fixed ~2-6 us per call under OpenSSL 3 (context creation), which dominated the
 * MAC's cost on small frames and ticks (bench/run.mjs --only mac); so payloads up to {@link JS_MAX_BYTES} are hashed
 * here in JavaScript from precomputed inner and outer pad states (RFC 2104), two to a few SHA-256 blocks, and larger
 * ones by OpenSSL, whose per-byte speed wins there. Both give the same bytes (test/hmac.test.ts checks them against
 * node:crypto on random inputs).
 */

/**
 * Payloads up to this many bytes are hashed in JavaScript: with the sequence number and padding they fill at most
 * four SHA-256 blocks, five with the outer hash, which measured faster than one createHmac call (a 120-byte payload
 * 2.5 us against 3.2 us, a tick 0.8 us against 3.6 us, on the 2-core bench machine under load); past that OpenSSL's
 * per-byte speed wins.
 */
export const JS_MAX_BYTES = 239;

// SHA-256 round constants (FIPS 180-4, 4.2.2).
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
// Initial hash value (FIPS 180-4, 5.3.3).
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const W = new Int32Array(64);

/** One SHA-256 compression of the 64-byte block at b[off] into H. */
function compress(H: Int32Array, b: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const j = off + i * 4;
    W[i] =
      ((b[j] as number) << 24) |
      ((b[j + 1] as number) << 16) |
      ((b[j + 2] as number) << 8) |
      (b[j + 3] as number);
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15] as number;
    const w2 = W[i - 2] as number;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = ((W[i - 16] as number) + s0 + (W[i - 7] as number) + s1) | 0;
  }
  let a = H[0] as number;
  let bb = H[1] as number;
  let c = H[2] as number;
  let d = H[3] as number;
  let e = H[4] as number;
  let f = H[5] as number;
  let g = H[6] as number;
  let h = H[7] as number;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + s1 + ch + (K[i] as number) + (W[i] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & bb) ^ (a & c) ^ (bb & c);
    const t2 = (s0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = bb;
    bb = a;
    a = (t1 + t2) | 0;
  }
  H[0] = ((H[0] as number) + a) | 0;
  H[1] = ((H[1] as number) + bb) | 0;
  H[2] = ((H[2] as number) + c) | 0;
  H[3] = ((H[3] as number) + d) | 0;
  H[4] = ((H[4] as number) + e) | 0;
  H[5] = ((H[5] as number) + f) | 0;
  H[6] = ((H[6] as number) + g) | 0;
  H[7] = ((H[7] as number) + h) | 0;
}

const block = new Uint8Array(64);
const state = new Int32Array(8);

function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
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
    const pad = new Uint8Array(64);
    for (const [st, byte] of [
      [this.inner, 0x36],
      [this.outer, 0x5c],
    ] as const) {
      for (let i = 0; i < 64; i++) pad[i] = (i < key.length ? (key[i] as number) : 0) ^ byte;
      st.set(IV);
      compress(st, pad, 0);
    }
  }

  /** The 16-byte tag of `payload` as message number `seq` (< 2^53). */
  tag(seq: number, payload: Buffer): Buffer {
    const hi = Math.floor(seq / 0x1_0000_0000);
    const lo = seq >>> 0;
    const n = payload.length;
    if (n > JS_MAX_BYTES) {
      const s = Buffer.allocUnsafe(8);
      s.writeUInt32BE(hi, 0);
      s.writeUInt32BE(lo, 4);
      return createHmac('sha256', this.native).update(s).update(payload).digest().subarray(0, 16);
    }
    // Inner hash: ipad block (precomputed), then seq || payload, then padding and the bit length.
    state.set(this.inner);
    put32(block, 0, hi);
    put32(block, 4, lo);
    let fill = 8;
    for (let i = 0; i < n; i++) {
      block[fill++] = payload[i] as number;
      if (fill === 64) {
        compress(state, block, 0);
        fill = 0;
      }
    }
    block[fill++] = 0x80;
    if (fill > 56) {
      block.fill(0, fill, 64);
      compress(state, block, 0);
      fill = 0;
    }
    block.fill(0, fill, 56);
    const bits = (64 + 8 + n) * 8; // < 2^32 here
    put32(block, 56, 0);
    put32(block, 60, bits);
    compress(state, block, 0);
    // Outer hash: opad block (precomputed), then the inner digest, padding, length 96 bytes.
    for (let i = 0; i < 8; i++) put32(block, i * 4, state[i] as number);
    block[32] = 0x80;
    block.fill(0, 33, 60);
    put32(block, 60, (64 + 32) * 8);
    state.set(this.outer);
    compress(state, block, 0);
    const out = Buffer.allocUnsafe(16);
    for (let i = 0; i < 4; i++) put32(out, i * 4, state[i] as number);
    return out;
  }
}
