import { badOption, checkInt, describeValue, KindredError } from '@kindred/interface';
import { BEAM_ERRORS, beamError } from '../errors.js';
import { ETF_DEFAULTS } from './defaults.js';
import * as T from './tags.js';
import { Atom, BitBinary, ErlMap, Export, Float, Fun, ImproperList, Pid, Port, Ref, Tuple } from './terms.js';

/** Options of a {@link TermEncoder}. */
export interface TermEncoderOptions {
  /** Deepest nesting encoded (a cycle in a JS value ends here); default {@link ETF_DEFAULTS}.maxDepth. */
  maxDepth?: number;
  /** What the keys of a plain JS object become: atoms (default, `#{name => ...}`, Elixir `%{name: ...}`) or binaries. */
  objectKeys?: 'atom' | 'binary';
  /**
   * Class instances the encoder has no encoding of (a layer above's own pid class): returns the term (or natural
   * value) `value` stands for, or `undefined` to refuse it (`KINDRED_ERR_ETF_ENCODE`). Called at any depth, so a
   * layer's values need no converting copy before they are encoded.
   */
  adapt?: (value: object) => unknown;
}

/** Per-call options of {@link TermEncoder.encode} and {@link TermEncoder.encodeAll}. */
export interface EncodeCallOptions {
  /** True (default): each term starts with the version byte 131. False: bare terms, as after a distribution header. */
  versioned?: boolean;
  /** Bytes left zeroed at the start of the result for the caller to fill (a frame length, the `'p'` byte). */
  headroom?: number;
  /**
   * The distribution header's atom cache (DIST_HDR_ATOM_CACHE): for each atom written, the index of its reference
   * in the header the caller builds (an ATOM_CACHE_REF, tag 82, is written), or -1 to write the atom itself.
   */
  atomRef?: (name: string) => number;
  /**
   * True: the result is a view of the encoder's own buffer, valid until its next call, for a caller that copies it
   * at once (the connection into its write batch); default false, a Buffer of its own.
   */
  view?: boolean;
}

const KEY_CACHE_SIZE = 4096;
const I32_MIN = -0x8000_0000;
const I32_MAX = 0x7fff_ffff;

/**
 * An External Term Format encoder writing into one growing buffer that it reuses between calls. It encodes the exact
 * model ({@link Term}) byte for byte as erts does (`term_to_binary(T, [{minor_version, 2}])`), and the natural JS
 * values of README.md's table (strings, booleans, null/undefined, non-integral numbers, objects, `Map`s) on the way.
 */
export class TermEncoder {
  readonly #maxDepth: number;
  readonly #atomKeys: boolean;
  readonly #adapt: ((value: object) => unknown) | undefined;
  readonly #keyBytes = new Map<string, Buffer>();
  #buf: Buffer = Buffer.allocUnsafe(256);
  #pos = 0;
  #atomRef: ((name: string) => number) | undefined;

  /** @param options - see {@link TermEncoderOptions}; throws `KINDRED_ERR_ETF_BAD_OPTION` on a bad value. */
  constructor(options: TermEncoderOptions = {}) {
    const ctx = (option: string) => ({ option, code: BEAM_ERRORS.ETF_BAD_OPTION });
    this.#maxDepth = checkInt(ctx('maxDepth'), options.maxDepth ?? ETF_DEFAULTS.maxDepth, 1, 100_000);
    const keys = options.objectKeys ?? 'atom';
    if (keys !== 'atom' && keys !== 'binary') throw badOption(ctx('objectKeys'), "'atom' or 'binary'", keys);
    this.#atomKeys = keys === 'atom';
    if (options.adapt !== undefined && typeof options.adapt !== 'function') {
      throw badOption(ctx('adapt'), 'a function', options.adapt);
    }
    this.#adapt = options.adapt;
  }

