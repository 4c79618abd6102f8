import type { KindredError } from '@kindred/interface';
import type { FailureReason } from './failures.js';
import type { AcceptStatus } from './protocol.js';

/** A handshake the table can abandon (the initiator's or the acceptor's). */
export interface PendingHandshake {
  abort(reason: FailureReason, message: string, details?: Record<string, unknown>): void;
}

/** Someone waiting for a connection to a node: every connect() to it shares one. */
export interface Waiter {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: KindredError): void;
  readonly timer: NodeJS.Timeout;
}

/** Where a node stands with this one: a dial of ours, an incoming handshake, or an established connection. */
export type PeerState = 'dialing' | 'accepting' | 'up';

/**
 * One node's record, like net_kernel's `#connection{state, waiting}`: this node's dial to it, the incoming handshake
 * from it that the table let through, its connection once up (with what nodeup told), and the connect() waiter. A
 * dial and an incoming handshake coexist only in a simultaneous connect, and only until {@link PeerTable.claim}
 * settles it; an incoming handshake beside a live connection is a reconnect (`alive`).
 */
export interface PeerRecord<Out, In, Conn, Info> {
  dialing?: Out;
  accepting?: In;
  conn?: Conn;
  info?: Info;
  waiter?: Waiter;
}

/** The peer table's answer to an incoming handshake that passed the accept policy. */
export type ClaimDecision =
  | { readonly accept: AcceptStatus }
  | { readonly refuse: 'nok'; readonly reason: 'duplicate' | 'simultaneous' };

/**
 * Erlang's simultaneous-connect rule (dist_util): when both nodes dial each other at once, the node whose name
 * sorts greater keeps its own dial and refuses the incoming one (`nok`), and the node whose name sorts lower gives
 * up its dial and accepts the incoming one (`ok_simultaneous`). Both sides compute it alike, so exactly one
 * connection survives: the one the greater name dialed.
 */
export function simultaneousWinner(self: string, peer: string): 'own_dial' | 'incoming' {
  return self > peer ? 'own_dial' : 'incoming';
}

/**
 * Every node this one dials, accepts or is connected to: one record per node (net_kernel's connection table), so a
 * node's state is read in one place and the arbitration between connections to the same node is one function,
 * {@link PeerTable.claim}. Records are dropped when they hold nothing.
 */
export class PeerTable<Out extends PendingHandshake, In extends PendingHandshake, Conn, Info> {
  readonly #records = new Map<string, PeerRecord<Out, In, Conn, Info>>();

  constructor(
    /** This node's name: the simultaneous-connect rule compares it. */
    readonly self: string,
  ) {}

  /** The record of `node`, if any. */
  get(node: string): Readonly<PeerRecord<Out, In, Conn, Info>> | undefined {
    return this.#records.get(node);
  }

  /** `node`'s state: up when connected, else accepting or dialing; undefined when the table holds nothing of it. */
  state(node: string): PeerState | undefined {
    const r = this.#records.get(node);
    if (r === undefined) return undefined;
    if (r.conn !== undefined) return 'up';
    if (r.accepting !== undefined) return 'accepting';
    if (r.dialing !== undefined) return 'dialing';
    return undefined;
  }

