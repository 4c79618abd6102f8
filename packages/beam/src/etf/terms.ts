// The exact term model: one class per Erlang term kind that JS has no faithful native for, so that a decoded term
// re-encodes byte for byte to what erts sent (`term_to_binary(T, [{minor_version, 2}])`). What stays native:
// integers are `number` (always integral here) or `bigint`, proper lists are arrays, binaries are `Uint8Array`s.

/**
 * An Erlang atom. Compare atoms by `name` (or with {@link isAtom}): a decoder interns the atoms it creates in its
 * own bounded table, so two equal atoms from different decoders may be different objects.
 */
export class Atom {
  /** The atom's text (Unicode; at most 255 characters). */
  readonly name: string;
  /** Use {@link atom} (interned) or let a decoder create atoms. */
  constructor(name: string) {
    this.name = name;
  }
  /** The atom as Erlang prints it when it needs no quotes, else quoted. */
  toString(): string {
    return /^[a-z][A-Za-z0-9_@]*$/.test(this.name) ? this.name : `'${this.name.replace(/['\\]/g, '\\$&')}'`;
  }
}

// Atoms the application names in code: a trusted, finite set, so one process-wide table is fine. Decoded atoms never
// land here (a peer could grow it without bound); decoders only look names up in it.
const interned = new Map<string, Atom>();

/** The interned atom `name` (`atom('ok') === atom('ok')`). For atoms named in code, not for untrusted input. */
export function atom(name: string): Atom {
  let a = interned.get(name);
  if (a === undefined) {
    a = new Atom(name);
    interned.set(name, a);
  }
  return a;
}

/** @internal The interned atom of that name if the application made one, without creating it. */
export function internedAtom(name: string): Atom | undefined {
  return interned.get(name);
}

/** True when `x` is an atom, optionally the atom named `name`. */
export function isAtom(x: unknown, name?: string): x is Atom {
  return x instanceof Atom && (name === undefined || x.name === name);
}

/** An Erlang tuple (`{a, b}`): kept apart from lists, which are arrays. */
export class Tuple {
  /** The elements, in order. */
  readonly elements: Term[];
  /** @param elements - the elements (kept, not copied) */
  constructor(elements: Term[]) {
    this.elements = elements;
  }
  /** The number of elements (Erlang's `tuple_size/1`). */
  get size(): number {
    return this.elements.length;
  }
  /** Element `i`, 0-based (Erlang's `element(i + 1, T)`). */
  at(i: number): Term | undefined {
    return this.elements[i];
  }
}

/** The tuple of the given elements: `tuple(atom('ok'), 1)` is `{ok, 1}`. */
export function tuple(...elements: Term[]): Tuple {
  return new Tuple(elements);
}

/** A list whose tail is not `[]` (`[a | b]`, `[alias | Ref]`). Proper lists are plain arrays. */
export class ImproperList {
  /** The elements before the tail (at least one). */
  readonly items: Term[];
  /** The final tail: any term but a list. */
  readonly tail: Term;
  /**
   * @param items - the heads, in order (kept, not copied)
   * @param tail - the tail
   */
  constructor(items: Term[], tail: Term) {
    this.items = items;
    this.tail = tail;
  }
}

/** A bitstring whose length is not a multiple of 8 (`<<1:3>>`). Whole-byte binaries are `Uint8Array`s. */
export class BitBinary {
  /** The bytes; the last one holds `bits` significant bits, high bits first. */
  readonly bytes: Uint8Array;
  /** How many bits of the last byte are used, 1..8 (0 only for an empty bitstring). */
  readonly bits: number;
  /**
   * @param bytes - the bytes (kept, not copied)
   * @param bits - significant bits in the last byte
   */
  constructor(bytes: Uint8Array, bits: number) {
    this.bytes = bytes;
    this.bits = bits;
  }
  /** The length in bits (Erlang's `bit_size/1`). */
  get bitSize(): number {
    return this.bytes.length === 0 ? 0 : (this.bytes.length - 1) * 8 + this.bits;
  }
}

/** An Erlang float, boxed so that `1.0` stays apart from the integer `1` and `-0.0` survives. */
export class Float {
  /** The IEEE-754 double (finite: Erlang has no NaN or infinities). */
  readonly value: number;
  /** @param value - a finite double */
  constructor(value: number) {
    this.value = value;
  }
}

/**
 * An Erlang map with keys of any type, in the order they were decoded or inserted (erts' own order for decoded
 * maps, so it re-encodes byte for byte). Lookup by key compares terms exactly (`=:=`).
 */
export class ErlMap {
  /** The key/value pairs in order (kept, not copied). */
  readonly entries: [Term, Term][];
  /** @param entries - the pairs; a key should appear once */
  constructor(entries: [Term, Term][] = []) {
    this.entries = entries;
  }
  /** The number of pairs (Erlang's `map_size/1`). */
  get size(): number {
    return this.entries.length;
  }
  /** The value under `key` (exact comparison, `1` is not `1.0`), or undefined. */
  get(key: Term): Term | undefined {
    for (const [k, v] of this.entries) if (termEquals(k, key)) return v;
    return undefined;
  }
  /** True when `key` is present. */
  has(key: Term): boolean {
    for (const [k] of this.entries) if (termEquals(k, key)) return true;
    return false;
  }
}

