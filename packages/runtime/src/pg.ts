import { KindredError } from '@kindred/dns';
import { badOption, RUNTIME_ERRORS } from './errors.js';
import { type Pid, pidKey, toPid } from './terms.js';

/** What a scope needs from its node (kept narrow so pg does not reach into the node's internals). */
export interface PgHost {
  readonly self: string;
  isLocalAlive(pid: Pid): boolean;
  track(pid: Pid, scope: PgScope): void;
  untrack(pid: Pid, scope: PgScope): void;
  sendTo(node: string, msg: unknown): void;
  peers(): string[];
  deliver(pid: Pid, msg: unknown): void;
}

const MAX_GROUPS_PER_SYNC = 100_000;

/**
 * A process group scope, with Erlang's `pg` protocol: every node keeps its own members and a copy of every peer's.
 * On nodeup the scope sends `discover`; a `discover` is answered with `sync` (all local memberships) and a
 * `discover` back when the peer was unknown; `join`/`leave` go to every peer; on nodedown the peer's members are
 * dropped; a member that exits leaves all its groups. So every node converges to the same view once connected.
 */
export class PgScope {
  /** The scope's name (also the name its messages are sent to on peers). */
  readonly name: string;
  readonly #host: PgHost;
  /** group -> local members (a pid may join a group more than once, as in pg). */
  readonly #local = new Map<string, Pid[]>();
  /** peer node -> group -> members. */
  readonly #remote = new Map<string, Map<string, Pid[]>>();
  /** Peers that run this scope (discovered). */
  readonly #peers = new Set<string>();
  #stopped = false;

  /** @internal made by `node.pgScope(name)`. */
  constructor(name: string, host: PgHost) {
    this.name = name;
    this.#host = host;
  }

