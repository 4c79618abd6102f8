/**
 * A look inside a live node, Erlang's observer and `erl -remsh` in one request: the processes (pid, name, mailbox,
 * links, monitors, current function), registered names, pg groups and peers with their traffic. `snapshot` builds it
 * locally; the system name `kindred_observe` (answered by the runtime on every node, like `kindred_net`: no process a
 * peer could kill, nothing in `processes()`) answers it to a process of another node, which is what
 * `kindred observe NODE` does from a hidden node. The request is validated
 * and the answer bounded (`maxProcesses`, and at most {@link OBSERVE_LIST_MAX} links, monitors or members per entry),
 * so it stays far under the transport's message cap.
 * @internal
 */
import { isKindredError, KindredError } from '@kindred/dns';
import type { NodeStats } from './api.js';
import type { Core } from './core.js';
import { RUNTIME_DEFAULTS } from './defaults.js';
import type { DistributionPeerStats } from './distribution.js';
import { badOption, formatTerm, RUNTIME_ERRORS } from './errors.js';
import type { Proc } from './process.js';
import { type Pid, toRef } from './terms.js';

/** Links, monitors or pg members listed per entry at most; `*Count` fields give the full number. */
export const OBSERVE_LIST_MAX = 32;
/** The largest `maxProcesses` a request may ask for. */
export const OBSERVE_MAX_PROCESSES = 10_000;
/** Registered names listed at most. */
const OBSERVE_MAX_ENTRIES = 10_000;
/** pg groups listed at most. */
const OBSERVE_MAX_GROUPS = 1_000;

/** What to observe. */
export interface ObserveOptions {
  /** Processes listed at most (the rest are counted). Default {@link RUNTIME_DEFAULTS.observeMaxProcesses}. */
  readonly maxProcesses?: number;
}

/** One process in a {@link NodeSnapshot}. */
export interface ProcessSnapshot {
  readonly pid: string;
  /** Registered name, or null. */
  readonly name: string | null;
  /** Messages waiting in its mailbox. */
  readonly mailbox: number;
  /** `spawn` (a function) or `handler` (spawnHandler). */
  readonly kind: 'spawn' | 'handler';
  /** The function's or handler's name (`(anonymous)` when it has none): Erlang's current_function. */
  readonly function: string;
  /** `waiting` in a receive (or an idle handler), `runnable` otherwise. */
  readonly status: 'waiting' | 'runnable';
  readonly trapExit: boolean;
  /** Linked pids (at most {@link OBSERVE_LIST_MAX}) and how many in all. */
  readonly links: readonly string[];
  readonly linkCount: number;
  /** What it monitors: pids, or `name@node` for monitors by name. */
  readonly monitors: readonly string[];
  readonly monitorCount: number;
  /** Pids monitoring it. */
  readonly monitoredBy: readonly string[];
  readonly monitoredByCount: number;
}

/** One pg group in a {@link NodeSnapshot}. */
export interface GroupSnapshot {
  readonly scope: string;
  readonly group: string;
  /** Member pids (at most {@link OBSERVE_LIST_MAX}), this node's and its peers'. */
  readonly members: readonly string[];
  readonly memberCount: number;
}

/** One connected peer in a {@link NodeSnapshot}. */
export interface PeerSnapshot {
  readonly node: string;
  readonly hidden: boolean;
  /** `out` when this node dialled; null when the distribution layer does not say. */
  readonly direction: 'in' | 'out' | null;
  readonly bytesIn: number | null;
  readonly bytesOut: number | null;
  readonly messagesIn: number | null;
  readonly messagesOut: number | null;
  /** Bytes queued to it, not yet written. */
  readonly queuedBytes: number | null;
  /** When its last frame or tick arrived, ms since the epoch. */
  readonly lastInAt: number | null;
}