  /**
   * Encodes one value into a new Buffer (the encoder's own buffer is reused, the result is a copy).
   *
   * @throws KindredError `KINDRED_ERR_ETF_ENCODE` for a value with no encoding, `KINDRED_ERR_ETF_LIMIT` past maxDepth
   */
  encode(value: unknown, options: EncodeCallOptions = {}): Buffer {
    return this.encodeAll([value], options);
  }

  /**
   * Encodes several values back to back into one new Buffer: the distribution's `'p' 131 Control 131 Message` frame
   * is `encodeAll([control, message], { headroom: 5 })` with the length and `'p'` written into the first 5 bytes.
   */
  encodeAll(values: readonly unknown[], options: EncodeCallOptions = {}): Buffer {
    const headroom = options.headroom ?? 0;
    if (!Number.isInteger(headroom) || headroom < 0 || headroom > 1024) {
      throw badOption(
        { option: 'headroom', code: BEAM_ERRORS.ETF_BAD_OPTION },
        'an integer 0-1024',
        headroom,
      );
    }
    // Do not let one huge message pin a huge buffer for the encoder's lifetime (a view of it handed out by the last
    // call stays valid: the buffer is replaced, not overwritten).
    if (this.#buf.length > 1 << 20) this.#buf = Buffer.allocUnsafe(256);
    this.#pos = 0;
    this.#ensure(headroom);
    this.#buf.fill(0, 0, headroom);
    this.#pos = headroom;
    this.#atomRef = options.atomRef;
    try {
      for (const value of values) {
        if (options.versioned !== false) this.#u8(T.VERSION);
        this.#term(value, 0);
      }
    } catch (cause) {
      if (cause instanceof KindredError) throw cause;
      // A hand-built term with a field out of range (a negative pid id, a 33-bit creation) fails in a Buffer write.
      throw new KindredError(
        BEAM_ERRORS.ETF_ENCODE,
        `ETF encode: a field is out of range: ${String(cause)}`,
        {
          cause,
        },
      );
    } finally {
      this.#atomRef = undefined;
    }
    if (options.view === true) return this.#buf.subarray(0, this.#pos);
    const out = Buffer.allocUnsafe(this.#pos);
    this.#buf.copy(out, 0, 0, this.#pos);
    return out;
  }

  #fail(message: string, value: unknown): KindredError {
    return beamError(BEAM_ERRORS.ETF_ENCODE, `ETF encode: ${message}: ${describeValue(value)}`);
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  #u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = v;
  }

  #u32(v: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff))
      throw this.#fail('not an unsigned 32-bit field', v);
    this.#ensure(4);
    this.#buf.writeUInt32BE(v, this.#pos);
    this.#pos += 4;
  }

