import { KindredError } from '@kindred/interface';
import { TRANSPORT_DEFAULTS, TRANSPORT_ERRORS } from '@kindred/transport';
import { Pid, Ref } from './terms.js';

/**
 * One message contract for both paths (docs/semantics.md, "What a message may hold"). A local send passes the value
 * by reference and a remote one copies it through msgpack: the two agree only if the value is plain data that the
 * wire carries faithfully. So every message a process or the node sends (send, call request, reply, rpc arguments
 * and results) is checked here first, locally and remotely alike; anything else throws KINDRED_ERR_MESSAGE_ENCODE to
 * the sender on BOTH paths, instead of arriving remotely as something else (a Map as an object, a class instance
 * without its class, a function as undefined) while working locally.
 *
 * Plain data: undefined, null, booleans, numbers, strings without lone surrogates, BigInts in 64 bits, arrays, objects
 * whose prototype is Object.prototype or null (no own `__proto__` key), valid Dates, Uint8Arrays (Buffers), Pids and
 * Refs, nested at most as deep as the wire allows (docs/protocol.md, "What a frame may hold": 128 levels in a frame).
 * Keys are not checked for lone surrogates: it cost as much as the rest of the walk on the benchmark message (six
 * keys), for keys no program builds on purpose; docs/semantics.md lists it as the second difference, with -0.
 *
 * Cost: one walk of the value, no allocation on success: per value a `typeof`, per object one
 * `Object.getPrototypeOf` and a for-in over its keys, per string value `isWellFormed`. Scalars (a number, a string)
 * take the first branch only. Measured by `node packages/runtime/bench/message-check.mjs` (docs/semantics.md).
 */

/** The longest BigInt a message may hold: msgpack's uint 64 / int 64 (no BigInt extension on the wire). */
const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 64n - 1n;

/** The deepest nesting the wire allows in one frame message (`[control, payload]` is one level). */
const FRAME_MAX_DEPTH = 128;

/** How deep a message may nest, by where it travels in the frame (a call's request sits inside its envelope). */
export const MESSAGE_DEPTH = Object.freeze({
  /** A sent message: `[control, message]`. */
  send: FRAME_MAX_DEPTH - 1,
  /** A call's request or a reply: `[control, { type, from, request }]`. */
  call: FRAME_MAX_DEPTH - 2,
});

/** Values (containers, strings, bytes, Dates, pids, refs) one message may hold, as the transport counts them. */
const MAX_VALUES = TRANSPORT_DEFAULTS.maxFrameValues;

interface WellFormed {
  isWellFormed(): boolean;
}

/** Why a value was refused, with the path to it built while the walk unwinds. */
class Refused {
  readonly path: Array<string | number> = [];
  constructor(readonly what: string) {}
}

let budget = 0;
/** Classes the node's wire carries besides plain data (see {@link checkMessage}), for the check under way. */
let classes: ReadonlySet<unknown> | undefined;

/** Symbols made by {@link internalToken}: the runtime's own local signals, let through as they are. */
const INTERNAL_TOKENS = new Set<symbol>();
/** Requests marked by {@link internalMessage}: the runtime's own local requests that carry functions. */
const INTERNAL_MESSAGES = new WeakSet<object>();

/**
 * @internal Marks a request the runtime's own code sends to a process of its own node that holds what a message may
 * not (a supervisor's `startChild` with a ChildSpec, whose `start` is a function; OTP passes funs there too). Only
 * looked up when the check fails, so it costs nothing to the messages that pass; the receiver refuses such a request
 * from another node.
 */
export function internalMessage<T extends object>(message: T): T {
  INTERNAL_MESSAGES.add(message);
  return message;
}

/**
 * @internal A symbol the runtime's own code sends to a process of its own node as an unforgeable token (a server's
 * init): checkMessage lets it through. Module-private where it is made, so no user message holds one, and it never
 * goes to another node (where msgpack would refuse it anyway).
 */
export function internalToken(description: string): symbol {
  const token = Symbol(description);
  INTERNAL_TOKENS.add(token);
  return token;
}

