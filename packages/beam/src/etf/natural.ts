// The natural mapping between the exact model and the JS values an application writes (README.md has the table).
// It is deliberately lossy where JS has no distinction to offer: 1.0 becomes 1, a charlist stays an array of numbers.
import { isUtf8 } from 'node:buffer';
import { BEAM_ERRORS, beamError } from '../errors.js';
import { ETF_DEFAULTS } from './defaults.js';
import {
  Atom,
  BitBinary,
  ErlMap,
  Export,
  Float,
  Fun,
  ImproperList,
  Pid,
  Port,
  Ref,
  type Term,
  Tuple,
} from './terms.js';

/** Options of {@link fromTerm}. */
export interface FromTermOptions {
  /**
   * What a binary becomes: `'utf8'` (default) a JS string when it is valid UTF-8 (Elixir strings), else a Buffer;
   * `'buffer'` always a Buffer.
   */
  binaries?: 'utf8' | 'buffer';
  /** What a float becomes: `'number'` (default), or `'box'` to keep {@link Float} (1.0 stays apart from 1). */
  floats?: 'number' | 'box';
  /**
   * What pids and references become (a layer above's own classes), in the same pass; default: they stay
   * {@link Pid} and {@link Ref}.
   */
  adapt?: (term: Pid | Ref) => unknown;
  /**
   * True: a binary that stays a Buffer is copied (for terms decoded with `copyBinaries: false`, whose binaries are
   * views into the frame); one that becomes a string is read where it is. Default false.
   */
  copyBuffers?: boolean;
}

/** Options of {@link toTerm}. */
export interface ToTermOptions {
  /** What the keys of a plain JS object become: atoms (default) or binaries. */
  objectKeys?: 'atom' | 'binary';
}

/**
 * Converts a decoded term (exact model) into natural JS values: atoms `true`/`false` → booleans, `undefined` →
 * `undefined`, `nil` → `null`, other atoms stay {@link Atom}; floats → numbers; binaries → strings (valid UTF-8) or
 * Buffers; lists → arrays; maps whose keys are all atoms or UTF-8 binaries (and distinct as strings) → plain objects,
 * other maps → `Map`; tuples stay {@link Tuple} (elements converted); pids, refs, ports, funs stay as they are.
 */
export function fromTerm(term: Term, options: FromTermOptions = {}): unknown {
  const utf8 = options.binaries !== 'buffer';
  const box = options.floats === 'box';
  const adapt = options.adapt;
  const copy = options.copyBuffers === true;
  const go = (t: Term): unknown => {
    if (typeof t === 'number' || typeof t === 'bigint') return t;
    if (adapt !== undefined && (t instanceof Pid || t instanceof Ref)) return adapt(t);
    if (t instanceof Atom) {
      switch (t.name) {
        case 'true':
          return true;
        case 'false':
          return false;
        case 'undefined':
          return undefined;
        case 'nil':
          return null;
        default:
          return t;
      }
    }
    if (Array.isArray(t)) return t.map(go);
    if (t instanceof Uint8Array) {
      if (utf8) {
        const s = utf8Text(t);
        if (s !== undefined) return s;
      }
      if (copy) return Buffer.from(t);
      return Buffer.isBuffer(t) ? t : Buffer.from(t.buffer, t.byteOffset, t.byteLength);
    }
    if (t instanceof Float) return box ? t : t.value;
    if (t instanceof Tuple) return new Tuple(t.elements.map(go) as Term[]);
    if (t instanceof ImproperList) return new ImproperList(t.items.map(go) as Term[], go(t.tail) as Term);
    if (t instanceof ErlMap) return mapFromTerm(t, go, utf8);
    return t;
  };
  return go(term);
}

/** The text of a binary when it is valid UTF-8, else undefined; short ASCII (the common case) without isUtf8. */
function utf8Text(t: Uint8Array): string | undefined {
  const n = t.length;
  if (n <= 64) {
    let i = 0;
    while (i < n && t[i]! < 0x80) i++;
    if (i === n) return (Buffer.isBuffer(t) ? t : Buffer.from(t.buffer, t.byteOffset, n)).toString('latin1');
  }
  if (!isUtf8(t)) return undefined;
  return (Buffer.isBuffer(t) ? t : Buffer.from(t.buffer, t.byteOffset, t.byteLength)).toString('utf8');
}

