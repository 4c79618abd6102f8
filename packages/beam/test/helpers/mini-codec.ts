// A minimal External Term Format codec for the network tests only: the few terms the control tuples and the test
// messages use (and what erl sends a visible node right after nodeup: rex's features_request, global's init_connect
// with its map). The real codec is @kindred/beam's etf module; the connection only sees the TermCodec interface.
import type { TermCodec } from '../../src/index.js';

export class Atom {
  constructor(readonly name: string) {}
}
export class Tuple {
  readonly items: Term[];
  constructor(...items: Term[]) {
    this.items = items;
  }
}
export class Pid {
  constructor(
    readonly node: string,
    readonly id: number,
    readonly serial: number,
    readonly creation: number,
  ) {}
}
export class Ref {
  constructor(
    readonly node: string,
    readonly creation: number,
    readonly ids: number[],
  ) {}
}
export class Improper {
  constructor(
    readonly items: Term[],
    readonly tail: Term,
  ) {}
}
export class MapTerm {
  constructor(readonly entries: [Term, Term][]) {}
}
export class Float {
  constructor(readonly value: number) {}
}
/** A term this helper keeps as its bytes (ports, funs, bitstrings). */
export class Opaque {
  constructor(readonly bytes: Buffer) {}
}
export type Term =
  | number
  | bigint
  | Atom
  | Tuple
  | Term[]
  | Pid
  | Ref
  | Buffer
  | Improper
  | MapTerm
  | Float
  | Opaque;

export const atom = (name: string): Atom => new Atom(name);
export const tuple = (...items: Term[]): Tuple => new Tuple(...items);

function decodeAt(b: Buffer, o: number, cache: readonly string[]): { term: Term; end: number } {
  const need = (n: number): void => {
    if (o + n > b.length) throw new Error(`truncated term at ${o}`);
  };
  need(1);
  const tag = b.readUInt8(o++);
  const atomAt = (): { name: string; end: number } => {
    const r = decodeAt(b, o, cache);
    if (!(r.term instanceof Atom)) throw new Error('want an atom');
    o = r.end;
    return { name: r.term.name, end: r.end };
  };
  switch (tag) {
    case 97:
      need(1);
      return { term: b.readUInt8(o), end: o + 1 };
    case 98:
      need(4);
      return { term: b.readInt32BE(o), end: o + 4 };
    case 110:
    case 111: {
      need(tag === 110 ? 1 : 4);
      const n = tag === 110 ? b.readUInt8(o) : b.readUInt32BE(o);
      o += tag === 110 ? 1 : 4;
      need(1 + n);
      const sign = b.readUInt8(o++);
      let v = 0n;
      for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b.readUInt8(o + i));
      const value = sign === 0 ? v : -v;
      const term =
        value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(value)
          : value;
      return { term, end: o + n };
    }
    case 70:
      need(8);
      return { term: new Float(b.readDoubleBE(o)), end: o + 8 };
    case 118:
    case 100:
      need(2);
      need(2 + b.readUInt16BE(o));
      return {
        term: atom(b.toString(tag === 118 ? 'utf8' : 'latin1', o + 2, o + 2 + b.readUInt16BE(o))),
        end: o + 2 + b.readUInt16BE(o),
      };
    case 119:
    case 115:
      need(1);
      need(1 + b.readUInt8(o));
      return {
        term: atom(b.toString(tag === 119 ? 'utf8' : 'latin1', o + 1, o + 1 + b.readUInt8(o))),
        end: o + 1 + b.readUInt8(o),
      };
    case 82: {
      need(1);
      const text = cache[b.readUInt8(o)];
      if (text === undefined) throw new Error('atom cache ref out of range');
      return { term: atom(text), end: o + 1 };
    }
    case 104:
    case 105: {
      need(tag === 104 ? 1 : 4);
      const n = tag === 104 ? b.readUInt8(o) : b.readUInt32BE(o);
      o += tag === 104 ? 1 : 4;
      const items: Term[] = [];
      for (let i = 0; i < n; i++) {
        const r = decodeAt(b, o, cache);
        items.push(r.term);
        o = r.end;
      }
      return { term: new Tuple(...items), end: o };
    }
    case 116: {
      need(4);
      const n = b.readUInt32BE(o);
      o += 4;
      const entries: [Term, Term][] = [];
      for (let i = 0; i < n; i++) {
        const k = decodeAt(b, o, cache);
        const v = decodeAt(b, k.end, cache);
        entries.push([k.term, v.term]);
        o = v.end;
      }
      return { term: new MapTerm(entries), end: o };
    }
    case 106:
      return { term: [], end: o };
    case 107: {
      need(2);
      const n = b.readUInt16BE(o);
      need(2 + n);
      return { term: [...b.subarray(o + 2, o + 2 + n)], end: o + 2 + n };
    }
    case 108: {
      need(4);
      const n = b.readUInt32BE(o);
      o += 4;
      const items: Term[] = [];
      for (let i = 0; i < n; i++) {
        const r = decodeAt(b, o, cache);
        items.push(r.term);
        o = r.end;
      }
      const tail = decodeAt(b, o, cache);
      const isNil = Array.isArray(tail.term) && tail.term.length === 0;
      return { term: isNil ? items : new Improper(items, tail.term), end: tail.end };
    }
    case 109: {
      need(4);
      const n = b.readUInt32BE(o);
      need(4 + n);
      return { term: Buffer.from(b.subarray(o + 4, o + 4 + n)), end: o + 4 + n };
    }
    case 77: {
      need(5);
      const n = b.readUInt32BE(o);
      need(5 + n);
      return { term: new Opaque(Buffer.from(b.subarray(o - 1, o + 5 + n))), end: o + 5 + n };
    }
    case 88: {
      const start = o;
      const { name } = atomAt();
      need(12);
      void start;
      return {
        term: new Pid(name, b.readUInt32BE(o), b.readUInt32BE(o + 4), b.readUInt32BE(o + 8)),
        end: o + 12,
      };
    }
    case 89:
    case 120: {
      const start = o - 1;
      atomAt();
      const n = tag === 89 ? 8 : 12;
      need(n);
      return { term: new Opaque(Buffer.from(b.subarray(start, o + n))), end: o + n };
    }
    case 90: {
      need(2);
      const len = b.readUInt16BE(o);
      o += 2;
      const { name } = atomAt();
      need(4 + 4 * len);
      const creation = b.readUInt32BE(o);
      const ids: number[] = [];
      for (let i = 0; i < len; i++) ids.push(b.readUInt32BE(o + 4 + 4 * i));
      return { term: new Ref(name, creation, ids), end: o + 4 + 4 * len };
    }
    case 113: {
      const start = o - 1;
      atomAt();
      atomAt();
      const r = decodeAt(b, o, cache);
      return { term: new Opaque(Buffer.from(b.subarray(start, r.end))), end: r.end };
    }
    case 112: {
      need(4);
      const size = b.readUInt32BE(o);
      need(size);
      return { term: new Opaque(Buffer.from(b.subarray(o - 1, o + size))), end: o + size };
    }
    default:
      throw new Error(`tag ${tag} not supported by the test codec`);
  }
}

