/**
 * A process: its mailbox (`receive`, `take`), the bookkeeping made on first use ({@link ProcExt}) and the
 * {@link ProcessContext} its function gets. Everything a process asks of its node goes through {@link ProcessHost},
 * declared here (as pg.ts's `PgHost`), so this file imports nothing from the node.
 */

import { KindredError } from '@kindred/dns';
import type {
  CallOptions,
  MessageHandler,
  NodeApi,
  Pattern,
  ProcessContext,
  ProcessFn,
  ReceiveOptions,
  SpawnOptions,
} from './api.js';
import { sendTrace } from './diagnostics.js';
import { abortedError, badOption, ProcessExitedError, RUNTIME_ERRORS } from './errors.js';
import { checkMessage, MESSAGE_DEPTH } from './message-check.js';
import { type Dest, type From, isDownMessage, TIMEOUT, type Timeout } from './messages.js';
import type { PgScope } from './pg.js';
import type { CallSpec, PlainDest, ReplyTo, ServerRef } from './server-ref.js';
import { isPid, localPidKey, type Pid, type Ref, refEquals, toPid, toRef } from './terms.js';

export type { MessageHandler, NodeApi, Pattern, ProcessContext, ProcessFn, SpawnOptions } from './api.js';

/**
 * @internal What a process needs from its node: spawning, signals, sending, calls. Implemented by the node's core;
 * a process never sees the node's internals.
 */
export interface ProcessHost {
  /** The node's public face, `ctx.node`. */
  readonly api: NodeApi;
  /** The pid of this node's process with table key `key`. */
  localPid(key: number): Pid;
  spawn(fn: ProcessFn, opts?: SpawnOptions): Proc;
  spawnHandler(handler: MessageHandler, opts?: SpawnOptions): Proc;
  send(from: Pid, dest: Dest, msg: unknown): void;
  link(p: Proc, to: Pid): void;
  unlink(p: Proc, to: Pid): void;
  monitor(p: Proc, dest: Dest): Ref;
  demonitor(p: Proc, ref: Ref): void;
  exitSignal(from: Pid, to: Pid, reason: unknown): void;
  terminate(p: Proc, reason: unknown): void;
  register(name: string, pid: Pid): void;
  /** Classes the node's wire carries besides plain data (message-check.ts). */
  readonly wireClasses: ReadonlySet<unknown> | undefined;
  call(p: Proc, dest: Dest, request: unknown, opts?: number | CallOptions): Promise<unknown>;
  sendAfter(p: Proc, dest: Dest, msg: unknown, ms: number): Ref;
  cancelTimer(ref: Ref): number | false;
  watchNodes(p: Proc, flag: boolean): void;
  makeRef(): Ref;
  /** The function of `p` returned (`threw` false) or threw `err`. */
  ended(p: Proc, err: unknown, threw: boolean): void;
}

/** @internal A process's outgoing monitor. */
export interface MonitorOut {
  readonly ref: Ref;
  /** A local target process, or undefined for a remote one. */
  readonly target: Proc | undefined;
  /** The node of a remote target. */
  readonly node: string | undefined;
  /** What the DOWN message names. */
  readonly item: Pid | { readonly name: string; readonly node: string };
}

/** @internal A monitor held on a local process by some watcher (local or remote). */
export interface MonitorIn {
  readonly ref: Ref;
  readonly watcher: Pid;
}

/**
 * @internal Estimated bytes of one peer's messages waiting in this node's mailboxes. Each queued remote message
 * keeps a reference to its peer's budget, so the bytes are given back to the right peer when it leaves the mailbox.
 */
export interface PeerBudget {
  readonly node: string;
  bytes: number;
  /** The node-wide total, shared by every budget. */
  readonly total: { bytes: number };
  /** Set when the peer went over its budget and was disconnected; cleared at its next nodeup. */
  cut: boolean;
}

