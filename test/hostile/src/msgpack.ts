/**
 * Byte-level msgpack builders (https://github.com/msgpack/msgpack/blob/master/spec.md). Nothing here checks that
 * what it writes makes sense: a header may claim any length, an extension any type, so a test can emit every byte
 * sequence a hostile peer could. {@link encode} builds well-formed values from plain JavaScript ones.
 */

/** Already-encoded msgpack bytes, spliced as they are by {@link encode}. */
export class Raw {
  constructor(
    /** The bytes. */
    readonly bytes: Uint8Array,
  ) {}
}

/** Concatenates byte strings. */
export function cat(...parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

/** `part` repeated `n` times, built by doubling (an 8 MiB frame of one small value is fast to make). */
export function repeat(part: Uint8Array, n: number): Buffer {
  const out = Buffer.allocUnsafe(part.length * n);
  if (out.length === 0) return out;
  out.set(part, 0);
  let filled = part.length;
  while (filled < out.length) {
    const len = Math.min(filled, out.length - filled);
    out.copyWithin(filled, 0, len);
    filled += len;
  }
  return out;
}

function be(size: 1 | 2 | 4, n: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  if (size === 1) b.writeUInt8(n & 0xff, 0);
  else if (size === 2) b.writeUInt16BE(n & 0xffff, 0);
  else b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** `nil` (0xc0). */
export const nil = (): Buffer => Buffer.of(0xc0);
/** `false` (0xc2) or `true` (0xc3). */
export const bool = (v: boolean): Buffer => Buffer.of(v ? 0xc3 : 0xc2);
/** The byte msgpack never uses (0xc1). */
export const neverUsed = (): Buffer => Buffer.of(0xc1);

/** An integer in its smallest encoding (fixint, uint8..64, int8..64). */
export function int(n: number | bigint): Buffer {
  const v = BigInt(n);
  if (v >= 0n) {
    if (v < 0x80n) return Buffer.of(Number(v));
    if (v < 0x100n) return Buffer.of(0xcc, Number(v));
    if (v < 0x10000n) return cat(Buffer.of(0xcd), be(2, Number(v)));
    if (v < 0x100000000n) return cat(Buffer.of(0xce), be(4, Number(v)));
    const b = Buffer.alloc(9);
    b[0] = 0xcf;
    b.writeBigUInt64BE(BigInt.asUintN(64, v), 1);
    return b;
  }
  if (v >= -32n) return Buffer.of(Number(v) & 0xff);
  if (v >= -0x80n) return Buffer.of(0xd0, Number(v) & 0xff);
  if (v >= -0x8000n) return cat(Buffer.of(0xd1), be(2, Number(v)));
  if (v >= -0x80000000n) return cat(Buffer.of(0xd2), be(4, Number(v)));
  const b = Buffer.alloc(9);
  b[0] = 0xd3;
  b.writeBigInt64BE(BigInt.asIntN(64, v), 1);
  return b;
}

/** A float32 (0xca). */
export function float32(x: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = 0xca;
  b.writeFloatBE(x, 1);
  return b;
}

/** A float64 (0xcb). */
export function float64(x: number): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0xcb;
  b.writeDoubleBE(x, 1);
  return b;
}

/** Width of a length field: `fix` (in the type byte), 8, 16 or 32 bits. */
export type Width = 'fix' | 8 | 16 | 32;

function smallest(len: number, fixMax: number): Width {
  if (len <= fixMax) return 'fix';
  if (len < 0x100) return 8;
  if (len < 0x10000) return 16;
  return 32;
}

/** A str header claiming `len` bytes (any `len`, true or not). */
export function strHeader(len: number, width: Width = smallest(len, 31)): Buffer {
  if (width === 'fix') return Buffer.of(0xa0 | (len & 0x1f));
  return cat(Buffer.of(width === 8 ? 0xd9 : width === 16 ? 0xda : 0xdb), be((width / 8) as 1 | 2 | 4, len));
}

/** A UTF-8 str. */
export function str(s: string, width?: Width): Buffer {
  const body = Buffer.from(s, 'utf8');
  return cat(strHeader(body.length, width ?? smallest(body.length, 31)), body);
}

/** A bin header claiming `len` bytes (bin has no fix form: `fix` is written as bin8). */
export function binHeader(len: number, width: Width = smallest(len, -1)): Buffer {
  const w = width === 'fix' ? 8 : width;
  return cat(Buffer.of(w === 8 ? 0xc4 : w === 16 ? 0xc5 : 0xc6), be((w / 8) as 1 | 2 | 4, len));
}

/** A bin. */
export function bin(data: Uint8Array, width?: Width): Buffer {
  return cat(binHeader(data.length, width), data);
}

/** An array header claiming `len` elements. */
export function arrayHeader(len: number, width: Width = smallest(len, 15)): Buffer {
  if (width === 'fix') return Buffer.of(0x90 | (len & 0x0f));
  const w = width === 8 ? 16 : width; // there is no array8
  return cat(Buffer.of(w === 16 ? 0xdc : 0xdd), be((w / 8) as 2 | 4, len));
}

/** An array of already-encoded elements. */
export function array(items: readonly Uint8Array[]): Buffer {
  return cat(arrayHeader(items.length), ...items);
}

/** A map header claiming `len` pairs. */
export function mapHeader(len: number, width: Width = smallest(len, 15)): Buffer {
  if (width === 'fix') return Buffer.of(0x80 | (len & 0x0f));
  const w = width === 8 ? 16 : width; // there is no map8
  return cat(Buffer.of(w === 16 ? 0xde : 0xdf), be((w / 8) as 2 | 4, len));
}

/** A map of already-encoded keys and values. */
export function map(pairs: readonly (readonly [Uint8Array, Uint8Array])[]): Buffer {
  return cat(mapHeader(pairs.length), ...pairs.flat());
}

/**
 * An extension header of type `type` (-128..127) claiming `len` data bytes. `fix` uses fixext 1/2/4/8/16 when
 * `len` is one of those sizes (any other `len` falls back to ext8).
 */
export function extHeader(type: number, len: number, width?: Width): Buffer {
  const w =
    width ?? (len === 1 || len === 2 || len === 4 || len === 8 || len === 16 ? 'fix' : smallest(len, -1));
  const t = type & 0xff;
  if (w === 'fix') {
    const code = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 }[len];
    if (code !== undefined) return Buffer.of(code, t);
  }
  const lw = w === 'fix' ? 8 : w;
  return cat(
    Buffer.of(lw === 8 ? 0xc7 : lw === 16 ? 0xc8 : 0xc9),
    be((lw / 8) as 1 | 2 | 4, len),
    Buffer.of(t),
  );
}

