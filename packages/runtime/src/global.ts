/**
 * Cluster-wide names, with the contract of Erlang's `global`: a name is registered on every connected node or on
 * none, a name's owner exiting frees it everywhere, a nodedown frees the names of that node's processes, and when
 * two parts of a cluster that registered the same name meet again a resolve function keeps one.
 *
 * The algorithm (global.erl's, reduced to per-name locks):
 * - Registering takes the lock on the name on every known node (this one and every visible peer), the lowest node
 *   name first (global's "boss"): two nodes registering the same name at once meet at that node, one is refused and
 *   retries after a random back-off, so they cannot deadlock and rarely livelock. With every lock held and the name
 *   free everywhere, the owner adds it and tells every peer (`register`), then unlocks. Messages between two nodes
 *   keep their order, so a peer has the name before the lock on it goes.
 * - Each node is the authority for the names of its own processes: it watches them (a monitor), and only it sends
 *   `register`/`unregister` for them (a peer's entry for another node's pid is dropped and counted). On nodeup both
 *   sides send `sync` with the names they own, so a node that was away learns the names registered meanwhile.
 * - A name held by two pids (two sides of a partition each registered it, or a lock raced a nodeup) is a conflict:
 *   every node keeps both claims; the node with the lowest name among the claimants' nodes resolves it with its
 *   registration's resolve function (default: keep one at random and exit the other with reason
 *   `['global_name_conflict', name]`, global:random_exit_name/3), drops the losers and tells their nodes
 *   (`resolve`), which unregister them everywhere. Until then `whereisName` answers the claim of the lowest node.
 *
 * During a partition each side registers names on its own (both sides may hold one); they are resolved on heal, as in
 * Erlang. Hidden nodes take no part.
 */
import { KindredError } from '@kindred/dns';
import { RUNTIME_DEFAULTS } from './defaults.js';
import { badOption, formatTerm, RUNTIME_ERRORS } from './errors.js';
import { type Pid, pidEquals, toPid } from './terms.js';

/**
 * Decides a name conflict: given the two pids registered under `name`, returns the one to keep (or `undefined` to
 * keep neither). It runs on one node only; the runtime unregisters the losers everywhere, the function may exit them
 * (the default does). global's `Resolve(Name, Pid1, Pid2)`.
 */
export type GlobalResolve = (name: string, pid1: Pid, pid2: Pid) => Pid | undefined;

/** Options of {@link GlobalNames.registerName}. */
export interface GlobalRegisterOptions {
  /** How a conflict on heal is decided when this node resolves it. Default: keep one at random, exit the other. */
  readonly resolve?: GlobalResolve;
}

/** A change of a name as this node sees it (see {@link GlobalNames.onChange}). */
export interface GlobalChange {
  readonly name: string;
  /** What `whereisName(name)` answers now (`undefined`: the name is free). */
  readonly pid: Pid | undefined;
}

/** Counters of what the name service refused or resolved (`node.global.stats()`). */
export interface GlobalStats {
  /** Messages from peers that were not a known shape. */
  droppedMessages: number;
  /** Entries naming a pid that is not of the sending peer, or a `resolve`/`release` naming no such registration. */
  droppedEntries: number;
  /** Conflicts this node resolved. */
  conflicts: number;
  /** Lock attempts that were refused or timed out and retried. */
  lockRetries: number;
}

/** What the name service needs from its node (narrow, as pg's PgHost). */
export interface GlobalHost {
  readonly self: string;
  isLocalAlive(pid: Pid): boolean;
  /** Sends a name-service message to `node`'s name service. */
  sendTo(node: string, msg: unknown): void;
  /** Connected visible peers. */
  peers(): string[];
  /** Calls `onExit` once when the local `pid` exits; the returned function cancels. */
  watch(pid: Pid, onExit: () => void): () => void;
  exit(pid: Pid, reason: unknown): void;
  send(pid: Pid, msg: unknown): void;
  call(pid: Pid, request: unknown, timeoutMs?: number): Promise<unknown>;
  /** The error to throw once the node is stopped. */
  stoppedError(): Error;
  warn(obj: object, msg: string): void;
  /** Receives, once, the handle the node drives the service with. */
  attach(control: GlobalControl): void;
}