/** What `node.observe()` returns and `kindred observe --json` prints (documented in packages/cli/README.md). */
export interface NodeSnapshot {
  readonly node: string;
  readonly creation: number;
  readonly hidden: boolean;
  /** When the snapshot was taken, ms since the epoch. */
  readonly at: number;
  readonly uptimeMs: number;
  readonly stats: NodeStats;
  /** Live processes in all; `processes` lists at most `maxProcesses` of them (oldest first). */
  readonly processCount: number;
  readonly processes: readonly ProcessSnapshot[];
  /** Registered names (at most 10,000; `stats.registered` counts them all). pg groups: at most 1,000. */
  readonly registered: readonly { readonly name: string; readonly pid: string }[];
  readonly groups: readonly GroupSnapshot[];
  readonly peers: readonly PeerSnapshot[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function capped<T, R = string>(items: Iterable<T>, fmt: (t: T) => R, max: number = OBSERVE_LIST_MAX): R[] {
  const out: R[] = [];
  for (const t of items) {
    if (out.length >= max) break;
    out.push(fmt(t));
  }
  return out;
}

function processSnapshot(p: Proc): ProcessSnapshot {
  const links = p.links;
  const monitors = p.monitors;
  const by = p.monitoredBy;
  const fn = p.h ?? p.fn;
  const status =
    p.h !== undefined ? (p.busy ? 'runnable' : 'waiting') : p.wRes !== undefined ? 'waiting' : 'runnable';
  return {
    pid: p.self.toString(),
    name: p.name ?? null,
    mailbox: p.mailboxSize(),
    kind: p.h !== undefined ? 'handler' : 'spawn',
    function: typeof fn === 'function' && fn.name !== '' ? fn.name.slice(0, 255) : '(anonymous)',
    status,
    trapExit: p.trapping,
    links: links === undefined ? [] : capped(links.values(), (pid) => pid.toString()),
    linkCount: links?.size ?? 0,
    monitors:
      monitors === undefined
        ? []
        : capped(monitors.values(), (m) =>
            'name' in m.item ? `${m.item.name}@${m.item.node}` : m.item.toString(),
          ),
    monitorCount: monitors?.size ?? 0,
    monitoredBy: by === undefined ? [] : capped(by.values(), (m) => m.watcher.toString()),
    monitoredByCount: by?.size ?? 0,
  };
}

/** The `maxProcesses` of `opts`, validated. */
export function maxProcessesOf(opts: ObserveOptions | undefined): number {
  const v = opts?.maxProcesses;
  if (v === undefined) return RUNTIME_DEFAULTS.observeMaxProcesses;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > OBSERVE_MAX_PROCESSES) {
    throw badOption('maxProcesses', `an integer 0..${OBSERVE_MAX_PROCESSES}`, v);
  }
  return v;
}

/** @internal A snapshot of the node `core` runs. */
export function snapshot(core: Core, opts?: ObserveOptions): NodeSnapshot {
  const max = maxProcessesOf(opts);
  const processes: ProcessSnapshot[] = [];
  for (const p of core.procs.values()) {
    if (processes.length >= max) break;
    processes.push(processSnapshot(p));
  }
  const groups: GroupSnapshot[] = [];
  for (const [scope, s] of core.scopes) {
    for (const group of s.groups()) {
      if (groups.length >= OBSERVE_MAX_GROUPS) break;
      const members = s.members(group);
      groups.push({
        scope,
        group: group.slice(0, 255),
        members: capped(members, (pid) => pid.toString()),
        memberCount: members.length,
      });
    }
  }
  const stats = core.dist?.stats?.().peers ?? {};
  const peer = (node: string, hidden: boolean): PeerSnapshot => {
    const s: DistributionPeerStats | undefined = Object.hasOwn(stats, node) ? stats[node] : undefined;
    return {
      node,
      hidden,
      direction: s?.direction === 'in' || s?.direction === 'out' ? s.direction : null,
      bytesIn: num(s?.bytesIn),
      bytesOut: num(s?.bytesOut),
      messagesIn: num(s?.messagesIn),
      messagesOut: num(s?.messagesOut),
      queuedBytes: num(s?.queuedBytes),
      lastInAt: num(s?.lastInAt),
    };
  };
  return {
    node: core.name,
    creation: core.creation,
    hidden: core.hidden,
    at: Date.now(),
    uptimeMs: Date.now() - core.startedAt,
    stats: core.api.stats(),
    processCount: core.procs.size,
    processes,
    registered: capped(core.names, ([name, p]) => ({ name, pid: p.self.toString() }), OBSERVE_MAX_ENTRIES),
    groups,
    peers: [
      ...core.peers.visible().map((n) => peer(n, false)),
      ...core.api.hiddenNodes().map((n) => peer(n, true)),
    ],
  };
}

/** @internal The message an observer answers with (to the pid of the request). */
export const OBSERVE_REPLY = 'kindred_observe_reply';

/**
 * @internal A request from `fromNode`'s process `from`: `{ type: 'observe', ref, maxProcesses? }`, answered with
 * `{ type: OBSERVE_REPLY, ref, reply }` where `reply` is `{ ok: true, snapshot }` or `{ ok: false, error }`. Only a
 * process of the asking node is answered (a request cannot make this node send a snapshot to a third node).
 */
export function answerObserve(core: Core, fromNode: string, from: Pid | undefined, msg: unknown): void {
  const m = msg as { type?: unknown; ref?: unknown; maxProcesses?: unknown } | null;
  if (from === undefined || from.node !== fromNode || typeof m !== 'object' || m === null) {
    throw new Error('observe: not a request from a process of the sending node');
  }
  const ref = toRef(m.ref);
  if (m.type !== 'observe' || ref === undefined) throw new Error('observe: not { type: "observe", ref }');
  let reply: unknown;
  try {
    reply = { ok: true, snapshot: snapshot(core, { maxProcesses: m.maxProcesses as number | undefined }) };
  } catch (err) {
    reply = { ok: false, error: badRequest((err as Error).message) };
  }
  try {
    core.send(core.systemPid, from, { type: OBSERVE_REPLY, ref, reply });
  } catch (err) {
    // Over the transport's message cap (10,000 processes with full lists can be): a small answer saying so.
    const code = isKindredError(err) ? err.code : 'error';
    const message = `the snapshot could not be sent (${code}); ask for fewer processes (maxProcesses)`;
    core.send(core.systemPid, from, {
      type: OBSERVE_REPLY,
      ref,
      reply: { ok: false, error: { code, message } },
    });
  }
}

function badRequest(message: string): { code: string; message: string } {
  return { code: RUNTIME_ERRORS.OBSERVE_BAD_REQUEST, message: message.slice(0, 500) };
}

/** @internal The snapshot in an observer's reply, or the error it stands for. */
export function snapshotOfReply(node: string, reply: unknown): NodeSnapshot {
  const r = reply as {
    ok?: unknown;
    snapshot?: unknown;
    error?: { code?: unknown; message?: unknown };
  } | null;
  if (typeof r === 'object' && r !== null && r.ok === true && isSnapshot(r.snapshot)) return r.snapshot;
  const e = typeof r?.error === 'object' && r.error !== null ? r.error : {};
  throw new KindredError(
    RUNTIME_ERRORS.OBSERVE_FAILED,
    `Node ${formatTerm(node, 260)} did not answer the observe request with a snapshot (${formatTerm(e.message ?? reply, 300)}).`,
    { details: { node, ...(typeof e.code === 'string' ? { code: e.code } : {}) } },
  );
}

function isSnapshot(v: unknown): v is NodeSnapshot {
  const s = v as Partial<NodeSnapshot> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.node === 'string' &&
    Array.isArray(s.processes) &&
    Array.isArray(s.registered) &&
    Array.isArray(s.groups) &&
    Array.isArray(s.peers)
  );
}
