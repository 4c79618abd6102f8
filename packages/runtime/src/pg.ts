import { KindredError } from '@kindred/dns';
import { badOption, RUNTIME_ERRORS } from './errors.js';
import { PgMonitors } from './pg-monitor.js';
import { isLocalPidShape, LOCAL_PID_IDS, localPidKey, Pid, type Ref, toPid } from './terms.js';

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
 * The `discover` this scope sends: OTP pg's, plus `bcast: true` to say it delivers a peer's `bcast` (one message for
 * all its members of a group). On Erlang's wire only OTP's fields travel, so the flag never reaches a BEAM node and
 * never comes from one.
 */
const DISCOVER = Object.freeze({ type: 'discover', bcast: true });
/**
 * Pids per `leave` sent for exits, and pids sent per event-loop turn while such leaves are pending: a message stays
 * under 600 KB even with 255-character node names (8 MiB is the transport's cap), and encoding one turn's worth for a
 * peer takes about a millisecond, so a burst of exits never holds the loop for long between I/O (the first turn runs
 * right after the burst, before any I/O: it adds to the burst's stall).
 */
const EXIT_LEAVE_PIDS = 2000;

/**
 * Pids per `ops` message (see {@link PgScope}'s `#batch`): joins and leaves of one event-loop turn go to a peer that
 * fans out in messages of at most this many pids (the same bound as an exit `leave`).
 */
const BATCH_PIDS = EXIT_LEAVE_PIDS;

/** A `leave` for exited members, not sent yet. */
interface PendingLeave {
  readonly group: string;
  readonly pids: Pid[];
}

/**
 * One membership: a pid in a group and how many times it joined it (pg keeps a pid once per join). For local pids
 * the same object is held by the group and by the pid's index of groups, so a change touches it once.
 */
interface Membership {
  readonly pid: Pid;
  readonly group: string;
  count: number;
}

/** group -> pid key -> membership. */
type GroupTable<K> = Map<string, Map<K, Membership>>;

/**
 * A local pid's key: the number the node keys its processes by ({@link localPidKey}, `serial * 2^28 + id`). Creation
 * and node are left out: a pid joins only while alive, so every local member has this node's name and creation (and
 * an id and serial this node made: {@link isLocalPidShape}).
 */
const localKey = localPidKey;

/** A copy of one peer's memberships. */
class PeerView {
  readonly groups: GroupTable<number | string> = new Map();
  /** The creation of the first pid seen: the peer's, normally every pid it sends has it. */
  #creation: number | undefined;

  /**
   * A pid's key in this view: the number the peer keys its processes by when the pid has the view's creation (no
   * string built per entry of a message), else a string of all three numbers (a peer may claim pids of an older
   * incarnation, or ids and serials that do not fit the number). The node is left out: every pid of a view is of
   * that peer.
   */
  key(p: Pid): number | string {
    this.#creation ??= p.creation;
    if (p.creation === this.#creation && isLocalPidShape(p)) return localKey(p);
    return `${p.id}.${p.serial}.${p.creation}`;
  }
}

/** True for an integer from 0 to 2^32 - 1 (a pid's creation). */
const isU32 = (x: unknown): x is number =>
  Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 32;

/**
 * The pids of `node` with `creation` whose keys ({@link localPidKey}) are `keys`; entries that are not such a key (an
 * integer from 0 to 2^53 - 1) are left out.
 */
function pidsOfKeys(node: string, creation: number, keys: unknown[]): Pid[] {
  const out: Pid[] = [];
  for (const k of keys) {
    if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 0) continue;
    const id = k % LOCAL_PID_IDS;
    out.push(new Pid(node, id, (k - id) / LOCAL_PID_IDS, creation));
  }
  return out;
}

/** The members of `members`, each as many times as it joined, appended to `out`. */
function expand<K>(members: Map<K, Membership>, out: Pid[]): Pid[] {
  for (const m of members.values()) for (let i = 0; i < m.count; i++) out.push(m.pid);
  return out;
}

/** Adds `pid` to `group` in `table` once; returns its membership. */
function add<K>(table: GroupTable<K>, group: string, key: K, pid: Pid): Membership {
  let members = table.get(group);
  if (members === undefined) {
    members = new Map();
    table.set(group, members);
  }
  let m = members.get(key);
  if (m === undefined) {
    m = { pid, group, count: 0 };
    members.set(key, m);
  }
  m.count++;
  return m;
}

/**
 * The groups one local pid is in: its membership when it is in one group (the common case: a session process in its
 * room, no Map per pid), a map group -> membership when in more.
 */
