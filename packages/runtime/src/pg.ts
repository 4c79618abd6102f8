import { KindredError } from '@kindred/dns';
import { badOption, RUNTIME_ERRORS } from './errors.js';
import { PgMonitors } from './pg-monitor.js';
import { DISCOVER, PgOutbox } from './pg-outbox.js';
import {
  add,
  expand,
  type GroupTable,
  isU32,
  localKey,
  type Membership,
  PeerView,
  type PidGroups,
  pidsOfKeys,
} from './pg-table.js';
import { type Pid, type Ref, toPid } from './terms.js';

/** What a scope needs from its node (kept narrow so pg does not reach into the node's internals). */
export interface PgHost {
  readonly self: string;
  isLocalAlive(pid: Pid): boolean;
  track(pid: Pid, scope: PgScope): void;
  untrack(pid: Pid, scope: PgScope): void;
  sendTo(node: string, msg: unknown): void;
  /**
   * Sends `msg` to the scope on `node` like {@link PgHost.sendTo}, but throws what a send throws (a message over the
   * transport's cap, a full send queue): for a broadcast, whose caller must hear of it as of a send.
   */
  forward(node: string, msg: unknown): void;
  peers(): string[];
  deliver(pid: Pid, msg: unknown): void;
  /** A new reference (for membership monitors). */
  makeRef(): Ref;
  /** Receives, once, from the scope's constructor, the handle the node drives the scope with. */
  attach(control: PgControl): void;
}

/** What the node calls on a scope it started (given to {@link PgHost.attach}; not part of the scope's API). */
export interface PgControl {
  /** Asks every peer for its members. */
  start(): void;
  /** Stops; peers still hear the leaves of the members that exited before. */
  stop(): void;
  /** A local member exited. */
  processExited(pid: Pid): void;
  nodeup(node: string): void;
  nodedown(node: string): void;
  /** A scope message from `node`. */
  onRemote(node: string, msg: unknown): void;
}

export { isPgEvent, type PgEvent } from './pg-monitor.js';

/** Counters of what a scope refused from its peers (`scope.stats()`). */
export interface PgStats {
  /** Scope messages from peers that were not a known message shape, or came before the peer's `discover`/`sync`. */
  droppedMessages: number;
  /** Entries of a peer's `join`/`leave`/`sync` that were not a pid of that peer (or a `sync` group not shaped `[name, pids]`). */
  droppedEntries: number;
}

const MAX_GROUPS_PER_SYNC = 100_000;

/**
 * A process group scope, with Erlang's `pg` protocol: every node keeps its own members and a copy of every peer's.
 * On nodeup the scope sends `discover`; a `discover` is answered with `sync` (all local memberships) and a
 * `discover` back when the peer was unknown; `join`/`leave` go to every peer; on nodedown the peer's members are
 * dropped; a member that exits leaves all its groups. So every node converges to the same view once connected.
 *
 * Cost: members are indexed by pid (per group a map from pid to its join count, per local pid its groups), so a join,
 * a leave, an exit and every entry of a peer's message cost O(1) amortised, whatever the size of the group; the
 * leaves of members that exit in one event-loop turn go to peers batched per group (the same `leave` message, at most
 * 2,000 pids each, 2,000 pids per turn, all before the scope's next message).
 *
 * kindred's own additions, for peers whose scope says it takes them (`bcast: true` in its `discover`/`sync`; never on
 * Erlang's wire, so a BEAM peer sees OTP's protocol only): a broadcast goes to such a peer as one `bcast` message
 * that it delivers to its members, and the joins and leaves of one turn as one `ops` message at the end of the turn.
 */
export class PgScope {
  /** The scope's name (also the name its messages are sent to on peers). */
  readonly name: string;
  readonly #host: PgHost;
  /** group -> local members. */
  readonly #local: GroupTable<number> = new Map();
  /** Local pid key -> its memberships (the same objects as in `#local`): the groups an exit leaves. */
  readonly #joined = new Map<number, PidGroups>();
  /** peer node -> its members (a copy of that peer's `#local`). */
  readonly #remote = new Map<string, PeerView>();
  /** The peers, and what goes out to them (pg-outbox.ts). */
  readonly #out: PgOutbox;
  readonly #stats: PgStats = { droppedMessages: 0, droppedEntries: 0 };
  #stopped = false;
  /** Membership monitors (pg-monitor.ts). */
  readonly #monitors: PgMonitors;

