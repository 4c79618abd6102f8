import type { Dest, From, Timeout } from './messages.js';
import type { KNode } from './node.js';
import type { Pid, Ref } from './terms.js';

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
  readonly node: KNode;
  /**
   * The first message of the mailbox that `pattern` accepts (any message without a pattern); waits for one.
   * With `timeoutMs`, resolves to `TIMEOUT` when none arrived in time (`Infinity`: no timeout, Erlang's
   * `after infinity`). Messages not matched stay, in order.
   */
  receive<T = unknown>(pattern?: Pattern<T>): Promise<T>;
  receive<T = unknown>(pattern: Pattern<T> | undefined, timeoutMs: number): Promise<T | Timeout>;
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
  /** Spawns a process; `link`/`monitor` link or monitor it atomically (spawn_link, spawn_monitor). */
  spawn(fn: ProcessFn, opts?: SpawnOptions & { link?: boolean }): Pid;
  /** Spawns a handler process (see `KNode.spawnHandler`); `link` links it atomically. */
  spawnHandler(handler: MessageHandler, opts?: SpawnOptions & { link?: boolean }): Pid;
  /** Spawns a process and monitors it (spawn_monitor). */
  spawnMonitor(fn: ProcessFn, opts?: SpawnOptions): { pid: Pid; ref: Ref };
  /** Registers this process under `name`. */
  register(name: string): void;
  /** Request/reply guarded by a monitor, like gen_server:call (`timeoutMs` may be `Infinity`). */
  call<R = unknown>(dest: Dest, request: unknown, timeoutMs?: number): Promise<R>;
  /** Answers a call received as a `CallMessage`. */
  reply(from: From, reply: unknown): void;
  /** Subscribes this process to `{ type: 'nodeup' | 'nodedown', node, reason? }` messages (net_kernel:monitor_nodes). */
  monitorNodes(flag: boolean): void;
  /** A new unique reference. */
  makeRef(): Ref;
  /** Messages waiting in the mailbox. */
  mailboxSize(): number;
}
