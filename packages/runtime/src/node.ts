import { KindredError } from '@kindred/dns';
import { childLogger } from '@kindred/interface';
import type {
  CallOptions,
  MessageHandler,
  NodeApi,
  NodeStats,
  ProcessContext,
  ProcessFn,
  SpawnOptions,
} from './api.js';
import { OP } from './control.js';
import { Core, deadError, isName } from './core.js';
import { RUNTIME_DEFAULTS, SYSTEM_NAMES } from './defaults.js';
import {
  type NodedownEvent,
  type NodeupEvent,
  nodedownChannel,
  nodeupChannel,
  sendTrace,
} from './diagnostics.js';
import { badOption, formatTerm, RUNTIME_ERRORS } from './errors.js';
import { type GlobalControl, GlobalNames } from './global.js';
import { checkMessage, MESSAGE_DEPTH } from './message-check.js';
import { type Dest, type DownMessage, isDownMessage, type NodeEvent, TIMEOUT } from './messages.js';
import { type NodeOptions, resolveNodeOptions } from './node-options.js';
import {
  answerObserve,
  maxProcessesOf,
  type NodeSnapshot,
  OBSERVE_REPLY,
  type ObserveOptions,
  snapshot,
  snapshotOfReply,
} from './observer.js';
import { Peers } from './peers.js';
import { type PgControl, PgScope } from './pg.js';
import { scopesOf, tracedSend } from './process.js';
import { Rpc } from './rpc.js';
import { Scheduler } from './scheduler.js';
import type { CallSpec, PlainDest, ReplyTo, ServerRef } from './server-ref.js';
import { Signals } from './signals.js';
import { Singleton, type SingletonSpec } from './singleton.js';
import type { Pid, Ref } from './terms.js';
import { refEquals } from './terms.js';
import { Timers } from './timers.js';

export type { NodeStats } from './api.js';

export type { NodeOptions } from './node-options.js';

/**
 * A kindred node: its processes, registry, links, monitors, pg scopes, and (when distributed) the bookkeeping of
 * every signal that crosses to other nodes. Made by {@link createNode} or `startNode`.
 */
export class KNode implements NodeApi {
  /** This node's name. */
  readonly name: string;
  /** This incarnation's creation. */
  readonly creation: number;
  /** Whether this node is hidden. */
  readonly hidden: boolean;
  /** The default pg scope (`pg`). */
  readonly pg: PgScope;
  /** Cluster-wide names (Erlang's `global`): see {@link GlobalNames}. */
  readonly global: GlobalNames;