  #raw(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  #term(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'number':
        if (Number.isInteger(v)) {
          if (v >= 0 && v <= 255) {
            this.#ensure(2);
            this.#buf[this.#pos++] = T.SMALL_INTEGER;
            this.#buf[this.#pos++] = v;
          } else if (v >= I32_MIN && v <= I32_MAX) {
            this.#ensure(5);
            this.#buf[this.#pos++] = T.INTEGER;
            this.#buf.writeInt32BE(v, this.#pos);
            this.#pos += 4;
          } else this.#bigint(BigInt(v));
        } else if (Number.isFinite(v)) this.#float(v);
        else throw this.#fail('Erlang has no NaN or infinite float', v);
        return;
      case 'bigint':
        if (v >= -0x8000_0000n && v <= 0x7fff_ffffn) this.#term(Number(v), depth);
        else this.#bigint(v);
        return;
      case 'string':
        this.#string(v);
        return;
      case 'boolean':
        this.#atomName(v ? 'true' : 'false');
        return;
      case 'undefined':
        this.#atomName('undefined');
        return;
      case 'object':
        if (v === null) this.#atomName('nil');
        else this.#object(v, depth);
        return;
      default:
        throw this.#fail(`a ${typeof v} has no Erlang term`, v);
    }
  }

  #object(v: object, depth: number): void {
    if (v instanceof Atom) {
      this.#atom(v);
      return;
    }
    if (depth >= this.#maxDepth) {
      throw beamError(BEAM_ERRORS.ETF_LIMIT, `ETF encode: nesting deeper than maxDepth (${this.#maxDepth})`, {
        limit: 'maxDepth',
      });
    }
    if (Array.isArray(v)) {
      this.#list(v, depth);
      return;
    }
    // Plain objects (the common message) before the class checks below.
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const keys = Object.keys(v);
      this.#u8(T.MAP);
      this.#u32(keys.length);
      for (const k of keys) {
        if (this.#atomKeys) this.#atomName(k);
        else this.#string(k);
        this.#term((v as Record<string, unknown>)[k], depth + 1);
      }
      return;
    }
    if (v instanceof Uint8Array) {
      this.#binary(v);
      return;
    }
    if (v instanceof Tuple) {
      this.#tuple(v.elements, depth);
      return;
    }
    if (v instanceof Float) {
      if (!Number.isFinite(v.value)) throw this.#fail('Erlang has no NaN or infinite float', v.value);
      this.#float(v.value);
      return;
    }
    if (v instanceof ErlMap) {
      this.#u8(T.MAP);
      this.#u32(v.entries.length);
      for (const [k, x] of v.entries) {
        this.#term(k, depth + 1);
        this.#term(x, depth + 1);
      }
      return;
    }
    if (v instanceof ImproperList) {
      this.#improper(v, depth);
      return;
    }
    if (v instanceof Pid) {
      this.#u8(T.NEW_PID);
      this.#atom(v.node);
      this.#u32(v.id);
      this.#u32(v.serial);
      this.#u32(v.creation);
      return;
    }
    if (v instanceof Ref) {
      if (v.ids.length < 1 || v.ids.length > 5) throw this.#fail('a reference needs 1-5 words', v.ids.length);
      this.#u8(T.NEWER_REFERENCE);
      this.#ensure(2);
      this.#buf.writeUInt16BE(v.ids.length, this.#pos);
      this.#pos += 2;
      this.#atom(v.node);
      this.#u32(v.creation);
      for (const w of v.ids) this.#u32(w);
      return;
    }
    if (v instanceof Port) {
      // erts (OTP 25) writes V4_PORT_EXT once the id needs more than 28 bits (the old port-number width), not 32:
      // checked against erl, where a NEW_PORT_EXT id of 0x10000000 comes back as V4_PORT_EXT.
      if (v.id < 0n || v.id > 0xffff_ffff_ffff_ffffn)
        throw this.#fail('a port id is an unsigned 64-bit integer', v.id);
      const wide = v.id > 0x0fff_ffffn;
      this.#u8(wide ? T.V4_PORT : T.NEW_PORT);
      this.#atom(v.node);
      this.#ensure(8);
      if (wide) {
        this.#buf.writeBigUInt64BE(v.id, this.#pos);
        this.#pos += 8;
      } else this.#u32(Number(v.id));
      this.#u32(v.creation);
      return;
    }
    if (v instanceof BitBinary) {
      if (v.bytes.length === 0 || v.bits === 8) {
        this.#binary(v.bytes);
        return;
      }
      if (v.bits < 1 || v.bits > 8) throw this.#fail('a bitstring uses 1-8 bits of its last byte', v.bits);
      this.#u8(T.BIT_BINARY);
      this.#u32(v.bytes.length);
      this.#u8(v.bits);
      this.#raw(v.bytes);
      return;
    }
    if (v instanceof Export) {
      this.#u8(T.EXPORT);
      this.#atom(v.module);
      this.#atom(v.fn);
      this.#ensure(2);
      this.#buf[this.#pos++] = T.SMALL_INTEGER;
      this.#buf.writeUInt8(v.arity, this.#pos++);
      return;
    }
    if (v instanceof Fun) {
      this.#raw(v.bytes);
      return;
    }
    if (v instanceof Map) {
      this.#u8(T.MAP);
      this.#u32(v.size);
      for (const [k, x] of v) {
        this.#term(k, depth + 1);
        this.#term(x, depth + 1);
      }
      return;
    }
    const adapted = this.#adapt?.(v);
    if (adapted !== undefined && adapted !== v) {
      this.#term(adapted, depth + 1);
      return;
    }
    throw this.#fail(`a ${proto?.constructor?.name ?? 'object'} has no Erlang term`, v);
  }

  #float(v: number): void {
    this.#ensure(9);
    this.#buf[this.#pos++] = T.NEW_FLOAT;
    this.#buf.writeDoubleBE(v, this.#pos);
    this.#pos += 8;
  }

  #bigint(v: bigint): void {
    const negative = v < 0n;
    let hex = (negative ? -v : v).toString(16);
    if (hex.length & 1) hex = `0${hex}`;
    const n = hex.length >> 1;
    if (n <= 255) {
      this.#ensure(3 + n);
      this.#buf[this.#pos++] = T.SMALL_BIG;
      this.#buf[this.#pos++] = n;
    } else {
      this.#ensure(6 + n);
      this.#buf[this.#pos++] = T.LARGE_BIG;
      this.#buf.writeUInt32BE(n, this.#pos);
      this.#pos += 4;
    }
    this.#buf[this.#pos++] = negative ? 1 : 0;
    // Digits are little-endian: reverse the big-endian bytes of the hex text.
    const be = Buffer.from(hex, 'hex');
    for (let i = 0; i < n; i++) this.#buf[this.#pos + i] = be[n - 1 - i]!;
    this.#pos += n;
  }

  #string(s: string): void {
    this.#ensure(5 + s.length * 3);
    const buf = this.#buf;
    buf[this.#pos] = T.BINARY;
    // Short ASCII strings by hand: cheaper than a call into the native UTF-8 writer.
    if (s.length <= 32) {
      let i = 0;
      const at = this.#pos + 5;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[at + i] = c;
      }
      if (i === s.length) {
        buf.writeUInt32BE(i, this.#pos + 1);
        this.#pos = at + i;
        return;
      }
    }
    const n = buf.write(s, this.#pos + 5, 'utf8');
    buf.writeUInt32BE(n, this.#pos + 1);
    this.#pos += 5 + n;
  }

  #binary(b: Uint8Array): void {
    this.#ensure(5 + b.length);
    this.#buf[this.#pos] = T.BINARY;
    this.#buf.writeUInt32BE(b.length, this.#pos + 1);
    this.#buf.set(b, this.#pos + 5);
    this.#pos += 5 + b.length;
  }

  #atom(a: Atom): void {
    // By name, not by Atom instance: atoms made afresh for each message (a decoder's, `new Atom`) hit the same
    // entry, where a per-instance WeakMap missed every time and cost a WeakMap insert per atom written.
    this.#atomName(a.name);
  }

  #atomName(name: string): void {
    if (this.#atomRef !== undefined) {
      const i = this.#atomRef(name);
      if (i >= 0) {
        this.#ensure(2);
        this.#buf[this.#pos++] = T.ATOM_CACHE_REF;
        this.#buf[this.#pos++] = i;
        return;
      }
    }
    // Atoms and object keys repeat from message to message; keep their bytes, in a table bounded so that keys from
    // data (ids as keys) cannot grow it without end.
    let bytes = this.#keyBytes.get(name);
    if (bytes === undefined) {
      bytes = this.#atomUtf8(name);
      if (this.#keyBytes.size >= KEY_CACHE_SIZE) this.#keyBytes.clear();
      this.#keyBytes.set(name, bytes);
    }
    this.#atomBytes(bytes);
  }

  #atomUtf8(name: string): Buffer {
    if (name.length > 255) {
      let chars = 0;
      for (const _ of name) chars++;
      if (chars > 255) throw this.#fail('an atom has at most 255 characters', name);
    }
    return Buffer.from(name, 'utf8');
  }

  #atomBytes(bytes: Buffer): void {
    const n = bytes.length;
    this.#ensure(3 + n);
    if (n <= 255) {
      this.#buf[this.#pos++] = T.SMALL_ATOM_UTF8;
      this.#buf[this.#pos++] = n;
    } else {
      this.#buf[this.#pos++] = T.ATOM_UTF8;
      this.#buf.writeUInt16BE(n, this.#pos);
      this.#pos += 2;
    }
    this.#buf.set(bytes, this.#pos);
    this.#pos += n;
  }

  #tuple(elements: readonly unknown[], depth: number): void {
    const n = elements.length;
    if (n <= 255) {
      this.#ensure(2);
      this.#buf[this.#pos++] = T.SMALL_TUPLE;
      this.#buf[this.#pos++] = n;
    } else {
      this.#u8(T.LARGE_TUPLE);
      this.#u32(n);
    }
    for (let i = 0; i < n; i++) this.#term(elements[i], depth + 1);
  }

  #list(items: readonly unknown[], depth: number): void {
    const n = items.length;
    if (n === 0) {
      this.#u8(T.NIL);
      return;
    }
    // erts' rule (external.c is_external_string): a proper list of at most 65535 integers 0..255 is a STRING_EXT.
    if (n <= 0xffff && isByteList(items)) {
      this.#ensure(3 + n);
      this.#buf[this.#pos++] = T.STRING;
      this.#buf.writeUInt16BE(n, this.#pos);
      this.#pos += 2;
      for (let i = 0; i < n; i++) this.#buf[this.#pos + i] = Number(items[i]);
      this.#pos += n;
      return;
    }
    this.#u8(T.LIST);
    this.#u32(n);
    for (let i = 0; i < n; i++) this.#term(items[i], depth + 1);
    this.#u8(T.NIL);
  }

  #improper(v: ImproperList, depth: number): void {
    // A tail that is itself a list folds in, as it would in Erlang: [1 | [2 | x]] is [1, 2 | x].
    let items: readonly unknown[] = v.items;
    let tail: unknown = v.tail;
    while (tail instanceof ImproperList) {
      items = items.concat(tail.items);
      tail = tail.tail;
    }
    if (Array.isArray(tail)) {
      this.#list(items.concat(tail), depth);
      return;
    }
    if (items.length === 0) {
      this.#term(tail, depth);
      return;
    }
    this.#u8(T.LIST);
    this.#u32(items.length);
    for (const x of items) this.#term(x, depth + 1);
    this.#term(tail, depth + 1);
  }
}

function isByteList(items: readonly unknown[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    if (typeof x === 'number') {
      if (!(x >= 0 && x <= 255 && Number.isInteger(x))) return false;
    } else if (typeof x === 'bigint') {
      if (x < 0n || x > 255n) return false;
    } else return false;
  }
  return true;
}

let shared: TermEncoder | undefined;
let sharedBusy = false;

/**
 * Encodes a value as one versioned term (`131 ...`), byte for byte as erts would for the exact model, and by
 * README.md's natural mapping for plain JS values. Reuses one module-wide {@link TermEncoder}.
 *
 * @throws KindredError `KINDRED_ERR_ETF_ENCODE` for a value with no encoding, `KINDRED_ERR_ETF_LIMIT` past maxDepth
 */
export function encodeTerm(value: unknown, options?: EncodeCallOptions): Buffer {
  // A getter inside the value could call encodeTerm again; give such a nested call its own encoder.
  if (sharedBusy) return new TermEncoder().encode(value, options);
  shared ??= new TermEncoder();
  sharedBusy = true;
  try {
    return shared.encode(value, options);
  } finally {
    sharedBusy = false;
  }
}
