/**
 * The state every part of a node shares (process table, registry, options, counters) and the hot path: spawn, send,
 * deliver. The parts (scheduler.ts, signals.ts, peers.ts, rpc.ts, dispatch.ts) each hold a `Core` and reach one
 * another through it, by the narrow interfaces declared here, so no part imports another and node.ts only wires
 * them. Nothing here is public: `KNode` (node.ts) is the façade.
 * @internal
 */
import { randomInt } from 'node:crypto';
import { KindredError } from '@kindred/dns';
import type { Logger } from '@kindred/interface';
import type {
  CallOptions,
  MessageHandler,
  NodeApi,
  NodeStats,
  Pattern,
  ProcessContext,
  ProcessFn,
  SpawnOptions,
} from './api.js';
import { OP } from './control.js';
import { type CrashSink, crashReport, emitCrashReport } from './crash-report.js';
import type { Distribution } from './distribution.js';
import { sendFrame } from './envelope.js';
import { badOption, formatTerm, ProcessExitedError, RUNTIME_ERRORS } from './errors.js';
import { crashReason, type Dest, isReplyMessage, type NodeEvent } from './messages.js';
import type { PgControl, PgScope } from './pg.js';
import { ProcTable } from './proc-table.js';
import { type Proc, type ProcessHost, procClass } from './process.js';
import {
  isLocalPidShape,
  isPid,
  LOCAL_PID_IDS,
  localPidKey,
  Pid,
  Ref,
  refKey,
  refWords,
  toPid,
  toRef,
} from './terms.js';

/** @internal Options of a node, validated and defaulted. */
export interface ResolvedNodeOptions {
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
  /** Where crash reports go (crash-report.ts). */
  crashReports: CrashSink;
  /** Classes the wire carries besides plain data (message-check.ts); undefined on kindred's wire. */
  wireClasses: ReadonlySet<unknown> | undefined;
}

/** @internal Handlers for names the runtime answers itself (pg scopes, the mesh): `(fromNode, from, message)`. */
export type SystemHandler = (fromNode: string, from: Pid | undefined, msg: unknown) => void;

/** @internal What the others call of the scheduler (scheduler.ts). */
export interface SchedulerPart {
  /** Runs `fn(p)` after the current task. */
  start(p: Proc, fn: ProcessFn): void;
  /** Queues a handler process with messages for its next turn. */
  schedule(p: Proc): void;
  /** Drops the processes not started yet (stop). */
  clear(): void;
}

/** @internal What the others call of links, exits and monitors (signals.ts). */
export interface SignalsPart {
  link(p: Proc, to: Pid): void;
  unlink(p: Proc, to: Pid): void;
  exitSignal(from: Pid, to: Pid, reason: unknown): void;
  /** An exit signal arrives at p (via a link: only if the link exists). */
  signal(p: Proc, from: Pid, reason: unknown, viaLink: boolean): void;
  /** An exit signal arrives at p, its link (if any) already removed. */
  applyExit(p: Proc, from: Pid, reason: unknown, viaLink: boolean): void;
  terminate(p: Proc, reason: unknown): void;
  monitor(p: Proc, dest: Dest): Ref;
  demonitor(p: Proc, ref: Ref): void;
  watchNodes(p: Proc, flag: boolean): void;
  /** Tells the processes and handlers watching nodes. */
  emitNode(e: NodeEvent): void;
  /** Forgets every node watcher (stop). */
  clear(): void;
}

/** @internal A link between a local process and one of a peer's. */
export interface PeerLink {
  readonly local: Proc;
  readonly remote: Pid;
}

/** @internal What the others call of the peer table (peers.ts). */
export interface PeersPart {
  /** Whether `node` is connected now. */
  isConnected(node: string): boolean;
  /** Sends a frame to `node`, connecting first when needed (auto-connect); a frame that cannot go fails. */
  sendControl(node: string, frame: unknown[]): void;
  /** Like sendControl for signals the runtime sends on its own (never throws). */
  sendQuiet(node: string, frame: unknown[]): void;
  /** Links between local processes and `node`'s, by `${localKey}|${remotePidKey}` (made on first use). */
  links(node: string): Map<string, PeerLink>;
  /** Monitors local processes hold on `node`'s, by ref key (made on first use). */
  outMonitors(node: string): Map<string, Proc>;
  /** Monitors `node`'s processes hold on local ones, by ref key (made on first use). */
  inMonitors(node: string): Map<string, Proc>;
  /** The same maps when `node` has a record; undefined otherwise (nothing is made). */
  record(
    node: string,
  ):
    | { links: Map<string, PeerLink>; outMonitors: Map<string, Proc>; inMonitors: Map<string, Proc> }
    | undefined;
  /** Charges `cost` bytes of the frame being dispatched to p's mailbox; false when over a cap (message dropped). */
  charge(p: Proc, q: unknown[], cost: number): boolean;
  /** Connected visible peers. */
  visible(): string[];
}

