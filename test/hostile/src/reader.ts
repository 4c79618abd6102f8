/**
 * A small strict msgpack reader for what a node sends the hostile client (handshake messages, replies, pg and mesh
 * messages). It is the client's own, not the node's decoder: maps become objects, kindred's pid and reference
 * extensions become {@link WirePid} / {@link WireRef}, any other extension an {@link WireExt}. Throws on anything
 * truncated or unknown; nesting is capped.
 */

/** A pid as read from the wire. */
export interface WirePid {
  readonly kind: 'pid';
  readonly node: string;
  readonly id: number;
  readonly serial: number;
  readonly creation: number;
}

/** A reference as read from the wire (either protocol's layout). */
export interface WireRef {
  readonly kind: 'ref';
  readonly node: string;
  readonly creation: number;
  readonly words: readonly number[];
}

/** An extension the reader does not interpret. */
export interface WireExt {
  readonly kind: 'ext';
  readonly type: number;
  readonly data: Buffer;
}

const MAX_DEPTH = 512;

/** Reads every value laid end to end in `buf` (a data frame), in order. */
export function readAll(buf: Buffer): unknown[] {
  const r = new Reader(buf);
  const out: unknown[] = [];
  while (r.pos < buf.length) out.push(r.value(0));
  return out;
}

/** Reads exactly one value filling `buf` (a handshake message). */
export function readOne(buf: Buffer): unknown {
  const r = new Reader(buf);
  const v = r.value(0);
  if (r.pos !== buf.length) throw new Error(`${buf.length - r.pos} bytes after the value`);
  return v;
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  private take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new Error(`truncated: need ${n} bytes at ${this.pos}`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  private u(n: 1 | 2 | 4): number {
    const b = this.take(n);
    return n === 1 ? b.readUInt8(0) : n === 2 ? b.readUInt16BE(0) : b.readUInt32BE(0);
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new Error('nested too deep');
    const t = this.u(1);
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t >= 0xa0 && t <= 0xbf) return this.take(t & 0x1f).toString('utf8');
    if (t >= 0x90 && t <= 0x9f) return this.array(t & 0x0f, depth);
    if (t >= 0x80 && t <= 0x8f) return this.map(t & 0x0f, depth);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return Buffer.from(this.take(this.u(1)));
      case 0xc5:
        return Buffer.from(this.take(this.u(2)));
      case 0xc6:
        return Buffer.from(this.take(this.u(4)));
      case 0xc7:
        return this.ext(this.u(1), depth);
      case 0xc8:
        return this.ext(this.u(2), depth);
      case 0xc9:
        return this.ext(this.u(4), depth);
      case 0xca:
        return this.take(4).readFloatBE(0);
      case 0xcb:
        return this.take(8).readDoubleBE(0);
      case 0xcc:
        return this.u(1);
      case 0xcd:
        return this.u(2);
      case 0xce:
        return this.u(4);
      case 0xcf:
        return Number(this.take(8).readBigUInt64BE(0));
      case 0xd0:
        return this.take(1).readInt8(0);
      case 0xd1:
        return this.take(2).readInt16BE(0);
      case 0xd2:
        return this.take(4).readInt32BE(0);
      case 0xd3:
        return Number(this.take(8).readBigInt64BE(0));
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return this.ext(1 << (t - 0xd4), depth);
      case 0xd9:
        return this.take(this.u(1)).toString('utf8');
      case 0xda:
        return this.take(this.u(2)).toString('utf8');
      case 0xdb:
        return this.take(this.u(4)).toString('utf8');
      case 0xdc:
        return this.array(this.u(2), depth);
      case 0xdd:
        return this.array(this.u(4), depth);
      case 0xde:
        return this.map(this.u(2), depth);
      case 0xdf:
        return this.map(this.u(4), depth);
      default:
        throw new Error(`type byte 0x${t.toString(16)}`);
    }
  }

  private array(n: number, depth: number): unknown[] {
    if (n > this.buf.length - this.pos)
      throw new Error(`array of ${n} in ${this.buf.length - this.pos} bytes`);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
    return out;
  }

  private map(n: number, depth: number): Record<string, unknown> {
    if (n > this.buf.length - this.pos) throw new Error(`map of ${n} in ${this.buf.length - this.pos} bytes`);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.value(depth + 1);
      const v = this.value(depth + 1);
      Object.defineProperty(out, String(k), {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  private ext(len: number, depth: number): WirePid | WireRef | WireExt {
    const type = this.take(1).readInt8(0);
    const data = Buffer.from(this.take(len));
    if (type === 0x50 && len >= 13) {
      return {
        kind: 'pid',
        id: data.readUInt32BE(0),
        serial: data.readUInt32BE(4),
        creation: data.readUInt32BE(8),
        node: data.toString('utf8', 12),
      };
    }
    if (type === 0x52) {
      // Protocol 1 wrote a tag extension (fixext1 0x52 00) followed by [node, creation, w0, w1, w2].
      if (len === 1) {
        const a = this.value(depth + 1);
        if (!Array.isArray(a) || a.length !== 5) throw new Error('protocol-1 reference is not a 5-array');
        const [node, creation, ...words] = a as [string, number, number, number, number];
        return { kind: 'ref', node, creation, words };
      }
      const count = data.readUInt8(4);
      const words: number[] = [];
      for (let i = 0; i < count; i++) words.push(data.readUInt32BE(5 + 4 * i));
      return {
        kind: 'ref',
        creation: data.readUInt32BE(0),
        words,
        node: data.toString('utf8', 5 + 4 * count),
      };
    }
    return { kind: 'ext', type, data };
  }
}