  /** @internal */
  _start(): void {
    for (const n of this.#host.peers()) this.#host.sendTo(n, { type: 'discover' });
  }

  /** @internal */
  _stop(): void {
    this.#stopped = true;
    this.#local.clear();
    this.#remote.clear();
    this.#peers.clear();
  }

  /** Adds local process(es) to `group` (pg:join/3). A process may join the same group several times. */
  join(group: string, pids: Pid | readonly Pid[]): void {
    const list = this.#localPids(group, pids);
    if (list.length === 0) return;
    let members = this.#local.get(group);
    if (!members) {
      members = [];
      this.#local.set(group, members);
    }
    for (const p of list) {
      members.push(p);
      this.#host.track(p, this);
    }
    for (const n of this.#peers) this.#host.sendTo(n, { type: 'join', group, pids: list });
  }

  /** Removes local process(es) from `group` once each (pg:leave/3); false when none was a member. */
  leave(group: string, pids: Pid | readonly Pid[]): boolean {
    const list = this.#localPids(group, pids);
    const members = this.#local.get(group);
    if (!members) return false;
    const left: Pid[] = [];
    for (const p of list) {
      const k = pidKey(p);
      const i = members.findIndex((m) => pidKey(m) === k);
      if (i >= 0) {
        members.splice(i, 1);
        left.push(p);
      }
    }
    if (members.length === 0) this.#local.delete(group);
    for (const p of left) if (!this.#isMemberAnywhere(p)) this.#host.untrack(p, this);
    if (left.length === 0) return false;
    for (const n of this.#peers) this.#host.sendTo(n, { type: 'leave', group, pids: left });
    return true;
  }

  /** Every member of `group` on every node this node is connected to (pg:get_members/2). */
  members(group: string): Pid[] {
    const out = [...(this.#local.get(group) ?? [])];
    for (const groups of this.#remote.values()) {
      const m = groups.get(group);
      if (m) out.push(...m);
    }
    return out;
  }

  /** Members of `group` on this node (pg:get_local_members/2). */
  localMembers(group: string): Pid[] {
    return [...(this.#local.get(group) ?? [])];
  }

  /** Groups with at least one member anywhere (pg:which_groups/1). */
  groups(): string[] {
    const set = new Set(this.#local.keys());
    for (const groups of this.#remote.values()) for (const g of groups.keys()) set.add(g);
    return [...set];
  }

  /** Sends `msg` to every member of `group` (Phoenix.PubSub's broadcast); returns how many were sent. */
  broadcast(group: string, msg: unknown): number {
    const members = this.members(group);
    for (const p of members) this.#host.deliver(p, msg);
    return members.length;
  }

  #localPids(group: string, pids: Pid | readonly Pid[]): Pid[] {
    if (typeof group !== 'string' || group.length === 0)
      throw badOption('group', 'a non-empty string', group);
    const raw = Array.isArray(pids) ? pids : [pids];
    return raw.map((x) => {
      const p = toPid(x);
      if (!p) throw badOption('pids', 'a pid or an array of pids', x);
      if (p.node !== this.#host.self) {
        throw new KindredError(
          RUNTIME_ERRORS.NOT_LOCAL,
          `Only processes of this node can join its groups (${p}).`,
        );
      }
      if (!this.#host.isLocalAlive(p))
        throw new KindredError(RUNTIME_ERRORS.NOPROC, `Process ${p} is not alive.`);
      return p;
    });
  }

  #isMemberAnywhere(p: Pid): boolean {
    const k = pidKey(p);
    for (const m of this.#local.values()) if (m.some((x) => pidKey(x) === k)) return true;
    return false;
  }

  /** @internal a local member exited: it leaves every group of this scope. */
  _processExited(pid: Pid): void {
    const k = pidKey(pid);
    for (const [group, members] of this.#local) {
      const kept = members.filter((m) => pidKey(m) !== k);
      if (kept.length === members.length) continue;
      const n = members.length - kept.length;
      if (kept.length === 0) this.#local.delete(group);
      else this.#local.set(group, kept);
      const left = new Array<Pid>(n).fill(pid);
      for (const node of this.#peers) this.#host.sendTo(node, { type: 'leave', group, pids: left });
    }
  }

  /** @internal */
  _nodeup(node: string): void {
    if (!this.#stopped) this.#host.sendTo(node, { type: 'discover' });
  }

  /** @internal */
  _nodedown(node: string): void {
    this.#peers.delete(node);
    this.#remote.delete(node);
  }

  /** @internal a scope message from `node`; malformed ones are ignored (a peer cannot crash us). */
  _onRemote(node: string, msg: unknown): void {
    if (this.#stopped || typeof msg !== 'object' || msg === null) return;
    const m = msg as { type?: unknown; group?: unknown; pids?: unknown; groups?: unknown };
    switch (m.type) {
      case 'discover': {
        const fresh = !this.#peers.has(node);
        this.#peers.add(node);
        const groups = [...this.#local].map(([g, pids]) => [g, pids]);
        this.#host.sendTo(node, { type: 'sync', groups });
        if (fresh) this.#host.sendTo(node, { type: 'discover' });
        return;
      }
      case 'sync': {
        if (!Array.isArray(m.groups)) return;
        this.#peers.add(node);
        const view = new Map<string, Pid[]>();
        for (const e of m.groups.slice(0, MAX_GROUPS_PER_SYNC)) {
          if (!Array.isArray(e) || typeof e[0] !== 'string' || !Array.isArray(e[1])) continue;
          const pids = this.#remotePids(node, e[1]);
          if (pids.length > 0) view.set(e[0], pids);
        }
        this.#remote.set(node, view);
        return;
      }
      case 'join': {
        if (typeof m.group !== 'string' || !Array.isArray(m.pids) || !this.#peers.has(node)) return;
        let view = this.#remote.get(node);
        if (!view) {
          view = new Map();
          this.#remote.set(node, view);
        }
        const pids = this.#remotePids(node, m.pids);
        const cur = view.get(m.group);
        if (cur) cur.push(...pids);
        else if (pids.length > 0) view.set(m.group, pids);
        return;
      }
      case 'leave': {
        if (typeof m.group !== 'string' || !Array.isArray(m.pids)) return;
        const view = this.#remote.get(node);
        const cur = view?.get(m.group);
        if (!view || !cur) return;
        for (const p of this.#remotePids(node, m.pids)) {
          const k = pidKey(p);
          const i = cur.findIndex((x) => pidKey(x) === k);
          if (i >= 0) cur.splice(i, 1);
        }
        if (cur.length === 0) view.delete(m.group);
        return;
      }
      default:
        return;
    }
  }

  /** Pids a peer claims as its members; only pids of that peer are accepted. */
  #remotePids(node: string, raw: unknown[]): Pid[] {
    const out: Pid[] = [];
    for (const x of raw) {
      const p = toPid(x);
      if (p && p.node === node) out.push(p);
    }
    return out;
  }
}