type PidGroups = Membership | Map<string, Membership>;

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
  /** Peers that run this scope (discovered). */
  readonly #peers = new Set<string>();
  /** Leaves for members that exited and that peers have not been told of yet, oldest first (a pid once per join). */
  readonly #exitLeaves: (PendingLeave | undefined)[] = [];
  /** Index of the oldest entry of `#exitLeaves` not sent yet. */
  #exitLeavesSent = 0;
  /** group -> its newest entry of `#exitLeaves` while that one has room for more pids. */
  readonly #openLeaves = new Map<string, PendingLeave>();
  #flushTimer: ReturnType<typeof setImmediate> | undefined;
  readonly #stats: PgStats = { droppedMessages: 0, droppedEntries: 0 };
  /**
   * Peers whose scope said (a `bcast: true` in its `discover` or `sync`) that it delivers a `bcast` to its own
   * members: a broadcast sends them one message instead of one per member. Never set on Erlang's wire, where OTP pg's
   * messages carry no such field, so a BEAM peer (or a kindred node that predates it) gets one message per member.
   */
  readonly #fanout = new Set<string>();
  /**
   * The joins and leaves of this turn for the peers in `#fanout`, in the order made, as one `ops` message's list:
   * `['join' | 'leave', group, keys, ...]` (a join or leave of the same group as the one before adds to its keys).
   * A pid is its key ({@link localPidKey}): every pid a scope sends is its own node's, of its creation (the
   * message carries it once), so the peer rebuilds the pid from the number instead of decoding a pid with its node
   * name for each entry. Sent at the end of the turn, or once it holds {@link BATCH_PIDS} pids, and before any other
   * message of the scope.
   */
  #batch: unknown[] = [];
  /** Pids in `#batch`. */
  #batchPids = 0;
  /** The creation of the pids in `#batch` (this node's). */
  #batchCreation = 0;
  #batchTimer: ReturnType<typeof setImmediate> | undefined;
  #stopped = false;
  /** Membership monitors (pg-monitor.ts). */
  readonly #monitors: PgMonitors;

  /** made by `node.pgScope(name)`. */
  constructor(name: string, host: PgHost) {
    this.name = name;
    this.#host = host;
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
    this.#flushBatch();
    this.#flushExitLeaves();
    this.#stopped = true;
    this.#batch = [];
    this.#batchPids = 0;
    this.#openLeaves.clear();
    this.#local.clear();
    this.#joined.clear();
    this.#remote.clear();
    this.#peers.clear();
    this.#fanout.clear();
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
    this.#sendOp('join', group, list);
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
    this.#sendOp('leave', group, left);
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
   * at once; a peer that fans out (see `#fanout`) gets one `bcast` message and delivers it to its own members of the
   * group when it arrives, any other peer one message per member. Throws what a send throws.
   */
  broadcast(group: string, msg: unknown): number {
    let n = 0;
    const local = this.#local.get(group);
    if (local !== undefined) n += this.#deliverAll(local, msg);
    for (const [node, view] of this.#remote) {
      const members = view.groups.get(group);
      if (members === undefined) continue;
      if (!this.#fanout.has(node)) {
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

  /**
   * Sends a local join or leave to every peer, after the exit leaves still queued, so peers see changes in the order
   * they were made: now to a peer that does not fan out (OTP's `join`/`leave`), in this turn's `ops` batch to the
   * others.
   */
  #sendOp(type: 'join' | 'leave', group: string, pids: Pid[]): void {
    this.#flushExitLeaves();
    if (this.#peers.size === 0) return;
    let batched = false;
    for (const n of this.#peers) {
      if (this.#fanout.has(n)) batched = true;
      else this.#host.sendTo(n, { type, group, pids });
    }
    if (!batched) return;
    const b = this.#batch;
    const last = b.length - 3;
    let keys: number[];
    if (last >= 0 && b[last] === type && b[last + 1] === group) keys = b[last + 2] as number[];
    else {
      keys = [];
      b.push(type, group, keys);
    }
    for (const p of pids) keys.push(localKey(p));
    this.#batchCreation = pids[0]!.creation;
    this.#batchPids += pids.length;
    if (this.#batchPids >= BATCH_PIDS) this.#flushBatch();
    else
      this.#batchTimer ??= setImmediate(() => {
        this.#batchTimer = undefined;
        this.#flushBatch();
      });
  }

  /** Sends this turn's joins and leaves (`#batch`) to the peers that fan out, now. */
  #flushBatch(): void {
    if (this.#batchTimer !== undefined) {
      clearImmediate(this.#batchTimer);
      this.#batchTimer = undefined;
    }
    if (this.#batch.length === 0) return;
    const msg = { type: 'ops', creation: this.#batchCreation, ops: this.#batch };
    this.#batch = [];
    this.#batchPids = 0;
    for (const n of this.#fanout) if (this.#peers.has(n)) this.#host.sendTo(n, msg);
  }

  /** Sends every pending exit leave now (before any other message of this scope, so peers see changes in order). */
  #flushExitLeaves(): void {
    this.#sendExitLeaves(Number.POSITIVE_INFINITY);
  }

  /** Sends pending exit leaves, oldest first, until `budget` pids went out; schedules the rest for the next turn. */
  #sendExitLeaves(budget: number): void {
    // The batch holds changes made before these exits: it goes first.
    if (this.#exitLeavesSent < this.#exitLeaves.length) this.#flushBatch();
    if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
    this.#flushTimer = undefined;
    const queue = this.#exitLeaves;
    for (let sent = 0; this.#exitLeavesSent < queue.length && sent < budget; ) {
      const leave = queue[this.#exitLeavesSent]!;
      queue[this.#exitLeavesSent++] = undefined;
      if (this.#openLeaves.get(leave.group) === leave) this.#openLeaves.delete(leave.group);
      for (const n of this.#peers)
        this.#host.sendTo(n, { type: 'leave', group: leave.group, pids: leave.pids });
      sent += leave.pids.length;
    }
    if (this.#exitLeavesSent < queue.length) this.#scheduleExitLeaves();
    else {
      queue.length = 0;
      this.#exitLeavesSent = 0;
    }
  }

  #scheduleExitLeaves(): void {
    this.#flushTimer ??= setImmediate(() => {
      this.#flushTimer = undefined;
      this.#sendExitLeaves(EXIT_LEAVE_PIDS);
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
    if (this.#monitors.size > 0) this.#monitors.notify(m.group, 'leave', expand(new Map([[key, m]]), []));
    if (this.#peers.size === 0 || this.#stopped) return;
    // Exits come in bursts (a deploy closing every session): one `leave` per group per event-loop turn, not one
    // message per member, keeps the burst's cost on this node and on every peer linear.
    for (let i = 0; i < m.count; i++) {
      let leave = this.#openLeaves.get(m.group);
      if (leave === undefined) {
        leave = { group: m.group, pids: [] };
        this.#exitLeaves.push(leave);
        this.#openLeaves.set(m.group, leave);
      }
      leave.pids.push(m.pid);
      if (leave.pids.length === EXIT_LEAVE_PIDS) this.#openLeaves.delete(m.group);
    }
    this.#scheduleExitLeaves();
  }

  /** See PgControl. */
  #nodeup(node: string): void {
    if (!this.#stopped) this.#host.sendTo(node, DISCOVER);
  }

  /** See PgControl. */
  #nodedown(node: string): void {
    this.#peers.delete(node);
    this.#fanout.delete(node);
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
        const fresh = !this.#peers.has(node);
        this.#setFanout(node, m.bcast);
        // Changes still queued go first, so they cannot arrive after (and undo) this sync.
        this.#flushBatch();
        this.#flushExitLeaves();
        this.#peers.add(node);
        const groups: [string, Pid[]][] = [];
        for (const [g, members] of this.#local) groups.push([g, expand(members, [])]);
        this.#host.sendTo(node, { type: 'sync', groups, bcast: true });
        if (fresh) this.#host.sendTo(node, DISCOVER);
        return;
      }
      case 'sync': {
        if (!Array.isArray(m.groups)) break;
        this.#peers.add(node);
        this.#setFanout(node, m.bcast);
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
        if (typeof m.group !== 'string' || !Array.isArray(m.pids) || !this.#peers.has(node)) break;
        this.#remoteJoin(node, m.group, m.pids);
        return;
      case 'leave':
        if (typeof m.group !== 'string' || !Array.isArray(m.pids)) break;
        this.#remoteLeave(node, m.group, m.pids);
        return;
      case 'ops': {
        // A peer's joins and leaves of one turn, in order: `[type, group, keys, ...]`, its pids as their keys.
        const { ops, creation } = msg as { ops?: unknown; creation?: unknown };
        if (!Array.isArray(ops) || !isU32(creation) || !this.#peers.has(node)) break;
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

  /** Records whether `node`'s scope delivers `bcast` messages (`flag`: its `discover`'s or `sync`'s `bcast`). */
  #setFanout(node: string, flag: unknown): void {
    const on = flag === true;
    if (on === this.#fanout.has(node)) return;
    // The batch holds this turn's changes for the peers that fan out now: it goes before the peer changes sides, so
    // the peer gets each change once, in the form it asked for when the change was made.
    this.#flushBatch();
    if (on) this.#fanout.add(node);
    else this.#fanout.delete(node);
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
