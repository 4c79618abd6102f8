/**
 * The values of the layer above (the runtime) as Erlang terms and back: pids and refs through its adapter, its
 * gen_server calls and replies in gen_server's shapes, its control arrays as control tuples, the rest by the natural
 * mapping (README.md). One per distribution: it remembers the calls in flight it must recognise the replies of.
 */
import { fromTerm, toTerm } from './etf/natural.js';
import { Atom, atom, ImproperList, isAtom, Pid, Ref, type Term, Tuple } from './etf/terms.js';
import type { PgWireMessage } from './pg-wire.js';

/**
 * How the values of the layer above (the runtime's own `Pid` and `Ref` classes, its wrapped frames) become Erlang
 * terms and back. `@kindred/beam` does not depend on the runtime: the runtime passes its adapter in. The default
 * adapter is the identity on this package's own {@link Pid} and {@link Ref}.
 */
export interface BeamValueAdapter {
  /** The Erlang pid or ref `value` stands for, or `undefined` when it is not one. */
  toErlang(value: unknown): Pid | Ref | undefined;
  /** The value an Erlang pid becomes. */
  fromPid(pid: Pid): unknown;
  /** The value an Erlang reference becomes. */
  fromRef(ref: Ref): unknown;
  /** A frame sent in another form than `[control, payload?]` (the runtime's SendFrame), unwrapped; else undefined. */
  unwrapFrame?(message: unknown): readonly unknown[] | undefined;
  /** The parts of a gen_server call message of the layer above (sent as `{'$gen_call', {Pid, Ref}, Request}`). */
  callOf?(message: unknown): { pid: unknown; ref: unknown; request: unknown } | undefined;
  /** The parts of a call's reply message of the layer above (sent as `{Tag, Reply}`). */
  replyOf?(message: unknown): { ref: unknown; reply: unknown } | undefined;
  /** The layer above's call message for an Erlang `{'$gen_call', {Pid, Tag}, Request}` (pid and ref adapted). */
  makeCall?(pid: unknown, ref: unknown, request: unknown): unknown;
  /** The layer above's reply message for `{Ref, Reply}` answering a call this node sent. */
  makeReply?(ref: unknown, reply: unknown): unknown;
  /**
   * The scope and message of a frame that is a process-group scope's message of the layer above (sent in OTP pg's
   * shapes, see pg-wire.ts); undefined for any other frame. Without it scope messages go as they are.
   */
  pgOf?(control: readonly unknown[], payload: unknown): { scope: string; message: PgWireMessage } | undefined;
}

/** @internal The default adapter: this package's own Pid and Ref, as they are. */
export const IDENTITY_ADAPTER: BeamValueAdapter = {
  toErlang: (v) => (v instanceof Pid || v instanceof Ref ? v : undefined),
  fromPid: (p) => p,
  fromRef: (r) => r,
};

/** @internal SPAWN_REQUEST's operation number. */
export const SPAWN_REQUEST = 29;
/** Calls in flight (refs of calls sent, alias tags of calls received) remembered per distribution, oldest dropped. */
const MAX_TRACKED_CALLS = 65_536;

const refKey = (r: Ref): string => `${r.node.name}|${r.creation}|${r.ids.join('.')}`;

/** Adds `k` to a bounded insertion-ordered set. */
function track(set: Set<string>, k: string): void {
  if (set.size >= MAX_TRACKED_CALLS) {
    const oldest = set.values().next();
    if (oldest.done !== true) set.delete(oldest.value);
  }
  set.add(k);
}

const MAX_ATOM_CHARS = 255;
/** @internal A string in a control position: an atom when it can be one (names, reasons), else a binary. */
export function ctlAtom(s: string): Term {
  // A fresh Atom, not the interned table: names come from data (registered names, reasons) and must not grow it.
  return s.length <= MAX_ATOM_CHARS ? (s === '' ? EMPTY_ATOM : new Atom(s)) : Buffer.from(s, 'utf8');
}
const EMPTY_ATOM = atom('');

/** @internal The value mapping of one distribution (see the file's comment). */
export class WireValues {
  /** Refs of `$gen_call`s this node sent: a `{Ref, Reply}` with one of them is the reply. */
  readonly #callsOut = new Set<string>();
  /** Refs of calls received with an alias tag (`[alias|Ref]`, OTP 24+'s gen:call): the reply carries it back. */
  readonly #aliasTags = new Set<string>();

  constructor(private readonly adapter: BeamValueAdapter) {}

