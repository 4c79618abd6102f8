/**
 * What one pg scope sends its peers about its own members, and when: the peers that run the scope, which of them take
 * kindred's batched forms (`bcast: true`), the joins and leaves of one event-loop turn as one `ops` message for those,
 * and the leaves of members that exit, batched per group per turn. The scope (pg.ts) decides what changed; this file
 * keeps every change in the order it was made on the way out.
 */
import { localKey, type Membership } from './pg-table.js';
import type { Pid } from './terms.js';

/**
 * The `discover` a scope sends: OTP pg's, plus `bcast: true` to say it delivers a peer's `bcast` (one message for
 * all its members of a group). On Erlang's wire only OTP's fields travel, so the flag never reaches a BEAM node and
 * never comes from one.
 */
export const DISCOVER = Object.freeze({ type: 'discover', bcast: true });

/**
 * Pids per `leave` sent for exits, and pids sent per event-loop turn while such leaves are pending: a message stays
 * under 600 KB even with 255-character node names (8 MiB is the transport's cap), and encoding one turn's worth for a
 * peer takes about a millisecond, so a burst of exits never holds the loop for long between I/O (the first turn runs
 * right after the burst, before any I/O: it adds to the burst's stall).
 */
const EXIT_LEAVE_PIDS = 2000;

/**
 * Pids per `ops` message (see {@link PgOutbox}'s `#batch`): joins and leaves of one event-loop turn go to a peer that
 * fans out in messages of at most this many pids (the same bound as an exit `leave`).
 */
const BATCH_PIDS = EXIT_LEAVE_PIDS;

/** A `leave` for exited members, not sent yet. */
interface PendingLeave {
  readonly group: string;
  readonly pids: Pid[];
}

/** What the outbox needs from its node: a send to the scope on a peer (pg.ts's `PgHost` is one). */
export interface PgSender {
  sendTo(node: string, msg: unknown): void;
}

/**
 * One scope's outgoing membership changes. The scope calls {@link PgOutbox.flushBatch} and
 * {@link PgOutbox.flushExitLeaves} before any other message it sends a peer, so peers see changes in the order they
 * were made.
 */
export class PgOutbox {
  readonly #host: PgSender;
  /** Peers that run this scope (discovered). */
  readonly peers = new Set<string>();
  /**
   * Peers whose scope said (a `bcast: true` in its `discover` or `sync`) that it delivers a `bcast` to its own
   * members: a broadcast sends them one message instead of one per member. Never set on Erlang's wire, where OTP pg's
   * messages carry no such field, so a BEAM peer (or a kindred node that predates it) gets one message per member.
   */
  readonly fanout = new Set<string>();
  /** Leaves for members that exited and that peers have not been told of yet, oldest first (a pid once per join). */
  readonly #exitLeaves: (PendingLeave | undefined)[] = [];
  /** Index of the oldest entry of `#exitLeaves` not sent yet. */
  #exitLeavesSent = 0;
  /** group -> its newest entry of `#exitLeaves` while that one has room for more pids. */
  readonly #openLeaves = new Map<string, PendingLeave>();
  #flushTimer: ReturnType<typeof setImmediate> | undefined;
  /**
   * The joins and leaves of this turn for the peers in `fanout`, in the order made, as one `ops` message's list:
   * `['join' | 'leave', group, keys, ...]` (a join or leave of the same group as the one before adds to its keys).
   * A pid is its key ({@link localKey}): every pid a scope sends is its own node's, of its creation (the
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

  /** made by the scope, with its host. */
  constructor(host: PgSender) {
    this.#host = host;
  }

  /**
   * Sends a local join or leave to every peer, after the exit leaves still queued, so peers see changes in the order
   * they were made: now to a peer that does not fan out (OTP's `join`/`leave`), in this turn's `ops` batch to the
   * others.
   */
  sendOp(type: 'join' | 'leave', group: string, pids: Pid[]): void {
    this.flushExitLeaves();
    if (this.peers.size === 0) return;
    let batched = false;
    for (const n of this.peers) {
      if (this.fanout.has(n)) batched = true;
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
    if (this.#batchPids >= BATCH_PIDS) this.flushBatch();
    else
      this.#batchTimer ??= setImmediate(() => {
        this.#batchTimer = undefined;
        this.flushBatch();
      });
  }

  /** Sends this turn's joins and leaves (`#batch`) to the peers that fan out, now. */
  flushBatch(): void {
    if (this.#batchTimer !== undefined) {
      clearImmediate(this.#batchTimer);
      this.#batchTimer = undefined;
    }
    if (this.#batch.length === 0) return;
    const msg = { type: 'ops', creation: this.#batchCreation, ops: this.#batch };
    this.#batch = [];
    this.#batchPids = 0;
    for (const n of this.fanout) if (this.peers.has(n)) this.#host.sendTo(n, msg);
  }

  /** Sends every pending exit leave now (before any other message of this scope, so peers see changes in order). */
  flushExitLeaves(): void {
    this.#sendExitLeaves(Number.POSITIVE_INFINITY);
  }

  /** Sends pending exit leaves, oldest first, until `budget` pids went out; schedules the rest for the next turn. */
  #sendExitLeaves(budget: number): void {
    // The batch holds changes made before these exits: it goes first.
    if (this.#exitLeavesSent < this.#exitLeaves.length) this.flushBatch();
    if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
    this.#flushTimer = undefined;
    const queue = this.#exitLeaves;
    for (let sent = 0; this.#exitLeavesSent < queue.length && sent < budget; ) {
      const leave = queue[this.#exitLeavesSent]!;
      queue[this.#exitLeavesSent++] = undefined;
      if (this.#openLeaves.get(leave.group) === leave) this.#openLeaves.delete(leave.group);
      for (const n of this.peers)
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

  /** Queues the leave of membership `m`, whose process exited, once per join; peers hear of it at the end of this turn. */
  exitLeave(m: Membership): void {
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

  /** Records whether `node`'s scope delivers `bcast` messages (`flag`: its `discover`'s or `sync`'s `bcast`). */
  setFanout(node: string, flag: unknown): void {
    const on = flag === true;
    if (on === this.fanout.has(node)) return;
    // The batch holds this turn's changes for the peers that fan out now: it goes before the peer changes sides, so
    // the peer gets each change once, in the form it asked for when the change was made.
    this.flushBatch();
    if (on) this.fanout.add(node);
    else this.fanout.delete(node);
  }

  /** `node` went down: it is no longer a peer. */
  peerDown(node: string): void {
    this.peers.delete(node);
    this.fanout.delete(node);
  }

  /** Sends what is pending, then forgets every peer and drops the batch (the scope stops). */
  stop(): void {
    this.flushBatch();
    this.flushExitLeaves();
    this.#batch = [];
    this.#batchPids = 0;
    this.#openLeaves.clear();
    this.peers.clear();
    this.fanout.clear();
  }
}