/** @internal What the others call of rpc (rpc.ts). */
export interface RpcPart {
  /** The rpc server process, if running. */
  readonly rex: Proc | undefined;
  /** Starts rex (the node's constructor). */
  startRex(): void;
  /** rex ended with `reason`: restarted unless the node is stopping. */
  rexDied(reason: unknown): void;
  /** A spawn request was answered (`result` a pid or an error atom). */
  spawnReply(k: string, result: unknown): void;
  /** The node a pending spawn request (by ref key) was sent to. */
  requestNode(k: string): string | undefined;
  /** Fails the spawn requests sent to `node` with `noconnection`. */
  nodeDown(node: string): void;
  /** A body exposed with exposeSpawn. */
  spawnable(name: string): ((ctx: ProcessContext, ...args: unknown[]) => unknown) | undefined;
  /** A call from p (or, p undefined, from a process of its own); see {@link CallOptions}. */
  call(p: Proc | undefined, dest: Dest, request: unknown, opts?: number | CallOptions): Promise<unknown>;
}

/** @internal What the others call of timers (timers.ts). */
export interface TimersPart {
  /** Sends `msg` from `from` to `dest` after `ms`; `owner` (if any) cancels it by exiting. */
  sendAfter(owner: Proc | undefined, from: Pid, dest: Dest, msg: unknown, ms: number): Ref;
  /** Cancels a timer: the ms it had left, or false when it fired already or never existed. */
  cancel(ref: Ref): number | false;
  /** Cancels the timers `p` owns (p exited). */
  ownerExited(p: Proc): void;
  /** Cancels every timer (stop). */
  clear(): void;
}

/** @internal A registered name: a string of 1-255 characters. */
export const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;

function badDest(dest: unknown): KindredError {
  return new KindredError(
    RUNTIME_ERRORS.BAD_DEST,
    'send needs a pid, a registered name, or { name, node }.',
    {
      details: { dest: typeof dest },
    },
  );
}

/** @internal The error of every call on a stopped node. */
export function deadError(): KindredError {
  return new KindredError(
    RUNTIME_ERRORS.NODE_STOPPED,
    'This node was stopped; start a new one with startNode().',
  );
}

/** @internal See the module comment. */
export class Core implements ProcessHost {
  readonly name: string;
  readonly creation: number;
  readonly hidden: boolean;
  readonly opts: ResolvedNodeOptions;
  readonly log: Logger;
  readonly dist: Distribution | undefined;
  readonly api: NodeApi;
  readonly systemPid: Pid;
  /** Live processes by key (see proc-table.ts). */
  readonly procs = new ProcTable<Proc>();
  readonly names = new Map<string, Proc>();
  readonly system = new Map<string, SystemHandler>();
  readonly scopes = new Map<string, PgScope>();
  /** How the node drives each scope (pg.ts's PgControl). */
  readonly pgControls = new Map<PgScope, PgControl>();
  readonly stats: NodeStats = {
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
  /** Set by the node once every part exists. */
  sched!: SchedulerPart;
  signals!: SignalsPart;
  peers!: PeersPart;
  rpc!: RpcPart;
  timers!: TimersPart;
  /** When the node was made, ms since the epoch (uptime). */
  readonly startedAt = Date.now();

  /** Classes the wire carries besides plain data (ProcessHost's, from the options). */
  get wireClasses(): ReadonlySet<unknown> | undefined {
    return this.opts.wireClasses;
  }
  stopped = false;
  stopping = false;
  /** Cost of the remote frame being dispatched; the first mailbox it lands in is charged (see PeersPart.charge). */
  inCost = 0;
  #nextKey = 1;
  /** This node's process class (`host` on its prototype). */
  readonly #Proc: new (key: number) => Proc = procClass(this);
  #nextRef = randomInt(0, 2 ** 40);

  constructor(
    api: NodeApi,
    id: { name: string; creation: number; hidden: boolean },
    opts: ResolvedNodeOptions,
    log: Logger,
    dist: Distribution | undefined,
  ) {
    this.api = api;
    this.name = id.name;
    this.creation = id.creation;
    this.hidden = id.hidden;
    this.opts = opts;
    this.log = log;
    this.dist = dist;
    this.systemPid = new Pid(this.name, 0, 0, this.creation);
  }

  // ---------------------------------------------------------------- processes

  spawn(fn: ProcessFn, opts?: SpawnOptions): Proc {
    if (typeof fn !== 'function') throw badOption('fn', 'a function (ctx) => ...', typeof fn);
    const p = this.#newProc(opts);
    this.sched.start(p, fn);
    return p;
  }

  spawnHandler(handler: MessageHandler, opts?: SpawnOptions): Proc {
    if (typeof handler !== 'function')
      throw badOption('handler', 'a function (msg, ctx) => ...', typeof handler);
    const p = this.#newProc(opts);
    p.h = handler;
    return p;
  }

  #newProc(opts: SpawnOptions | undefined): Proc {
    if (this.stopped) throw deadError();
    let cap = this.opts.maxMailboxSize;
    if (opts?.maxMailboxSize !== undefined) {
      const c = opts.maxMailboxSize;
      if (!Number.isInteger(c) || c < 1) throw badOption('maxMailboxSize', 'an integer >= 1', c);
      cap = c;
    }
    let byteCap = this.opts.maxMailboxBytes;
    if (opts?.maxMailboxBytes !== undefined) {
      const c = opts.maxMailboxBytes;
      if (!Number.isInteger(c) || c < 1) throw badOption('maxMailboxBytes', 'an integer >= 1', c);
      byteCap = c;
    }
    if (opts?.name !== undefined) this.checkFreeName(opts.name);
    const key = this.#nextKey++;
    const p = new this.#Proc(key);
    if (cap !== this.opts.maxMailboxSize) p.ext().cap = cap;
    if (byteCap !== this.opts.maxMailboxBytes) p.ext().byteCap = byteCap;
    if (opts?.trapExit) p.trapping = true;
    this.procs.set(key, p);
    if (opts?.name !== undefined) this.setName(opts.name, p);
    this.stats.spawned++;
    return p;
  }

