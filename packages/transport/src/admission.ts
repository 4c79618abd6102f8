import type { Socket } from 'node:net';
import type { Logger } from '@kindred/interface';
import { LogLimiter } from './log-limiter.js';
import { normalizeAddress } from './peer-address.js';

/** The limits of the unauthenticated edge (see TRANSPORT_DEFAULTS for each). */
export interface AdmissionLimits {
  readonly maxRawConnections: number;
  readonly maxRawConnectionsPerSource: number;
  readonly maxPendingHandshakes: number;
  readonly maxPendingHandshakesPerSource: number;
  readonly upgradeTimeoutMs: number;
  readonly firstMessageTimeoutMs: number;
  readonly edgeLogIntervalMs: number;
}

/** Counters of the unauthenticated edge, part of the transport's `stats()`. */
export interface EdgeStats {
  /** Connections accepted and not yet upgraded to WebSocket. */
  readonly rawConnections: number;
  /** Incoming handshakes in progress. */
  readonly pendingHandshakes: number;
  /**
   * Connections refused or dropped before authentication, by reason: `raw_per_source`, `raw_total` (destroyed on
   * accept), `upgrade_timeout` (no upgrade request in time), `handshakes_per_source`, `handshakes_total`
   * (`4008 overloaded`), `first_message_timeout` (`4007`), `accept_error` (accept failed, e.g. EMFILE).
   */
  readonly refusals: Record<string, number>;
}

/** How each refusal is logged: level and a fixed message (the address and the limit go under fixed keys). */
const REFUSALS = {
  raw_per_source: {
    level: 'warn',
    option: 'maxRawConnectionsPerSource',
    msg: 'connection refused on accept: its source address holds maxRawConnectionsPerSource connections not yet upgraded',
  },
  raw_total: {
    level: 'warn',
    option: 'maxRawConnections',
    msg: 'connection refused on accept: the listener holds maxRawConnections connections not yet upgraded',
  },
  upgrade_timeout: {
    level: 'info',
    option: 'upgradeTimeoutMs',
    msg: 'connection dropped: no WebSocket upgrade request within upgradeTimeoutMs',
  },
  handshakes_per_source: {
    level: 'warn',
    option: 'maxPendingHandshakesPerSource',
    msg: 'handshake refused (4008 overloaded): its source address has maxPendingHandshakesPerSource handshakes in progress',
  },
  handshakes_total: {
    level: 'warn',
    option: 'maxPendingHandshakes',
    msg: 'handshake refused (4008 overloaded): the listener has maxPendingHandshakes handshakes in progress',
  },
  first_message_timeout: {
    level: 'info',
    option: 'firstMessageTimeoutMs',
    msg: 'handshake dropped (4007): no first message within firstMessageTimeoutMs of the upgrade',
  },
} as const;

/** A reason the edge refuses or drops a connection. */
export type RefusalReason = keyof typeof REFUSALS | 'accept_error';

interface RawSlot {
  readonly address: string;
  readonly timer: NodeJS.Timeout;
  released: boolean;
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

/**
 * Node's TLSSocket keeps the TCP socket it wraps as `_parent` (an internal field, stable since Node 0.x; a test
 * checks it): the listener counts TCP sockets, while the upgrade hands over the TLS socket.
 */
function wrappedSocket(socket: object): object | undefined {
  const parent = (socket as { _parent?: unknown })._parent;
  return typeof parent === 'object' && parent !== null ? parent : undefined;
}

/**
 * Admission control for the listener's unauthenticated edge: counts connections per source address (IPv4-mapped
 * IPv6 normalised, so one source is one key; loopback is not exempt) before their WebSocket upgrade and handshakes
 * in progress, refuses past per-source and listener-wide limits, drops sockets that send no upgrade request in time,
 * and logs each kind of refusal at most once per interval with the count held back. Invariant: every slot taken is
 * given back exactly once (the socket's close, its upgrade, or the handshake's end).
 */
export class Admission {
  readonly #rawBySource = new Map<string, number>();
  #rawTotal = 0;
  readonly #pendingBySource = new Map<string, number>();
  #pendingTotal = 0;
  readonly #slots = new WeakMap<object, RawSlot>();
  readonly #refused: Record<string, number> = {};
  readonly #limiter: LogLimiter;

  readonly #limits: AdmissionLimits;
  readonly #log: Logger;

  constructor(limits: AdmissionLimits, log: Logger, now: () => number = Date.now) {
    this.#limits = limits;
    this.#log = log;
    this.#limiter = new LogLimiter(limits.edgeLogIntervalMs, 64, now);
  }

