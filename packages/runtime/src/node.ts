import { randomInt } from 'node:crypto';
import { KindredError } from '@kindred/dns';
import { isValidHostPart, isValidNamePart } from '@kindred/node-identity';
import pino, { type Logger } from 'pino';
import { OP } from './control.js';
import { RUNTIME_DEFAULTS, SYSTEM_NAMES } from './defaults.js';
import type { Distribution } from './distribution.js';
import { sendFrame } from './envelope.js';
import { badOption, formatTerm, ProcessExitedError, RUNTIME_ERRORS } from './errors.js';
import {
  type CallMessage,
  crashReason,
  type Dest,
  type DownMessage,
  type From,
  isDownMessage,
  isReplyMessage,
  type NodeEvent,
  TIMEOUT,
  type Timeout,
} from './messages.js';
import { PgScope } from './pg.js';
import type { MessageHandler, Pattern, ProcessContext, ProcessFn, SpawnOptions } from './process.js';
import { isPid, Pid, pidKey, Ref, refEquals, refKey, refWords, toPid, toRef } from './terms.js';

/** Options of {@link createNode}. */
export interface NodeOptions {
  /** This node's name, `name@host`. */
  readonly name: string;
  /** The layer that reaches other nodes; without one the node is not distributed (local processes only). */
  readonly distribution?: Distribution;
  /** This incarnation's creation (1..2^32-1); random by default, so pids of a previous run never match. */
  readonly creation?: number;
  /** A hidden node stays out of others' `nodes()`, the mesh and pg. Default {@link RUNTIME_DEFAULTS.hidden}. */
  readonly hidden?: boolean;
  /** Erlang's connect_all. Default {@link RUNTIME_DEFAULTS.connectAll}. */
  readonly connectAll?: boolean;
  /** Mailbox cap per process. Default {@link RUNTIME_DEFAULTS.maxMailboxSize}. */
  readonly maxMailboxSize?: number;
  /** Mailbox cap per process in estimated bytes of remote messages. Default {@link RUNTIME_DEFAULTS.maxMailboxBytes}. */
  readonly maxMailboxBytes?: number;
  /** Bytes from one peer waiting in mailboxes. Default {@link RUNTIME_DEFAULTS.maxQueuedBytesPerPeer}. */
  readonly maxQueuedBytesPerPeer?: number;
  /** Bytes from all peers waiting in mailboxes. Default {@link RUNTIME_DEFAULTS.maxQueuedBytes}. */
  readonly maxQueuedBytes?: number;
  /** Names dialled from one connect_all message. Default {@link RUNTIME_DEFAULTS.maxNamesPerNetMessage}. */
  readonly maxNamesPerNetMessage?: number;
  /** First backoff after a failed automatic dial. Default {@link RUNTIME_DEFAULTS.dialBackoffInitialMs}. */
  readonly dialBackoffInitialMs?: number;
  /** Longest backoff between automatic dials. Default {@link RUNTIME_DEFAULTS.dialBackoffMaxMs}. */
  readonly dialBackoffMaxMs?: number;
  /** Automatic dials per second. Default {@link RUNTIME_DEFAULTS.maxDialsPerSecond}. */
  readonly maxDialsPerSecond?: number;
  /** Nodes remembered from gossip and failed dials. Default {@link RUNTIME_DEFAULTS.maxRememberedNodes}. */
  readonly maxRememberedNodes?: number;
  /** Lifetime of a port learned from gossip. Default {@link RUNTIME_DEFAULTS.learnedPortTtlMs}. */
  readonly learnedPortTtlMs?: number;
  /** Default `call` timeout. Default {@link RUNTIME_DEFAULTS.callTimeoutMs}. */
  readonly callTimeoutMs?: number;
  /** Default `rpc` timeout. Default {@link RUNTIME_DEFAULTS.rpcTimeoutMs}. */
  readonly rpcTimeoutMs?: number;
  /** Messages queued for a node during connection set-up. Default {@link RUNTIME_DEFAULTS.maxPendingPerNode}. */
  readonly maxPendingPerNode?: number;
  /** The port this node listens on, told to peers so connect_all can dial it. */
  readonly listenPort?: number;
  /** pino logger; silent when absent. */
  readonly logger?: Logger;
  /** Called at the end of `stop()` (startNode closes discovery and the transport here). */
  readonly onStop?: () => Promise<void> | void;
}

/** Counters of a node (`node.stats()`). */
export interface NodeStats {
  /** Live processes. */
  processes: number;
  /** Processes spawned since start. */
  spawned: number;
  /** Processes killed with `mailbox_overflow` (too many messages, or too many bytes of remote messages). */
  mailboxOverflows: number;
  /**
   * Messages dropped because a connection to their node could not be set up, its queue was full, or the node is in
   * dial backoff (Erlang drops a send to an unreachable node the same way).
   */
  droppedRemote: number;
  /** Messages received from other nodes that were malformed and ignored. */
  badControl: number;
  /** Signals from a peer naming a sender (`from`) that is not a process of that peer: dropped, never applied. */
  spoofedSignals: number;
  /** Peers disconnected because their unread messages went over `maxQueuedBytesPerPeer` or `maxQueuedBytes`. */
  peerOverflows: number;
  /** Estimated bytes of remote messages waiting in mailboxes now. */
  queuedBytes: number;
  /** Node names of connect_all messages ignored: over `maxNamesPerNetMessage`, or not a legal name and port. */
  netNamesDropped: number;
  /** Automatic dials (auto-connect, connect_all) not started: the node was in backoff, or over `maxDialsPerSecond`. */
  dialsSkipped: number;
  /** Dials that failed (automatic or `connect()`); each puts the node in backoff. */
  dialFailures: number;
  /** Times the rpc server (`rex`) was restarted after it died. */
  rexRestarts: number;
  /** Nodes remembered for their backoff or a gossiped port (at most `maxRememberedNodes`). */
  rememberedNodes: number;
  /** Registered names. */
  registered: number;
  /** Links between local processes and processes of other nodes. */
  remoteLinks: number;
  /** Monitors held across nodes, both directions. */
  remoteMonitors: number;
}

/** A process's outgoing monitor. */
interface MonitorOut {
  readonly ref: Ref;
  /** A local target process, or undefined for a remote one. */
  readonly target: Proc | undefined;
  /** The node of a remote target. */
  readonly node: string | undefined;
  /** What the DOWN message names. */
  readonly item: Pid | { readonly name: string; readonly node: string };
}

/** A monitor held on a local process by some watcher (local or remote). */
interface MonitorIn {
  readonly ref: Ref;
  readonly watcher: Pid;
}

/**
 * Estimated bytes of one peer's messages waiting in this node's mailboxes. Each queued remote message keeps a
 * reference to its peer's budget, so the bytes are given back to the right peer when it leaves the mailbox.
 */
interface PeerBudget {
  readonly node: string;
  bytes: number;
  /** The node-wide total, shared by every budget. */
  readonly total: { bytes: number };
  /** Set when the peer went over its budget and was disconnected; cleared at its next nodeup. */
  cut: boolean;
}

function release(b: PeerBudget, bytes: number): void {
  b.bytes -= bytes;
  b.total.bytes -= bytes;
}

/** What is remembered of a node this node dialled without success, or learned from gossip (bounded, see #dials). */
interface DialState {
  /** Failed dials in a row (0: none yet). */
  failures: number;
  /** No automatic dial before this time (ms since the epoch). */
  retryAt: number;
  /** A port learned from a peers message, until `portUntil` or the first failed dial. */
  port: number | undefined;
  portUntil: number;
}

const isPort = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;

/** A legal node name, `name@host` (Erlang's rules, @kindred/node-identity), as connect_all accepts from peers. */
function isNodeName(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 255) return false;
  const at = v.indexOf('@');
  return at > 0 && isValidNamePart(v.slice(0, at)) && isValidHostPart(v.slice(at + 1));
}

/** Thrown inside the dispatcher for a signal whose sender is not a process of the peer that sent it. */
const SPOOFED = Object.freeze({ spoofed: true });

/** Per connected (or once connected) remote node: what must be undone when it goes down. */
interface NodeState {
  /** Links between local processes and processes on that node: key `${localKey}|${remotePidKey}`. */
  links: Map<string, { local: Proc; remote: Pid }>;
  /** Monitors held by local processes on processes of that node. */
  outMonitors: Map<string, Proc>;
  /** Monitors held by processes of that node on local processes. */
  inMonitors: Map<string, Proc>;
}

const PID_ID_BITS = 2 ** 28;
/** Messages a handler process handles before others get a turn (Erlang counts reductions). */
const HANDLER_BUDGET = 64;

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;

function isNamed(d: unknown): d is { name: string; node: string } {
  const o = d as { name?: unknown; node?: unknown };
  return typeof d === 'object' && d !== null && isName(o.name) && isName(o.node);
}

function spawnFailed(node: string, name: string, reason: string): KindredError {
  return new KindredError(
    RUNTIME_ERRORS.SPAWN_FAILED,
    `Could not spawn ${formatTerm(name, 100)} on ${formatTerm(node, 260)} (${formatTerm(reason, 100)}).`,
    { details: { node, name, reason } },
  );
}

function deadError(): KindredError {
  return new KindredError(
    RUNTIME_ERRORS.NODE_STOPPED,
    'This node was stopped; start a new one with startNode().',
  );
}

/**
 * One process: the mailbox, the signal bookkeeping and the context its function gets. Everything beyond the
 * mailbox fields is created on first use, so an idle process costs a few hundred bytes (see bench).
 */
class ProcExt {
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
}

/** A rejected promise whose rejection is handled (a process that never awaits it must not crash the node). */
function quietRejection(err: Error): Promise<never> {
  const r = Promise.reject(err);
  r.catch(() => {});
  return r;
}

let captured: ((m: unknown) => void) | undefined;
function captureResolve(resolve: (m: unknown) => void): void {
  captured = resolve;
}

