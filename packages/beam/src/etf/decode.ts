import { isUtf8 } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import type { KindredError } from '@kindred/interface';
import { BEAM_ERRORS, beamError } from '../errors.js';
import { type ResolvedDecoderOptions, resolveDecoderOptions, type TermDecoderOptions } from './defaults.js';
import * as T from './tags.js';
import {
  Atom,
  BitBinary,
  ErlMap,
  Export,
  Float,
  Fun,
  ImproperList,
  internedAtom,
  Pid,
  Port,
  Ref,
  type Term,
  Tuple,
} from './terms.js';

/** One decoded term and the offset just past it, so several terms can be read from one buffer. */
export interface DecodeResult {
  /** The term, in the exact model. */
  term: Term;
  /** The offset of the first byte after the term (the input's length when it was compressed). */
  end: number;
}

/** Per-call options of {@link TermDecoder.decode}. */
export interface DecodeCallOptions {
  /**
   * True (default): the term starts with the version byte 131 (and may be compressed, tag 80). False: the bare term,
   * as after a distribution header (`131 68 ...`), where terms carry no version byte.
   */
  versioned?: boolean;
  /**
   * The atoms of the distribution header's atom cache, by index, for ATOM_CACHE_REF (tag 82). Without it that tag
   * is refused: a peer may use it only when DIST_HDR_ATOM_CACHE was negotiated.
   */
  atomCache?: ReadonlyArray<Atom | undefined>;
}

const ATOM_SLOTS = 256;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * An External Term Format decoder with its own bounded atom table and limits ({@link ETF_DEFAULTS}). Keep one per
 * connection: the atom cap then bounds what one peer can make this node hold. Reads from a Buffer with a cursor;
 * every length is checked against the bytes left before anything is allocated.
 */
export class TermDecoder {
  readonly #options: ResolvedDecoderOptions;
  readonly #atoms = new Map<string, Atom>();
  readonly #slotBytes: (Buffer | undefined)[] = new Array(ATOM_SLOTS);
  readonly #slotAtoms: (Atom | undefined)[] = new Array(ATOM_SLOTS);
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  #end = 0;
  #budget = 0;
  #cache: ReadonlyArray<Atom | undefined> | undefined;

  /** @param options - limits; see {@link ETF_DEFAULTS}. Throws `KINDRED_ERR_ETF_BAD_OPTION` on a bad value. */
  constructor(options: TermDecoderOptions = {}) {
    this.#options = resolveDecoderOptions(options);
  }

  /** How many distinct atoms this decoder has created (bounded by `maxAtoms`). */
  get atomCount(): number {
    return this.#atoms.size;
  }