  /**
   * On the server's 'connection' (the TCP socket, before TLS): takes a slot for `socket` until its upgrade request
   * arrives or it closes, or destroys it at once when its source or the listener is at its limit.
   */
  admitSocket(socket: Socket): boolean {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    let reason: keyof typeof REFUSALS | undefined;
    if ((this.#rawBySource.get(address) ?? 0) >= this.#limits.maxRawConnectionsPerSource)
      reason = 'raw_per_source';
    else if (this.#rawTotal >= this.#limits.maxRawConnections) reason = 'raw_total';
    if (reason !== undefined) {
      this.#refuse(reason, address);
      socket.destroy();
      return false;
    }
    increment(this.#rawBySource, address);
    this.#rawTotal++;
    const timer = setTimeout(() => {
      if (slot.released) return;
      this.#refuse('upgrade_timeout', address);
      socket.destroy();
    }, this.#limits.upgradeTimeoutMs);
    timer.unref();
    const slot: RawSlot = { address, timer, released: false };
    this.#slots.set(socket, slot);
    socket.once('close', () => this.#release(slot));
    return true;
  }

  /** The upgrade request arrived on `socket` (under TLS, the TLS socket): its slot is given back. */
  upgraded(socket: object): void {
    let slot = this.#slots.get(socket);
    if (slot === undefined) {
      const parent = wrappedSocket(socket);
      if (parent !== undefined) slot = this.#slots.get(parent);
    }
    if (slot !== undefined) this.#release(slot);
  }

  #release(slot: RawSlot): void {
    if (slot.released) return;
    slot.released = true;
    clearTimeout(slot.timer);
    decrement(this.#rawBySource, slot.address);
    this.#rawTotal--;
  }

  /**
   * A WebSocket from `address` starts its handshake: returns the function that ends it (idempotent), or undefined
   * when its source or the listener is at its limit (counted and logged; the caller closes with `4008`).
   */
  admitHandshake(address: string): (() => void) | undefined {
    const key = normalizeAddress(address);
    let reason: keyof typeof REFUSALS | undefined;
    if ((this.#pendingBySource.get(key) ?? 0) >= this.#limits.maxPendingHandshakesPerSource)
      reason = 'handshakes_per_source';
    else if (this.#pendingTotal >= this.#limits.maxPendingHandshakes) reason = 'handshakes_total';
    if (reason !== undefined) {
      this.#refuse(reason, key);
      return undefined;
    }
    increment(this.#pendingBySource, key);
    this.#pendingTotal++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      decrement(this.#pendingBySource, key);
      this.#pendingTotal--;
    };
  }

  /** The initiator at `address` sent nothing within firstMessageTimeoutMs of its upgrade. */
  firstMessageTimedOut(address: string): void {
    this.#refuse('first_message_timeout', normalizeAddress(address));
  }

  /**
   * The listener's 'error': an accept that failed (EMFILE, ENFILE: out of file descriptors) is counted and logged at
   * most once per interval; the server goes on listening. Anything else is logged as a listener error.
   */
  listenerError(err: NodeJS.ErrnoException): void {
    const accept = err.syscall === 'accept' || err.code === 'EMFILE' || err.code === 'ENFILE';
    const key = accept ? 'accept_error' : 'listener_error';
    if (accept) this.#count('accept_error');
    const suppressed = this.#limiter.take(key);
    if (suppressed === undefined) return;
    if (accept) {
      this.#log.error(
        { err, suppressed },
        `accepting a connection failed (${err.code ?? err.message}): out of file descriptors? raise the process's limit (ulimit -n) or lower maxRawConnections and maxPendingHandshakes`,
      );
    } else {
      this.#log.error({ err, suppressed }, 'listener error');
    }
  }

  /** Counters for the transport's stats(). */
  stats(): EdgeStats {
    return {
      rawConnections: this.#rawTotal,
      pendingHandshakes: this.#pendingTotal,
      refusals: { ...this.#refused },
    };
  }

  #count(reason: RefusalReason): void {
    this.#refused[reason] = (this.#refused[reason] ?? 0) + 1;
  }

  #refuse(reason: keyof typeof REFUSALS, address: string): void {
    this.#count(reason);
    const suppressed = this.#limiter.take(reason);
    if (suppressed === undefined) return;
    const how = REFUSALS[reason];
    const limit = { option: how.option, value: this.#limitOf(how.option) };
    this.#log[how.level]({ peer: { address }, limit, suppressed, reason }, how.msg);
  }

  #limitOf(option: string): number | undefined {
    return (this.#limits as unknown as Record<string, number | undefined>)[option];
  }
}