/** What the node calls on its name service. */
export interface GlobalControl {
  nodeup(node: string): void;
  nodedown(node: string): void;
  onRemote(node: string, msg: unknown): void;
  /** Tells peers this node's names are gone (a clean leave), then refuses everything. */
  stop(): void;
}

/** Entries of one `sync` that are read; more are dropped and counted. */
const MAX_NAMES_PER_SYNC = 100_000;
/** Longest back-off between two lock attempts. */
const MAX_LOCK_BACKOFF_MS = 500;

/** A lock request of this node waiting for answers. */
interface Ask {
  readonly waiting: Set<string>;
  readonly granted: Set<string>;
  denied: boolean;
  taken: boolean;
  readonly done: () => void;
}

/** A local registration: its watch and resolve function. */
interface Owned {
  readonly pid: Pid;
  readonly cancel: () => void;
  readonly resolve: GlobalResolve | undefined;
}

const isGlobalName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;

/** The exit reason the default resolve function gives the pid it drops: Erlang's `{global_name_conflict, Name}`. */
export function globalNameConflict(name: string): [string, string] {
  return ['global_name_conflict', name];
}

/** Cluster-wide names: see the module comment. One per node, as `node.global`. */
export class GlobalNames {
  readonly #host: GlobalHost;
  /** name -> the pids registered under it (one; more during a conflict), as this node sees it. */
  readonly #names = new Map<string, Pid[]>();
  /** name -> the registration of a local pid under it. */
  readonly #owned = new Map<string, Owned>();
  /** name -> the holder of this node's lock on it. */
  readonly #locks = new Map<string, { node: string; id: number }>();
  readonly #asks = new Map<number, Ask>();
  readonly #listeners = new Set<(change: GlobalChange) => void>();
  readonly #stats: GlobalStats = { droppedMessages: 0, droppedEntries: 0, conflicts: 0, lockRetries: 0 };
  #nextId = 1;
  #stopped = false;

  /** Made by the node (`node.global`). */
  constructor(host: GlobalHost) {
    this.#host = host;
    host.attach({
      nodeup: (node) => this.#nodeup(node),
      nodedown: (node) => this.#nodedown(node),
      onRemote: (node, msg) => this.#onRemote(node, msg),
      stop: () => this.#stop(),
    });
  }

