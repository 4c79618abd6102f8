/**
 * The public types of processes and nodes: what a process sees (`ProcessContext`), and the face of a node
 * (`NodeApi`), as processes see it (`ctx.node`) and as `KNode` implements it. Declared apart from the
 * node so a process needs no import of the node's implementation (ergo's `gen.Node`).
 */

import type { GlobalNames } from './global.js';
import type { Dest, DownMessage, From, NodeEvent, Timeout } from './messages.js';
import type { PgScope } from './pg.js';
import type { CallSpec, PlainDest, ReplyTo, ServerRef } from './server-ref.js';
import type { Singleton, SingletonSpec } from './singleton.js';
import type { Pid, Ref } from './terms.js';

/** Options of `receive`. */
export interface ReceiveOptions {
  /** Resolve to `TIMEOUT` when no message matched in time (`Infinity`: wait for ever). */
  readonly timeoutMs?: number;
  /** Aborting it rejects the pending receive with `KINDRED_ERR_ABORTED` (`details.reason`: `signal.reason`). */
  readonly signal?: AbortSignal;
}

/** Options of `call` and `rpc` (a number is the timeout alone). */
export interface CallOptions {
  /** How long to wait for the reply (`Infinity`: for ever); default the node's `callTimeoutMs` / `rpcTimeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * Aborting it rejects the call with `KINDRED_ERR_ABORTED` (`details.reason`: `signal.reason`). A call with a signal
   * is made from a short-lived process of its own (`from.pid`), which exits with `{ callAbandoned: 'aborted' }` (or
   * `'timeout'`) when the caller gives up: a callee that monitors `from.pid` learns it (docs/semantics.md).
   */
  readonly signal?: AbortSignal;
}

/** A message filter for selective receive; messages it rejects stay in the mailbox, in order. */
export type Pattern<T = unknown> = ((msg: unknown) => msg is T) | ((msg: unknown) => boolean);

/** The body of a process. It returns (exit reason `normal`) or throws (a crash, see `CrashReason`). */
export type ProcessFn = (ctx: ProcessContext) => unknown;

/** The body of a process made with `spawnHandler`: called once per message, in order. */
export type MessageHandler = (msg: unknown, ctx: ProcessContext) => unknown;

/** Options of `spawn`. */
export interface SpawnOptions {
  /** Register the new process under this name (fails like `register` if taken). */
  readonly name?: string;
  /** Start with exits trapped (as if its first act were `ctx.trapExit(true)`). */
  readonly trapExit?: boolean;
  /** Mailbox cap of this process; default the node's `maxMailboxSize`. */
  readonly maxMailboxSize?: number;
  /** Cap in estimated bytes of unread messages from other nodes; default the node's `maxMailboxBytes`. */
  readonly maxMailboxBytes?: number;
}