/** An Erlang pid (NEW_PID_EXT): the node's atom and three 32-bit fields. */
export class Pid {
  /**
   * @param node - the node the process lives on
   * @param id - process number, 32 bits (15 significant before OTP 26's V4_NC)
   * @param serial - serial, 32 bits
   * @param creation - the node incarnation, 32 bits
   */
  constructor(
    readonly node: Atom,
    readonly id: number,
    readonly serial: number,
    readonly creation: number,
  ) {}
  /** `<node.id.serial>` with the node's name, for logs. */
  toString(): string {
    return `<${this.node.name}.${this.id}.${this.serial}>`;
  }
}

/** An Erlang port identifier (NEW_PORT_EXT or V4_PORT_EXT): opaque, echoed back as received. */
export class Port {
  /**
   * @param node - the node the port lives on
   * @param id - port number (64 bits with V4_NC)
   * @param creation - the node incarnation, 32 bits
   */
  constructor(
    readonly node: Atom,
    readonly id: bigint,
    readonly creation: number,
  ) {}
  /** `#Port<node.id>`, for logs. */
  toString(): string {
    return `#Port<${this.node.name}.${this.id}>`;
  }
}

/** An Erlang reference (NEWER_REFERENCE_EXT): node, creation and 1 to 5 32-bit words. */
export class Ref {
  /**
   * @param node - the node that made the reference
   * @param creation - the node incarnation, 32 bits
   * @param ids - 1..5 words, 32 bits each (erts makes 3; OTP 26 peers may send up to 5)
   */
  constructor(
    readonly node: Atom,
    readonly creation: number,
    readonly ids: readonly number[],
  ) {}
  /** `#Ref<node.w1.w2...>`, for logs. */
  toString(): string {
    return `#Ref<${this.node.name}.${this.ids.join('.')}>`;
  }
}

/**
 * A fun (NEW_FUN_EXT) kept opaque: its bytes from the tag on, re-encoded verbatim. Only its arity is read. The bytes
 * are self-contained unless the sender used the distribution header's atom cache.
 */
export class Fun {
  /**
   * @param arity - the number of arguments
   * @param bytes - the whole encoded fun, starting with tag 112
   */
  constructor(
    readonly arity: number,
    readonly bytes: Uint8Array,
  ) {}
}

/** An external fun `fun Module:Function/Arity` (EXPORT_EXT). */
export class Export {
  /**
   * @param module - the module
   * @param fn - the function name
   * @param arity - 0..255
   */
  constructor(
    readonly module: Atom,
    readonly fn: Atom,
    readonly arity: number,
  ) {}
}

/**
 * Every value of the exact model: what {@link decodeTerm} returns, and what {@link encodeTerm} writes byte for byte.
 * `number` is always an integer here (floats are {@link Float}); arrays are proper lists.
 */
export type Term =
  | Atom
  | number
  | bigint
  | Float
  | Tuple
  | Term[]
  | ImproperList
  | Uint8Array
  | BitBinary
  | ErlMap
  | Pid
  | Port
  | Ref
  | Fun
  | Export;

/** A charlist (Erlang string): the code points of `text` as a list of integers. */
export function charlist(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(ch.codePointAt(0)!);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameList(a: readonly Term[], b: readonly Term[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!termEquals(a[i]!, b[i]!)) return false;
  return true;
}

/**
 * Erlang's exact equality (`=:=`) over the exact model: `1` and `1.0` differ, `0.0` and `-0.0` differ (as in OTP 27),
 * a `number` and a `bigint` of the same value are equal, atoms compare by name, maps ignore their order.
 */
export function termEquals(a: Term, b: Term): boolean {
  if (a === b) return true;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    // biome-ignore lint/suspicious/noDoubleEquals: number/bigint comparison by value is the point
    return a == b;
  }
  if (a instanceof Atom) return b instanceof Atom && a.name === b.name;
  if (a instanceof Float) return b instanceof Float && Object.is(a.value, b.value);
  if (Array.isArray(a)) return Array.isArray(b) && sameList(a, b);
  if (a instanceof Tuple) return b instanceof Tuple && sameList(a.elements, b.elements);
  if (a instanceof ImproperList)
    return b instanceof ImproperList && sameList(a.items, b.items) && termEquals(a.tail, b.tail);
  if (a instanceof BitBinary)
    return b instanceof BitBinary && a.bits === b.bits && sameBytes(a.bytes, b.bytes);
  if (a instanceof ErlMap) {
    if (!(b instanceof ErlMap) || a.size !== b.size) return false;
    for (const [k, v] of a.entries) {
      const w = b.get(k);
      if (w === undefined || !termEquals(v, w)) return false;
    }
    return true;
  }
  if (a instanceof Pid)
    return (
      b instanceof Pid &&
      a.node.name === b.node.name &&
      a.id === b.id &&
      a.serial === b.serial &&
      a.creation === b.creation
    );
  if (a instanceof Port)
    return b instanceof Port && a.node.name === b.node.name && a.id === b.id && a.creation === b.creation;
  if (a instanceof Ref)
    return (
      b instanceof Ref &&
      a.node.name === b.node.name &&
      a.creation === b.creation &&
      a.ids.length === b.ids.length &&
      a.ids.every((w, i) => w === b.ids[i])
    );
  if (a instanceof Fun) return b instanceof Fun && sameBytes(a.bytes, b.bytes);
  if (a instanceof Export)
    return (
      b instanceof Export && a.module.name === b.module.name && a.fn.name === b.fn.name && a.arity === b.arity
    );
  if (a instanceof Uint8Array) return b instanceof Uint8Array && sameBytes(a, b);
  return false;
}