  /** The pid of this node's process with table key `key`. */
  localPid(key: number): Pid {
    return new Pid(this.name, key % LOCAL_PID_IDS, Math.floor(key / LOCAL_PID_IDS), this.creation);
  }

  ended(p: Proc, err: unknown, threw: boolean): void {
    if (!p.alive) return;
    // A receive the function left pending (never awaited) is abandoned, not rejected: nobody would catch it.
    p.wRes = undefined;
    let reason: unknown = 'normal';
    if (threw) {
      if (err instanceof ProcessExitedError) reason = err.reason;
      else {
        reason = crashReason(err);
        // Reported once: `ended` runs once per process (p.alive is checked above).
        if (this.opts.crashReports !== 'off') {
          emitCrashReport(
            this.opts.crashReports,
            this.log,
            crashReport(this.name, p.self, p.name, err, reason),
          );
        }
      }
    }
    this.signals.terminate(p, reason);
  }

  /** The local process `v` names, for API arguments that may be anything (a plain object, garbage). */
  localOf(v: unknown): Proc | undefined {
    const pid = toPid(v);
    return pid === undefined ? undefined : this.local(pid);
  }

  /** The live local process `pid` names. */
  local(pid: Pid): Proc | undefined {
    if (pid.node !== this.name || pid.creation !== this.creation || !isLocalPidShape(pid)) return undefined;
    return this.procs.get(localPidKey(pid));
  }

  // ---------------------------------------------------------------- send

  send(from: Pid, dest: Dest, msg: unknown): void {
    if (typeof dest === 'string') {
      const p = this.names.get(dest);
      if (p) this.deliver(p, msg);
      return;
    }
    if (dest instanceof Pid) {
      if (dest.node === this.name) {
        if (dest.creation === this.creation && dest.id < LOCAL_PID_IDS) {
          const p = this.procs.get(dest.serial * LOCAL_PID_IDS + dest.id);
          if (p) this.deliver(p, msg);
        }
        return;
      }
      // SEND, not SEND_SENDER: the sender is not needed to deliver, and one pid less per message is a third
      // less to encode (Erlang picks SEND_SENDER only for seq_trace's sake; both are accepted here).
      // Connected: the same frame with its control part encoded once per destination (SendFrame).
      if (this.peers.isConnected(dest.node)) this.dist!.send(dest.node, sendFrame(dest, msg));
      else this.peers.sendControl(dest.node, [[OP.SEND, '', dest], msg]);
      return;
    }
    const pid = toPid(dest);
    if (pid) {
      this.send(from, pid, msg);
      return;
    }
    const named = dest as { name?: unknown; node?: unknown };
    if (typeof dest === 'object' && dest !== null && isName(named.name) && isName(named.node)) {
      if (named.node === this.name) this.send(from, named.name, msg);
      else this.peers.sendControl(named.node, [[OP.REG_SEND, from, '', named.name], msg]);
      return;
    }
    throw badDest(dest);
  }