/** @internal Gives `bytes` back to a peer's budget and the node's total. */
export function release(b: PeerBudget, bytes: number): void {
  b.bytes -= bytes;
  b.total.bytes -= bytes;
}

/**
 * Rejections for processes that ended, one per string reason (`killed`, `shutdown`, `noconnection`, ...), shared:
 * building an Error (its stack) for each of 20,000 killed processes stalled the node. Reasons that are not strings
 * get their own error. Bounded: at most EXIT_REJECTIONS reasons are kept.
 */
const exitRejections = new Map<string, Promise<never>>();
const EXIT_REJECTIONS = 64;

/** @internal A handled rejected promise with a {@link ProcessExitedError} for `reason` (built without a stack). */
export function exitedRejection(reason: unknown): Promise<never> {
  if (typeof reason !== 'string' || reason.length > 255) return quietRejection(exitedError(reason));
  let r = exitRejections.get(reason);
  if (r === undefined) {
    if (exitRejections.size >= EXIT_REJECTIONS) exitRejections.clear();
    r = quietRejection(exitedError(reason));
    exitRejections.set(reason, r);
  }
  return r;
}

/** A ProcessExitedError without a captured stack (the stack would name the runtime's cleanup, not user code). */
function exitedError(reason: unknown): ProcessExitedError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ProcessExitedError(reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * One process: the mailbox, the signal bookkeeping and the context its function gets. Everything beyond the
 * mailbox fields is created on first use, so an idle process costs a few hundred bytes (see bench).
 */
export class ProcExt {
  links: Map<string, Pid> | undefined = undefined;
  monitors: Map<string, MonitorOut> | undefined = undefined;
  monitoredBy: Map<string, MonitorIn> | undefined = undefined;
  name: string | undefined = undefined;
  scopes: Set<PgScope> | undefined = undefined;
  calls: Set<string> | undefined = undefined;
  cap: number | undefined = undefined;
  byteCap: number | undefined = undefined;
  /**
   * What the remote messages in `mq` cost, aligned with it: `[budget, bytes]` at `2 * i` for message `i` (`[, 0]` for
   * a local one). Made when the first measured message is queued; dropped when the process ends.
   */
  mc: Array<PeerBudget | number | undefined> | undefined = undefined;
  /** Sum of the bytes in `mc`. (Both here, not in Proc: most processes never hold a remote message.) */
  mb = 0;
  nodeWatch = false;
  exitReason: unknown = undefined;
  /** Keys of the timers this process set (timers.ts), cancelled when it exits. */
  timers: Set<string> | undefined = undefined;
  /** The timer of a pending receive with a timeout (see Proc.wTimer). */
  wTimer: ReturnType<typeof setTimeout> | undefined = undefined;
}

/** Bits of {@link Proc}'s `f`. */
const ALIVE = 1;
const TRAPPING = 2;
const BUSY = 4;
/** `code` is a message handler (spawnHandler), not a process function. */
const HANDLER = 8;

/** A rejected promise whose rejection is handled (a process that never awaits it must not crash the node). */
export function quietRejection(err: Error): Promise<never> {
  const r = Promise.reject(err);
  r.catch(() => {});
  return r;
}

let captured: ((m: unknown) => void) | undefined;
function captureResolve(resolve: (m: unknown) => void): void {
  captured = resolve;
}

/**
 * @internal A process of a node: see the module comment. An idle process is parked on its receive, so its object
 * holds only what that needs: eight fields. The node (`host`) is on a per-node subclass's prototype (see
 * {@link procClass}), the booleans share one small integer, and the pid is made on first use (`self`).
 */
export class Proc implements ProcessContext {
  /** The node: on the prototype of the node's subclass ({@link procClass}), not a field. */
  declare readonly host: ProcessHost;
  /** The process table key until `self` is first read, then the pid (cached). */
  s: Pid | number;
  /** ALIVE, TRAPPING, BUSY, HANDLER bits. */
  f = ALIVE;
  mq: unknown[] | undefined = undefined;
  mqHead = 0;
  /** The pending receive: its resolve function and pattern (inline: an idle process is always waiting). */
  wRes: ((m: unknown) => void) | undefined = undefined;
  wPat: Pattern | undefined = undefined;
  /** The process function (spawn) or message handler (spawnHandler, the HANDLER bit). */
  code: ProcessFn | MessageHandler | undefined = undefined;
  /** Rarely used state, made on first use. */
  x: ProcExt | undefined = undefined;

  constructor(key: number) {
    this.s = key;
  }

  /** This process's pid (made on first read, then kept). */
  get self(): Pid {
    const s = this.s;
    if (typeof s !== 'number') return s;
    const pid = this.host.localPid(s);
    this.s = pid;
    return pid;
  }

  /** The pid for a caller (spawn's result): the kept one, or a fresh equal one without keeping it. */
  pid(): Pid {
    const s = this.s;
    return typeof s === 'number' ? this.host.localPid(s) : s;
  }

  /** The process table key. */
  get key(): number {
    const s = this.s;
    return typeof s === 'number' ? s : localPidKey(s);
  }

  get alive(): boolean {
    return (this.f & ALIVE) !== 0;
  }
  set alive(v: boolean) {
    this.f = v ? this.f | ALIVE : this.f & ~ALIVE;
  }
  get trapping(): boolean {
    return (this.f & TRAPPING) !== 0;
  }
  set trapping(v: boolean) {
    this.f = v ? this.f | TRAPPING : this.f & ~TRAPPING;
  }
  /** A handler process that is scheduled or running. */
  get busy(): boolean {
    return (this.f & BUSY) !== 0;
  }
  set busy(v: boolean) {
    this.f = v ? this.f | BUSY : this.f & ~BUSY;
  }
  /** The message handler of a process made by spawnHandler. */
  get h(): MessageHandler | undefined {
    return (this.f & HANDLER) !== 0 ? (this.code as MessageHandler) : undefined;
  }
  set h(v: MessageHandler | undefined) {
    this.code = v;
    this.f = v !== undefined ? this.f | HANDLER : this.f & ~HANDLER;
  }
  /** The function of a spawned process (for observe: its current function). */
  get fn(): ProcessFn | undefined {
    return (this.f & HANDLER) === 0 ? (this.code as ProcessFn | undefined) : undefined;
  }
  set fn(v: ProcessFn | undefined) {
    this.code = v;
    this.f &= ~HANDLER;
  }
  /** The timer of a pending receive with a timeout (in ProcExt: most receives have none). */
  get wTimer(): ReturnType<typeof setTimeout> | undefined {
    return this.x?.wTimer;
  }
  set wTimer(v: ReturnType<typeof setTimeout> | undefined) {
    if (v !== undefined || this.x !== undefined) this.ext().wTimer = v;
  }

  /** The node this process runs on (read through the host: no field per process). */
  get node(): NodeApi {
    return this.host.api;
  }

  ext(): ProcExt {
    if (this.x === undefined) this.x = new ProcExt();
    return this.x;
  }
  get links(): Map<string, Pid> | undefined {
    return this.x?.links;
  }
  set links(v: Map<string, Pid> | undefined) {
    if (v !== undefined || this.x !== undefined) this.ext().links = v;
  }
  get monitors(): Map<string, MonitorOut> | undefined {
    return this.x?.monitors;
  }
  set monitors(v: Map<string, MonitorOut> | undefined) {
    if (v !== undefined || this.x !== undefined) this.ext().monitors = v;
  }
  get monitoredBy(): Map<string, MonitorIn> | undefined {
    return this.x?.monitoredBy;
  }
  set monitoredBy(v: Map<string, MonitorIn> | undefined) {
    if (v !== undefined || this.x !== undefined) this.ext().monitoredBy = v;
  }
  get name(): string | undefined {
    return this.x?.name;
  }
  set name(v: string | undefined) {
    if (v !== undefined || this.x !== undefined) this.ext().name = v;
  }
  get scopes(): Set<PgScope> | undefined {
    return this.x?.scopes;
  }
  set scopes(v: Set<PgScope> | undefined) {
    if (v !== undefined || this.x !== undefined) this.ext().scopes = v;
  }
  get calls(): Set<string> | undefined {
    return this.x?.calls;
  }
  set calls(v: Set<string> | undefined) {
    if (v !== undefined || this.x !== undefined) this.ext().calls = v;
  }
  get nodeWatch(): boolean {
    return this.x?.nodeWatch === true;
  }
  set nodeWatch(v: boolean) {
    if (v || this.x !== undefined) this.ext().nodeWatch = v;
  }
  get exitReason(): unknown {
    return this.x?.exitReason;
  }
  set exitReason(v: unknown) {
    this.ext().exitReason = v;
  }

  receive<T = unknown>(pattern?: Pattern<T>): Promise<T>;
  receive<T = unknown>(pattern: Pattern<T> | undefined, timeoutMs: number): Promise<T | Timeout>;
  receive<T = unknown>(pattern: Pattern<T> | undefined, opts: ReceiveOptions): Promise<T | Timeout>;
  receive(pattern?: Pattern, opt?: number | ReceiveOptions): Promise<unknown> {
    let timeoutMs: number | undefined;
    let signal: AbortSignal | undefined;
    if (typeof opt === 'object' && opt !== null) {
      timeoutMs = opt.timeoutMs;
      signal = opt.signal;
    } else timeoutMs = opt;
    if (timeoutMs === Number.POSITIVE_INFINITY) timeoutMs = undefined; // Erlang's `after infinity`
    if (!this.alive) return exitedRejection(this.exitReason);
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (this.wRes !== undefined) {
      return Promise.reject(
        new KindredError(
          RUNTIME_ERRORS.RECEIVE_PENDING,
          'A receive of this process is still pending; await it before calling receive again.',
        ),
      );
    }
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(badOption('timeoutMs', 'a number >= 0 or Infinity', timeoutMs));
    }
    const q = this.mq;
    if (q !== undefined) {
      const n = q.length;
      if (pattern === undefined) {
        if (this.mqHead < n) return Promise.resolve(this.take(this.mqHead));
      } else {
        for (let i = this.mqHead; i < n; i++) {
          if (pattern(q[i])) return Promise.resolve(this.take(i));
        }
      }
    }
    if (timeoutMs === 0) return Promise.resolve(TIMEOUT);
    // Only resolve is kept: a killed process's receive is resolved with a rejected promise, which rejects it.
    // One shared executor hands resolve over (no closure and context per receive).
    const pr = new Promise<unknown>(captureResolve);
    let res = captured as (m: unknown) => void;
    captured = undefined;
    if (signal !== undefined) res = this.#abortable(res, signal);
    this.wRes = res;
    this.wPat = pattern;
    if (timeoutMs !== undefined) {
      this.wTimer = setTimeout(() => {
        if (this.wRes === res) {
          this.wRes = undefined;
          this.wPat = undefined;
          this.wTimer = undefined;
          res(TIMEOUT);
        }
      }, timeoutMs);
    }
    return pr;
  }

  /**
   * `res` wrapped so that aborting `signal` rejects the receive (if it is still the pending one) and settling it
   * any other way removes the listener. Only receives with a signal pay for the closures.
   */
  #abortable(res: (m: unknown) => void, signal: AbortSignal): (m: unknown) => void {
    const onAbort = (): void => {
      if (this.wRes !== wrapped) return;
      this.wRes = undefined;
      this.wPat = undefined;
      if (this.wTimer !== undefined) clearTimeout(this.wTimer);
      this.wTimer = undefined;
      res(quietRejection(abortedError(signal)));
    };
    const wrapped = (m: unknown): void => {
      signal.removeEventListener('abort', onAbort);
      res(m);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return wrapped;
  }

  /** Removes and returns the message at index i. */
  take(i: number): unknown {
    const q = this.mq!;
    const m = q[i];
    const x = this.x;
    const c = x === undefined ? undefined : x.mc;
    if (c !== undefined) {
      const bytes = c[2 * i + 1] as number;
      if (bytes !== 0) {
        x!.mb -= bytes;
        release(c[2 * i] as PeerBudget, bytes);
      }
    }
    if (i === this.mqHead) {
      q[i] = undefined;
      if (c !== undefined) {
        c[2 * i] = undefined;
        c[2 * i + 1] = 0;
      }
      this.mqHead++;
      if (this.mqHead === q.length) {
        // Dropped, not emptied: `length = 0` frees the array's slots anyway, so a kept array costs its own 32 bytes
        // for nothing and its next push reserves 17 slots, where the next message makes a one-slot `[msg]`.
        this.mq = undefined;
        this.mqHead = 0;
        if (c !== undefined) c.length = 0;
      } else if (this.mqHead >= 1024 && this.mqHead * 2 >= q.length) {
        q.splice(0, this.mqHead);
        c?.splice(0, 2 * this.mqHead);
        this.mqHead = 0;
      }
    } else {
      q.splice(i, 1);
      c?.splice(2 * i, 2);
    }
    return m;
  }

  /** Gives back the bytes of every message still in the mailbox (the process ended). */
  releaseAll(): void {
    const x = this.x;
    const c = x === undefined ? undefined : x.mc;
    if (c === undefined) return;
    for (let j = 2 * this.mqHead; j < c.length; j += 2) {
      const bytes = c[j + 1] as number;
      if (bytes !== 0) release(c[j] as PeerBudget, bytes);
    }
    x!.mc = undefined;
    x!.mb = 0;
  }

  mailboxSize(): number {
    return this.mq === undefined ? 0 : this.mq.length - this.mqHead;
  }

  send(dest: Dest, msg: unknown): void {
    checkMessage(msg, MESSAGE_DEPTH.send, this.host.wireClasses);
    if (sendTrace.hasSubscribers) tracedSend(this.host, this.self, dest, msg);
    else this.host.send(this.self, dest, msg);
  }

  link(pid: Pid): void {
    this.host.link(this, pid);
    if (!this.alive) throw new ProcessExitedError(this.exitReason);
  }

  unlink(pid: Pid): void {
    this.host.unlink(this, pid);
  }

  monitor(dest: Dest): Ref {
    return this.host.monitor(this, dest);
  }

  demonitor(ref: Ref, opts?: { flush?: boolean }): void {
    this.host.demonitor(this, ref);
    if (opts?.flush && this.mq !== undefined) {
      const q = this.mq;
      for (let i = this.mqHead; i < q.length; i++) {
        const m = q[i];
        if (isDownMessage(m) && refEquals(m.ref, ref)) {
          this.take(i);
          break;
        }
      }
    }
  }

  trapExit(flag: boolean): void {
    this.trapping = flag === true;
  }

  exit(reasonOrPid: unknown, reason?: unknown): never {
    if (reason !== undefined || isPid(reasonOrPid)) {
      const pid = toPid(reasonOrPid);
      if (!pid) throw new KindredError(RUNTIME_ERRORS.BAD_DEST, 'exit(pid, reason) needs a pid.');
      this.host.exitSignal(this.self, pid, reason);
      return undefined as never;
    }
    this.host.terminate(this, reasonOrPid);
    throw new ProcessExitedError(reasonOrPid);
  }

  spawn(fn: ProcessFn, opts?: SpawnOptions & { link?: boolean }): Pid {
    const p = this.host.spawn(fn, opts);
    if (opts?.link) this.host.link(this, p.self);
    return p.pid();
  }

  spawnHandler(handler: MessageHandler, opts?: SpawnOptions & { link?: boolean }): Pid {
    const p = this.host.spawnHandler(handler, opts);
    if (opts?.link) this.host.link(this, p.self);
    // Kept: a handler process reads its pid on every reply.
    return p.self;
  }

  spawnMonitor(fn: ProcessFn, opts?: SpawnOptions): { pid: Pid; ref: Ref } {
    const p = this.host.spawn(fn, opts);
    return { pid: p.self, ref: this.host.monitor(this, p.self) };
  }

  register(name: string): void {
    this.host.register(name, this.self);
  }

  call<C extends CallSpec, const Q extends C['request']>(
    dest: ServerRef<C>,
    request: Q,
    opts?: number | CallOptions,
  ): Promise<ReplyTo<C, Q>>;
  call<R = unknown>(dest: PlainDest, request: unknown, opts?: number | CallOptions): Promise<R>;
  async call(dest: Dest, request: unknown, opts?: number | CallOptions): Promise<unknown> {
    return this.host.call(this, dest, request, opts);
  }

  sendAfter(dest: Dest, msg: unknown, ms: number): Ref {
    return this.host.sendAfter(this, dest, msg, ms);
  }

  cancelTimer(ref: Ref): number | false {
    return this.host.cancelTimer(ref);
  }

  reply(from: From, reply: unknown): void {
    const f = from as Partial<From> | null | undefined;
    if (typeof f !== 'object' || f === null || toRef(f.ref) === undefined) {
      throw new KindredError(
        RUNTIME_ERRORS.BAD_DEST,
        'reply(from, value) needs the `from` of a call message.',
      );
    }
    checkMessage(reply, MESSAGE_DEPTH.call, this.host.wireClasses);
    this.host.send(this.self, f.pid as Pid, { type: '$gen_reply', ref: f.ref, reply });
  }

  monitorNodes(flag: boolean): void {
    this.host.watchNodes(this, flag === true);
  }

  makeRef(): Ref {
    return this.host.makeRef();
  }
}