function mapFromTerm(m: ErlMap, go: (t: Term) => unknown, utf8: boolean): unknown {
  const entries = m.entries;
  const n = entries.length;
  const keys = new Array<string>(n);
  let asObject = true;
  for (let i = 0; i < n; i++) {
    const k = entries[i]![0];
    const text = k instanceof Atom ? k.name : k instanceof Uint8Array && utf8 ? utf8Text(k) : undefined;
    if (text === undefined) {
      asObject = false;
      break;
    }
    keys[i] = text;
  }
  // Keys distinct as text (an atom and a binary may spell the same): a small map is checked pairwise.
  if (asObject) {
    if (n <= 8) {
      for (let i = 1; i < n && asObject; i++)
        for (let j = 0; j < i; j++) if (keys[i] === keys[j]) asObject = false;
    } else asObject = new Set(keys).size === n;
  }
  if (asObject) {
    const obj: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const v = entries[i]![1];
      // A key named __proto__ must be an own property, never a prototype change.
      if (key === '__proto__') {
        Object.defineProperty(obj, key, {
          value: go(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else obj[key] = go(v);
    }
    return obj;
  }
  const out = new Map<unknown, unknown>();
  for (const [k, v] of m.entries) out.set(go(k), go(v));
  return out;
}

/**
 * Converts natural JS values into the exact model, the inverse of {@link fromTerm} where JS can tell: integral
 * numbers → integers (`number` when safe, else `bigint`), other finite numbers → {@link Float}, strings → UTF-8
 * binaries, booleans → atoms, `null` → `nil`, `undefined` → `undefined`, arrays → lists, `Map`s and plain objects →
 * {@link ErlMap}. {@link encodeTerm} applies the same mapping directly; this is for building terms to inspect.
 *
 * @throws KindredError `KINDRED_ERR_ETF_ENCODE` for a value with no Erlang term (NaN, a symbol, a class instance)
 */
export function toTerm(value: unknown, options: ToTermOptions = {}): Term {
  const atomKeys = options.objectKeys !== 'binary';
  let depth = 0;
  const go = (v: unknown): Term => {
    if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) {
      if (++depth > ETF_DEFAULTS.maxDepth) {
        throw beamError(BEAM_ERRORS.ETF_LIMIT, `toTerm: nesting deeper than ${ETF_DEFAULTS.maxDepth}`, {
          limit: 'maxDepth',
        });
      }
      try {
        return convert(v);
      } finally {
        depth--;
      }
    }
    return convert(v);
  };
  const convert = (v: unknown): Term => {
    switch (typeof v) {
      case 'number':
        if (Number.isInteger(v)) return Number.isSafeInteger(v) ? v + 0 : BigInt(v);
        if (Number.isFinite(v)) return new Float(v);
        throw beamError(BEAM_ERRORS.ETF_ENCODE, `toTerm: Erlang has no NaN or infinite float: ${v}`);
      case 'bigint':
        return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
      case 'string':
        return Buffer.from(v, 'utf8');
      case 'boolean':
        return new Atom(v ? 'true' : 'false');
      case 'undefined':
        return new Atom('undefined');
      case 'object': {
        if (v === null) return new Atom('nil');
        if (Array.isArray(v)) return v.map(go);
        if (v instanceof Tuple) return new Tuple(v.elements.map(go));
        if (v instanceof ImproperList) return new ImproperList(v.items.map(go), go(v.tail));
        if (v instanceof ErlMap) return new ErlMap(v.entries.map(([k, x]) => [go(k), go(x)]));
        if (v instanceof Map) return new ErlMap([...v].map(([k, x]) => [go(k), go(x)]));
        if (
          v instanceof Atom ||
          v instanceof Uint8Array ||
          v instanceof Float ||
          v instanceof BitBinary ||
          v instanceof Pid ||
          v instanceof Port ||
          v instanceof Ref ||
          v instanceof Fun ||
          v instanceof Export
        ) {
          return v;
        }
        const proto = Object.getPrototypeOf(v);
        if (proto === Object.prototype || proto === null) {
          return new ErlMap(
            Object.keys(v).map((k) => [
              atomKeys ? new Atom(k) : Buffer.from(k, 'utf8'),
              go((v as Record<string, unknown>)[k]),
            ]),
          );
        }
        throw beamError(
          BEAM_ERRORS.ETF_ENCODE,
          `toTerm: a ${proto?.constructor?.name ?? 'object'} has no Erlang term`,
        );
      }
      default:
        throw beamError(BEAM_ERRORS.ETF_ENCODE, `toTerm: a ${typeof v} has no Erlang term`);
    }
  };
  return go(value);
}