  readonly #core: Core;
  readonly #global: GlobalControl;
  readonly #singletons = new Map<string, Singleton>();
  readonly #signals: Signals;
  readonly #peers: Peers;
  readonly #rpc: Rpc;
  readonly #timers: Timers;
  readonly #sched: Scheduler;
  readonly #onStop: (() => Promise<void> | void) | undefined;
  readonly #listeners: {
    message: (node: string, m: unknown, bytes?: number) => void;
    nodeup: (node: string, info?: { hidden?: boolean; port?: number }) => void;
    nodedown: (node: string, reason?: unknown) => void;
  };

  /** Use {@link createNode} or `startNode`. */
  constructor(options: NodeOptions) {
    const { creation, hidden, opts } = resolveNodeOptions(options);
    this.name = options.name;
    this.creation = creation;
    this.hidden = hidden;
    const log = childLogger(options.logger, { component: 'runtime' });
    const core = new Core(this, { name: this.name, creation, hidden }, opts, log, options.distribution);
    this.#core = core;
    this.#sched = core.sched = new Scheduler(core);
    this.#signals = core.signals = new Signals(core);
    this.#peers = core.peers = new Peers(core);
    this.#rpc = core.rpc = new Rpc(core);
    this.#timers = core.timers = new Timers(core);
    this.#onStop = options.onStop;
    core.system.set(SYSTEM_NAMES.net, (from, _pid, msg) => this.#peers.onNetMessage(from, msg));
    this.pg = this.pgScope(RUNTIME_DEFAULTS.pgScope);
    let globalControl!: GlobalControl;
    this.global = new GlobalNames({
      self: this.name,
      isLocalAlive: (pid) => core.local(pid) !== undefined,
      sendTo: (node, msg) =>
        this.#peers.sendQuiet(node, [[OP.REG_SEND, core.systemPid, '', SYSTEM_NAMES.global], msg]),
      peers: () => this.#peers.visible(),
      watch: (pid, onExit) => {
        const m = this.monitor(pid);
        void m.down.then(onExit);
        return m.cancel;
      },
      exit: (pid, reason) => this.exit(pid, reason),
      send: (pid, msg) => this.send(pid, msg),
      call: (pid, request, timeoutMs) => this.call(pid, request, timeoutMs),
      stoppedError: deadError,
      warn: (obj, msg) => log.warn(obj, msg),
      attach: (c) => {
        globalControl = c;
      },
    });
    this.#global = globalControl;
    core.system.set(SYSTEM_NAMES.global, (from, _pid, msg) => globalControl.onRemote(from, msg));
    this.#signals.onNodeEvent((e) => {
      if (e.type === 'nodeup') globalControl.nodeup(e.node);
      else globalControl.nodedown(e.node);
    });
    const peers = this.#peers;
    const self = this.name;
    this.#listeners = {
      message: (node, m, bytes) => peers.onMessage(node, m, bytes),
      nodeup: (node, info) => {
        peers.onNodeup(node, info);
        if (nodeupChannel.hasSubscribers) {
          nodeupChannel.publish({
            node: self,
            peer: node,
            hidden: info?.hidden === true,
          } satisfies NodeupEvent);
        }
      },
      nodedown: (node, reason) => {
        peers.onNodedown(node, reason);
        if (nodedownChannel.hasSubscribers) {
          nodedownChannel.publish({
            node: self,
            peer: node,
            reason: reason ?? 'connection_closed',
          } satisfies NodedownEvent);
        }
      },
    };
    const dist = core.dist;
    if (dist) {
      dist.on('message', this.#listeners.message);
      dist.on('nodeup', this.#listeners.nodeup);
      dist.on('nodedown', this.#listeners.nodedown);
    }
    this.#rpc.startRex();
    core.system.set(SYSTEM_NAMES.observe, (from, pid, msg) => answerObserve(core, from, pid, msg));
  }

  // ---------------------------------------------------------------- processes

  /** Spawns a process running `fn(ctx)`; it starts after the current task (Erlang gives no earlier guarantee). */
  spawn(fn: ProcessFn, opts?: SpawnOptions): Pid {
    return this.#core.spawn(fn, opts).pid();
  }

  /**
   * Spawns a process that runs `handler(msg, ctx)` for each message, one at a time, in arrival order (the next
   * waits while a returned promise is pending). Idle, it is only its mailbox: no suspended function, so it costs a
   * fraction of a `spawn`ed process (gen_server's callback style). Inside a handler, `ctx.receive` and `ctx.call`
   * work (selective receive over the messages not handled yet). It ends with `ctx.exit`, a throw, or an exit
   * signal. Links, monitors, names, groups and exit trapping work as for any process.
   */
  spawnHandler(handler: MessageHandler, opts?: SpawnOptions): Pid {
    return this.#core.spawnHandler(handler, opts).self;
  }

  /** True when `pid` is a live process of this node. */
  isAlive(pid: Pid): boolean {
    return this.#core.localOf(pid) !== undefined;
  }

  /** Pids of the live processes of this node. */
  processes(): Pid[] {
    return [...this.#core.procs.values()].map((p) => p.self);
  }

  /** Counters: processes, overflows, drops. */
  stats(): NodeStats {
    const core = this.#core;
    return {
      ...core.stats,
      ...this.#peers.counts(),
      processes: core.procs.size,
      registered: core.names.size,
    };
  }

  /** Messages waiting in a local process's mailbox (undefined when it is not alive). */
  mailboxSize(pid: Pid): number | undefined {
    return this.#core.localOf(pid)?.mailboxSize();
  }

  /** Sends `msg` to a pid, a local registered name, or `{ name, node }`. Unknown targets drop it, as in Erlang. */
  send(dest: Dest, msg: unknown): void {
    checkMessage(msg, MESSAGE_DEPTH.send, this.#core.opts.wireClasses);
    if (sendTrace.hasSubscribers) tracedSend(this.#core, this.#core.systemPid, dest, msg);
    else this.#core.send(this.#core.systemPid, dest, msg);
  }

  // ---------------------------------------------------------------- registry

  /** Registers a local pid under `name` (Erlang's register/2). */
  register(name: string, pid: Pid): void {
    this.#core.register(name, pid);
  }

  /** Removes a registered name; false when it was not registered. */
  unregister(name: string): boolean {
    const names = this.#core.names;
    const p = names.get(name);
    if (!p) return false;
    names.delete(name);
    p.name = undefined;
    return true;
  }

  /** The pid registered under `name` on this node. */
  whereis(name: string): Pid | undefined {
    return this.#core.names.get(name)?.self;
  }

  /** Names registered on this node. */
  registered(): string[] {
    return [...this.#core.names.keys()];
  }

  // ---------------------------------------------------------------- exit signals, links, monitors

  /** Sends an exit signal with `reason` to `pid` from outside any process (exit/2; `kill` is untrappable). */
  exit(pid: Pid, reason: unknown): void {
    this.#signals.exitSignal(this.#core.systemPid, pid, reason);
  }

  /** Links two processes, the first of this node (what `a` calling link(b) does). */
  link(a: Pid, b: Pid): void {
    const p = this.#core.localOf(a);
    if (!p)
      throw new KindredError(
        RUNTIME_ERRORS.NOPROC,
        `Process ${formatTerm(a)} is not a live process of this node.`,
      );
    this.#signals.link(p, b);
  }

  /** Removes the link between a process of this node and `b`. */
  unlink(a: Pid, b: Pid): void {
    const p = this.#core.localOf(a);
    if (p) this.#signals.unlink(p, b);
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
    const watcher = this.#core.spawn(async (ctx) => {
      resolveDown(await ctx.receive((x): x is DownMessage => isDownMessage(x) && refEquals(x.ref, ref)));
    });
    ref = this.#signals.monitor(watcher, dest);
    return { ref, down, cancel: () => this.#signals.terminate(watcher, 'normal') };
  }

  /** Calls `handler` with nodeup/nodedown events; returns the function that unsubscribes. */
  monitorNodes(handler: (event: NodeEvent) => void): () => void {
    return this.#signals.onNodeEvent(handler);
  }

  // ---------------------------------------------------------------- references, call, rpc

  /** A new reference, unique in this node incarnation (Erlang's make_ref). */
  makeRef(): Ref {
    return this.#core.makeRef();
  }

  /**
   * Request/reply from outside any process: runs the call in a short-lived process of its own (`from.pid`), which
   * exits with `{ callAbandoned: 'aborted' | 'timeout' }` when the call is given up (see {@link CallOptions}).
   */
  call<C extends CallSpec, const Q extends C['request']>(
    dest: ServerRef<C>,
    request: Q,
    opts?: number | CallOptions,
  ): Promise<ReplyTo<C, Q>>;
  call<R = unknown>(dest: PlainDest, request: unknown, opts?: number | CallOptions): Promise<R>;
  call(dest: Dest, request: unknown, opts?: number | CallOptions): Promise<unknown> {
    return this.#rpc.call(undefined, dest, request, opts);
  }

  /**
   * Sends `msg` to `dest` after `ms` milliseconds (erlang:send_after/3) and returns the timer's ref. The timer is
   * cancelled when `dest`, if a local pid, exits, and when the node stops.
   */
  sendAfter(dest: Dest, msg: unknown, ms: number): Ref {
    const core = this.#core;
    if (core.stopped) throw deadError();
    return this.#timers.sendAfter(core.localOf(dest), core.systemPid, dest, msg, ms);
  }

  /** Cancels a timer of this node: the ms it had left, or false when it fired already or never existed. */
  cancelTimer(ref: Ref): number | false {
    return this.#timers.cancel(ref);
  }

  /**
   * Makes `fn` callable by `rpc(thisNode, name, args)` from any node. It runs in its own process per call; its result
   * must be plain data (docs/semantics.md, "What a message may hold"), else the caller gets KINDRED_ERR_RPC_FAILED.
   */
  expose(name: string, fn: (...args: never[]) => unknown): void {
    this.#rpc.expose(name, fn);
  }

  /**
   * Makes `fn` spawnable from other nodes as a process body: `spawnOn(thisNode, name, args)` runs
   * `fn(ctx, ...args)` in a new process here (Erlang's spawn/4 with the function named, as code cannot travel).
   */
  exposeSpawn(name: string, fn: (ctx: ProcessContext, ...args: never[]) => unknown): void {
    this.#rpc.exposeSpawn(name, fn);
  }

  /**
   * Spawns the body `name` exposed with `exposeSpawn` on `node` with `args` (SPAWN_REQUEST/SPAWN_REPLY); resolves
   * with the new pid. Rejects with `KINDRED_ERR_SPAWN_FAILED` (`details.reason`: `undef` when `node` exposes no such
   * body, `noconnection` when the node is lost, `timeout`).
   */
  spawnOn(node: string, name: string, args: readonly unknown[] = [], timeoutMs?: number): Promise<Pid> {
    return this.#rpc.spawnOn(node, name, args, timeoutMs);
  }

  /** Stops exposing a handler. */
  unexpose(name: string): void {
    this.#rpc.unexpose(name);
  }

  /** Calls handler `handler` exposed by `node` with `args` (Erlang's rpc:call through the `rex` server). */
  rpc<R = unknown>(
    node: string,
    handler: string,
    args: readonly unknown[] = [],
    opts?: number | CallOptions,
  ): Promise<R> {
    return this.#rpc.rpc<R>(node, handler, args, opts);
  }

  // ---------------------------------------------------------------- pg

  /** The pg scope `name`, started on first use (Erlang's pg:start_link(Scope)). */
  pgScope(name: string): PgScope {
    const core = this.#core;
    let s = core.scopes.get(name);
    if (s) return s;
    if (!isName(name)) throw badOption('scope', 'a string of 1-255 characters', name);
    if (core.system.has(name) || core.names.has(name) || name === RUNTIME_DEFAULTS.rpcServerName) {
      throw new KindredError(
        RUNTIME_ERRORS.BAD_NAME,
        `The name ${name} is taken; pick another pg scope name.`,
      );
    }
    const peers = this.#peers;
    let control!: PgControl;
    s = new PgScope(name, {
      self: this.name,
      isLocalAlive: (pid) => core.local(pid) !== undefined,
      track: (pid, scope) => {
        const p = core.local(pid);
        if (p) scopesOf(p).add(scope);
      },
      untrack: (pid, scope) => core.local(pid)?.scopes?.delete(scope),
      sendTo: (node, msg) => peers.sendQuiet(node, [[OP.REG_SEND, core.systemPid, '', name], msg]),
      forward: (node, msg) => peers.sendControl(node, [[OP.REG_SEND, core.systemPid, '', name], msg]),
      peers: () => peers.visible(),
      deliver: (pid, msg) => core.send(core.systemPid, pid, msg),
      makeRef: () => core.makeRef(),
      attach: (c) => {
        control = c;
      },
    });
    core.scopes.set(name, s);
    core.pgControls.set(s, control);
    core.system.set(name, (from, _pid, msg) => control.onRemote(from, msg));
    control.start();
    return s;
  }

  /** Sends `msg` to every member of `group` in the default scope (or `scope`); returns how many. */
  broadcast(group: string, msg: unknown, scope?: string): number {
    checkMessage(msg, MESSAGE_DEPTH.send, this.#core.opts.wireClasses);
    return (scope === undefined ? this.pg : this.pgScope(scope)).broadcast(group, msg);
  }

  // ---------------------------------------------------------------- singletons

  /**
   * Runs one instance of `name` in the cluster: call it with the same name and spec on every node (see
   * {@link Singleton}). The instance is registered under the global name `name`; reach it with
   * `node.global.sendName(name, msg)` or `node.global.call(name, request)`. A second singleton of the same name on
   * this node throws `KINDRED_ERR_NAME_TAKEN`; `singleton.stop()` hands over to another node.
   */
  singleton(name: string, spec: SingletonSpec): Singleton {
    if (this.#core.stopped) throw deadError();
    if (this.#singletons.has(name)) {
      throw new KindredError(
        RUNTIME_ERRORS.NAME_TAKEN,
        `A singleton named ${formatTerm(name)} already runs on this node; stop it first.`,
      );
    }
    const log = this.#core.log;
    const s = new Singleton(
      {
        self: this.name,
        global: this.global,
        nodes: () => this.nodes(),
        monitorNodes: (h) => this.monitorNodes(h),
        exit: (pid, reason) => this.exit(pid, reason),
        warn: (obj, msg) => log.warn(obj, msg),
        stopped: () => {
          if (this.#singletons.get(name) === s) this.#singletons.delete(name);
        },
      },
      name,
      spec,
    );
    this.#singletons.set(name, s);
    return s;
  }

  // ---------------------------------------------------------------- distribution

  /** Connected visible nodes (Erlang's nodes()). */
  nodes(): string[] {
    return this.#peers.visible();
  }

  /** Connected hidden nodes (nodes(hidden)). */
  hiddenNodes(): string[] {
    return this.#peers.hidden();
  }

  /**
   * Connects to `node` (rejects with the transport's code when it cannot: pang). An explicit connect (net_adm:ping)
   * is made even while automatic dials to `node` are in backoff; its failure counts as one more failed dial. A
   * `port` given here is remembered for later dials and connect_all (also when `node` is connected already).
   */
  connect(node: string, opts?: { port?: number; address?: string }): Promise<void> {
    return this.#peers.connect(node, opts);
  }

  /** Drops the connection to `node`. */
  disconnect(node: string): void {
    this.#core.dist?.disconnect(node);
  }

  // ---------------------------------------------------------------- observe

  /**
   * A look inside a node (Erlang's observer): its processes (pid, name, mailbox, links, monitors, current function),
   * registered names, pg groups and peers with their traffic. Without `node` (or with this node's name), this node's,
   * at once; otherwise asked of `node` (its system name `kindred_observe`), rejecting with `KINDRED_ERR_CALL_TIMEOUT`
   * when no answer came within `timeoutMs` (default the node's `callTimeoutMs`) or `KINDRED_ERR_OBSERVE_FAILED`. A
   * hidden node can observe a node without joining its cluster (`kindred observe`).
   */
  async observe(node?: string, opts?: ObserveOptions & { timeoutMs?: number }): Promise<NodeSnapshot> {
    const core = this.#core;
    if (core.stopped) throw deadError();
    const maxProcesses = maxProcessesOf(opts);
    if (node === undefined || node === this.name) return snapshot(core, { maxProcesses });
    if (!isName(node)) throw badOption('node', 'a node name', node);
    const t = opts?.timeoutMs ?? core.opts.callTimeoutMs;
    if (!(Number.isFinite(t) && t >= 0)) throw badOption('timeoutMs', 'a number >= 0', t);
    const reply = await new Promise<unknown>((resolve, reject) => {
      this.spawn(async (ctx) => {
        const ref = ctx.makeRef();
        ctx.send({ name: SYSTEM_NAMES.observe, node }, { type: 'observe', ref, maxProcesses });
        const m = await ctx.receive(
          (x) =>
            typeof x === 'object' &&
            x !== null &&
            (x as { type?: unknown }).type === OBSERVE_REPLY &&
            refEquals((x as { ref: Ref }).ref, ref),
          t,
        );
        if (m === TIMEOUT) {
          reject(
            new KindredError(RUNTIME_ERRORS.CALL_TIMEOUT, `No observe answer from ${node} within ${t} ms.`, {
              details: { timeoutMs: t, node },
            }),
          );
        } else resolve((m as { reply: unknown }).reply);
      });
    });
    return snapshotOfReply(node, reply);
  }

  // ---------------------------------------------------------------- stop

  /** True once {@link KNode.stop} ran. */
  get stopped(): boolean {
    return this.#core.stopped;
  }

  /**
   * Ends every process with reason `shutdown` (their remote links and monitors are told), then detaches from the
   * distribution layer. Idempotent.
   */
  async stop(): Promise<void> {
    const core = this.#core;
    if (core.stopped) return;
    // Processes end first so connected peers hear `shutdown`; no new connections are made for it.
    core.stopping = true;
    // Singletons stop being managed, and peers hear that this node's global names are gone, before the processes
    // end: a clean leave frees them at once.
    for (const s of [...this.#singletons.values()]) s.stop();
    this.#global.stop();
    for (const p of [...core.procs.values()]) this.#signals.terminate(p, 'shutdown');
    core.stopped = true;
    this.#sched.clear();
    this.#timers.clear();
    for (const c of core.pgControls.values()) c.stop();
    const dist = core.dist;
    if (dist) {
      dist.off('message', this.#listeners.message);
      dist.off('nodeup', this.#listeners.nodeup);
      dist.off('nodedown', this.#listeners.nodedown);
    }
    this.#rpc.clear(deadError());
    this.#peers.clear();
    this.#signals.clear();
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