/**
 * Throws KINDRED_ERR_MESSAGE_ENCODE when `message` is not plain data (see above), naming what was found and where.
 * @param message - what is about to be sent
 * @param maxDepth - the nesting the message may have, {@link MESSAGE_DEPTH}
 * @param wireClasses - classes whose instances the node's wire carries faithfully besides plain data (on Erlang's
 *   wire, @kindred/beam's term classes: a Tuple or an Atom received from erl can be sent on, to erl or locally)
 */
export function checkMessage(
  message: unknown,
  maxDepth: number = MESSAGE_DEPTH.send,
  wireClasses?: ReadonlySet<unknown>,
): void {
  budget = MAX_VALUES;
  classes = wireClasses;
  try {
    checkValue(message, maxDepth);
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    if (typeof message === 'object' && message !== null && INTERNAL_MESSAGES.has(message)) return;
    const path = err.path.reverse();
    const shown =
      path.length > 12 ? [...path.slice(0, 12).map(step), `... (${path.length - 12} more)`] : path.map(step);
    const at = path.length === 0 ? 'the message' : `message${shown.join('')}`;
    throw new KindredError(
      TRANSPORT_ERRORS.MESSAGE_ENCODE,
      `${at} is ${err.what}, which a kindred message cannot hold: messages are plain data, the same locally and ` +
        'between nodes (docs/semantics.md, "What a message may hold"); convert it, e.g. a Map with ' +
        'Object.fromEntries or [...map], an Error to { name, message }',
      { details: { path, found: err.what } },
    );
  }
}

const step = (key: string | number): string =>
  typeof key === 'number'
    ? `[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? `.${key}`
      : `[${JSON.stringify(key)}]`;

function checkValue(v: unknown, depthLeft: number): void {
  switch (typeof v) {
    case 'number':
    case 'boolean':
    case 'undefined':
      return;
    case 'string':
      if (--budget < 0) throw new Refused(`over ${MAX_VALUES} values`);
      if (!(v as unknown as WellFormed).isWellFormed()) throw new Refused('a string with a lone surrogate');
      return;
    case 'bigint':
      if (v < BIGINT_MIN || v > BIGINT_MAX) throw new Refused('a BigInt outside 64 bits');
      return;
    case 'object':
      if (v === null) return;
      if (--budget < 0) throw new Refused(`over ${MAX_VALUES} values`);
      checkObject(v, depthLeft);
      return;
    default:
      if (typeof v === 'symbol' && INTERNAL_TOKENS.has(v)) return;
      throw new Refused(`a ${typeof v}`);
  }
}

function checkObject(v: object, depthLeft: number): void {
  if (Array.isArray(v)) {
    if (depthLeft === 0) throw new Refused('nested deeper than the wire allows');
    for (let i = 0; i < v.length; i++) {
      try {
        checkValue(v[i], depthLeft - 1);
      } catch (err) {
        if (err instanceof Refused) err.path.push(i);
        throw err;
      }
    }
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    if (depthLeft === 0) throw new Refused('nested deeper than the wire allows');
    for (const key in v) {
      try {
        // msgpack turns an own `__proto__` key into `__proto_` (a decoder must not set prototypes).
        if (key === '__proto__') throw new Refused('a key named __proto__');
        checkValue((v as Record<string, unknown>)[key], depthLeft - 1);
      } catch (err) {
        if (err instanceof Refused) err.path.push(key);
        throw err;
      }
    }
    return;
  }
  if (v instanceof Pid || v instanceof Ref || v instanceof Uint8Array) return;
  // The wire's own term classes (Erlang's wire) are its business: its encoder refuses what it cannot carry.
  if (classes?.has((proto as { constructor?: unknown }).constructor)) return;
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new Refused('an invalid Date');
    return;
  }
  throw new Refused(describe(v, proto));
}

/** `a Map`, `an Error`, `an instance of class Point`. */
function describe(v: object, proto: object): string {
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  const known = [Map, Set, WeakMap, WeakSet, Error, RegExp, Promise, ArrayBuffer, DataView];
  if (known.some((C) => v instanceof C) || ArrayBuffer.isView(v)) {
    return `${/^[AEIOU]/.test(String(name)) ? 'an' : 'a'} ${String(name)}`;
  }
  return typeof name === 'string' && name !== ''
    ? `an instance of class ${name}`
    : 'an object with a prototype';
}
