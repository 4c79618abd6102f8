import { isUtf8 } from 'node:buffer';
import { addExtension } from 'msgpackr';

/**
 * A process identifier shaped like Erlang's `NEW_PID_EXT`: the node name, a 28-bit `id`, a `serial` that counts the
 * wraps of `id`, and the node's `creation` (one per node incarnation, so a pid of a restarted node never names a
 * process of the new incarnation). Instances are immutable and travel between nodes intact: msgpackr extension
 * {@link PID_EXT_TYPE} carries `NEW_PID_EXT`'s fields (id, serial, creation as big-endian u32, then the node name in
 * UTF-8), so the BEAM bridge maps it field for field.
 */
export class Pid {
  /** Node name, `name@host`. */
  readonly node: string;
  /** Process number on that node (28 bits, like Erlang). */
  readonly id: number;
  /** How many times `id` wrapped. */
  readonly serial: number;
  /** The node incarnation that made this pid. */
  readonly creation: number;

  /** Makes a pid; use {@link toPid} to validate untrusted input. */
  constructor(node: string, id: number, serial: number, creation: number) {
    this.node = node;
    this.id = id;
    this.serial = serial;
    this.creation = creation;
  }

  /** Erlang's printed form with the node spelled out: `<n1@host.42.0>`. */
  toString(): string {
    return `<${this.node}.${this.id}.${this.serial}>`;
  }
}

/**
 * A reference shaped like Erlang's `NEWER_REFERENCE_EXT`: node, creation and 1 to 5 32-bit words (kindred makes
 * three; a BEAM node's may have up to five). Unique per node incarnation; msgpackr extension {@link REF_EXT_TYPE}
 * carries it in a self-contained body: creation u32 BE, word count u8, the words u32 BE (least significant first),
 * then the node name in UTF-8 (docs/protocol.md, "Pid and Ref bodies").
 */
export class Ref {
  /** Node that made the reference. */
  readonly node: string;
  /** The node incarnation that made it. */
  readonly creation: number;
  /** One to five 32-bit words, least significant first (Erlang's order); kindred's own refs have three. */
  readonly ids: readonly number[];

  /** Makes a reference; use {@link makeRef} on a node instead. */
  constructor(node: string, creation: number, ids: readonly number[]) {
    this.node = node;
    this.creation = creation;
    this.ids = ids;
  }

  /** Erlang's printed form, most significant word first: `#Ref<n1@host.0.1.2>`. */
  toString(): string {
    return `#Ref<${this.node}.${wordsHighFirst(this.ids)}>`;
  }
}

/** msgpackr extension type used for {@link Pid} (an application type in 0..127; 0x50 is ASCII `P`). */
export const PID_EXT_TYPE = 0x50;
/** msgpackr extension type used for {@link Ref} (0x52 is ASCII `R`). */
export const REF_EXT_TYPE = 0x52;

// msgpackr's extension table is module-wide, so registering here makes every Packr in the process (the transport's
// included, as pnpm links one msgpackr) write pids and refs as self-contained ext bodies and read them back as classes.
// A pid is written as its NEW_PID_EXT fields, big-endian: id u32, serial u32, creation u32, then the node name in
// UTF-8. The bytes of a pid are cached (weakly) because the same pids are sent again and again: encoding a pid field
// by field cost a third of packing a typical message.
const pidBytes = new WeakMap<Pid, Buffer>();
const MAX_NODE_BYTES = 1023;

/** @internal the wire body of a pid. */
export function encodePid(p: Pid): Buffer {
  let b = pidBytes.get(p);
  if (b === undefined) {
    const nodeLen = Buffer.byteLength(p.node, 'utf8');
    b = Buffer.allocUnsafe(12 + nodeLen);
    b.writeUInt32BE(p.id, 0);
    b.writeUInt32BE(p.serial, 4);
    b.writeUInt32BE(p.creation, 8);
    b.write(p.node, 12, 'utf8');
    pidBytes.set(p, b);
  }
  return b;
}