class Proc implements ProcessContext {
  readonly self: Pid;
  readonly node: KNode;
  alive = true;
  trapping = false;
  mq: unknown[] | undefined = undefined;
  mqHead = 0;
  /** The pending receive: its resolve function, pattern and timer (inline: an idle process is always waiting). */
  wRes: ((m: unknown) => void) | undefined = undefined;
  wPat: Pattern | undefined = undefined;
  wTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The message handler of a process made by spawnHandler, and whether it is scheduled or running. */
  h: MessageHandler | undefined = undefined;
  busy = false;
  /** Rarely used state, made on first use. */
  x: ProcExt | undefined = undefined;

  constructor(node: KNode, self: Pid) {
    this.node = node;
    this.self = self;
  }

  /** The process table key (computed, not stored: one field less per process). */
  get key(): number {
    return this.self.serial * PID_ID_BITS + this.self.id;
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
  receive(pattern?: Pattern, timeoutMs?: number): Promise<unknown> {
    if (timeoutMs === Number.POSITIVE_INFINITY) timeoutMs = undefined; // Erlang's `after infinity`
    if (!this.alive) return Promise.reject(new ProcessExitedError(this.exitReason));
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
    const res = captured as (m: unknown) => void;
    captured = undefined;
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
        q.length = 0;
        this.mqHead = 0;
        // Kept (emptied), not dropped: a process that gets remote messages gets them in bursts.
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
    this.node._send(this.self, dest, msg);
  }

  link(pid: Pid): void {
    this.node._link(this, pid);
    if (!this.alive) throw new ProcessExitedError(this.exitReason);
  }

  unlink(pid: Pid): void {
    this.node._unlink(this, pid);
  }

  monitor(dest: Dest): Ref {
    return this.node._monitor(this, dest);
  }

  demonitor(ref: Ref, opts?: { flush?: boolean }): void {
    this.node._demonitor(this, ref);
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
      this.node._exitSignal(this.self, pid, reason);
      return undefined as never;
    }
    this.node._terminate(this, reasonOrPid);
    throw new ProcessExitedError(reasonOrPid);
  }

  spawn(fn: ProcessFn, opts?: SpawnOptions & { link?: boolean }): Pid {
    const p = this.node._spawn(fn, opts);
    if (opts?.link) this.node._link(this, p.self);
    return p.self;
  }

  spawnHandler(handler: MessageHandler, opts?: SpawnOptions & { link?: boolean }): Pid {
    const p = this.node._spawnHandler(handler, opts);
    if (opts?.link) this.node._link(this, p.self);
    return p.self;
  }

  spawnMonitor(fn: ProcessFn, opts?: SpawnOptions): { pid: Pid; ref: Ref } {
    const p = this.node._spawn(fn, opts);
    return { pid: p.self, ref: this.node._monitor(this, p.self) };
  }

  register(name: string): void {
    this.node.register(name, this.self);
  }

  async call<R = unknown>(dest: Dest, request: unknown, timeoutMs?: number): Promise<R> {
    return this.node._call(this, dest, request, timeoutMs) as Promise<R>;
  }

  reply(from: From, reply: unknown): void {
    const f = from as Partial<From> | null | undefined;
    if (typeof f !== 'object' || f === null || toRef(f.ref) === undefined) {
      throw new KindredError(
        RUNTIME_ERRORS.BAD_DEST,
        'reply(from, value) needs the `from` of a call message.',
      );
    }
    this.node._send(this.self, f.pid as Pid, { type: '$gen_reply', ref: f.ref, reply });
  }

  monitorNodes(flag: boolean): void {
    this.node._watchNodes(this, flag === true);
  }

  makeRef(): Ref {
    return this.node.makeRef();
  }
}

function linksOf(p: Proc): Map<string, Pid> {
  if (p.links === undefined) p.links = new Map();
  return p.links;
}
function monitorsOf(p: Proc): Map<string, MonitorOut> {
  if (p.monitors === undefined) p.monitors = new Map();
  return p.monitors;
}
function monitoredByOf(p: Proc): Map<string, MonitorIn> {
  if (p.monitoredBy === undefined) p.monitoredBy = new Map();
  return p.monitoredBy;
}
function scopesOf(p: Proc): Set<PgScope> {
  if (p.scopes === undefined) p.scopes = new Set();
  return p.scopes;
}
function callsOf(p: Proc): Set<string> {
  if (p.calls === undefined) p.calls = new Set();
  return p.calls;
}

// Bound functions are smaller than a pair of closures over the process (measured: ~60 bytes per process less).
function procReturned(this: Proc): void {
  this.node._ended(this, undefined, false);
}
function procThrew(this: Proc, err: unknown): void {
  this.node._ended(this, err, true);
}

/** Handlers for names the runtime answers itself (pg scopes, the mesh): `(fromNode, from, message)`. */
type SystemHandler = (fromNode: string, from: Pid | undefined, msg: unknown) => void;

/**
 * A kindred node: its processes, registry, links, monitors, pg scopes, and (when distributed) the bookkeeping of
 * every signal that crosses to other nodes. Made by {@link createNode} or `startNode`.
 */
export class KNode {
  /** This node's name. */
  readonly name: string;
  /** This incarnation's creation. */
  readonly creation: number;
  /** Whether this node is hidden. */
  readonly hidden: boolean;
  /** The default pg scope (`pg`). */
  readonly pg: PgScope;