  /**
   * Decodes one term starting at `offset`. Trailing bytes are allowed: `end` says where the term stopped, so a
   * control message and its payload are read with two calls.
   *
   * @throws KindredError `KINDRED_ERR_ETF_DECODE` on malformed input, `KINDRED_ERR_ETF_LIMIT` on a limit
   */
  decode(bytes: Uint8Array, offset = 0, options: DecodeCallOptions = {}): DecodeResult {
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) {
      throw beamError(
        BEAM_ERRORS.ETF_BAD_OPTION,
        `offset must be an integer 0-${buf.length}, got ${offset}`,
        {
          option: 'offset',
        },
      );
    }
    this.#buf = buf;
    this.#pos = offset;
    this.#end = buf.length;
    this.#cache = options.atomCache;
    this.#budget = Math.floor((buf.length - offset) * this.#options.maxTermsPerByte);
    try {
      if (options.versioned !== false) {
        this.#need(1);
        const v = buf[this.#pos++]!;
        if (v !== T.VERSION) throw this.#fail(`expected the version byte 131, got ${v}`, this.#pos - 1);
        this.#need(1);
        if (buf[this.#pos] === T.COMPRESSED) {
          this.#pos++;
          return { term: this.#compressed(), end: buf.length };
        }
      }
      const term = this.#term(0);
      return { term, end: this.#pos };
    } finally {
      this.#buf = EMPTY;
      this.#cache = undefined;
    }
  }

  #compressed(): Term {
    this.#need(4);
    const size = this.#buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    if (size > this.#options.maxInflatedBytes) {
      throw this.#limit('maxInflatedBytes', `compressed term declares ${size} bytes`);
    }
    let inflated: Buffer;
    try {
      inflated = inflateSync(this.#buf.subarray(this.#pos), { maxOutputLength: Math.max(1, size) });
    } catch (cause) {
      throw this.#fail(`compressed term does not inflate to its declared ${size} bytes: ${String(cause)}`);
    }
    if (inflated.length !== size) {
      throw this.#fail(`compressed term inflated to ${inflated.length} bytes, declared ${size}`);
    }
    this.#buf = inflated;
    this.#pos = 0;
    this.#end = inflated.length;
    this.#budget = Math.floor(inflated.length * this.#options.maxTermsPerByte);
    const term = this.#term(0);
    if (this.#pos !== this.#end) throw this.#fail('bytes left over inside a compressed term');
    return term;
  }

  #fail(message: string, at = this.#pos): KindredError {
    return beamError(BEAM_ERRORS.ETF_DECODE, `ETF decode: ${message} (offset ${at})`, { offset: at });
  }

  #limit(limit: string, message: string): KindredError {
    return beamError(
      BEAM_ERRORS.ETF_LIMIT,
      `ETF decode: ${message}, over the ${limit} limit (${(this.#options as Record<string, unknown>)[limit]}); raise it if this peer is trusted`,
      { limit, offset: this.#pos },
    );
  }

  #need(n: number): void {
    if (n > this.#end - this.#pos)
      throw this.#fail(`truncated: ${n} more bytes needed, ${this.#end - this.#pos} left`);
  }

  // Every element takes at least one byte, so a count larger than the bytes left is a lie; refusing it here keeps
  // `new Array(count)` bounded by the input.
  #count(n: number, minBytesEach: number): void {
    if (n * minBytesEach > this.#end - this.#pos) {
      throw this.#fail(`declares ${n} elements but only ${this.#end - this.#pos} bytes are left`);
    }
  }

  #term(depth: number): Term {
    if (--this.#budget < 0) throw this.#limit('maxTermsPerByte', 'too many terms for the input size');
    this.#need(1);
    const buf = this.#buf;
    const at = this.#pos;
    const tag = buf[this.#pos++]!;
    switch (tag) {
      case T.SMALL_INTEGER:
        this.#need(1);
        return buf[this.#pos++]!;
      case T.INTEGER: {
        this.#need(4);
        const v = buf.readInt32BE(this.#pos);
        this.#pos += 4;
        return v;
      }
      case T.SMALL_BIG: {
        this.#need(1);
        return this.#big(buf[this.#pos++]!);
      }
      case T.LARGE_BIG: {
        this.#need(4);
        const n = buf.readUInt32BE(this.#pos);
        this.#pos += 4;
        return this.#big(n);
      }
      case T.NEW_FLOAT: {
        this.#need(8);
        const v = buf.readDoubleBE(this.#pos);
        this.#pos += 8;
        if (!Number.isFinite(v)) throw this.#fail('a float that is NaN or infinite', at);
        return new Float(v);
      }
      case T.FLOAT:
        return this.#oldFloat(at);
      case T.SMALL_ATOM_UTF8:
      case T.ATOM_UTF8:
      case T.ATOM:
      case T.SMALL_ATOM:
      case T.ATOM_CACHE_REF:
        this.#pos = at;
        return this.#atom();
      case T.SMALL_TUPLE: {
        this.#need(1);
        return this.#tuple(buf[this.#pos++]!, depth);
      }
      case T.LARGE_TUPLE: {
        this.#need(4);
        const n = buf.readUInt32BE(this.#pos);
        this.#pos += 4;
        return this.#tuple(n, depth);
      }
      case T.NIL:
        return [];
      case T.STRING: {
        this.#need(2);
        const n = buf.readUInt16BE(this.#pos);
        this.#pos += 2;
        this.#need(n);
        const out = new Array<number>(n);
        for (let i = 0; i < n; i++) out[i] = buf[this.#pos + i]!;
        this.#pos += n;
        return out;
      }
      case T.LIST:
        return this.#list(depth);
      case T.BINARY: {
        this.#need(4);
        const n = buf.readUInt32BE(this.#pos);
        this.#pos += 4;
        return this.#bytes(n);
      }
      case T.BIT_BINARY: {
        this.#need(5);
        const n = buf.readUInt32BE(this.#pos);
        const bits = buf[this.#pos + 4]!;
        this.#pos += 5;
        if (n === 0 ? bits !== 0 : bits === 0 || bits > 8) {
          throw this.#fail(`a bitstring of ${n} bytes with ${bits} bits in its last byte`, at);
        }
        const bytes = this.#bytes(n);
        if (n === 0 || bits === 8) return bytes;
        // erts zeroes the unused low bits; do the same so equal bitstrings have equal bytes.
        const copy = this.#options.copyBinaries ? bytes : Buffer.from(bytes);
        copy[n - 1]! &= (0xff << (8 - bits)) & 0xff;
        return new BitBinary(copy, bits);
      }
      case T.MAP:
        return this.#map(depth);
      case T.NEW_PID:
      case T.PID: {
        const node = this.#atom();
        const wide = tag === T.NEW_PID;
        this.#need(wide ? 12 : 9);
        const id = buf.readUInt32BE(this.#pos);
        const serial = buf.readUInt32BE(this.#pos + 4);
        const creation = wide ? buf.readUInt32BE(this.#pos + 8) : buf[this.#pos + 8]!;
        this.#pos += wide ? 12 : 9;
        return new Pid(node, id, serial, creation);
      }
      case T.NEW_PORT:
      case T.V4_PORT:
      case T.PORT: {
        const node = this.#atom();
        const idBytes = tag === T.V4_PORT ? 8 : 4;
        const creationBytes = tag === T.PORT ? 1 : 4;
        this.#need(idBytes + creationBytes);
        const id = idBytes === 8 ? buf.readBigUInt64BE(this.#pos) : BigInt(buf.readUInt32BE(this.#pos));
        this.#pos += idBytes;
        const creation = creationBytes === 4 ? buf.readUInt32BE(this.#pos) : buf[this.#pos]!;
        this.#pos += creationBytes;
        return new Port(node, id, creation);
      }
      case T.NEWER_REFERENCE:
      case T.NEW_REFERENCE: {
        this.#need(2);
        const n = buf.readUInt16BE(this.#pos);
        this.#pos += 2;
        if (n < 1 || n > 5) throw this.#fail(`a reference of ${n} words (1-5 allowed)`, at);
        const node = this.#atom();
        const creationBytes = tag === T.NEWER_REFERENCE ? 4 : 1;
        this.#need(creationBytes + 4 * n);
        const creation = creationBytes === 4 ? buf.readUInt32BE(this.#pos) : buf[this.#pos]!;
        this.#pos += creationBytes;
        const ids = new Array<number>(n);
        for (let i = 0; i < n; i++) ids[i] = buf.readUInt32BE(this.#pos + 4 * i);
        this.#pos += 4 * n;
        return new Ref(node, creation, ids);
      }
      case T.REFERENCE: {
        const node = this.#atom();
        this.#need(5);
        const id = buf.readUInt32BE(this.#pos);
        const creation = buf[this.#pos + 4]!;
        this.#pos += 5;
        return new Ref(node, creation, [id]);
      }
      case T.EXPORT: {
        const module = this.#atom();
        const fn = this.#atom();
        this.#need(2);
        if (buf[this.#pos] !== T.SMALL_INTEGER)
          throw this.#fail('an export whose arity is not a small integer');
        const arity = buf[this.#pos + 1]!;
        this.#pos += 2;
        return new Export(module, fn, arity);
      }
      case T.NEW_FUN: {
        // Size counts itself; the smallest fun has Arity, Uniq, Index, NumFree and at least 4 one-byte terms.
        this.#need(4);
        const size = buf.readUInt32BE(this.#pos);
        if (size < 4 + 1 + 16 + 4 + 4 + 4) throw this.#fail(`a fun of ${size} bytes`, at);
        this.#need(size);
        const arity = buf[this.#pos + 4]!;
        const bytes = Buffer.from(buf.subarray(at, at + 1 + size));
        this.#pos += size;
        return new Fun(arity, bytes);
      }
      case T.FUN:
        throw this.#fail('the old FUN_EXT (117) is no longer supported by erts', at);
      case T.COMPRESSED:
        throw this.#fail('a compressed term may only follow the version byte', at);
      default:
        throw this.#fail(`unknown tag ${tag}`, at);
    }
  }

  #big(n: number): number | bigint {
    if (n > this.#options.maxBigIntBytes) throw this.#limit('maxBigIntBytes', `an integer of ${n} bytes`);
    this.#need(n + 1);
    const buf = this.#buf;
    const negative = buf[this.#pos] !== 0;
    if (buf[this.#pos]! > 1) throw this.#fail(`a bignum sign byte of ${buf[this.#pos]}`);
    const start = this.#pos + 1;
    this.#pos = start + n;
    if (n <= 6) {
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + buf[start + i]!;
      return negative ? -v : v;
    }
    let hex = '0x';
    for (let i = n - 1; i >= 0; i--) hex += HEX[buf[start + i]!]!;
    const v = BigInt(hex);
    const signed = negative ? -v : v;
    return signed >= -9007199254740991n && signed <= 9007199254740991n ? Number(signed) : signed;
  }

  #oldFloat(at: number): Float {
    this.#need(31);
    let text = this.#buf.toString('latin1', this.#pos, this.#pos + 31);
    this.#pos += 31;
    const nul = text.indexOf('\0');
    if (nul >= 0) text = text.slice(0, nul);
    const v = Number(text.trim());
    if (!/^\s*[-+]?\d/.test(text) || !Number.isFinite(v))
      throw this.#fail('a FLOAT_EXT that is not a number', at);
    return new Float(v);
  }

  #atom(): Atom {
    this.#need(1);
    const buf = this.#buf;
    const at = this.#pos;
    const tag = buf[this.#pos++]!;
    let len: number;
    let utf8: boolean;
    switch (tag) {
      case T.SMALL_ATOM_UTF8:
      case T.SMALL_ATOM:
        this.#need(1);
        len = buf[this.#pos++]!;
        utf8 = tag === T.SMALL_ATOM_UTF8;
        break;
      case T.ATOM_UTF8:
      case T.ATOM:
        this.#need(2);
        len = buf.readUInt16BE(this.#pos);
        this.#pos += 2;
        utf8 = tag === T.ATOM_UTF8;
        break;
      case T.ATOM_CACHE_REF: {
        this.#need(1);
        const index = buf[this.#pos++]!;
        const a = this.#cache?.[index];
        if (a === undefined)
          throw this.#fail(`an atom cache reference ${index} with no such cache entry`, at);
        return a;
      }
      default:
        throw this.#fail(`expected an atom, got tag ${tag}`, at);
    }
    this.#need(len);
    const start = this.#pos;
    const stop = start + len;
    // Hot path: the same few ASCII atoms (node names, keys, tags) repeat in every message. A direct-mapped cache
    // keyed by their bytes returns the Atom without making a string or hashing one.
    let ascii = true;
    let h = len;
    for (let i = start; i < stop; i++) {
      const b = buf[i]!;
      if (b > 0x7f) {
        ascii = false;
        break;
      }
      h = (Math.imul(h, 31) + b) | 0;
    }
    const slot = h & (ATOM_SLOTS - 1);
    if (ascii) {
      const key = this.#slotBytes[slot];
      if (key !== undefined && key.length === len) {
        let i = 0;
        while (i < len && key[i] === buf[start + i]) i++;
        if (i === len) {
          this.#pos = stop;
          return this.#slotAtoms[slot]!;
        }
      }
    }
    let name: string;
    if (ascii || !utf8) {
      if (len > 255) throw this.#fail(`an atom of ${len} characters (255 allowed)`, at);
      name = buf.toString('latin1', start, stop);
    } else {
      const view = buf.subarray(start, stop);
      if (!isUtf8(view)) throw this.#fail('an atom that is not valid UTF-8', at);
      let chars = 0;
      for (let i = start; i < stop; i++) if ((buf[i]! & 0xc0) !== 0x80) chars++;
      if (chars > 255) throw this.#fail(`an atom of ${chars} characters (255 allowed)`, at);
      name = buf.toString('utf8', start, stop);
    }
    this.#pos = stop;
    const a = this.#intern(name);
    if (ascii) {
      this.#slotBytes[slot] = Buffer.from(buf.subarray(start, stop));
      this.#slotAtoms[slot] = a;
    }
    return a;
  }

  #intern(name: string): Atom {
    let a = this.#atoms.get(name) ?? internedAtom(name);
    if (a === undefined) {
      if (this.#atoms.size >= this.#options.maxAtoms) {
        throw this.#limit('maxAtoms', `a new atom after ${this.#atoms.size} distinct ones`);
      }
      a = new Atom(name);
      this.#atoms.set(name, a);
    }
    return a;
  }

  /**
   * The atom `name` from this decoder's bounded table, creating it if needed: for atom text a peer sends outside a
   * term (the distribution header's atom cache entries), so it counts against the same `maxAtoms`.
   *
   * @throws KindredError `KINDRED_ERR_ETF_DECODE` for more than 255 characters, `KINDRED_ERR_ETF_LIMIT` past maxAtoms
   */
  atom(name: string): Atom {
    let chars = 0;
    for (const _ of name) chars++;
    if (chars > 255) {
      throw beamError(BEAM_ERRORS.ETF_DECODE, `ETF decode: an atom of ${chars} characters (255 allowed)`);
    }
    return this.#intern(name);
  }

  #tuple(n: number, depth: number): Tuple {
    if (depth >= this.#options.maxDepth) throw this.#limit('maxDepth', 'nesting too deep');
    this.#count(n, 1);
    const elements = new Array<Term>(n);
    for (let i = 0; i < n; i++) elements[i] = this.#term(depth + 1);
    return new Tuple(elements);
  }

  #list(depth: number): Term {
    if (depth >= this.#options.maxDepth) throw this.#limit('maxDepth', 'nesting too deep');
    this.#need(4);
    const n = this.#buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    this.#count(n + 1, 1);
    const items = new Array<Term>(n);
    for (let i = 0; i < n; i++) items[i] = this.#term(depth + 1);
    const tail = this.#term(depth + 1);
    if (Array.isArray(tail)) return tail.length === 0 ? items : items.concat(tail);
    if (n === 0) return tail;
    if (tail instanceof ImproperList) return new ImproperList(items.concat(tail.items), tail.tail);
    return new ImproperList(items, tail);
  }

  #map(depth: number): ErlMap {
    if (depth >= this.#options.maxDepth) throw this.#limit('maxDepth', 'nesting too deep');
    this.#need(4);
    const n = this.#buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    this.#count(n, 2);
    const entries = new Array<[Term, Term]>(n);
    for (let i = 0; i < n; i++) {
      const k = this.#term(depth + 1);
      entries[i] = [k, this.#term(depth + 1)];
    }
    return new ErlMap(entries);
  }

  #bytes(n: number): Buffer {
    this.#need(n);
    const view = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return this.#options.copyBinaries ? Buffer.from(view) : view;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Decodes one whole versioned term (`131 ...`, possibly compressed) in the exact model, with a fresh
 * {@link TermDecoder} (its own atom table). Bytes after the term are an error; use {@link TermDecoder.decode} to read
 * several terms from one buffer.
 *
 * @throws KindredError `KINDRED_ERR_ETF_DECODE` or `KINDRED_ERR_ETF_LIMIT`
 */
export function decodeTerm(bytes: Uint8Array, options?: TermDecoderOptions): Term {
  const { term, end } = new TermDecoder(options).decode(bytes);
  if (end !== bytes.length) {
    throw beamError(BEAM_ERRORS.ETF_DECODE, `ETF decode: ${bytes.length - end} bytes after the term`, {
      offset: end,
    });
  }
  return term;
}
