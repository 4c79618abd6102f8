/**
 * pg's membership tables for one scope: who is in which group, on this node and in each peer's copy, indexed by pid
 * so a join, a leave or an entry of a peer's message costs O(1). The scope (pg.ts) decides what changes; this file
 * only holds the tables and turns pids into keys and back.
 */
import { isLocalPidShape, LOCAL_PID_IDS, localPidKey, Pid } from './terms.js';

/**
 * One membership: a pid in a group and how many times it joined it (pg keeps a pid once per join). For local pids
 * the same object is held by the group and by the pid's index of groups, so a change touches it once.
 */
export interface Membership {
  readonly pid: Pid;
  readonly group: string;
  count: number;
}

/** group -> pid key -> membership. */
export type GroupTable<K> = Map<string, Map<K, Membership>>;

/**
 * A local pid's key: the number the node keys its processes by ({@link localPidKey}, `serial * 2^28 + id`). Creation
 * and node are left out: a pid joins only while alive, so every local member has this node's name and creation (and
 * an id and serial this node made: {@link isLocalPidShape}).
 */
export const localKey = localPidKey;

/** A copy of one peer's memberships. */
export class PeerView {
  /** group -> the peer's members, keyed by {@link PeerView.key}. */
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
export const isU32 = (x: unknown): x is number =>
  Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 32;

/**
 * The pids of `node` with `creation` whose keys ({@link localPidKey}) are `keys`; entries that are not such a key (an
 * integer from 0 to 2^53 - 1) are left out.
 */
export function pidsOfKeys(node: string, creation: number, keys: unknown[]): Pid[] {
  const out: Pid[] = [];
  for (const k of keys) {
    if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 0) continue;
    const id = k % LOCAL_PID_IDS;
    out.push(new Pid(node, id, (k - id) / LOCAL_PID_IDS, creation));
  }
  return out;
}

/** The members of `members`, each as many times as it joined, appended to `out`. */
export function expand<K>(members: Map<K, Membership>, out: Pid[]): Pid[] {
  for (const m of members.values()) for (let i = 0; i < m.count; i++) out.push(m.pid);
  return out;
}

/** Adds `pid` to `group` in `table` once; returns its membership. */
export function add<K>(table: GroupTable<K>, group: string, key: K, pid: Pid): Membership {
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
export type PidGroups = Membership | Map<string, Membership>;