  readonly #dist: Distribution | undefined;
  readonly #onStop: (() => Promise<void> | void) | undefined;
  readonly #log: Logger;
  readonly #procs = new Map<number, Proc>();
  readonly #names = new Map<string, Proc>();
  readonly #system = new Map<string, SystemHandler>();
  readonly #scopes = new Map<string, PgScope>();
  readonly #handlers = new Map<string, (...args: never[]) => unknown>();
  readonly #spawnables = new Map<string, (ctx: ProcessContext, ...args: unknown[]) => unknown>();
  readonly #spawnRequests = new Map<
    string,
    {
      node: string;
      name: string;
      resolve: (p: Pid) => void;
      reject: (e: unknown) => void;
      timer: ReturnType<typeof setTimeout>;
    }
  >();
  readonly #nodeState = new Map<string, NodeState>();
  readonly #connected = new Map<string, { hidden: boolean }>();
  readonly #pending = new Map<string, unknown[][]>();
  /** Ports of nodes that were connected, discovered or given to connect(): trusted, kept. */
  readonly #ports = new Map<string, number>();
  /** Nodes that did not answer a dial, or whose port came from gossip: at most maxRememberedNodes, oldest first. */
  readonly #dials = new Map<string, DialState>();
  /** Automatic dials in progress. */
  readonly #dialing = new Set<string>();
  #dialTokens = 0;
  #dialTokensAt = 0;
  /** Budgets of peers with messages in mailboxes or a connection; see PeerBudget. */
  readonly #budgets = new Map<string, PeerBudget>();
  readonly #queued = { bytes: 0 };
  /** The budget of the last peer a message came from (a peer sends many in a row). */
  #lastBudget: PeerBudget | undefined = undefined;
  /** Cost and budget of the remote frame being dispatched; the first mailbox it lands in is charged. */
  #inCost = 0;
  #inBudget: PeerBudget | undefined = undefined;
  #rex: Proc | undefined = undefined;
  readonly #nodeWatchers = new Set<Proc>();
  readonly #nodeHandlers = new Set<(e: NodeEvent) => void>();
  readonly #opts: {
    maxMailboxSize: number;
    maxMailboxBytes: number;
    maxQueuedBytesPerPeer: number;
    maxQueuedBytes: number;
    maxNamesPerNetMessage: number;
    dialBackoffInitialMs: number;
    dialBackoffMaxMs: number;
    maxDialsPerSecond: number;
    maxRememberedNodes: number;
    learnedPortTtlMs: number;
    callTimeoutMs: number;
    rpcTimeoutMs: number;
    maxPendingPerNode: number;
    connectAll: boolean;
    listenPort: number | undefined;
  };
  readonly #systemPid: Pid;
  #nextKey = 1;
  #nextRef = randomInt(0, 2 ** 40);
  #startQueue: Array<Proc | ProcessFn> = [];
  #stopped = false;
  #stopping = false;
  #shutdownRejection: Promise<never> | undefined = undefined;
  #dying: Array<[Proc, unknown]> = [];
  #draining = false;
  readonly #stats: NodeStats = {
    processes: 0,
    spawned: 0,
    mailboxOverflows: 0,
    droppedRemote: 0,
    badControl: 0,
    spoofedSignals: 0,
    peerOverflows: 0,
    queuedBytes: 0,
    netNamesDropped: 0,
    dialsSkipped: 0,
    dialFailures: 0,
    rexRestarts: 0,
    rememberedNodes: 0,
    registered: 0,
    remoteLinks: 0,
    remoteMonitors: 0,
  };
  readonly #listeners: {
    message: (node: string, m: unknown, bytes?: number) => void;
    nodeup: (node: string, info?: { hidden?: boolean; port?: number }) => void;
    nodedown: (node: string, reason?: unknown) => void;
  };

  /** Use {@link createNode} or `startNode`. */
  constructor(options: NodeOptions) {
    if (typeof options !== 'object' || options === null) throw badOption('options', 'an object', options);
    if (!isName(options.name) || !options.name.includes('@')) {
      throw badOption('name', 'a node name name@host', options.name);
    }
    const posInt = (k: keyof NodeOptions, d: number, min = 1): number => {
      const v = options[k];
      if (v === undefined) return d;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
        throw badOption(k, `an integer >= ${min}`, v);
      return v;
    };
    const bool = (k: keyof NodeOptions, d: boolean): boolean => {
      const v = options[k];
      if (v === undefined) return d;
      if (typeof v !== 'boolean') throw badOption(k, 'a boolean', v);
      return v;
    };
    this.name = options.name;
    this.creation = posInt('creation', randomInt(1, 2 ** 32 - 1));
    if (this.creation > 0xffffffff) throw badOption('creation', 'an integer 1..4294967295', this.creation);
    this.hidden = bool('hidden', RUNTIME_DEFAULTS.hidden);
    this.#opts = {
      maxMailboxSize: posInt('maxMailboxSize', RUNTIME_DEFAULTS.maxMailboxSize),
      maxMailboxBytes: posInt('maxMailboxBytes', RUNTIME_DEFAULTS.maxMailboxBytes),
      maxQueuedBytesPerPeer: posInt('maxQueuedBytesPerPeer', RUNTIME_DEFAULTS.maxQueuedBytesPerPeer),
      maxQueuedBytes: posInt('maxQueuedBytes', RUNTIME_DEFAULTS.maxQueuedBytes),
      maxNamesPerNetMessage: posInt('maxNamesPerNetMessage', RUNTIME_DEFAULTS.maxNamesPerNetMessage, 0),
      dialBackoffInitialMs: posInt('dialBackoffInitialMs', RUNTIME_DEFAULTS.dialBackoffInitialMs),
      dialBackoffMaxMs: posInt('dialBackoffMaxMs', RUNTIME_DEFAULTS.dialBackoffMaxMs),
      maxDialsPerSecond: posInt('maxDialsPerSecond', RUNTIME_DEFAULTS.maxDialsPerSecond),
      maxRememberedNodes: posInt('maxRememberedNodes', RUNTIME_DEFAULTS.maxRememberedNodes),
      learnedPortTtlMs: posInt('learnedPortTtlMs', RUNTIME_DEFAULTS.learnedPortTtlMs),
      callTimeoutMs: posInt('callTimeoutMs', RUNTIME_DEFAULTS.callTimeoutMs, 0),
      rpcTimeoutMs: posInt('rpcTimeoutMs', RUNTIME_DEFAULTS.rpcTimeoutMs, 0),
      maxPendingPerNode: posInt('maxPendingPerNode', RUNTIME_DEFAULTS.maxPendingPerNode, 0),
      connectAll: bool('connectAll', RUNTIME_DEFAULTS.connectAll),
      listenPort: options.listenPort === undefined ? undefined : posInt('listenPort', 0),
    };
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'runtime' });
    this.#dist = options.distribution;
    this.#onStop = options.onStop;
    this.#systemPid = new Pid(this.name, 0, 0, this.creation);
    this.#system.set(SYSTEM_NAMES.net, (from, _pid, msg) => this.#onNetMessage(from, msg));
    this.pg = this.pgScope(RUNTIME_DEFAULTS.pgScope);
    this.#listeners = {
      message: (node, m, bytes) => this.#onMessage(node, m, bytes),
      nodeup: (node, info) => this.#onNodeup(node, info),
      nodedown: (node, reason) => this.#onNodedown(node, reason),
    };
    if (this.#dist) {
      this.#dist.on('message', this.#listeners.message);
      this.#dist.on('nodeup', this.#listeners.nodeup);
      this.#dist.on('nodedown', this.#listeners.nodedown);
    }
    this.#startRex();
  }

  // ---------------------------------------------------------------- processes

  /** Spawns a process running `fn(ctx)`; it starts after the current task (Erlang gives no earlier guarantee). */
  spawn(fn: ProcessFn, opts?: SpawnOptions): Pid {
    return this._spawn(fn, opts).self;
  }

  /** @internal */
  _spawn(fn: ProcessFn, opts?: SpawnOptions): Proc {
    if (typeof fn !== 'function') throw badOption('fn', 'a function (ctx) => ...', typeof fn);
    const p = this.#newProc(opts);
    if (this.#startQueue.length === 0) queueMicrotask(this.#drainStart);
    this.#startQueue.push(p, fn);
    return p;
  }

  /**
   * Spawns a process that runs `handler(msg, ctx)` for each message, one at a time, in arrival order (the next
   * waits while a returned promise is pending). Idle, it is only its mailbox: no suspended function, so it costs a
   * fraction of a `spawn`ed process (gen_server's callback style). Inside a handler, `ctx.receive` and `ctx.call`
   * work (selective receive over the messages not handled yet). It ends with `ctx.exit`, a throw, or an exit
   * signal. Links, monitors, names, groups and exit trapping work as for any process.
   */
  spawnHandler(handler: MessageHandler, opts?: SpawnOptions): Pid {
    return this._spawnHandler(handler, opts).self;
  }

  /** @internal */
  _spawnHandler(handler: MessageHandler, opts?: SpawnOptions): Proc {
    if (typeof handler !== 'function')
      throw badOption('handler', 'a function (msg, ctx) => ...', typeof handler);
    const p = this.#newProc(opts);
    p.h = handler;
    return p;
  }

  #newProc(opts: SpawnOptions | undefined): Proc {
    if (this.#stopped) throw deadError();
    let cap = this.#opts.maxMailboxSize;
    if (opts?.maxMailboxSize !== undefined) {
      const c = opts.maxMailboxSize;
      if (!Number.isInteger(c) || c < 1) throw badOption('maxMailboxSize', 'an integer >= 1', c);
      cap = c;
    }
    let byteCap = this.#opts.maxMailboxBytes;
    if (opts?.maxMailboxBytes !== undefined) {
      const c = opts.maxMailboxBytes;
      if (!Number.isInteger(c) || c < 1) throw badOption('maxMailboxBytes', 'an integer >= 1', c);
      byteCap = c;
    }
    if (opts?.name !== undefined) this.#checkFreeName(opts.name);
    const key = this.#nextKey++;
    const pid = new Pid(this.name, key % PID_ID_BITS, Math.floor(key / PID_ID_BITS), this.creation);
    const p = new Proc(this, pid);
    if (cap !== this.#opts.maxMailboxSize) p.ext().cap = cap;
    if (byteCap !== this.#opts.maxMailboxBytes) p.ext().byteCap = byteCap;
    if (opts?.trapExit) p.trapping = true;
    this.#procs.set(key, p);
    if (opts?.name !== undefined) this.#setName(opts.name, p);
    this.#stats.spawned++;
    return p;
  }

  // Handler processes run from one run queue drained in a microtask, never inside the sender's send(), so a chain
  // of handlers passing a message along does not grow the stack; each gets a budget of messages per turn.
  #runq: Proc[] = [];
  #runqScheduled = false;

  #schedule(p: Proc): void {
    this.#runq.push(p);
    if (!this.#runqScheduled) {
      this.#runqScheduled = true;
      queueMicrotask(this.#drainRunq);
    }
  }

  readonly #drainRunq = (): void => {
    const q = this.#runq;
    for (let i = 0; i < q.length; i++) {
      const p = q[i]!;
      q[i] = undefined as never;
      if (p.alive) this.#step(p);
    }
    this.#runq = [];
    this.#runqScheduled = false;
  };

  #step(p: Proc): void {
    for (let budget = HANDLER_BUDGET; budget > 0; budget--) {
      const mq = p.mq;
      if (!p.alive) return;
      if (mq === undefined || p.mqHead >= mq.length) {
        p.busy = false;
        return;
      }
      const msg = p.take(p.mqHead);
      let r: unknown;
      try {
        r = p.h!(msg, p);
      } catch (err) {
        this._ended(p, err, true);
        return;
      }
      if (r instanceof Promise) {
        r.then(
          () => {
            if (p.alive) this.#schedule(p);
          },
          (err: unknown) => this._ended(p, err, true),
        );
        return;
      }
    }
    if (p.alive) this.#schedule(p);
  }

  readonly #drainStart = (): void => {
    const q = this.#startQueue;
    this.#startQueue = [];
    for (let i = 0; i < q.length; i += 2) {
      const p = q[i] as Proc;
      if (p.alive) this.#run(p, q[i + 1] as ProcessFn);
    }
  };

  // One closure pair per process is the cheapest way to learn that its function ended (an async wrapper costs more).
  #run(p: Proc, fn: ProcessFn): void {
    let r: unknown;
    try {
      r = fn(p);
    } catch (err) {
      this._ended(p, err, true);
      return;
    }
    if (r instanceof Promise) {
      r.then(procReturned.bind(p), procThrew.bind(p));
    } else {
      this._ended(p, undefined, false);
    }
  }

  /** @internal */
  _ended(p: Proc, err: unknown, threw: boolean): void {
    if (!p.alive) return;
    // A receive the function left pending (never awaited) is abandoned, not rejected: nobody would catch it.
    p.wRes = undefined;
    let reason: unknown = 'normal';
    if (threw) {
      if (err instanceof ProcessExitedError) reason = err.reason;
      else {
        reason = crashReason(err);
        // A thrown value may be anything a peer sent (a BigInt, a deep object): logged as a bounded text.
        this.#log.warn(
          { process: p.self.toString(), err: err instanceof Error ? err : formatTerm(err) },
          'process crashed',
        );
      }
    }
    this._terminate(p, reason);
  }

  /** True when `pid` is a live process of this node. */
  isAlive(pid: Pid): boolean {
    return this.#localOf(pid) !== undefined;
  }

  /** Pids of the live processes of this node. */
  processes(): Pid[] {
    return [...this.#procs.values()].map((p) => p.self);
  }

  /** Counters: processes, overflows, drops. */
  stats(): NodeStats {
    let remoteLinks = 0;
    let remoteMonitors = 0;
    for (const st of this.#nodeState.values()) {
      remoteLinks += st.links.size;
      remoteMonitors += st.outMonitors.size + st.inMonitors.size;
    }
    return {
      ...this.#stats,
      queuedBytes: this.#queued.bytes,
      rememberedNodes: this.#dials.size,
      processes: this.#procs.size,
      registered: this.#names.size,
      remoteLinks,
      remoteMonitors,
    };
  }

  /** Messages waiting in a local process's mailbox (undefined when it is not alive). */
  mailboxSize(pid: Pid): number | undefined {
    return this.#localOf(pid)?.mailboxSize();
  }

  /** The local process `v` names, for API arguments that may be anything (a plain object, garbage). */
  #localOf(v: unknown): Proc | undefined {
    const pid = toPid(v);
    return pid === undefined ? undefined : this.#local(pid);
  }

  #local(pid: Pid): Proc | undefined {
    if (pid.node !== this.name || pid.creation !== this.creation) return undefined;
    return this.#procs.get(pid.serial * PID_ID_BITS + pid.id);
  }

  // ---------------------------------------------------------------- send

  /** Sends `msg` to a pid, a local registered name, or `{ name, node }`. Unknown targets drop it, as in Erlang. */
  send(dest: Dest, msg: unknown): void {
    this._send(this.#systemPid, dest, msg);
  }

  /** @internal */
  _send(from: Pid, dest: Dest, msg: unknown): void {
    if (typeof dest === 'string') {
      const p = this.#names.get(dest);
      if (p) this.#deliver(p, msg);
      return;
    }
    if (dest instanceof Pid) {
      if (dest.node === this.name) {
        if (dest.creation === this.creation) {
          const p = this.#procs.get(dest.serial * PID_ID_BITS + dest.id);
          if (p) this.#deliver(p, msg);
        }
        return;
      }
      // SEND, not SEND_SENDER: the sender is not needed to deliver, and one pid less per message is a third
      // less to encode (Erlang picks SEND_SENDER only for seq_trace's sake; both are accepted here).
      // Connected: the same frame with its control part encoded once per destination (SendFrame).
      if (this.#connected.has(dest.node)) this.#dist!.send(dest.node, sendFrame(dest, msg));
      else this.#remote(dest.node, [[OP.SEND, '', dest], msg]);
      return;
    }
    const pid = toPid(dest);
    if (pid) {
      this._send(from, pid, msg);
      return;
    }
    const named = dest as { name?: unknown; node?: unknown };
    if (typeof dest === 'object' && dest !== null && isName(named.name) && isName(named.node)) {
      if (named.node === this.name) this._send(from, named.name, msg);
      else this.#remote(named.node, [[OP.REG_SEND, from, '', named.name], msg]);
      return;
    }
    throw new KindredError(
      RUNTIME_ERRORS.BAD_DEST,
      'send needs a pid, a registered name, or { name, node }.',
      {
        details: { dest: typeof dest },
      },
    );
  }

  #deliver(p: Proc, msg: unknown): void {
    // The bytes of the remote frame being dispatched are charged to the first mailbox it lands in, and only if it
    // waits there (a receive taking it at once holds nothing for the runtime).
    const cost = this.#inCost;
    if (cost !== 0) this.#inCost = 0;
    // A reply to a call that is no longer waiting (it timed out) is dropped, as an Erlang alias drops it.
    if (typeof msg === 'object' && msg !== null && isReplyMessage(msg)) {
      const calls = p.calls;
      const ref = toRef(msg.ref);
      if (calls === undefined || ref === undefined || !calls.has(refKey(ref))) return;
    }
    const res = p.wRes;
    if (res !== undefined) {
      const pat = p.wPat;
      if (pat === undefined || this.#matches(p, pat, msg)) {
        p.wRes = undefined;
        p.wPat = undefined;
        if (p.wTimer !== undefined) {
          clearTimeout(p.wTimer);
          p.wTimer = undefined;
        }
        res(msg);
        return;
      }
    }
    let q = p.mq;
    if (q === undefined) {
      q = [];
      p.mq = q;
    }
    if (q.length - p.mqHead >= (p.x?.cap ?? this.#opts.maxMailboxSize)) {
      this.#stats.mailboxOverflows++;
      this._terminate(p, 'mailbox_overflow');
      return;
    }
    if (cost !== 0) {
      if (!this.#charge(p, q, cost)) return;
    } else {
      const c = p.x?.mc;
      if (c !== undefined) c.push(undefined, 0);
    }
    q.push(msg);
    if (p.h !== undefined && !p.busy) {
      p.busy = true;
      this.#schedule(p);
    }
  }

  /**
   * Charges `cost` bytes of the frame being dispatched to p's mailbox, its peer and the node; false when that goes
   * over a cap (then p was killed, or the peer disconnected, and the message is dropped).
   */
  #charge(p: Proc, q: unknown[], cost: number): boolean {
    const x = p.ext();
    if (x.mb + cost > (x.byteCap ?? this.#opts.maxMailboxBytes)) {
      this.#stats.mailboxOverflows++;
      this._terminate(p, 'mailbox_overflow');
      return false;
    }
    const b = this.#inBudget!;
    if (b.bytes + cost > this.#opts.maxQueuedBytesPerPeer) {
      this.#cutPeer(b, 'maxQueuedBytesPerPeer');
      return false;
    }
    if (this.#queued.bytes + cost > this.#opts.maxQueuedBytes) {
      this.#cutPeer(b, 'maxQueuedBytes');
      return false;
    }
    let c = x.mc;
    if (c === undefined) {
      c = [];
      for (let i = 0; i < q.length; i++) c.push(undefined, 0);
      x.mc = c;
    }
    c.push(b, cost);
    x.mb += cost;
    b.bytes += cost;
    b.total.bytes += cost;
    return true;
  }

  /**
   * A peer whose unread messages went over its budget (or the node's) is disconnected: its messages in flight are
   * lost, as when any connection drops, and what it already queued stays until read. Logged once per connection.
   */
  #cutPeer(b: PeerBudget, cap: string): void {
    if (b.cut) return;
    b.cut = true;
    this.#stats.peerOverflows++;
    this.#log.warn(
      { peer: { node: b.node }, cap, queuedBytes: b.bytes, nodeQueuedBytes: this.#queued.bytes },
      'peer disconnected: its unread messages went over the byte cap',
    );
    this.#dist?.disconnect(b.node);
  }

  #budgetOf(node: string): PeerBudget {
    let b = this.#budgets.get(node);
    if (b === undefined) {
      b = { node, bytes: 0, total: this.#queued, cut: false };
      this.#budgets.set(node, b);
    }
    this.#lastBudget = b;
    return b;
  }

  /** Runs a receive pattern for an arriving message; a pattern that throws crashes its process, not the sender. */
  #matches(p: Proc, pat: Pattern, msg: unknown): boolean {
    try {
      return Boolean(pat(msg));
    } catch (err) {
      queueMicrotask(() => {
        if (p.alive) this._terminate(p, crashReason(err));
      });
      return false;
    }
  }

  // ---------------------------------------------------------------- registry

  /** Registers a local pid under `name` (Erlang's register/2). */
  register(name: string, pid: Pid): void {
    this.#checkFreeName(name);
    const p = this.#localOf(pid);
    if (!p) {
      if (!isPid(pid)) throw new KindredError(RUNTIME_ERRORS.BAD_DEST, 'register(name, pid) needs a pid.');
      if (pid.node !== this.name) {
        throw new KindredError(
          RUNTIME_ERRORS.NOT_LOCAL,
          `Only a process of this node can be registered here.`,
        );
      }
      throw new KindredError(RUNTIME_ERRORS.NOPROC, `Process ${formatTerm(pid)} is not alive.`);
    }
    if (p.name !== undefined) {
      throw new KindredError(
        RUNTIME_ERRORS.ALREADY_REGISTERED,
        `Process ${formatTerm(pid)} is already registered as ${p.name}.`,
      );
    }
    this.#setName(name, p);
  }

  #checkFreeName(name: string): void {
    if (!isName(name))
      throw new KindredError(RUNTIME_ERRORS.BAD_NAME, 'A registered name is a string of 1-255 characters.');
    if (this.#system.has(name)) {
      throw new KindredError(
        RUNTIME_ERRORS.BAD_NAME,
        `The name ${name} is reserved by the runtime; pick another.`,
      );
    }
    if (this.#names.has(name)) {
      throw new KindredError(
        RUNTIME_ERRORS.NAME_TAKEN,
        `The name ${name} is already registered; use whereis().`,
      );
    }
  }

  #setName(name: string, p: Proc): void {
    this.#names.set(name, p);
    p.name = name;
  }

  /** Removes a registered name; false when it was not registered. */
  unregister(name: string): boolean {
    const p = this.#names.get(name);
    if (!p) return false;
    this.#names.delete(name);
    p.name = undefined;
    return true;
  }

  /** The pid registered under `name` on this node. */
  whereis(name: string): Pid | undefined {
    return this.#names.get(name)?.self;
  }

  /** Names registered on this node. */
  registered(): string[] {
    return [...this.#names.keys()];
  }

  // ---------------------------------------------------------------- exit signals and links

  /** Sends an exit signal with `reason` to `pid` from outside any process (exit/2; `kill` is untrappable). */
  exit(pid: Pid, reason: unknown): void {
    this._exitSignal(this.#systemPid, pid, reason);
  }

  /** @internal */
  _exitSignal(from: Pid, to: Pid, reason: unknown): void {
    const target = toPid(to);
    if (!target) throw new KindredError(RUNTIME_ERRORS.BAD_DEST, 'exit(pid, reason) needs a pid.');
    if (target.node !== this.name) {
      this.#remote(target.node, [[OP.EXIT2, from, target, reason]]);
      return;
    }
    const p = this.#local(target);
    if (p) this.#signal(p, from, reason, false);
  }

  /** Links two processes, the first of this node (what `a` calling link(b) does). */
  link(a: Pid, b: Pid): void {
    const p = this.#localOf(a);
    if (!p)
      throw new KindredError(
        RUNTIME_ERRORS.NOPROC,
        `Process ${formatTerm(a)} is not a live process of this node.`,
      );
    this._link(p, b);
  }

  /** Removes the link between a process of this node and `b`. */
  unlink(a: Pid, b: Pid): void {
    const p = this.#localOf(a);
    if (p) this._unlink(p, b);
  }

  /** @internal */
  _link(p: Proc, to: Pid): void {
    const pid = toPid(to);
    if (!pid) throw new KindredError(RUNTIME_ERRORS.BAD_DEST, 'link needs a pid.');
    if (!p.alive) return;
    const k = pidKey(pid);
    if (p.links?.has(k)) return;
    if (pid.node === this.name) {
      const q = this.#local(pid);
      if (!q) {
        // OTP 23+: link/1 to a dead process returns true and sends the caller an exit signal noproc.
        this.#applyExit(p, pid, 'noproc', true);
        return;
      }
      if (q === p) return;
      linksOf(p).set(k, pid);
      linksOf(q).set(pidKey(p.self), p.self);
      return;
    }
    linksOf(p).set(k, pid);
    this.#state(pid.node).links.set(`${p.key}|${k}`, { local: p, remote: pid });
    this.#remote(pid.node, [[OP.LINK, p.self, pid]]);
  }

  /** @internal */
  _unlink(p: Proc, to: Pid): void {
    const pid = toPid(to);
    if (!pid) return;
    const k = pidKey(pid);
    if (!p.links?.delete(k)) return;
    if (pid.node === this.name) {
      this.#local(pid)?.links?.delete(pidKey(p.self));
      return;
    }
    this.#nodeState.get(pid.node)?.links.delete(`${p.key}|${k}`);
    this.#remote(pid.node, [[OP.UNLINK_ID, this.#nextRef++, p.self, pid]]);
  }

  /** An exit signal arrives at p (Erlang's rules, erlang:exit/2 and links). */
  #signal(p: Proc, from: Pid, reason: unknown, viaLink: boolean): void {
    if (!p.alive) return;
    if (viaLink) {
      if (!p.links?.delete(pidKey(from))) return;
    }
    this.#applyExit(p, from, reason, viaLink);
  }

  #applyExit(p: Proc, from: Pid, reason: unknown, viaLink: boolean): void {
    if (!p.alive) return;
    if (!viaLink && reason === 'kill') {
      this._terminate(p, 'killed');
    } else if (p.trapping) {
      this.#deliver(p, { type: 'EXIT', from, reason });
    } else if (reason !== 'normal') {
      this._terminate(p, reason);
    } else if (
      !viaLink &&
      from.node === this.name &&
      from.id === p.self.id &&
      from.serial === p.self.serial
    ) {
      // exit(self(), normal) ends the caller, as in Erlang.
      this._terminate(p, 'normal');
    }
  }

  /**
   * Ends a process: everything it held is released and its links and monitors are signalled. Cascades run from a
   * queue, not recursively, so a chain of a million linked processes does not overflow the stack.
   * @internal
   */
  _terminate(p: Proc, reason: unknown): void {
    if (!p.alive) return;
    p.alive = false;
    p.exitReason = reason;
    this.#dying.push([p, reason]);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let i = 0; i < this.#dying.length; i++) {
        const [q, r] = this.#dying[i]!;
        this.#cleanup(q, r);
      }
    } finally {
      this.#dying = [];
      this.#draining = false;
    }
  }

  #cleanup(p: Proc, reason: unknown): void {
    this.#procs.delete(p.key);
    if (p.name !== undefined) {
      this.#names.delete(p.name);
      p.name = undefined;
    }
    const res = p.wRes;
    if (res !== undefined) {
      p.wRes = undefined;
      p.wPat = undefined;
      if (p.wTimer !== undefined) clearTimeout(p.wTimer);
      p.wTimer = undefined;
      // stop() ends every process with `shutdown`: one error (and one rejected promise) serves them all, since
      // building an Error (its stack) per parked process was half of stop()'s time.
      let rejected: Promise<never>;
      if (this.#stopping && reason === 'shutdown') {
        if (this.#shutdownRejection === undefined) {
          this.#shutdownRejection = quietRejection(new ProcessExitedError(reason));
        }
        rejected = this.#shutdownRejection;
      } else rejected = quietRejection(new ProcessExitedError(reason));
      res(rejected);
    }
    p.releaseAll();
    p.mq = undefined;
    p.calls = undefined;
    if (p.nodeWatch) this.#nodeWatchers.delete(p);
    if (p.scopes) {
      for (const s of p.scopes) s._processExited(p.self);
      p.scopes = undefined;
    }
    if (p.monitors) {
      for (const [k, m] of p.monitors) {
        if (m.target) m.target.monitoredBy?.delete(k);
        else if (m.node !== undefined) {
          this.#nodeState.get(m.node)?.outMonitors.delete(k);
          this.#remoteQuiet(m.node, [
            [OP.DEMONITOR_P, p.self, m.item instanceof Pid ? m.item : m.item.name, m.ref],
          ]);
        }
      }
      p.monitors = undefined;
    }
    if (p.monitoredBy) {
      for (const [k, m] of p.monitoredBy) {
        if (m.watcher.node === this.name) {
          const w2 = this.#local(m.watcher);
          const out = w2?.monitors?.get(k);
          if (w2 && out) {
            w2.monitors!.delete(k);
            this.#deliver(w2, { type: 'DOWN', ref: m.ref, item: out.item, reason } satisfies DownMessage);
          }
        } else {
          this.#nodeState.get(m.watcher.node)?.inMonitors.delete(k);
          this.#remoteQuiet(m.watcher.node, [[OP.MONITOR_P_EXIT, p.self, m.watcher, m.ref, reason]]);
        }
      }
      p.monitoredBy = undefined;
    }
    if (p.links) {
      const links = p.links;
      p.links = undefined;
      for (const [k, pid] of links) {
        if (pid.node === this.name) {
          const q = this.#local(pid);
          if (q) this.#signal(q, p.self, reason, true);
        } else {
          this.#nodeState.get(pid.node)?.links.delete(`${p.key}|${k}`);
          this.#remoteQuiet(pid.node, [[OP.EXIT, p.self, pid, reason]]);
        }
      }
    }
    if (p === this.#rex) {
      // rpc must outlive its server: a peer can exit(rex, kill) or send it anything (Erlang's kernel supervisor
      // restarts rex the same way). Restarted here, synchronously, so the name is never free for others to take.
      this.#rex = undefined;
      if (!this.#stopping && !this.#stopped) {
        this.#stats.rexRestarts++;
        this.#log.warn({ reason: formatTerm(reason) }, 'rpc server rex died; restarted');
        this.#startRex();
      }
    }
  }

  // ---------------------------------------------------------------- monitors

  /** @internal */
  _monitor(p: Proc, dest: Dest): Ref {
    const ref = this.makeRef();
    if (!p.alive) return ref;
    const k = refKey(ref);
    let pid: Pid | undefined;
    let item: Pid | { name: string; node: string };
    if (typeof dest === 'string') {
      item = { name: dest, node: this.name };
      pid = this.#names.get(dest)?.self;
      if (!pid) {
        this.#deliver(p, { type: 'DOWN', ref, item, reason: 'noproc' } satisfies DownMessage);
        return ref;
      }
    } else if (toPid(dest) !== undefined) {
      pid = toPid(dest)!;
      item = pid;
    } else if (isNamed(dest)) {
      item = { name: dest.name, node: dest.node };
      if (dest.node === this.name) {
        pid = this.#names.get(dest.name)?.self;
        if (!pid) {
          this.#deliver(p, { type: 'DOWN', ref, item, reason: 'noproc' } satisfies DownMessage);
          return ref;
        }
      } else {
        monitorsOf(p).set(k, { ref, target: undefined, node: dest.node, item });
        this.#state(dest.node).outMonitors.set(k, p);
        this.#remote(dest.node, [[OP.MONITOR_P, p.self, dest.name, ref]]);
        return ref;
      }
    } else {
      throw new KindredError(
        RUNTIME_ERRORS.BAD_DEST,
        'monitor needs a pid, a registered name, or { name, node }.',
      );
    }
    if (pid.node === this.name) {
      const t = this.#local(pid);
      if (!t) {
        this.#deliver(p, { type: 'DOWN', ref, item, reason: 'noproc' } satisfies DownMessage);
        return ref;
      }
      monitorsOf(p).set(k, { ref, target: t, node: undefined, item });
      monitoredByOf(t).set(k, { ref, watcher: p.self });
      return ref;
    }
    monitorsOf(p).set(k, { ref, target: undefined, node: pid.node, item });
    this.#state(pid.node).outMonitors.set(k, p);
    this.#remote(pid.node, [[OP.MONITOR_P, p.self, pid, ref]]);
    return ref;
  }

  /** @internal */
  _demonitor(p: Proc, ref: Ref): void {
    const r = toRef(ref);
    if (!r) return;
    const k = refKey(r);
    const m = p.monitors?.get(k);
    if (!m) return;
    p.monitors!.delete(k);
    if (m.target) {
      m.target.monitoredBy?.delete(k);
    } else if (m.node !== undefined) {
      this.#nodeState.get(m.node)?.outMonitors.delete(k);
      this.#remote(m.node, [[OP.DEMONITOR_P, p.self, m.item instanceof Pid ? m.item : m.item.name, m.ref]]);
    }
  }

  /**
   * Monitors `dest` from outside any process: `down` resolves with the DOWN message. The monitor is in place when
   * this returns. `cancel()` removes it (`down` then never settles).
   */
  monitor(dest: Dest): { ref: Ref; down: Promise<DownMessage>; cancel: () => void } {
    let resolveDown!: (m: DownMessage) => void;
    const down = new Promise<DownMessage>((r) => {
      resolveDown = r;
    });
    let ref!: Ref;
    // The watcher is a process so the monitor has an owner; the monitor is set up now, not when it first runs.
    const watcher = this._spawn(async (ctx) => {
      resolveDown(await ctx.receive((x): x is DownMessage => isDownMessage(x) && refEquals(x.ref, ref)));
    });
    ref = this._monitor(watcher, dest);
    return { ref, down, cancel: () => this._terminate(watcher, 'normal') };
  }

  // ---------------------------------------------------------------- node events

  /** Calls `handler` with nodeup/nodedown events; returns the function that unsubscribes. */
  monitorNodes(handler: (event: NodeEvent) => void): () => void {
    this.#nodeHandlers.add(handler);
    return () => this.#nodeHandlers.delete(handler);
  }

  /** @internal */
  _watchNodes(p: Proc, flag: boolean): void {
    p.nodeWatch = flag;
    if (flag) this.#nodeWatchers.add(p);
    else this.#nodeWatchers.delete(p);
  }

  #emitNode(e: NodeEvent): void {
    for (const p of this.#nodeWatchers) this.#deliver(p, e);
    for (const h of this.#nodeHandlers) {
      try {
        h(e);
      } catch (err) {
        this.#log.error({ err }, 'monitorNodes handler threw');
      }
    }
  }

  // ---------------------------------------------------------------- references, call, rpc

  /** A new reference, unique in this node incarnation (Erlang's make_ref). */
  makeRef(): Ref {
    return new Ref(this.name, this.creation, refWords(this.#nextRef++));
  }

  /** @internal */
  async _call(p: Proc, dest: Dest, request: unknown, timeoutMs?: number): Promise<unknown> {
    const t = timeoutMs ?? this.#opts.callTimeoutMs;
    if (!(t >= 0 && (Number.isFinite(t) || t === Number.POSITIVE_INFINITY))) {
      throw badOption('timeoutMs', 'a number >= 0 or Infinity', t);
    }
    const ref = this._monitor(p, dest);
    const k = refKey(ref);
    callsOf(p).add(k);
    try {
      this._send(p.self, dest, {
        type: '$gen_call',
        from: { pid: p.self, ref },
        request,
      } satisfies CallMessage);
      const m = await p.receive(
        (x) => (isReplyMessage(x) || isDownMessage(x)) && refEquals((x as { ref: Ref }).ref, ref),
        t,
      );
      if (m === TIMEOUT) {
        throw new KindredError(
          RUNTIME_ERRORS.CALL_TIMEOUT,
          `No reply within ${t} ms; the callee may be busy or stuck.`,
          {
            details: { timeoutMs: t },
          },
        );
      }
      if (isDownMessage(m)) {
        throw new KindredError(
          RUNTIME_ERRORS.CALL_EXIT,
          `The callee exited before replying (reason ${formatTerm(m.reason)}).`,
          { details: { reason: m.reason } },
        );
      }
      return (m as { reply: unknown }).reply;
    } finally {
      p.calls?.delete(k);
      if (p.alive) p.demonitor(ref, { flush: true });
    }
  }

  /** Request/reply from outside any process: runs the call in a short-lived process. */
  call<R = unknown>(dest: Dest, request: unknown, timeoutMs?: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.spawn(async (ctx) => {
        try {
          resolve(await ctx.call<R>(dest, request, timeoutMs));
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  /**
   * Makes `fn` callable by `rpc(thisNode, name, args)` from any node. It runs in its own process per call; its result
   * must be something msgpackr can carry.
   */
  expose(name: string, fn: (...args: never[]) => unknown): void {
    if (!isName(name)) throw badOption('name', 'a string of 1-255 characters', name);
    if (typeof fn !== 'function') throw badOption('fn', 'a function', typeof fn);
    this.#handlers.set(name, fn);
  }

  /**
   * Makes `fn` spawnable from other nodes as a process body: `spawnOn(thisNode, name, args)` runs
   * `fn(ctx, ...args)` in a new process here (Erlang's spawn/4 with the function named, as code cannot travel).
   */
  exposeSpawn(name: string, fn: (ctx: ProcessContext, ...args: never[]) => unknown): void {
    if (!isName(name)) throw badOption('name', 'a string of 1-255 characters', name);
    if (typeof fn !== 'function') throw badOption('fn', 'a function', typeof fn);
    this.#spawnables.set(name, fn as (ctx: ProcessContext, ...args: unknown[]) => unknown);
  }

  /**
   * Spawns the body `name` exposed with `exposeSpawn` on `node` with `args` (SPAWN_REQUEST/SPAWN_REPLY); resolves
   * with the new pid. Rejects with `KINDRED_ERR_SPAWN_FAILED` (`details.reason`: `undef` when `node` exposes no such
   * body, `noconnection` when the node is lost, `timeout`).
   */
  spawnOn(node: string, name: string, args: readonly unknown[] = [], timeoutMs?: number): Promise<Pid> {
    const t = timeoutMs ?? this.#opts.callTimeoutMs;
    if (node === this.name) {
      const fn = this.#spawnables.get(name);
      if (!fn) return Promise.reject(spawnFailed(node, name, 'undef'));
      return Promise.resolve(this.spawn((ctx) => fn(ctx, ...args)));
    }
    const ref = this.makeRef();
    const k = refKey(ref);
    return new Promise<Pid>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#spawnRequests.delete(k);
        reject(spawnFailed(node, name, 'timeout'));
      }, t);
      this.#spawnRequests.set(k, { node, name, resolve, reject, timer });
      try {
        this.#remote(node, [
          [OP.SPAWN_REQUEST, ref, this.#systemPid, this.#systemPid, ['kindred', name, args.length], []],
          args,
        ]);
      } catch (err) {
        clearTimeout(timer);
        this.#spawnRequests.delete(k);
        reject(err);
      }
    });
  }

  #spawnReply(k: string, result: unknown): void {
    const r = this.#spawnRequests.get(k);
    if (!r) return;
    this.#spawnRequests.delete(k);
    clearTimeout(r.timer);
    const pid = toPid(result);
    if (pid) r.resolve(pid);
    else r.reject(spawnFailed(r.node, r.name, typeof result === 'string' ? result : 'badarg'));
  }

  /** Stops exposing a handler. */
  unexpose(name: string): void {
    this.#handlers.delete(name);
  }

  /** Calls handler `handler` exposed by `node` with `args` (Erlang's rpc:call through the `rex` server). */
  async rpc<R = unknown>(
    node: string,
    handler: string,
    args: readonly unknown[] = [],
    timeoutMs?: number,
  ): Promise<R> {
    const reply = (await this.call(
      { name: RUNTIME_DEFAULTS.rpcServerName, node },
      { handler, args },
      timeoutMs ?? this.#opts.rpcTimeoutMs,
    )) as { ok: boolean; value?: unknown; error?: { error?: string; message?: string; code?: string } };
    if (reply?.ok) return reply.value as R;
    const e = typeof reply?.error === 'object' && reply.error !== null ? reply.error : {};
    if (e.code === RUNTIME_ERRORS.RPC_UNKNOWN_HANDLER) {
      throw new KindredError(
        RUNTIME_ERRORS.RPC_UNKNOWN_HANDLER,
        `Node ${formatTerm(node, 260)} exposes no handler ${formatTerm(handler, 100)}.`,
        {
          details: { node, handler },
        },
      );
    }
    throw new KindredError(
      RUNTIME_ERRORS.RPC_FAILED,
      `Handler ${formatTerm(handler, 100)} on ${node} failed: ${typeof e.message === 'string' ? e.message.slice(0, 500) : formatTerm(e.message ?? 'error')}`,
      {
        details: { node, handler, error: e },
      },
    );
  }

  #startRex(): void {
    const handlers = this.#handlers;
    this.#rex = this._spawn(
      async (ctx) => {
        for (;;) {
          const m = (await ctx.receive()) as CallMessage<{ handler?: unknown; args?: unknown }>;
          if (m?.type !== '$gen_call') continue;
          // Whatever a peer sent: a call without a pid and ref to answer is ignored, not a crash of rex.
          const pid = toPid(m.from?.pid);
          const ref = toRef(m.from?.ref);
          if (pid === undefined || ref === undefined) continue;
          const from: From = { pid, ref };
          const request = m.request;
          const fn = typeof request?.handler === 'string' ? handlers.get(request.handler) : undefined;
          if (!fn) {
            ctx.reply(from, {
              ok: false,
              error: { error: 'undef', message: 'unknown handler', code: RUNTIME_ERRORS.RPC_UNKNOWN_HANDLER },
            });
            continue;
          }
          const args = Array.isArray(request.args) ? request.args : [];
          ctx.spawn(async (w) => {
            try {
              w.reply(from, { ok: true, value: await (fn as (...a: unknown[]) => unknown)(...args) });
            } catch (err) {
              w.reply(from, { ok: false, error: crashReason(err) });
            }
          });
        }
      },
      { name: RUNTIME_DEFAULTS.rpcServerName },
    );
  }

  // ---------------------------------------------------------------- pg

  /** The pg scope `name`, started on first use (Erlang's pg:start_link(Scope)). */
  pgScope(name: string): PgScope {
    let s = this.#scopes.get(name);
    if (s) return s;
    if (!isName(name)) throw badOption('scope', 'a string of 1-255 characters', name);
    if (this.#system.has(name) || this.#names.has(name) || name === RUNTIME_DEFAULTS.rpcServerName) {
      throw new KindredError(
        RUNTIME_ERRORS.BAD_NAME,
        `The name ${name} is taken; pick another pg scope name.`,
      );
    }
    s = new PgScope(name, {
      self: this.name,
      isLocalAlive: (pid) => {
        const p = this.#local(pid);
        return p !== undefined;
      },
      track: (pid, scope) => {
        const p = this.#local(pid);
        if (p) scopesOf(p).add(scope);
      },
      untrack: (pid, scope) => this.#local(pid)?.scopes?.delete(scope),
      sendTo: (node, msg) => this.#remoteQuiet(node, [[OP.REG_SEND, this.#systemPid, '', name], msg]),
      peers: () => this.#visiblePeers(),
      deliver: (pid, msg) => this._send(this.#systemPid, pid, msg),
    });
    this.#scopes.set(name, s);
    this.#system.set(name, (from, _pid, msg) => s._onRemote(from, msg));
    s._start();
    return s;
  }

  /** Sends `msg` to every member of `group` in the default scope (or `scope`); returns how many. */
  broadcast(group: string, msg: unknown, scope?: string): number {
    return (scope === undefined ? this.pg : this.pgScope(scope)).broadcast(group, msg);
  }

  // ---------------------------------------------------------------- distribution

  /** Connected visible nodes (Erlang's nodes()). */
  nodes(): string[] {
    return this.#visiblePeers();
  }

  /** Connected hidden nodes (nodes(hidden)). */
  hiddenNodes(): string[] {
    return [...this.#connected].filter(([, i]) => i.hidden).map(([n]) => n);
  }

  #visiblePeers(): string[] {
    const out: string[] = [];
    for (const [n, i] of this.#connected) if (!i.hidden) out.push(n);
    return out;
  }

  /**
   * Connects to `node` (rejects with the transport's code when it cannot: pang). An explicit connect (net_adm:ping)
   * is made even while automatic dials to `node` are in backoff; its failure counts as one more failed dial.
   */
  async connect(node: string, opts?: { port?: number; address?: string }): Promise<void> {
    if (!this.#dist) throw this.#notDistributed();
    if (opts?.port !== undefined) this.#ports.set(node, opts.port);
    if (this.#connected.has(node)) return;
    const port = opts?.port ?? this.#portOf(node);
    try {
      await this.#dist.connect(node, port === undefined ? opts : { ...opts, port });
    } catch (err) {
      if (!this.#connected.has(node)) this.#dialFailed(node);
      throw err;
    }
  }

  /** Drops the connection to `node`. */
  disconnect(node: string): void {
    this.#dist?.disconnect(node);
  }

  /** Remembers the port `node` listens on (from discovery), for connect_all and auto-connect. */
  notePort(node: string, port: number): void {
    this.#ports.set(node, port);
  }

  #notDistributed(): KindredError {
    return new KindredError(
      RUNTIME_ERRORS.BAD_OPTION,
      'This node is not distributed; start it with startNode().',
    );
  }

  #state(node: string): NodeState {
    let s = this.#nodeState.get(node);
    if (!s) {
      s = { links: new Map(), outMonitors: new Map(), inMonitors: new Map() };
      this.#nodeState.set(node, s);
    }
    return s;
  }

  /** Sends a frame to `node`, setting up the connection first when needed (Erlang's auto-connect). */
  #remote(node: string, frame: unknown[]): void {
    if (node === this.name) return;
    if (this.#connected.has(node)) {
      this.#dist!.send(node, frame);
      return;
    }
    if (!this.#dist || this.#stopping) {
      this.#failFrame(node, frame);
      return;
    }
    let q = this.#pending.get(node);
    if (q === undefined) {
      // A node in backoff (or over the dial rate) is unreachable for now: the frame is dropped, as Erlang drops a
      // send to a node it cannot connect to, and a link or monitor it carried breaks with noconnection.
      if (!this.#dialing.has(node) && !this.#mayDial(node)) {
        this.#failFrame(node, frame);
        this.#forgetUnreached(node);
        return;
      }
      q = [];
      this.#pending.set(node, q);
      this.#dial(node);
    }
    if (q.length >= this.#opts.maxPendingPerNode) {
      this.#failFrame(node, frame);
      return;
    }
    q.push(frame);
  }

  /** Nothing may stay behind for a node that was never reached. */
  #forgetUnreached(node: string): void {
    const st = this.#nodeState.get(node);
    if (st && !this.#connected.has(node) && st.links.size + st.outMonitors.size + st.inMonitors.size === 0) {
      this.#nodeState.delete(node);
    }
  }

  /** The port to dial `node` on: a trusted one, else one learned from gossip that has not expired. */
  #portOf(node: string): number | undefined {
    const trusted = this.#ports.get(node);
    if (trusted !== undefined) return trusted;
    const d = this.#dials.get(node);
    if (d?.port === undefined) return undefined;
    if (Date.now() < d.portUntil) return d.port;
    d.port = undefined;
    return undefined;
  }

  /** The remembered state of `node`, made when absent (the oldest entry is forgotten when the map is full). */
  #dialState(node: string): DialState {
    let d = this.#dials.get(node);
    if (d === undefined) {
      if (this.#dials.size >= this.#opts.maxRememberedNodes) {
        const oldest = this.#dials.keys().next().value;
        if (oldest !== undefined) this.#dials.delete(oldest);
      }
      d = { failures: 0, retryAt: 0, port: undefined, portUntil: 0 };
      this.#dials.set(node, d);
    }
    return d;
  }

  /**
   * Whether an automatic dial to `node` may start now: not in backoff, and a token of the node-wide dial rate is
   * left (a token bucket of maxDialsPerSecond, refilled continuously). Counts the dials it refuses.
   */
  #mayDial(node: string): boolean {
    const now = Date.now();
    const d = this.#dials.get(node);
    if (d !== undefined && now < d.retryAt) {
      this.#stats.dialsSkipped++;
      return false;
    }
    const rate = this.#opts.maxDialsPerSecond;
    this.#dialTokens = Math.min(rate, this.#dialTokens + ((now - this.#dialTokensAt) * rate) / 1000);
    this.#dialTokensAt = now;
    if (this.#dialTokens < 1) {
      this.#stats.dialsSkipped++;
      return false;
    }
    this.#dialTokens--;
    return true;
  }

  /** An automatic dial (auto-connect or connect_all); frames pending for `node` fail if it does. */
  #dial(node: string): void {
    if (this.#dialing.has(node)) return;
    this.#dialing.add(node);
    const port = this.#portOf(node);
    this.#dist!.connect(node, port === undefined ? undefined : { port }).then(
      () => {
        this.#dialing.delete(node);
        // nodeup flushed the frames; if the connection is already gone again, they cannot go.
        if (!this.#connected.has(node)) this.#failPending(node);
      },
      (err: unknown) => {
        this.#dialing.delete(node);
        this.#log.debug({ peer: { node }, err }, 'automatic connect failed');
        if (this.#connected.has(node)) return;
        this.#dialFailed(node);
        this.#failPending(node);
        this.#forgetUnreached(node);
      },
    );
  }

  #failPending(node: string): void {
    const lost = this.#pending.get(node);
    this.#pending.delete(node);
    if (lost) for (const f of lost) this.#failFrame(node, f);
  }

  /**
   * A dial to `node` failed: automatic dials wait `min(max, initial * 2^(failures-1))`, with equal jitter (half of
   * it fixed, half random) so nodes that lost the same peer do not redial in step; a port learned from gossip is
   * forgotten (it was wrong, or the node is gone).
   */
  #dialFailed(node: string): void {
    if (this.#stopped) return;
    this.#stats.dialFailures++;
    const d = this.#dialState(node);
    d.failures++;
    d.port = undefined;
    const delay = Math.min(
      this.#opts.dialBackoffMaxMs,
      this.#opts.dialBackoffInitialMs * 2 ** Math.min(d.failures - 1, 30),
    );
    d.retryAt = Date.now() + delay / 2 + Math.random() * (delay / 2);
  }

  /** Like #remote for signals the runtime sends on its own (never throws). */
  #remoteQuiet(node: string, frame: unknown[]): void {
    try {
      this.#remote(node, frame);
    } catch (err) {
      this.#log.warn({ peer: { node }, err }, 'could not send a signal');
    }
  }

  /** A frame that cannot reach its node: links and monitors it set up break with `noconnection`. */
  #failFrame(node: string, frame: unknown[]): void {
    this.#stats.droppedRemote++;
    const c = frame[0] as unknown[];
    if (c[0] === OP.LINK) {
      const p = this.#local(c[1] as Pid);
      const remote = c[2] as Pid;
      if (p) {
        this.#nodeState.get(node)?.links.delete(`${p.key}|${pidKey(remote)}`);
        this.#signal(p, remote, 'noconnection', true);
      }
    } else if (c[0] === OP.SPAWN_REQUEST) {
      this.#spawnReply(refKey(c[1] as Ref), 'noconnection');
    } else if (c[0] === OP.MONITOR_P) {
      const ref = c[3] as Ref;
      const k = refKey(ref);
      const p = this.#nodeState.get(node)?.outMonitors.get(k);
      this.#nodeState.get(node)?.outMonitors.delete(k);
      const m = p?.monitors?.get(k);
      if (p && m) {
        p.monitors!.delete(k);
        this.#deliver(p, { type: 'DOWN', ref, item: m.item, reason: 'noconnection' } satisfies DownMessage);
      }
    }
  }

  #onNodeup(node: string, info?: { hidden?: boolean; port?: number }): void {
    if (this.#stopped) return;
    // On a hidden node every connection is hidden (erl: nodes() is [] there, nodes(hidden) lists the peers).
    const hidden = info?.hidden === true || this.hidden;
    this.#connected.set(node, { hidden });
    // It answered: no backoff, and what gossip said of it is replaced by what it says itself.
    this.#dials.delete(node);
    const b = this.#budgets.get(node);
    if (b !== undefined) b.cut = false;
    if (isPort(info?.port)) this.#ports.set(node, info.port);
    const q = this.#pending.get(node);
    this.#pending.delete(node);
    if (q) for (const f of q) this.#remoteQuiet(node, f);
    if (hidden) return;
    if (!this.hidden && this.#opts.connectAll) {
      const known = this.#visiblePeers()
        .filter((n) => n !== node)
        .map((n) => [n, this.#ports.get(n) ?? null]);
      this.#remoteQuiet(node, [
        [OP.REG_SEND, this.#systemPid, '', SYSTEM_NAMES.net],
        { type: 'peers', port: this.#opts.listenPort ?? null, nodes: known },
      ]);
    }
    for (const s of this.#scopes.values()) s._nodeup(node);
    this.#emitNode({ type: 'nodeup', node });
  }

  /**
   * A connect_all node list from a connected peer. A peer could name thousands of host:port pairs of its choice,
   * so at most maxNamesPerNetMessage legal names are taken (the rest are counted and dropped), each dial goes
   * through the backoff and the node-wide dial rate, and a port learned here is kept only until it expires or a
   * dial with it fails.
   */
  #onNetMessage(from: string, msg: unknown): void {
    const m = msg as { type?: unknown; port?: unknown; nodes?: unknown };
    if (typeof m !== 'object' || m === null) throw new Error('kindred_net: not a map');
    if (m.type !== 'peers' || this.hidden || !this.#opts.connectAll || !this.#dist) return;
    if (isPort(m.port)) this.#ports.set(from, m.port);
    if (!Array.isArray(m.nodes)) return;
    const n = m.nodes.length;
    const max = this.#opts.maxNamesPerNetMessage;
    if (n > max) this.#stats.netNamesDropped += n - max;
    const now = Date.now();
    for (let i = 0; i < n && i < max; i++) {
      const e: unknown = m.nodes[i];
      if (!Array.isArray(e) || !isNodeName(e[0]) || (e[1] !== null && e[1] !== undefined && !isPort(e[1]))) {
        this.#stats.netNamesDropped++;
        continue;
      }
      const node = e[0];
      if (node === this.name || this.#connected.has(node) || this.#dialing.has(node)) continue;
      if (isPort(e[1]) && !this.#ports.has(node)) {
        const d = this.#dialState(node);
        d.port = e[1];
        d.portUntil = now + this.#opts.learnedPortTtlMs;
      }
      if (this.#pending.has(node) || !this.#mayDial(node)) continue;
      this.#dial(node);
    }
  }

  #onNodedown(node: string, reason?: unknown): void {
    const was = this.#connected.get(node);
    this.#connected.delete(node);
    // A budget stays while messages of that peer wait in mailboxes (a reconnection must not start from zero), and
    // while the peer is cut (frames the transport had already decoded still arrive: they must stay dropped); the
    // budgets of other peers that are gone are dropped.
    for (const [n, b] of this.#budgets) {
      if (b.bytes === 0 && !b.cut && !this.#connected.has(n)) this.#budgets.delete(n);
    }
    this.#lastBudget = undefined;
    const st = this.#nodeState.get(node);
    this.#nodeState.delete(node);
    if (st) {
      // Undo everything tied to that node before signalling anyone, so no cleanup sends a signal back to it.
      for (const [k, p] of st.inMonitors) p.monitoredBy?.delete(k);
      for (const { local, remote } of st.links.values()) local.links?.delete(pidKey(remote));
      for (const { local, remote } of st.links.values()) this.#applyExit(local, remote, 'noconnection', true);
      for (const [k, p] of st.outMonitors) {
        const m = p.monitors?.get(k);
        if (m) {
          p.monitors!.delete(k);
          this.#deliver(p, {
            type: 'DOWN',
            ref: m.ref,
            item: m.item,
            reason: 'noconnection',
          } satisfies DownMessage);
        }
      }
    }
    for (const [k, r] of this.#spawnRequests) if (r.node === node) this.#spawnReply(k, 'noconnection');
    if (!was || was.hidden || this.#stopped) return;
    for (const s of this.#scopes.values()) s._nodedown(node);
    this.#emitNode({ type: 'nodedown', node, reason: reason ?? 'connection_closed' });
  }

  #onMessage(node: string, raw: unknown, bytes?: number): void {
    let b = this.#lastBudget;
    if (b === undefined || b.node !== node) b = this.#budgetOf(node);
    // Frames still arriving from a peer being disconnected for going over its budget are in flight: lost.
    if (b.cut) return;
    this.#inBudget = b;
    this.#inCost = typeof bytes === 'number' && bytes > 0 ? bytes : 0;
    try {
      this.#dispatch(node, raw);
    } catch (err) {
      if (err === SPOOFED) {
        this.#stats.spoofedSignals++;
        this.#log.debug(
          { peer: { node }, op: formatTerm((raw as unknown[])[0], 100) },
          'spoofed signal dropped',
        );
      } else {
        this.#stats.badControl++;
        this.#log.debug({ peer: { node }, err }, 'bad control message ignored');
      }
    }
    this.#inCost = 0;
  }

  /** The pid `v` names, which must be a process of `node` (the peer the signal came from); throws otherwise. */
  #peerPid(node: string, v: unknown, what: string): Pid {
    const pid = toPid(v);
    if (!pid) throw new Error(`${what}: bad pid`);
    if (pid.node !== node) throw SPOOFED;
    return pid;
  }

  /** One frame from `node`: Erlang's control message and optional payload. A malformed frame is counted, dropped. */
  #dispatch(node: string, raw: unknown): void {
    if (!Array.isArray(raw) || !Array.isArray(raw[0])) throw new Error('frame is not [control, payload?]');
    const c = raw[0] as unknown[];
    const payload = raw[1];
    // Every pid a signal names as its sender must be a process of the peer that sent it (#peerPid): a peer must not
    // break links, kill, or fake DOWNs in the name of a third node's processes.
    switch (c[0]) {
      case OP.SEND: {
        const to = toPid(c[2]);
        if (!to) throw new Error('SEND: bad pid');
        const p = this.#local(to);
        if (p) this.#deliver(p, payload);
        return;
      }
      case OP.SEND_SENDER: {
        this.#peerPid(node, c[1], 'SEND_SENDER');
        const to = toPid(c[2]);
        if (!to) throw new Error('SEND_SENDER: bad pid');
        const p = this.#local(to);
        if (p) this.#deliver(p, payload);
        return;
      }
      case OP.REG_SEND: {
        const name = c[3];
        if (typeof name !== 'string') throw new Error('REG_SEND: bad name');
        const from = toPid(c[1]);
        if (from && from.node !== node) throw SPOOFED;
        const sys = this.#system.get(name);
        const p = sys ? undefined : this.#names.get(name);
        if (sys) sys(node, from, payload);
        else if (p) this.#deliver(p, payload);
        return;
      }
      case OP.LINK: {
        const from = this.#peerPid(node, c[1], 'LINK');
        const to = toPid(c[2]);
        if (!to) throw new Error('LINK: bad pids');
        const p = this.#local(to);
        if (!p) {
          this.#remoteQuiet(node, [[OP.EXIT, to, from, 'noproc']]);
          return;
        }
        const k = pidKey(from);
        linksOf(p).set(k, from);
        this.#state(node).links.set(`${p.key}|${k}`, { local: p, remote: from });
        return;
      }
      case OP.UNLINK_ID: {
        const from = this.#peerPid(node, c[2], 'UNLINK_ID');
        const to = toPid(c[3]);
        if (!to) throw new Error('UNLINK_ID: bad pids');
        const p = this.#local(to);
        if (p) {
          const k = pidKey(from);
          p.links?.delete(k);
          this.#nodeState.get(node)?.links.delete(`${p.key}|${k}`);
        }
        this.#remoteQuiet(node, [[OP.UNLINK_ID_ACK, c[1], to, from]]);
        return;
      }
      case OP.SPAWN_REQUEST: {
        const ref = toRef(c[1]);
        const from = this.#peerPid(node, c[2], 'SPAWN_REQUEST');
        const mfa = c[4];
        if (!ref || !Array.isArray(mfa) || typeof mfa[1] !== 'string') throw new Error('SPAWN_REQUEST');
        const fn = this.#spawnables.get(mfa[1]);
        const args = Array.isArray(payload) ? payload : [];
        const result = fn && !this.#stopped ? this.spawn((ctx) => fn(ctx, ...args)) : 'undef';
        this.#remoteQuiet(node, [[OP.SPAWN_REPLY, ref, from, 0, result]]);
        return;
      }
      case OP.SPAWN_REPLY: {
        const ref = toRef(c[1]);
        if (!ref) throw new Error('SPAWN_REPLY: bad ref');
        const k = refKey(ref);
        const r = this.#spawnRequests.get(k);
        if (r !== undefined && r.node !== node) throw SPOOFED;
        this.#spawnReply(k, c[4]);
        return;
      }
      case OP.UNLINK_ID_ACK:
        return;
      case OP.EXIT: {
        const from = this.#peerPid(node, c[1], 'EXIT');
        const to = toPid(c[2]);
        if (!to) throw new Error('EXIT: bad pids');
        const p = this.#local(to);
        if (p) {
          this.#nodeState.get(node)?.links.delete(`${p.key}|${pidKey(from)}`);
          this.#signal(p, from, c[3], true);
        }
        return;
      }
      case OP.EXIT2: {
        const from = this.#peerPid(node, c[1], 'EXIT2');
        const to = toPid(c[2]);
        if (!to) throw new Error('EXIT2: bad pids');
        const p = this.#local(to);
        if (p) this.#signal(p, from, c[3], false);
        return;
      }
      case OP.MONITOR_P: {
        const from = this.#peerPid(node, c[1], 'MONITOR_P');
        const ref = toRef(c[3]);
        if (!ref) throw new Error('MONITOR_P: bad fields');
        const target =
          typeof c[2] === 'string'
            ? this.#names.get(c[2])
            : (() => {
                const t = toPid(c[2]);
                return t ? this.#local(t) : undefined;
              })();
        if (!target) {
          this.#remoteQuiet(node, [[OP.MONITOR_P_EXIT, c[2], from, ref, 'noproc']]);
          return;
        }
        const k = refKey(ref);
        monitoredByOf(target).set(k, { ref, watcher: from });
        this.#state(node).inMonitors.set(k, target);
        return;
      }
      case OP.DEMONITOR_P: {
        this.#peerPid(node, c[1], 'DEMONITOR_P');
        const ref = toRef(c[3]);
        if (!ref) throw new Error('DEMONITOR_P: bad ref');
        const k = refKey(ref);
        const st = this.#nodeState.get(node);
        const target = st?.inMonitors.get(k);
        st?.inMonitors.delete(k);
        target?.monitoredBy?.delete(k);
        return;
      }
      case OP.MONITOR_P_EXIT: {
        // FromProc is the monitored pid, or its registered name for a monitor by name.
        if (typeof c[1] !== 'string') this.#peerPid(node, c[1], 'MONITOR_P_EXIT');
        const to = toPid(c[2]);
        const ref = toRef(c[3]);
        if (!to || !ref) throw new Error('MONITOR_P_EXIT: bad fields');
        const k = refKey(ref);
        const p = this.#local(to);
        const m = p?.monitors?.get(k);
        // Only a monitor this node holds on a process of that peer can be ended by it.
        if (m !== undefined && m.node !== node) throw SPOOFED;
        this.#nodeState.get(node)?.outMonitors.delete(k);
        if (p && m) {
          p.monitors!.delete(k);
          this.#deliver(p, { type: 'DOWN', ref: m.ref, item: m.item, reason: c[4] } satisfies DownMessage);
        }
        return;
      }
      default:
        throw new Error(`unknown operation ${formatTerm(c[0], 40)}`);
    }
  }

  // ---------------------------------------------------------------- stop

  /** True once {@link KNode.stop} ran. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Ends every process with reason `shutdown` (their remote links and monitors are told), then detaches from the
   * distribution layer. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    // Processes end first so connected peers hear `shutdown`; no new connections are made for it.
    this.#stopping = true;
    for (const p of [...this.#procs.values()]) this._terminate(p, 'shutdown');
    this.#stopped = true;
    this.#startQueue = [];
    for (const s of this.#scopes.values()) s._stop();
    if (this.#dist) {
      this.#dist.off('message', this.#listeners.message);
      this.#dist.off('nodeup', this.#listeners.nodeup);
      this.#dist.off('nodedown', this.#listeners.nodedown);
    }
    for (const r of this.#spawnRequests.values()) {
      clearTimeout(r.timer);
      r.reject(deadError());
    }
    this.#spawnRequests.clear();
    this.#pending.clear();
    this.#connected.clear();
    this.#nodeState.clear();
    this.#nodeWatchers.clear();
    this.#nodeHandlers.clear();
    await this.#onStop?.();
  }
}

/**
 * A node over a given distribution layer (or none: a single, non-distributed node). `startNode` builds the layer from
 * identity, transport and discovery; tests pass a {@link MemoryNetwork} endpoint.
 */
export function createNode(options: NodeOptions): KNode {
  return new KNode(options);
}