  /**
   * Registers the local process `pid` under `name` on every connected node (global:register_name/3): resolves to
   * true, or false when the name is taken (anywhere in the cluster this node sees). Waits for the lock on the name
   * (a peer that does not answer is waited for until its nodedown, at most `globalLockTimeoutMs` in all, then
   * `KINDRED_ERR_GLOBAL_LOCK_TIMEOUT`). Unlike Erlang, only a process of this node can be registered here.
   */
  async registerName(name: string, pid: Pid, opts?: GlobalRegisterOptions): Promise<boolean> {
    this.#checkName(name);
    const p = this.#checkLocal(pid);
    const resolve = this.#checkResolve(opts);
    return this.#withLock(name, (taken) => {
      if (taken || !this.#host.isLocalAlive(p)) return false;
      this.#own(name, p, resolve);
      return true;
    });
  }

  /**
   * Takes the cluster-wide lock on `name` and, if the name is free everywhere, calls `start()` (which returns a local
   * pid) and registers that pid, all under the lock: so at most one `start` runs for a free name however many nodes
   * ask at once (how `node.singleton` starts its instance). Resolves to the registered pid, or `undefined` when the
   * name was taken (`start` was not called). `start` throwing rejects with its error.
   */
  async registerNameWith(
    name: string,
    start: () => Pid,
    opts?: GlobalRegisterOptions,
  ): Promise<Pid | undefined> {
    this.#checkName(name);
    if (typeof start !== 'function') throw badOption('start', 'a function () => pid', start);
    const resolve = this.#checkResolve(opts);
    return this.#withLock(name, (taken) => {
      if (taken) return undefined;
      const p = this.#checkLocal(start());
      this.#own(name, p, resolve);
      return p;
    });
  }

  /**
   * Removes `name` everywhere (global:unregister_name/1): a local owner's registration at once, another node's by
   * asking that node (this node forgets it at once). False when the name was not registered.
   */
  unregisterName(name: string): boolean {
    const list = this.#names.get(name);
    if (list === undefined) return false;
    for (const pid of [...list]) {
      if (pid.node === this.#host.self) this.#disown(name, pid);
      else {
        this.#removeClaim(name, pid);
        this.#host.sendTo(pid.node, { type: 'release', name, pid });
      }
    }
    return true;
  }

  /** The pid registered under `name` in the cluster, as this node sees it (global:whereis_name/1). */
  whereisName(name: string): Pid | undefined {
    const list = this.#names.get(name);
    if (list === undefined) return undefined;
    let best = list[0]!;
    for (const p of list) if (p.node < best.node) best = p;
    return best;
  }

  /** Every name registered in the cluster, as this node sees it (global:registered_names/0). */
  registeredNames(): string[] {
    return [...this.#names.keys()];
  }

  /**
   * Sends `msg` to the process registered under `name` wherever it runs (global:send/2); returns its pid. Throws
   * `KINDRED_ERR_GLOBAL_NOT_REGISTERED` when the name is free (Erlang exits with badarg).
   */
  sendName(name: string, msg: unknown): Pid {
    const pid = this.#registered(name);
    this.#host.send(pid, msg);
    return pid;
  }

  /** A `call` to the process registered under `name` (gen_server:call({global, Name}, ...)). */
  async call<R = unknown>(name: string, request: unknown, timeoutMs?: number): Promise<R> {
    return (await this.#host.call(this.#registered(name), request, timeoutMs)) as R;
  }

  /**
   * Calls `listener` after each change of a name as this node sees it (registered, freed, a conflict resolved);
   * returns the function that unsubscribes. A listener that throws is logged and kept.
   */
  onChange(listener: (change: GlobalChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** What the name service refused or resolved so far. */
  stats(): GlobalStats {
    return { ...this.#stats };
  }

  #registered(name: string): Pid {
    const pid = this.whereisName(name);
    if (pid === undefined) {
      throw new KindredError(
        RUNTIME_ERRORS.GLOBAL_NOT_REGISTERED,
        `No process is registered under the global name ${formatTerm(name)}; check whereisName first.`,
        { details: { name } },
      );
    }
    return pid;
  }

  #checkName(name: string): void {
    if (!isGlobalName(name)) throw badOption('name', 'a string of 1-255 characters', name);
    if (this.#stopped) throw this.#host.stoppedError();
  }

  #checkLocal(v: unknown): Pid {
    const pid = toPid(v);
    if (pid === undefined) throw badOption('pid', 'a pid', v);
    if (pid.node !== this.#host.self) {
      throw new KindredError(
        RUNTIME_ERRORS.NOT_LOCAL,
        `Only a process of this node can be registered here (${pid}); register it on its own node.`,
      );
    }
    if (!this.#host.isLocalAlive(pid))
      throw new KindredError(RUNTIME_ERRORS.NOPROC, `Process ${pid} is not alive.`);
    return pid;
  }

  #checkResolve(opts: GlobalRegisterOptions | undefined): GlobalResolve | undefined {
    const r = opts?.resolve;
    if (r !== undefined && typeof r !== 'function')
      throw badOption('resolve', 'a function (name, pid1, pid2) => pid', r);
    return r;
  }

  // ---------------------------------------------------------------- locks

  /**
   * Runs `body(taken)` while holding the lock on `name` on this node and every visible peer; `taken` says whether
   * any of them has the name. Retries after a random back-off while a lock is held by another node.
   */
  async #withLock<T>(name: string, body: (taken: boolean) => T): Promise<T> {
    const deadline = Date.now() + RUNTIME_DEFAULTS.globalLockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      if (this.#stopped) throw this.#host.stoppedError();
      const id = this.#nextId++;
      const nodes = [this.#host.self, ...this.#host.peers()].sort();
      const asked = new Set<string>();
      // The lowest node first: contenders meet there, so only one goes on to lock the others.
      let r = await this.#lockOn(name, id, nodes.slice(0, 1), asked, deadline);
      if (r.ok) {
        const rest = await this.#lockOn(name, id, nodes.slice(1), asked, deadline);
        r = { ok: rest.ok, taken: r.taken || rest.taken };
      }
      if (r.ok && !this.#stopped) {
        try {
          return body(r.taken || this.#names.has(name));
        } finally {
          this.#unlock(name, id, asked);
        }
      }
      this.#unlock(name, id, asked);
      if (this.#stopped) throw this.#host.stoppedError();
      if (Date.now() >= deadline) {
        throw new KindredError(
          RUNTIME_ERRORS.GLOBAL_LOCK_TIMEOUT,
          `Could not take the cluster-wide lock on ${formatTerm(name)} within ${RUNTIME_DEFAULTS.globalLockTimeoutMs} ms: a peer did not answer or kept it; retry.`,
          { details: { name } },
        );
      }
      this.#stats.lockRetries++;
      const ceiling = Math.min(MAX_LOCK_BACKOFF_MS, 5 * 2 ** Math.min(attempt, 10));
      await new Promise((res) => setTimeout(res, Math.random() * ceiling));
    }
  }

  /** Asks `nodes` for the lock (this node answers at once); resolves when all granted, or one refused. */
  #lockOn(
    name: string,
    id: number,
    nodes: readonly string[],
    asked: Set<string>,
    deadline: number,
  ): Promise<{ ok: boolean; taken: boolean }> {
    const self = this.#host.self;
    const remote: string[] = [];
    for (const n of nodes) {
      asked.add(n);
      if (n === self) {
        if (!this.#grant(name, self, id)) return Promise.resolve({ ok: false, taken: false });
      } else remote.push(n);
    }
    if (remote.length === 0) return Promise.resolve({ ok: true, taken: false });
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          ask.denied = true;
          ask.done();
        },
        Math.max(0, deadline - Date.now()),
      );
      const ask: Ask = {
        waiting: new Set(remote),
        granted: new Set(),
        denied: false,
        taken: false,
        done: () => {
          clearTimeout(timer);
          this.#asks.delete(id);
          resolve({ ok: !ask.denied, taken: ask.taken });
        },
      };
      this.#asks.set(id, ask);
      for (const n of remote) this.#host.sendTo(n, { type: 'lock', name, id });
    });
  }

  /** This node's lock on `name` for `node`'s attempt `id`: granted when free or already that attempt's. */
  #grant(name: string, node: string, id: number): boolean {
    const held = this.#locks.get(name);
    if (held !== undefined && (held.node !== node || held.id !== id)) return false;
    this.#locks.set(name, { node, id });
    return true;
  }

  #unlock(name: string, id: number, asked: Set<string>): void {
    const self = this.#host.self;
    for (const n of asked) {
      if (n === self) {
        const held = this.#locks.get(name);
        if (held?.node === self && held.id === id) this.#locks.delete(name);
      } else this.#host.sendTo(n, { type: 'unlock', name, id });
    }
  }

  // ---------------------------------------------------------------- the table

  /** Registers the local `pid` under `name` here and on every peer. */
  #own(name: string, pid: Pid, resolve: GlobalResolve | undefined): void {
    const cancel = this.#host.watch(pid, () => {
      if (this.#owned.get(name)?.pid === pid) this.#disown(name, pid);
    });
    this.#owned.set(name, { pid, cancel, resolve });
    for (const n of this.#host.peers()) this.#host.sendTo(n, { type: 'register', name, pid });
    this.#addClaim(name, pid);
  }

  /** Unregisters the local `pid` from `name` here and on every peer. */
  #disown(name: string, pid: Pid): void {
    const owned = this.#owned.get(name);
    if (owned !== undefined && pidEquals(owned.pid, pid)) {
      this.#owned.delete(name);
      owned.cancel();
    }
    for (const n of this.#host.peers()) this.#host.sendTo(n, { type: 'unregister', name, pid });
    this.#removeClaim(name, pid);
  }

  #addClaim(name: string, pid: Pid): void {
    let list = this.#names.get(name);
    if (list === undefined) {
      list = [];
      this.#names.set(name, list);
    }
    if (list.some((p) => pidEquals(p, pid))) return;
    list.push(pid);
    this.#changed(name);
    if (list.length > 1) this.#conflict(name);
  }

  #removeClaim(name: string, pid: Pid): boolean {
    const list = this.#names.get(name);
    const i = list === undefined ? -1 : list.findIndex((p) => pidEquals(p, pid));
    if (list === undefined || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.#names.delete(name);
    this.#changed(name);
    return true;
  }

  #changed(name: string): void {
    const change: GlobalChange = { name, pid: this.whereisName(name) };
    for (const l of this.#listeners) {
      try {
        l(change);
      } catch (err) {
        this.#host.warn({ err }, 'global onChange listener threw');
      }
    }
  }

  /**
   * `name` has several claims. The node with the lowest name among the claimants' nodes decides (every node applies
   * the same rule, so exactly one does); the others wait for its `resolve`/`unregister` messages.
   */
  #conflict(name: string): void {
    const list = this.#names.get(name);
    const self = this.#host.self;
    if (list === undefined || list.length < 2) return;
    let lowest = list[0]!.node;
    for (const p of list) if (p.node < lowest) lowest = p.node;
    const mine = this.#owned.get(name);
    if (lowest !== self || mine === undefined) return;
    this.#stats.conflicts++;
    const resolve = mine.resolve ?? this.#randomExit;
    let keep: Pid | undefined = mine.pid;
    for (const other of [...list]) {
      if (keep !== undefined && pidEquals(other, keep)) continue;
      if (keep === undefined) {
        keep = other;
        continue;
      }
      let chosen: Pid | undefined;
      try {
        chosen = toPid(resolve(name, keep, other));
      } catch (err) {
        this.#host.warn({ err, name }, 'global resolve function threw: both registrations dropped');
      }
      keep =
        chosen !== undefined && (pidEquals(chosen, keep) || pidEquals(chosen, other)) ? chosen : undefined;
    }
    this.#host.warn(
      { name, claims: list.map(String), kept: keep === undefined ? null : String(keep) },
      'global name conflict resolved',
    );
    const losers = list.filter((p) => keep === undefined || !pidEquals(p, keep));
    // Remote losers first: their node accepts a `resolve` only while this node's claim is still on the name there.
    for (const p of losers) {
      if (p.node === self) continue;
      this.#removeClaim(name, p);
      this.#host.sendTo(p.node, { type: 'resolve', name, pid: p });
    }
    for (const p of losers) if (p.node === self) this.#disown(name, p);
  }

  /** global:random_exit_name/3: keeps one of the two at random, exits the other. */
  readonly #randomExit: GlobalResolve = (name, a, b) => {
    const [keep, drop] = Math.random() < 0.5 ? [a, b] : [b, a];
    this.#host.exit(drop, globalNameConflict(name));
    return keep;
  };

  // ---------------------------------------------------------------- node events and peers' messages

  #nodeup(node: string): void {
    if (this.#stopped) return;
    const names: [string, Pid][] = [];
    for (const [name, o] of this.#owned) names.push([name, o.pid]);
    this.#host.sendTo(node, { type: 'sync', names });
  }

  #nodedown(node: string): void {
    for (const [name, held] of [...this.#locks]) if (held.node === node) this.#locks.delete(name);
    for (const ask of [...this.#asks.values()]) {
      if (ask.waiting.delete(node) && ask.waiting.size === 0) ask.done();
    }
    for (const [name, list] of [...this.#names])
      for (const p of [...list]) if (p.node === node) this.#removeClaim(name, p);
  }

  #stop(): void {
    if (this.#stopped) return;
    for (const [name, o] of [...this.#owned]) this.#disown(name, o.pid);
    this.#stopped = true;
    for (const ask of [...this.#asks.values()]) {
      ask.denied = true;
      ask.done();
    }
    this.#names.clear();
    this.#locks.clear();
    this.#listeners.clear();
  }

  /**
   * A name-service message from `node`. Malformed messages, and entries naming pids that are not `node`'s, are
   * dropped and counted: a peer cannot crash this node or register names for a third node's processes.
   */
  #onRemote(node: string, msg: unknown): void {
    const m = (typeof msg === 'object' && msg !== null ? msg : {}) as Record<string, unknown>;
    const name = m.name;
    switch (m.type) {
      case 'lock': {
        if (!isGlobalName(name) || !Number.isSafeInteger(m.id)) break;
        // A stopped node holds no names and takes no part: it never blocks the others.
        const granted = this.#stopped || this.#grant(name, node, m.id as number);
        this.#host.sendTo(node, { type: 'lock_reply', id: m.id, granted, taken: this.#names.has(name) });
        return;
      }
      case 'lock_reply': {
        const ask = typeof m.id === 'number' ? this.#asks.get(m.id) : undefined;
        if (ask === undefined || !ask.waiting.delete(node)) {
          this.#stats.droppedEntries++;
          return;
        }
        if (m.granted === true) ask.granted.add(node);
        else ask.denied = true;
        if (m.taken === true) ask.taken = true;
        if (ask.denied || ask.waiting.size === 0) ask.done();
        return;
      }
      case 'unlock': {
        if (!isGlobalName(name)) break;
        const held = this.#locks.get(name);
        if (held?.node === node && held.id === m.id) this.#locks.delete(name);
        return;
      }
      case 'register':
      case 'unregister': {
        const pid = this.#peerPid(node, m.pid);
        if (!isGlobalName(name)) break;
        if (pid === undefined || this.#stopped) return;
        if (m.type === 'register') this.#addClaim(name, pid);
        else this.#removeClaim(name, pid);
        return;
      }
      case 'sync': {
        if (!Array.isArray(m.names)) break;
        if (this.#stopped) return;
        const n = Math.min(m.names.length, MAX_NAMES_PER_SYNC);
        this.#stats.droppedEntries += m.names.length - n;
        for (let i = 0; i < n; i++) {
          const e: unknown = m.names[i];
          if (!Array.isArray(e) || !isGlobalName(e[0])) {
            this.#stats.droppedEntries++;
            continue;
          }
          const pid = this.#peerPid(node, e[1]);
          if (pid !== undefined) this.#addClaim(e[0], pid);
        }
        return;
      }
      case 'resolve':
      case 'release': {
        if (!isGlobalName(name)) break;
        const pid = toPid(m.pid);
        const list = this.#names.get(name);
        const owned = this.#owned.get(name);
        // `resolve` comes from the node that decided a conflict: it must hold a claim on the name itself.
        const ok =
          pid !== undefined &&
          owned !== undefined &&
          pidEquals(owned.pid, pid) &&
          (m.type === 'release' || list?.some((p) => p.node === node) === true);
        if (!ok) {
          this.#stats.droppedEntries++;
          return;
        }
        this.#disown(name, pid);
        return;
      }
      default:
        break;
    }
    this.#stats.droppedMessages++;
  }

  /** A pid a peer names as its own; anything else is counted and dropped. */
  #peerPid(node: string, v: unknown): Pid | undefined {
    const pid = toPid(v);
    if (pid !== undefined && pid.node === node) return pid;
    this.#stats.droppedEntries++;
    return undefined;
  }
}