/** What a process sees of itself and the runtime: the first argument of its function. */
export interface ProcessContext {
  /** This process's pid. */
  readonly self: Pid;
  /** The node this process runs on. */
  readonly node: NodeApi;
  /**
   * The first message of the mailbox that `pattern` accepts (any message without a pattern); waits for one.
   * With `timeoutMs`, resolves to `TIMEOUT` when none arrived in time (`Infinity`: no timeout, Erlang's
   * `after infinity`). Messages not matched stay, in order.
   */
  receive<T = unknown>(pattern?: Pattern<T>): Promise<T>;
  receive<T = unknown>(pattern: Pattern<T> | undefined, timeoutMs: number): Promise<T | Timeout>;
  receive<T = unknown>(pattern: Pattern<T> | undefined, opts: ReceiveOptions): Promise<T | Timeout>;
  /** Sends `msg` to `dest` (a message to a dead process or an unknown name is dropped, as in Erlang). */
  send(dest: Dest, msg: unknown): void;
  /**
   * Links this process to `pid`: when either exits, the other gets an exit signal. Linking to a dead process sends
   * this one an exit signal `noproc` (OTP 23+), so unless it traps exits it ends here.
   */
  link(pid: Pid): void;
  /** Removes the link to `pid`. */
  unlink(pid: Pid): void;
  /** Monitors `dest`; a DOWN message with the returned ref arrives when it exits (at once, `noproc`, if dead). */
  monitor(dest: Dest): Ref;
  /** Removes a monitor; with `flush`, also removes its DOWN message from the mailbox. */
  demonitor(ref: Ref, opts?: { flush?: boolean }): void;
  /** Turns exit signals into `{ type: 'EXIT', from, reason }` messages (except the untrappable `kill`). */
  trapExit(flag: boolean): void;
  /** Ends this process with `reason` (it never returns: it throws to unwind the function). */
  exit(reason: unknown): never;
  /** Sends an exit signal with `reason` to `pid` (Erlang's exit/2; `kill` cannot be trapped). */
  exit(pid: Pid, reason: unknown): void;
  /**
   * Spawns a process; `link`/`monitor` link or monitor it atomically (spawn_link, spawn_monitor). The pid returned
   * equals the process's `ctx.self` by `pidEquals`, not necessarily as the same object (an idle process keeps none).
   */
  spawn(fn: ProcessFn, opts?: SpawnOptions & { link?: boolean }): Pid;
  /** Spawns a handler process (see `KNode.spawnHandler`); `link` links it atomically. */
  spawnHandler(handler: MessageHandler, opts?: SpawnOptions & { link?: boolean }): Pid;
  /** Spawns a process and monitors it (spawn_monitor). */
  spawnMonitor(fn: ProcessFn, opts?: SpawnOptions): { pid: Pid; ref: Ref };
  /** Registers this process under `name`. */
  register(name: string): void;
  /**
   * Request/reply guarded by a monitor, like gen_server:call (`timeoutMs` may be `Infinity`). With a
   * {@link ServerRef} the reply is typed by the request.
   */
  call<C extends CallSpec, const Q extends C['request']>(
    dest: ServerRef<C>,
    request: Q,
    opts?: number | CallOptions,
  ): Promise<ReplyTo<C, Q>>;
  call<R = unknown>(dest: PlainDest, request: unknown, opts?: number | CallOptions): Promise<R>;
  /**
   * Sends `msg` to `dest` after `ms` milliseconds (erlang:send_after/3); returns the timer's ref. The timer is
   * cancelled when this process exits.
   */
  sendAfter(dest: Dest, msg: unknown, ms: number): Ref;
  /** Cancels a timer (of any process of this node): the ms it had left, or false if it fired or never existed. */
  cancelTimer(ref: Ref): number | false;
  /** Answers a call received as a `CallMessage`. */
  reply(from: From, reply: unknown): void;
  /** Subscribes this process to `{ type: 'nodeup' | 'nodedown', node, reason? }` messages (net_kernel:monitor_nodes). */
  monitorNodes(flag: boolean): void;
  /** A new unique reference. */
  makeRef(): Ref;
  /** Messages waiting in the mailbox. */
  mailboxSize(): number;
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

/** What a node offers: see `KNode` for each member's documentation. */
export interface NodeApi {
  /** This node's name. */
  readonly name: string;
  /** This incarnation's creation. */
  readonly creation: number;
  /** Whether this node is hidden. */
  readonly hidden: boolean;
  /** The default pg scope (`pg`). */
  readonly pg: PgScope;
  /** Cluster-wide names (Erlang's `global`). */
  readonly global: GlobalNames;
  /** True once the node was stopped. */
  readonly stopped: boolean;
  /**
   * Spawns a process running `fn(ctx)`. The pid returned equals its `ctx.self` by `pidEquals`, not necessarily as
   * the same object (an idle process keeps none).
   */
  spawn(fn: ProcessFn, opts?: SpawnOptions): Pid;
  /** Spawns a process that runs `handler(msg, ctx)` for each message. */
  spawnHandler(handler: MessageHandler, opts?: SpawnOptions): Pid;
  /** True when `pid` is a live process of this node. */
  isAlive(pid: Pid): boolean;
  /** Pids of the live processes of this node. */
  processes(): Pid[];
  /** Counters. */
  stats(): NodeStats;
  /** Messages waiting in a local process's mailbox. */
  mailboxSize(pid: Pid): number | undefined;
  /** Sends `msg` to a pid, a local registered name, or `{ name, node }`. */
  send(dest: Dest, msg: unknown): void;
  /** Registers a local pid under `name`. */
  register(name: string, pid: Pid): void;
  /** Removes a registered name. */
  unregister(name: string): boolean;
  /** The pid registered under `name`. */
  whereis(name: string): Pid | undefined;
  /** Names registered on this node. */
  registered(): string[];
  /** Sends an exit signal with `reason` to `pid` from outside any process. */
  exit(pid: Pid, reason: unknown): void;
  /** Links two processes, the first of this node. */
  link(a: Pid, b: Pid): void;
  /** Removes the link between a process of this node and `b`. */
  unlink(a: Pid, b: Pid): void;
  /** Monitors `dest` from outside any process. */
  monitor(dest: Dest): { ref: Ref; down: Promise<DownMessage>; cancel: () => void };
  /** Calls `handler` with nodeup/nodedown events; returns the function that unsubscribes. */
  monitorNodes(handler: (event: NodeEvent) => void): () => void;
  /** A new reference. */
  makeRef(): Ref;
  /** Request/reply from outside any process. */
  call<C extends CallSpec, const Q extends C['request']>(
    dest: ServerRef<C>,
    request: Q,
    opts?: number | CallOptions,
  ): Promise<ReplyTo<C, Q>>;
  call<R = unknown>(dest: PlainDest, request: unknown, opts?: number | CallOptions): Promise<R>;
  /** Sends `msg` to `dest` after `ms` ms; the timer ends with the node, or with `dest` when it is a local pid. */
  sendAfter(dest: Dest, msg: unknown, ms: number): Ref;
  /** Cancels a timer: the ms it had left, or false. */
  cancelTimer(ref: Ref): number | false;
  /** Makes `fn` callable by `rpc` from any node. */
  expose(name: string, fn: (...args: never[]) => unknown): void;
  /** Makes `fn` spawnable from other nodes as a process body. */
  exposeSpawn(name: string, fn: (ctx: ProcessContext, ...args: never[]) => unknown): void;
  /** Spawns the body `name` exposed by `node`. */
  spawnOn(node: string, name: string, args?: readonly unknown[], timeoutMs?: number): Promise<Pid>;
  /** Stops exposing a handler. */
  unexpose(name: string): void;
  /** Calls handler `handler` exposed by `node` with `args`. */
  rpc<R = unknown>(
    node: string,
    handler: string,
    args?: readonly unknown[],
    opts?: number | CallOptions,
  ): Promise<R>;
  /** The pg scope `name`, started on first use. */
  pgScope(name: string): PgScope;
  /** Runs one instance of `name` in the cluster (call it on every node). */
  singleton(name: string, spec: SingletonSpec): Singleton;
  /** Sends `msg` to every member of `group`. */
  broadcast(group: string, msg: unknown, scope?: string): number;
  /** Connected visible nodes. */
  nodes(): string[];
  /** Connected hidden nodes. */
  hiddenNodes(): string[];
  /** Connects to `node`. */
  connect(node: string, opts?: { port?: number; address?: string }): Promise<void>;
  /** Drops the connection to `node`. */
  disconnect(node: string): void;
  /** Ends every process and detaches from the distribution layer. */
  stop(): Promise<void>;
}
