/**
 * pg's membership monitors (OTP 25's pg:monitor_scope/1 and pg:monitor/2) for one scope: who monitors what, and the
 * events they get. The scope (pg.ts) decides when something changed; this file only records monitors and tells them.
 */
import { localPidKey, type Pid, type Ref, refKey } from './terms.js';

/**
 * A membership event, delivered to a process that monitors a scope or a group (OTP 25's `{Ref, join, Group, Pids}`
 * and `{Ref, leave, Group, Pids}`): `pids` joined or left `group`, once per join, as the scope saw it happen (a local
 * join or leave, a member's exit, a peer's `join`/`leave`/`sync`, a peer's nodedown).
 */
export interface PgEvent {
  readonly type: 'pg';
  /** The ref `monitorScope`/`monitor` returned. */
  readonly ref: Ref;
  readonly event: 'join' | 'leave';
  readonly group: string;
  readonly pids: readonly Pid[];
}

/** True for a {@link PgEvent}. */
export const isPgEvent = (m: unknown): m is PgEvent =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'pg';

/** A membership monitor: the local process told, and its group (undefined: the whole scope). */
export interface PgMonitor {
  readonly ref: Ref;
  readonly pid: Pid;
  readonly group: string | undefined;
}

/** A group's members as a scope keeps them: pid key -> the pid and how many times it joined. */
type Members = ReadonlyMap<unknown, { readonly pid: Pid; readonly count: number }>;

/**
 * The monitors of one scope, indexed by ref, by group (or the whole scope) and by the local process that holds them.
 * @internal
 */
export class PgMonitors {
  /** Membership monitors by ref key. */
  readonly #all = new Map<string, PgMonitor>();
  /** Monitors of the whole scope, by ref key. */
  readonly #scope = new Map<string, PgMonitor>();
  /** group -> its monitors, by ref key. */
  readonly #groups = new Map<string, Map<string, PgMonitor>>();
  /** Local pid key -> ref keys of the monitors it holds (to clean up when it exits). */
  readonly #of = new Map<number, Set<string>>();
  readonly #deliver: (pid: Pid, msg: PgEvent) => void;

  /** `deliver` puts an event in a local process's mailbox. */
  constructor(deliver: (pid: Pid, msg: PgEvent) => void) {
    this.#deliver = deliver;
  }

  /** How many monitors there are (0: no event to make). */
  get size(): number {
    return this.#all.size;
  }

  /** Whether the local process keyed `key` ({@link localPidKey}) holds a monitor. */
  holds(key: number): boolean {
    return this.#of.has(key);
  }

  /** Records that the local process `pid` monitors `group` (undefined: the whole scope) under `ref`. */
  add(ref: Ref, pid: Pid, group: string | undefined): void {
    const k = refKey(ref);
    const m: PgMonitor = { ref, pid, group };
    this.#all.set(k, m);
    if (group === undefined) this.#scope.set(k, m);
    else {
      let g = this.#groups.get(group);
      if (g === undefined) {
        g = new Map();
        this.#groups.set(group, g);
      }
      g.set(k, m);
    }
    const key = localPidKey(pid);
    let mine = this.#of.get(key);
    if (mine === undefined) {
      mine = new Set();
      this.#of.set(key, mine);
    }
    mine.add(k);
  }

  /** Removes the monitor `ref` names and returns it; undefined when it is not one of these. */
  remove(ref: Ref): PgMonitor | undefined {
    const k = typeof ref === 'object' && ref !== null ? refKey(ref) : undefined;
    const m = k === undefined ? undefined : this.#all.get(k);
    if (m === undefined || k === undefined) return undefined;
    this.#drop(k, m);
    return m;
  }

  /** The local process keyed `key` exited: its monitors end. */
  processExited(key: number): void {
    const mine = this.#of.get(key);
    if (mine !== undefined) for (const k of [...mine]) this.#drop(k, this.#all.get(k)!);
  }

  /** Forgets every monitor (the scope stopped). */
  clear(): void {
    this.#all.clear();
    this.#scope.clear();
    this.#groups.clear();
    this.#of.clear();
  }

  /** Removes monitor `m` (keyed `k`) from the tables. */
  #drop(k: string, m: PgMonitor): void {
    this.#all.delete(k);
    if (m.group === undefined) this.#scope.delete(k);
    else {
      const g = this.#groups.get(m.group);
      g?.delete(k);
      if (g?.size === 0) this.#groups.delete(m.group);
    }
    const key = localPidKey(m.pid);
    const mine = this.#of.get(key);
    mine?.delete(k);
    if (mine?.size === 0) this.#of.delete(key);
  }

  /** Tells the monitors of the scope and of `group` that `pids` joined or left it. */
  notify(group: string, event: 'join' | 'leave', pids: readonly Pid[]): void {
    if (this.#all.size === 0 || pids.length === 0) return;
    for (const m of this.#scope.values())
      this.#deliver(m.pid, { type: 'pg', ref: m.ref, event, group, pids });
    const g = this.#groups.get(group);
    if (g !== undefined)
      for (const m of g.values()) this.#deliver(m.pid, { type: 'pg', ref: m.ref, event, group, pids });
  }

  /** Tells monitors what changed between a peer's old groups and its new ones (a `sync` replacing them, a nodedown). */
  notifyDiff(
    old: ReadonlyMap<string, Members> | undefined,
    now: ReadonlyMap<string, Members> | undefined,
  ): void {
    if (this.#all.size === 0) return;
    const groups = new Set<string>([...(old?.keys() ?? []), ...(now?.keys() ?? [])]);
    for (const g of groups) {
      const before = old?.get(g);
      const after = now?.get(g);
      const joined: Pid[] = [];
      const left: Pid[] = [];
      if (after)
        for (const [k, m] of after) {
          const was = before?.get(k)?.count ?? 0;
          for (let i = was; i < m.count; i++) joined.push(m.pid);
        }
      if (before)
        for (const [k, m] of before) {
          const n = after?.get(k)?.count ?? 0;
          for (let i = n; i < m.count; i++) left.push(m.pid);
        }
      this.notify(g, 'leave', left);
      this.notify(g, 'join', joined);
    }
  }
}