function atomBytes(name: string): Buffer {
  const t = Buffer.from(name, 'utf8');
  return t.length < 256
    ? Buffer.concat([Buffer.from([119, t.length]), t])
    : Buffer.concat([Buffer.from([118, t.length >> 8, t.length & 255]), t]);
}

function encodeTerm(t: Term, out: Buffer[]): void {
  if (typeof t === 'number') {
    if (Number.isInteger(t) && t >= 0 && t <= 255) out.push(Buffer.from([97, t]));
    else if (Number.isInteger(t) && t >= -(2 ** 31) && t < 2 ** 31) {
      const b = Buffer.alloc(5);
      b.writeUInt8(98, 0);
      b.writeInt32BE(t, 1);
      out.push(b);
    } else if (Number.isInteger(t)) encodeTerm(BigInt(t), out);
    else encodeTerm(new Float(t), out);
  } else if (typeof t === 'bigint') {
    const digits: number[] = [];
    let v = t < 0n ? -t : t;
    while (v > 0n) {
      digits.push(Number(v & 255n));
      v >>= 8n;
    }
    out.push(Buffer.from([110, digits.length, t < 0n ? 1 : 0, ...digits]));
  } else if (t instanceof Atom) out.push(atomBytes(t.name));
  else if (t instanceof Tuple) {
    out.push(
      t.items.length < 256
        ? Buffer.from([104, t.items.length])
        : Buffer.from([105, 0, 0, t.items.length >> 8, t.items.length & 255]),
    );
    for (const i of t.items) encodeTerm(i, out);
  } else if (Array.isArray(t)) {
    if (t.length === 0) {
      out.push(Buffer.from([106]));
      return;
    }
    const h = Buffer.alloc(5);
    h.writeUInt8(108, 0);
    h.writeUInt32BE(t.length, 1);
    out.push(h);
    for (const i of t) encodeTerm(i, out);
    out.push(Buffer.from([106]));
  } else if (t instanceof Improper) {
    const h = Buffer.alloc(5);
    h.writeUInt8(108, 0);
    h.writeUInt32BE(t.items.length, 1);
    out.push(h);
    for (const i of t.items) encodeTerm(i, out);
    encodeTerm(t.tail, out);
  } else if (t instanceof Pid) {
    const b = Buffer.alloc(12);
    b.writeUInt32BE(t.id, 0);
    b.writeUInt32BE(t.serial, 4);
    b.writeUInt32BE(t.creation, 8);
    out.push(Buffer.from([88]), atomBytes(t.node), b);
  } else if (t instanceof Ref) {
    const b = Buffer.alloc(4 + 4 * t.ids.length);
    b.writeUInt32BE(t.creation, 0);
    t.ids.forEach((id, i) => {
      b.writeUInt32BE(id, 4 + 4 * i);
    });
    out.push(Buffer.from([90, t.ids.length >> 8, t.ids.length & 255]), atomBytes(t.node), b);
  } else if (t instanceof MapTerm) {
    const h = Buffer.alloc(5);
    h.writeUInt8(116, 0);
    h.writeUInt32BE(t.entries.length, 1);
    out.push(h);
    for (const [k, v] of t.entries) {
      encodeTerm(k, out);
      encodeTerm(v, out);
    }
  } else if (t instanceof Float) {
    const b = Buffer.alloc(9);
    b.writeUInt8(70, 0);
    b.writeDoubleBE(t.value, 1);
    out.push(b);
  } else if (t instanceof Opaque) out.push(t.bytes);
  else if (Buffer.isBuffer(t)) {
    const h = Buffer.alloc(5);
    h.writeUInt8(109, 0);
    h.writeUInt32BE(t.length, 1);
    out.push(h, t);
  } else throw new Error('cannot encode this term');
}

/** The test codec, as the connection's TermCodec. */
export const miniCodec: TermCodec<Term> = {
  decode: (buf, offset, atomCache) => decodeAt(buf, offset, atomCache),
  encode: (term) => {
    const out: Buffer[] = [];
    encodeTerm(term, out);
    return Buffer.concat(out);
  },
};

/** True when `t` is the atom `name`. */
export function isAtom(t: Term | undefined, name?: string): t is Atom {
  return t instanceof Atom && (name === undefined || t.name === name);
}