// The last two pids decoded and their bytes: a stream of messages mostly names the same few pids over and over (a
// destination, and in a request/reply the sender too), and comparing a few dozen bytes is cheaper than a Buffer
// view, a UTF-8 decode and a new Pid per message.
let pidBytesA: Uint8Array = new Uint8Array(0);
let pidA: Pid | undefined;
let pidBytesB: Uint8Array = new Uint8Array(0);
let pidB: Pid | undefined;

function sameBytes(u: Uint8Array, v: Uint8Array): boolean {
  const n = u.length;
  if (n !== v.length) return false;
  for (let i = 0; i < n; i++) if (u[i] !== v[i]) return false;
  return true;
}

const u32 = (u: Uint8Array, i: number): number =>
  (u[i] as number) * 0x1000000 +
  (((u[i + 1] as number) << 16) | ((u[i + 2] as number) << 8) | (u[i + 3] as number));

/**
 * @internal a pid from its wire body; undefined when malformed. Bytes equal to one of the last two decoded give the
 * same (immutable) Pid.
 */
export function decodePid(u: Uint8Array): Pid | undefined {
  const n = u.length;
  if (n < 13 || n > 12 + MAX_NODE_BYTES) return undefined;
  if (sameBytes(u, pidBytesA)) return pidA;
  if (sameBytes(u, pidBytesB)) return pidB;
  const view = Buffer.from(u.buffer, u.byteOffset, n);
  if (!isUtf8(view.subarray(12))) return undefined;
  const node = view.toString('utf8', 12);
  const pid = new Pid(node, u32(u, 0), u32(u, 4), u32(u, 8));
  pidBytesB = pidBytesA;
  pidB = pidA;
  pidBytesA = new Uint8Array(u);
  pidA = pid;
  return pid;
}

addExtension({
  Class: Pid,
  type: PID_EXT_TYPE,
  pack: (p: Pid) => encodePid(p),
  unpack: (u: Uint8Array) => decodePid(u) ?? null,
});
/** Most and fewest words a Ref carries (Erlang's references have 1 to 5). */
const MIN_REF_WORDS = 1;
const MAX_REF_WORDS = 5;

/** @internal the wire body of a ref: creation u32 BE, word count u8, the words u32 BE, the node name UTF-8. */
export function encodeRef(r: Ref): Buffer {
  const words = r.ids.length;
  const nodeLen = Buffer.byteLength(r.node, 'utf8');
  const b = Buffer.allocUnsafe(5 + 4 * words + nodeLen);
  b.writeUInt32BE(r.creation, 0);
  b.writeUInt8(words, 4);
  for (let i = 0; i < words; i++) b.writeUInt32BE(r.ids[i] as number, 5 + 4 * i);
  b.write(r.node, 5 + 4 * words, 'utf8');
  return b;
}

/** @internal a ref from its wire body; undefined when malformed (lengths, word count, node name UTF-8). */
export function decodeRef(u: Uint8Array): Ref | undefined {
  if (u.length < 6) return undefined;
  const words = u[4] as number;
  if (words < MIN_REF_WORDS || words > MAX_REF_WORDS) return undefined;
  const nodeStart = 5 + 4 * words;
  const nodeLen = u.length - nodeStart;
  if (nodeLen < 1 || nodeLen > MAX_NODE_BYTES) return undefined;
  const view = Buffer.from(u.buffer, u.byteOffset, u.length);
  if (!isUtf8(view.subarray(nodeStart))) return undefined;
  const ids: number[] = [];
  for (let i = 0; i < words; i++) ids.push(u32(u, 5 + 4 * i));
  return new Ref(view.toString('utf8', nodeStart), u32(u, 0), ids);
}

addExtension({
  Class: Ref,
  type: REF_EXT_TYPE,
  pack: (r: Ref) => encodeRef(r),
  unpack: (u: Uint8Array) => decodeRef(u) ?? null,
});