  /** made by `node.pgScope(name)`. */
  constructor(name: string, host: PgHost) {
    this.name = name;
    this.#host = host;
    this.#out = new PgOutbox(host);
    this.#monitors = new PgMonitors((pid, msg) => host.deliver(pid, msg));
    host.attach({
      start: () => this.#start(),
      stop: () => this.#stop(),
      processExited: (pid) => this.#processExited(pid),
      nodeup: (node) => this.#nodeup(node),
      nodedown: (node) => this.#nodedown(node),
      onRemote: (node, msg) => this.#onRemote(node, msg),
    });
  }

  /** See PgControl. */
  #start(): void {
    for (const n of this.#host.peers()) this.#host.sendTo(n, DISCOVER);
  }

  /** peers still hear the leaves of the members that exited before the stop. */
  #stop(): void {
    this.#out.stop();
    this.#stopped = true;
    this.#local.clear();
    this.#joined.clear();
    this.#remote.clear();
    this.#monitors.clear();
  }

  /** Adds local process(es) to `group` (pg:join/3). A process may join the same group several times. */
  join(group: string, pids: Pid | readonly Pid[]): void {
    const list = this.#localPids(group, pids);
    if (list.length === 0) return;
    for (const p of list) {
      const key = localKey(p);
      const m = add(this.#local, group, key, p);
      if (m.count > 1) continue;
      const groups = this.#joined.get(key);
      if (groups === undefined) {
        this.#joined.set(key, m);
        this.#host.track(p, this);
      } else if (groups instanceof Map) groups.set(group, m);
      else
        this.#joined.set(
          key,
          new Map([
            [groups.group, groups],
            [group, m],
          ]),
        );
    }
    this.#out.sendOp('join', group, list);
    this.#monitors.notify(group, 'join', list);
  }

  /** Removes local process(es) from `group` once each (pg:leave/3); false when none was a member. */
  leave(group: string, pids: Pid | readonly Pid[]): boolean {
    const list = this.#localPids(group, pids);
    const members = this.#local.get(group);
    if (!members) return false;
    const left: Pid[] = [];
    for (const p of list) {
      const key = localKey(p);
      const m = members.get(key);
      if (m === undefined) continue;
      left.push(p);
      if (--m.count > 0) continue;
      members.delete(key);
      const groups = this.#joined.get(key);
      if (groups instanceof Map) {
        groups.delete(group);
        if (groups.size > 0) continue;
      }
      this.#joined.delete(key);
      if (!this.#monitors.holds(key)) this.#host.untrack(p, this);
    }
    if (members.size === 0) this.#local.delete(group);
    if (left.length === 0) return false;
    this.#out.sendOp('leave', group, left);
    this.#monitors.notify(group, 'leave', left);
    return true;
  }

  /** Every member of `group` on every node this node is connected to (pg:get_members/2). */
  members(group: string): Pid[] {
    const out: Pid[] = [];
    const local = this.#local.get(group);
    if (local) expand(local, out);
    for (const view of this.#remote.values()) {
      const m = view.groups.get(group);
      if (m) expand(m, out);
    }
    return out;
  }

  /** Members of `group` on this node (pg:get_local_members/2). */
  localMembers(group: string): Pid[] {
    const local = this.#local.get(group);
    return local ? expand(local, []) : [];
  }

  /** Groups with at least one member anywhere (pg:which_groups/1). */
  groups(): string[] {
    const set = new Set(this.#local.keys());
    for (const view of this.#remote.values()) for (const g of view.groups.keys()) set.add(g);
    return [...set];
  }

  /**
   * Sends `msg` to every member of `group` (Phoenix.PubSub's broadcast), each as many times as it joined; returns
   * how many members this node's view has (the messages sent, counting those a peer delivers). Local members get it
   * at once; a peer that fans out (see pg-outbox.ts's `fanout`) gets one `bcast` message and delivers it to its own members of the
   * group when it arrives, any other peer one message per member. Throws what a send throws.
   */
  broadcast(group: string, msg: unknown): number {
    let n = 0;
    const local = this.#local.get(group);
    if (local !== undefined) n += this.#deliverAll(local, msg);
    for (const [node, view] of this.#remote) {
      const members = view.groups.get(group);
      if (members === undefined) continue;
      if (!this.#out.fanout.has(node)) {
        n += this.#deliverAll(members, msg);
        continue;
      }
      this.#host.forward(node, { type: 'bcast', group, msg });
      for (const m of members.values()) n += m.count;
    }
    return n;
  }

  /** Delivers `msg` to each of `members` once per join; returns how many. */
  #deliverAll<K>(members: Map<K, Membership>, msg: unknown): number {
    let n = 0;
    for (const m of members.values())
      for (let i = 0; i < m.count; i++) {
        this.#host.deliver(m.pid, msg);
        n++;
      }
    return n;
  }

  /** What this scope refused from its peers so far. */
  stats(): PgStats {
    return { ...this.#stats };
  }

  /**
   * Makes the local process `pid` hear of every join and leave in this scope, on every node, as {@link PgEvent}
   * messages with the returned ref (OTP 25's pg:monitor_scope/1, called for `pid`). `groups` is the scope's view
   * when the monitor starts; events follow it, in the order the scope sees the changes. The monitor ends with
   * {@link PgScope.demonitor} or when `pid` exits.
   */
  monitorScope(pid: Pid): { ref: Ref; groups: Map<string, Pid[]> } {
    const ref = this.#addMonitor(pid, undefined);
    const groups = new Map<string, Pid[]>();
    for (const g of this.groups()) groups.set(g, this.members(g));
    return { ref, groups };
  }

  /**
   * Like {@link PgScope.monitorScope} for one group (pg:monitor/2): `pids` are its members now, and events name only
   * this group.
   */
  monitor(pid: Pid, group: string): { ref: Ref; pids: Pid[] } {
    if (typeof group !== 'string' || group.length === 0)
      throw badOption('group', 'a non-empty string', group);
    const ref = this.#addMonitor(pid, group);
    return { ref, pids: this.members(group) };
  }

  /** Ends a membership monitor (pg:demonitor/2); false when `ref` is not one of this scope's. Events already sent stay. */
  demonitor(ref: Ref): boolean {
    const m = this.#monitors.remove(ref);
    if (m === undefined) return false;
    const key = localKey(m.pid);
    if (!this.#monitors.holds(key) && !this.#joined.has(key)) this.#host.untrack(m.pid, this);
    return true;
  }

  #addMonitor(pid: Pid, group: string | undefined): Ref {
    const p = this.#localPids(group ?? '*', pid)[0]!;
    const ref = this.#host.makeRef();
    this.#monitors.add(ref, p, group);
    this.#host.track(p, this);
    return ref;
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

  /** a local member exited: it leaves every group of this scope (the node drops its tracking). */
  #processExited(pid: Pid): void {
    const key = localKey(pid);
    this.#monitors.processExited(key);
    const groups = this.#joined.get(key);
    if (groups === undefined) return;
    this.#joined.delete(key);
    if (groups instanceof Map) for (const m of groups.values()) this.#exitLeave(key, m);
    else this.#exitLeave(key, groups);
  }

  /** Membership `m` of the local pid keyed `key` ends with its process; peers hear of it at the end of this turn. */
  #exitLeave(key: number, m: Membership): void {
    const members = this.#local.get(m.group);
    members?.delete(key);
    if (members?.size === 0) this.#local.delete(m.group);
    if (this.#monitors.size > 0) this.#monitors.notify(m.group, 'leave', new Array<Pid>(m.count).fill(m.pid));
    if (this.#out.peers.size === 0 || this.#stopped) return;
    this.#out.exitLeave(m);
  }

  /** See PgControl. */
  #nodeup(node: string): void {
    if (!this.#stopped) this.#host.sendTo(node, DISCOVER);
  }

  /** See PgControl. */
  #nodedown(node: string): void {
    this.#out.peerDown(node);
    const view = this.#remote.get(node);
    this.#remote.delete(node);
    if (view !== undefined) this.#monitors.notifyDiff(view.groups, undefined);
  }

  /**
   * A scope message from `node`. A peer cannot crash or stall this node: malformed messages and entries
   * are dropped and counted, never thrown, and a message costs O(1) per entry it carries.
   */
  #onRemote(node: string, msg: unknown): void {
    if (this.#stopped) return;
    if (typeof msg !== 'object' || msg === null) {
      this.#stats.droppedMessages++;
      return;
    }
    const m = msg as { type?: unknown; group?: unknown; pids?: unknown; groups?: unknown; bcast?: unknown };
    switch (m.type) {
      case 'discover': {
        const fresh = !this.#out.peers.has(node);
        this.#out.setFanout(node, m.bcast);
        // Changes still queued go first, so they cannot arrive after (and undo) this sync.
        this.#out.flushBatch();
        this.#out.flushExitLeaves();
        this.#out.peers.add(node);
        const groups: [string, Pid[]][] = [];
        for (const [g, members] of this.#local) groups.push([g, expand(members, [])]);
        this.#host.sendTo(node, { type: 'sync', groups, bcast: true });
        if (fresh) this.#host.sendTo(node, DISCOVER);
        return;
      }
      case 'sync': {
        if (!Array.isArray(m.groups)) break;
        this.#out.peers.add(node);
        this.#out.setFanout(node, m.bcast);
        const view = new PeerView();
        const n = Math.min(m.groups.length, MAX_GROUPS_PER_SYNC);
        this.#stats.droppedEntries += m.groups.length - n;
        for (let i = 0; i < n; i++) {
          const e: unknown = m.groups[i];
          if (!Array.isArray(e) || typeof e[0] !== 'string' || !Array.isArray(e[1])) {
            this.#stats.droppedEntries++;
            continue;
          }
          this.#addRemote(node, view, e[0], e[1], false);
        }
        const old = this.#remote.get(node);
        this.#remote.set(node, view);
        this.#monitors.notifyDiff(old?.groups, view.groups);
        return;
      }
      case 'join':
        if (typeof m.group !== 'string' || !Array.isArray(m.pids) || !this.#out.peers.has(node)) break;
        this.#remoteJoin(node, m.group, m.pids);
        return;
      case 'leave':
        if (typeof m.group !== 'string' || !Array.isArray(m.pids)) break;
        this.#remoteLeave(node, m.group, m.pids);
        return;
      case 'ops': {
        // A peer's joins and leaves of one turn, in order: `[type, group, keys, ...]`, its pids as their keys.
        const { ops, creation } = msg as { ops?: unknown; creation?: unknown };
        if (!Array.isArray(ops) || !isU32(creation) || !this.#out.peers.has(node)) break;
        for (let i = 0; i + 2 < ops.length; i += 3) {
          const [type, group, keys] = [ops[i], ops[i + 1], ops[i + 2]];
          if (typeof group !== 'string' || !Array.isArray(keys) || (type !== 'join' && type !== 'leave')) {
            this.#stats.droppedEntries++;
            continue;
          }
          const pids = pidsOfKeys(node, creation, keys);
          this.#stats.droppedEntries += keys.length - pids.length;
          if (type === 'join') this.#remoteJoin(node, group, pids);
          else this.#remoteLeave(node, group, pids);
        }
        if (ops.length % 3 !== 0) this.#stats.droppedEntries++;
        return;
      }
      case 'bcast': {
        // A peer's broadcast: its one message stands for one per member of ours it saw; ours now get it.
        if (typeof m.group !== 'string') break;
        const local = this.#local.get(m.group);
        if (local !== undefined) this.#deliverAll(local, (msg as { msg?: unknown }).msg);
        return;
      }
      default:
        break;
    }
    this.#stats.droppedMessages++;
  }

  /** A peer's join of `raw` (its pids) to `group`. */
  #remoteJoin(node: string, group: string, raw: unknown[]): void {
    let view = this.#remote.get(node);
    if (!view) {
      view = new PeerView();
      this.#remote.set(node, view);
    }
    this.#addRemote(node, view, group, raw, true);
  }

  /** A peer's leave of `raw` (its pids, once each) from `group`. */
  #remoteLeave(node: string, group: string, raw: unknown[]): void {
    const view = this.#remote.get(node);
    const members = view?.groups.get(group);
    if (!view || !members) return;
    const left: Pid[] = [];
    for (const x of raw) {
      const p = this.#remotePid(node, x);
      if (p === undefined) continue;
      const key = view.key(p);
      const found = members.get(key);
      if (found === undefined) continue;
      if (--found.count === 0) members.delete(key);
      if (this.#monitors.size > 0) left.push(found.pid);
    }
    if (members.size === 0) view.groups.delete(group);
    this.#monitors.notify(group, 'leave', left);
  }

  /** Adds the pids a peer claims as members of `group` to its view; `notify`: monitors hear of them. */
  #addRemote(node: string, view: PeerView, group: string, raw: unknown[], notify: boolean): void {
    const joined: Pid[] | undefined = notify && this.#monitors.size > 0 ? [] : undefined;
    for (const x of raw) {
      const p = this.#remotePid(node, x);
      if (p === undefined) continue;
      add(view.groups, group, view.key(p), p);
      joined?.push(p);
    }
    if (joined !== undefined) this.#monitors.notify(group, 'join', joined);
  }

  /** A pid a peer claims as its member; only pids of that peer are accepted, anything else is counted. */
  #remotePid(node: string, x: unknown): Pid | undefined {
    const p = toPid(x);
    if (p !== undefined && p.node === node) return p;
    this.#stats.droppedEntries++;
    return undefined;
  }
}