  /** Throws what `send` throws for a destination that is not a pid, a name or `{ name, node }`. */
  checkDest(dest: Dest): void {
    if (typeof dest === 'string' || toPid(dest) !== undefined) return;
    const named = dest as { name?: unknown; node?: unknown };
    if (typeof dest === 'object' && dest !== null && isName(named.name) && isName(named.node)) return;
    throw badDest(dest);
  }

  /** Puts `msg` in p's mailbox, or hands it to p's pending receive. */
  deliver(p: Proc, msg: unknown): void {
    // The bytes of the remote frame being dispatched are charged to the first mailbox it lands in, and only if it
    // waits there (a receive taking it at once holds nothing for the runtime).
    const cost = this.inCost;
    if (cost !== 0) this.inCost = 0;
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
      if (cost === 0) {
        // The first message of an empty mailbox: `[msg]` holds one slot, where `[]` and a push reserve 17. A cap
        // is >= 1, so one message always fits.
        const c = p.x?.mc;
        if (c !== undefined) c.push(undefined, 0);
        p.mq = [msg];
        if (p.h !== undefined && !p.busy) {
          p.busy = true;
          this.sched.schedule(p);
        }
        return;
      }
      q = [];
      p.mq = q;
    }
    if (q.length - p.mqHead >= (p.x?.cap ?? this.opts.maxMailboxSize)) {
      this.stats.mailboxOverflows++;
      this.signals.terminate(p, 'mailbox_overflow');
      return;
    }
    if (cost !== 0) {
      if (!this.peers.charge(p, q, cost)) return;
    } else {
      const c = p.x?.mc;
      if (c !== undefined) c.push(undefined, 0);
    }
    q.push(msg);
    if (p.h !== undefined && !p.busy) {
      p.busy = true;
      this.sched.schedule(p);
    }
  }

  /** Runs a receive pattern for an arriving message; a pattern that throws crashes its process, not the sender. */
  #matches(p: Proc, pat: Pattern, msg: unknown): boolean {
    try {
      return Boolean(pat(msg));
    } catch (err) {
      queueMicrotask(() => {
        if (p.alive) this.signals.terminate(p, crashReason(err));
      });
      return false;
    }
  }

  // ---------------------------------------------------------------- registry

  register(name: string, pid: Pid): void {
    this.checkFreeName(name);
    const p = this.localOf(pid);
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
    this.setName(name, p);
  }

  checkFreeName(name: string): void {
    if (!isName(name))
      throw new KindredError(RUNTIME_ERRORS.BAD_NAME, 'A registered name is a string of 1-255 characters.');
    if (this.system.has(name)) {
      throw new KindredError(
        RUNTIME_ERRORS.BAD_NAME,
        `The name ${name} is reserved by the runtime; pick another.`,
      );
    }
    if (this.names.has(name)) {
      throw new KindredError(
        RUNTIME_ERRORS.NAME_TAKEN,
        `The name ${name} is already registered; use whereis().`,
      );
    }
  }

  setName(name: string, p: Proc): void {
    this.names.set(name, p);
    p.name = name;
  }

  /** A new reference, unique in this node incarnation (Erlang's make_ref). */
  makeRef(): Ref {
    return new Ref(this.name, this.creation, refWords(this.#nextRef++));
  }

  /** A fresh id (UNLINK_ID's). */
  nextId(): number {
    return this.#nextRef++;
  }

  // ---------------------------------------------------------------- ProcessHost, delegated to the parts

  link(p: Proc, to: Pid): void {
    this.signals.link(p, to);
  }
  unlink(p: Proc, to: Pid): void {
    this.signals.unlink(p, to);
  }
  monitor(p: Proc, dest: Dest): Ref {
    return this.signals.monitor(p, dest);
  }
  demonitor(p: Proc, ref: Ref): void {
    this.signals.demonitor(p, ref);
  }
  exitSignal(from: Pid, to: Pid, reason: unknown): void {
    this.signals.exitSignal(from, to, reason);
  }
  terminate(p: Proc, reason: unknown): void {
    this.signals.terminate(p, reason);
  }
  call(p: Proc, dest: Dest, request: unknown, opts?: number | CallOptions): Promise<unknown> {
    return this.rpc.call(p, dest, request, opts);
  }
  sendAfter(p: Proc, dest: Dest, msg: unknown, ms: number): Ref {
    return this.timers.sendAfter(p, p.self, dest, msg, ms);
  }
  cancelTimer(ref: Ref): number | false {
    return this.timers.cancel(ref);
  }
  watchNodes(p: Proc, flag: boolean): void {
    this.signals.watchNodes(p, flag);
  }
}