/** An extension value. */
export function ext(type: number, data: Uint8Array, width?: Width): Buffer {
  return cat(extHeader(type, data.length, width), data);
}

/** Extension types kindred defines (docs/protocol.md; the reference layout is per version, see wire.ts). */
export const KINDRED_EXT = Object.freeze({ PID: 0x50, REF: 0x52, TIMESTAMP: -1 });

/** A pid as kindred lays it out: ext 0x50, id, serial, creation (u32 BE), node (UTF-8). */
export function pid(node: string, id: number, serial = 0, creation = 1): Buffer {
  const name = Buffer.from(node, 'utf8');
  const body = Buffer.alloc(12 + name.length);
  body.writeUInt32BE(id >>> 0, 0);
  body.writeUInt32BE(serial >>> 0, 4);
  body.writeUInt32BE(creation >>> 0, 8);
  name.copy(body, 12);
  return ext(KINDRED_EXT.PID, body);
}

/** What {@link encode} takes: plain data, with {@link Raw} for bytes built by hand. */
export type Encodable =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Raw
  | readonly Encodable[]
  | { readonly [key: string]: Encodable };

/**
 * Well-formed msgpack of a plain value: null/undefined as nil, integers in their smallest form, other numbers as
 * float64, strings as str, Uint8Array as bin, arrays, objects as maps with string keys, {@link Raw} spliced.
 */
export function encode(v: Encodable): Buffer {
  if (v === null || v === undefined) return nil();
  if (v instanceof Raw) return Buffer.from(v.bytes);
  if (typeof v === 'boolean') return bool(v);
  if (typeof v === 'bigint') return int(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) ? int(v) : float64(v);
  if (typeof v === 'string') return str(v);
  if (v instanceof Uint8Array) return bin(v);
  if (Array.isArray(v)) return array((v as readonly Encodable[]).map(encode));
  const entries = Object.entries(v as { readonly [key: string]: Encodable });
  return map(entries.map(([k, x]) => [str(k), encode(x)] as const));
}