  /**
   * A message (a payload) from the wire: gen_server's `{'$gen_call', {Pid, Tag}, Request}` and the `{Ref, Reply}`
   * answering a call this node sent become the layer above's own call and reply messages; the rest is natural.
   */
  messageFromWire(t: Term): unknown {
    const a = this.adapter;
    if (t instanceof Tuple) {
      const [first, second, third] = t.elements;
      if (t.elements.length === 3 && isAtom(first, '$gen_call') && second instanceof Tuple && a.makeCall) {
        const [pid, tag] = second.elements;
        let ref: Ref | undefined;
        if (tag instanceof Ref) ref = tag;
        else if (tag instanceof ImproperList && tag.tail instanceof Ref && isAtom(tag.items[0], 'alias')) {
          ref = tag.tail;
          track(this.#aliasTags, refKey(ref));
        }
        if (pid instanceof Pid && ref !== undefined && second.elements.length === 2) {
          return a.makeCall(a.fromPid(pid), a.fromRef(ref), this.fromWire(third as Term));
        }
      }
      if (
        t.elements.length === 2 &&
        first instanceof Ref &&
        a.makeReply &&
        this.#callsOut.delete(refKey(first))
      ) {
        return a.makeReply(a.fromRef(first), this.fromWire(second as Term));
      }
    }
    return this.fromWire(t);
  }

  /**
   * A message (a payload) to the wire: the layer above's calls and replies in gen_server's shapes. The result is
   * for an encoder made with {@link WireValues.adaptForEncoder}: the natural values in it are not converted here
   * (the encoder writes them as they are, and the layer's pids and refs through the adapter, at any depth).
   */
  messageToWire(v: unknown): unknown {
    const a = this.adapter;
    const call = a.callOf?.(v);
    if (call !== undefined) {
      const pid = this.#edge(call.pid);
      const ref = this.#edge(call.ref);
      if (ref instanceof Ref) track(this.#callsOut, refKey(ref));
      return new Tuple([atom('$gen_call'), new Tuple([pid as Term, ref as Term]), call.request as Term]);
    }
    const reply = a.replyOf?.(v);
    if (reply !== undefined) {
      const ref = this.#edge(reply.ref);
      const tag =
        ref instanceof Ref && this.#aliasTags.delete(refKey(ref))
          ? new ImproperList([atom('alias')], ref)
          : ref;
      return new Tuple([tag as Term, reply.reply as Term]);
    }
    return v;
  }

  /** A value of the layer above as the Erlang pid or ref it stands for, or as it is. */
  #edge(v: unknown): unknown {
    return typeof v === 'object' && v !== null ? (this.adapter.toErlang(v) ?? v) : v;
  }

  /**
   * The encoder's `adapt` hook (TermEncoderOptions) for what {@link WireValues.messageToWire} and
   * {@link WireValues.controlTerm} return: the layer's pids and refs as Erlang's.
   */
  readonly adaptForEncoder = (v: object): unknown => this.adapter.toErlang(v);

  /** A term from the wire as the runtime's value: the natural mapping, pids and refs through the adapter. */
  fromWire(t: Term): unknown {
    return fromTerm(t, { adapt: this.#fromErlang, copyBuffers: true });
  }

  readonly #fromErlang = (t: Pid | Ref): unknown =>
    t instanceof Pid ? this.adapter.fromPid(t) : this.adapter.fromRef(t);

  /** A runtime value as a term: pids and refs through the adapter, the rest by the natural mapping. */
  toWire(v: unknown): Term {
    return toTerm(this.#unadapt(v));
  }

  #unadapt(v: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v;
    const e = this.adapter.toErlang(v);
    if (e !== undefined) return e;
    if (Array.isArray(v)) return v.map((x) => this.#unadapt(x));
    if (v instanceof Tuple) return new Tuple(v.elements.map((x) => this.#unadapt(x) as Term));
    if (v instanceof Map) {
      const out = new Map<unknown, unknown>();
      for (const [k, x] of v) out.set(this.#unadapt(k), this.#unadapt(x));
      return out;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.#unadapt(x);
      return out;
    }
    return v;
  }

  /**
   * The runtime's control array as Erlang's control tuple (for an encoder made with
   * {@link WireValues.adaptForEncoder}, as {@link WireValues.messageToWire}).
   */
  controlTerm(c: readonly unknown[]): Tuple {
    const op = c[0];
    const n = c.length;
    const out = new Array<Term>(n);
    for (let i = 0; i < n; i++) {
      const x = c[i];
      if (i === 0) out[i] = x as number;
      else if (typeof x === 'string') out[i] = ctlAtom(x);
      else if (op === SPAWN_REQUEST && i === 4 && Array.isArray(x)) {
        out[i] = new Tuple(x.map((y) => (typeof y === 'string' ? ctlAtom(y) : (this.#edge(y) as Term))));
      } else out[i] = this.#edge(x) as Term;
    }
    return new Tuple(out);
  }
}