const isU32 = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** True when `v` is a {@link Pid} or a plain object with the same four fields of the right types. */
export function isPid(v: unknown): v is Pid {
  if (v instanceof Pid) return true;
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.node === 'string' && isU32(o.id) && isU32(o.serial) && isU32(o.creation);
}

/** True when `v` is a {@link Ref} or a plain object with the same fields. */
export function isRef(v: unknown): v is Ref {
  if (v instanceof Ref) return true;
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.node === 'string' &&
    isU32(o.creation) &&
    Array.isArray(o.ids) &&
    o.ids.length >= MIN_REF_WORDS &&
    o.ids.length <= MAX_REF_WORDS &&
    o.ids.every((x) => isU32(x))
  );
}

/**
 * A {@link Pid} from a pid-shaped value (a Pid, a plain `{node, id, serial, creation}` object such as JSON gives, or
 * the `[node, id, serial, creation]` array of the wire form); `undefined` when `v` is not one.
 */
export function toPid(v: unknown): Pid | undefined {
  if (v instanceof Pid) return v;
  if (Array.isArray(v) && v.length === 4) {
    const [node, id, serial, creation] = v as unknown[];
    return toPid({ node, id, serial, creation });
  }
  if (!isPid(v)) return undefined;
  return new Pid(v.node, v.id, v.serial, v.creation);
}

/** A {@link Ref} from a ref-shaped value; `undefined` when `v` is not one. */
export function toRef(v: unknown): Ref | undefined {
  if (v instanceof Ref) return v;
  if (!isRef(v)) return undefined;
  return new Ref(v.node, v.creation, [...v.ids]);
}

/** True when two pids name the same process (same node, id, serial and creation). */
export function pidEquals(a: Pid, b: Pid): boolean {
  return a.id === b.id && a.serial === b.serial && a.creation === b.creation && a.node === b.node;
}

/** True when two references are the same reference. */
export function refEquals(a: Ref, b: Ref): boolean {
  const n = a.ids.length;
  if (n !== b.ids.length || a.creation !== b.creation) return false;
  for (let i = 0; i < n; i++) if (a.ids[i] !== b.ids[i]) return false;
  return a.node === b.node;
}

function wordsHighFirst(ids: readonly number[]): string {
  let out = String(ids[ids.length - 1]);
  for (let i = ids.length - 2; i >= 0; i--) out += `.${ids[i]}`;
  return out;
}

/** A string naming the pid, for use as a Map key. */
export function pidKey(p: Pid): string {
  return `${p.node}/${p.creation}/${p.serial}/${p.id}`;
}

/** A string naming the reference, for use as a Map key. */
export function refKey(r: Ref): string {
  return `${r.node}/${r.creation}/${wordsHighFirst(r.ids)}`;
}

const TWO_18 = 2 ** 18;
const TWO_32 = 2 ** 32;

/** The three words of reference number `n` (Erlang uses 18 bits in the first word). */
export function refWords(n: number): [number, number, number] {
  const hi = Math.floor(n / TWO_18);
  return [n % TWO_18, hi % TWO_32, Math.floor(hi / TWO_32)];
}

/**
 * @internal Ids of the pids a node makes are below this (28 bits, as in Erlang); the wire carries 32-bit ids and
 * serials, and a pid from a peer may use them all.
 */
export const LOCAL_PID_IDS = 2 ** 28;

/**
 * @internal The number a node keys its own processes by, `serial * 2^28 + id` (exact: a node makes fewer than 2^53
 * pids). Only for pids this node made or may have made: see {@link isLocalPidShape}.
 */
export function localPidKey(p: Pid): number {
  return p.serial * LOCAL_PID_IDS + p.id;
}

/**
 * @internal Whether `p`'s id and serial are ones this node could have made (id below 2^28, key exact). A pid with a
 * larger id (legal on the wire) is never one of this node's, and its key would collide with one that is
 * (id 2^28 serial 0 and id 0 serial 1 both give 2^28).
 */
export function isLocalPidShape(p: Pid): boolean {
  return p.id < LOCAL_PID_IDS && p.serial < 2 ** 25;
}