/**
 * @internal The class of `host`'s processes: {@link Proc} with `host` on its prototype, so no process spends a field
 * on it.
 */
export function procClass(host: ProcessHost): new (key: number) => Proc {
  const C = class extends Proc {};
  Object.defineProperty(C.prototype, 'host', { value: host });
  return C;
}

/** The process's links, made on first use. */
export function linksOf(p: Proc): Map<string, Pid> {
  if (p.links === undefined) p.links = new Map();
  return p.links;
}
/** The process's outgoing monitors, made on first use. */
export function monitorsOf(p: Proc): Map<string, MonitorOut> {
  if (p.monitors === undefined) p.monitors = new Map();
  return p.monitors;
}
/** The monitors held on the process, made on first use. */
export function monitoredByOf(p: Proc): Map<string, MonitorIn> {
  if (p.monitoredBy === undefined) p.monitoredBy = new Map();
  return p.monitoredBy;
}
/** The pg scopes the process joined groups of, made on first use. */
export function scopesOf(p: Proc): Set<PgScope> {
  if (p.scopes === undefined) p.scopes = new Set();
  return p.scopes;
}
/** The refs of the calls the process waits on, made on first use. */
export function callsOf(p: Proc): Set<string> {
  if (p.calls === undefined) p.calls = new Set();
  return p.calls;
}

/** @internal A send published on `kindred:send` (only called when someone subscribed). */
export function tracedSend(host: ProcessHost, from: Pid, dest: Dest, msg: unknown): void {
  sendTrace.traceSync(() => host.send(from, dest, msg), { node: host.api.name, from, dest, message: msg });
}

// Bound functions are smaller than a pair of closures over the process (measured: ~60 bytes per process less).
export function procReturned(this: Proc): void {
  this.host.ended(this, undefined, false);
}
export function procThrew(this: Proc, err: unknown): void {
  this.host.ended(this, err, true);
}