  #record(node: string): PeerRecord<Out, In, Conn, Info> {
    let r = this.#records.get(node);
    if (r === undefined) {
      r = {};
      this.#records.set(node, r);
    }
    return r;
  }

  #prune(node: string, r: PeerRecord<Out, In, Conn, Info>): void {
    if (
      r.conn === undefined &&
      r.dialing === undefined &&
      r.accepting === undefined &&
      r.waiter === undefined
    ) {
      this.#records.delete(node);
    }
  }

  /**
   * Decides about an incoming handshake from `node` that passed the accept policy, on the current state (after the
   * policy's checks, which may have awaited): another incoming handshake from it is a duplicate (`nok`); a live
   * connection makes this one a reconnect (`alive`, the new connection replaces the old when it is up); a dial of
   * ours is a simultaneous connect settled by {@link simultaneousWinner} (the losing dial is aborted here).
   */
  claim(node: string, hs: In): ClaimDecision {
    const r = this.#record(node);
    if (r.accepting !== undefined && r.accepting !== hs) return { refuse: 'nok', reason: 'duplicate' };
    if (r.conn !== undefined) {
      r.accepting = hs;
      return { accept: 'alive' };
    }
    const dial = r.dialing;
    if (dial !== undefined) {
      if (simultaneousWinner(this.self, node) === 'own_dial') {
        this.#prune(node, r);
        return { refuse: 'nok', reason: 'simultaneous' };
      }
      r.dialing = undefined;
      dial.abort('simultaneous', `simultaneous connect with ${node}: the other one wins`);
      r.accepting = hs;
      return { accept: 'ok_simultaneous' };
    }
    r.accepting = hs;
    return { accept: 'ok' };
  }

  /** Records this node's dial to `node`. */
  dialing(node: string, hs: Out): void {
    this.#record(node).dialing = hs;
  }

  /** A dial ended (up or failed): forgets it if it is still the recorded one. */
  dialEnded(node: string, hs: Out): void {
    const r = this.#records.get(node);
    if (r === undefined || r.dialing !== hs) return;
    r.dialing = undefined;
    this.#prune(node, r);
  }

  /** An incoming handshake ended (up or failed): forgets it if it is the recorded one. */
  acceptEnded(node: string, hs: In): void {
    const r = this.#records.get(node);
    if (r === undefined || r.accepting !== hs) return;
    r.accepting = undefined;
    this.#prune(node, r);
  }

  /**
   * `node` is up on `conn`. Returns the connection it replaces (the caller closes it, so its nodedown comes before
   * the new nodeup) and, when the new connection came in, the dial of ours it supersedes (already forgotten; the
   * caller aborts it).
   */
  up(node: string, conn: Conn, info: Info, direction: 'in' | 'out'): { replaced?: Conn; superseded?: Out } {
    const r = this.#record(node);
    // Re-inserted so that connections() lists nodes in the order they came up, as nodes() always has.
    this.#records.delete(node);
    this.#records.set(node, r);
    const replaced = r.conn;
    const superseded = direction === 'in' ? r.dialing : undefined;
    if (superseded !== undefined) r.dialing = undefined;
    r.conn = conn;
    r.info = info;
    return {
      ...(replaced === undefined ? {} : { replaced }),
      ...(superseded === undefined ? {} : { superseded }),
    };
  }

  /** `conn` to `node` closed. False when it was not the current connection (a replaced one): no nodedown then. */
  down(node: string, conn: Conn): boolean {
    const r = this.#records.get(node);
    if (r === undefined || r.conn !== conn) return false;
    r.conn = undefined;
    r.info = undefined;
    this.#prune(node, r);
    return true;
  }

  /** The connection to `node`, when up. */
  connection(node: string): Conn | undefined {
    return this.#records.get(node)?.conn;
  }

  /** The waiter for `node`, if someone is waiting. */
  waiter(node: string): Waiter | undefined {
    return this.#records.get(node)?.waiter;
  }

  /** Starts waiting for `node`; `onTimeout` gives the error the waiter is rejected with after `timeoutMs`. */
  wait(node: string, timeoutMs: number, onTimeout: () => KindredError): Waiter {
    let resolve!: () => void;
    let reject!: (err: KindredError) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = setTimeout(() => this.settle(node, onTimeout()), timeoutMs);
    timer.unref();
    const waiter: Waiter = { promise, resolve, reject, timer };
    this.#record(node).waiter = waiter;
    return waiter;
  }

  /** Resolves (no error) or rejects the waiter for `node`, if any. */
  settle(node: string, err?: KindredError): void {
    const r = this.#records.get(node);
    const w = r?.waiter;
    if (r === undefined || w === undefined) return;
    r.waiter = undefined;
    clearTimeout(w.timer);
    if (err === undefined) w.resolve();
    else w.reject(err);
    this.#prune(node, r);
  }

  /** Connected nodes with their connection and info, in connection order of their records. */
  *connections(): IterableIterator<[node: string, conn: Conn, info: Info]> {
    for (const [node, r] of this.#records) {
      if (r.conn !== undefined) yield [node, r.conn, r.info as Info];
    }
  }

  /** Dials in progress. */
  dials(): Out[] {
    const out: Out[] = [];
    for (const r of this.#records.values()) if (r.dialing !== undefined) out.push(r.dialing);
    return out;
  }

  /** Nodes someone is waiting for. */
  waiting(): string[] {
    const out: string[] = [];
    for (const [node, r] of this.#records) if (r.waiter !== undefined) out.push(node);
    return out;
  }
}
