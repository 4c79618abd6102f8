import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * `gen_digest(Challenge, Cookie)` of dist_util (line 528): MD5 of the cookie *followed by* the challenge written as
 * an unsigned decimal (OTP 25's HTML says the other order; the code is the truth).
 */
export function genDigest(challenge: number, cookie: string): Buffer {
  return createHash('md5')
    .update(cookie + String(challenge >>> 0), 'latin1')
    .digest();
}

/** Compares a received digest with the expected one in constant time (OTP does not; kindred does). */
export function digestMatches(received: Buffer, expected: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** A fresh random 32-bit challenge. */
export function newChallenge(): number {
  return randomBytes(4).readUInt32BE(0);
}
