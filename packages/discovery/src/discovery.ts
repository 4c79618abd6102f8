import { EventEmitter } from 'node:events';
import { KindredError } from '@kindred/dns';
import { childLogger, type Logger } from '@kindred/interface';
import { DISCOVERY_DEFAULTS } from './defaults.js';
import { DISCOVERY_ERRORS } from './errors.js';
import { type Peer, samePeer } from './peer.js';
import type { Strategy } from './strategies.js';

/** Options of {@link createDiscovery}. */
export interface DiscoveryOptions {
  /** Where peers come from. */
  readonly strategy: Strategy;
  /** Time between polls (default {@link DISCOVERY_DEFAULTS.pollIntervalMs}). */
  readonly pollIntervalMs?: number;
  /**
   * One poll's deadline, ms: the strategy is aborted after this long (default {@link DISCOVERY_DEFAULTS.pollDeadlineMs},
   * or `pollIntervalMs` when that is lower).
   */
  readonly pollDeadlineMs?: number;
  /**
   * Longest time between polls while nothing changes (default {@link DISCOVERY_DEFAULTS.maxPollIntervalMs}, never
   * below `pollIntervalMs`); see there for when polls slow down.
   */
  readonly maxPollIntervalMs?: number;
  /**
   * Whether the owner is content with the current peers (default: always). Polls slow down only while it says so:
   * `startNode` passes "every discovered peer is connected", so a node that cannot reach a peer keeps asking.
   */
  readonly settled?: () => boolean;
  /**
   * The nodes the owner is connected to now, asked once per poll (default: none). A strategy need not refresh the
   * addresses of a connected peer, which is not dialled (`ListContext.needsAddresses`); `startNode` passes its
   * connected nodes.
   */
  readonly connected?: () => Iterable<string>;
  /** Random +/- fraction applied to each interval, 0..1 (default {@link DISCOVERY_DEFAULTS.jitter}). */
  readonly jitter?: number;
  /** A peer missing from successful lookups is removed after this long (default {@link DISCOVERY_DEFAULTS.graceMs}). */
  readonly graceMs?: number;
  /** Bootstrap guard: the discovered set must be unchanged this long (default {@link DISCOVERY_DEFAULTS.stableMarginMs}). */
  readonly stableMarginMs?: number;
  /** Bootstrap guard: at least this many contact points, self included (default {@link DISCOVERY_DEFAULTS.requiredContactPoints}). */
  readonly requiredContactPoints?: number;
  /** This node's name: counted as a contact point when discovered, never reported as a peer. */
  readonly self?: string;
  /** A logger (the `Logger` of @kindred/interface; pino fits); discovery logs through a `{ component: 'discovery' }` child. Silent when absent. */
  readonly logger?: Logger;
  /** Milliseconds clock, for tests (default Date.now). */
  readonly clock?: () => number;
}

/** What {@link Discovery.waitStable} resolves with: Akka's bootstrap decision. */
export interface BootstrapDecision {
  /** Every discovered node, self included, sorted by node name. */
  readonly contactPoints: readonly Peer[];
  /** The lowest node name: the one that founds a new cluster (all others join it). */
  readonly seed: string;
  /** True when `self` is the seed. */
  readonly selfIsSeed: boolean;
}

/** What one poll did. */
export type PollOutcome =
  | {
      readonly ok: true;
      readonly added: readonly Peer[];
      readonly removed: readonly Peer[];
      readonly updated: readonly Peer[];
    }
  | { readonly ok: false; readonly error: KindredError };

/** Counters of a {@link Discovery} (`discovery.stats()`). */
export interface DiscoveryStats {
  /** Polls finished (successful or not). */
  readonly polls: number;
  /** Polls whose lookup failed (DNS error, deadline); the last good peer set was kept. */
  readonly failedPolls: number;
  /** Peers known now (self excluded). */
  readonly peers: number;
}

/** Events of a {@link Discovery}. Each change is reported once. */
export interface DiscoveryEvents {
  /** A peer appeared. */
  add: [peer: Peer];
  /** A peer was missing for `graceMs` and is gone. */
  remove: [peer: Peer];
  /** A known peer's port or addresses changed. */
  update: [peer: Peer, previous: Peer];
  /** Lookups started failing (once per failure streak, or when the failure's code changes); peers are kept. */
  error: [error: KindredError];
  /** The bootstrap guard is satisfied (once). */
  stable: [decision: BootstrapDecision];
}

/**
 * Polls a strategy and keeps the current peer set. Unlike libcluster, a failed lookup never empties the set: the last
 * good set is kept (with a warning) until lookups succeed again, and a peer missing from a successful lookup is
 * removed only after `graceMs`, so one slow DNS answer or a rolling restart does not disconnect anyone.
 */
export class Discovery extends EventEmitter<DiscoveryEvents> {
  /** The strategy polled. */
  readonly strategy: Strategy;
  readonly #pollIntervalMs: number;
  readonly #maxPollIntervalMs: number;
  readonly #settled: () => boolean;
  readonly #connected: (() => Iterable<string>) | undefined;
  #intervalMs: number;
  readonly #pollDeadlineMs: number;
  readonly #jitter: number;
  readonly #graceMs: number;
  readonly #stableMarginMs: number;
  readonly #requiredContactPoints: number;
  readonly #self: string | undefined;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #peers = new Map<string, Peer>();
  readonly #missingSince = new Map<string, number>();
  #discovered: Peer[] = [];
  #discoveredKey: string | undefined;
  #changedAt = 0;
  #lastError: KindredError | undefined;
  #inFlight: Promise<PollOutcome> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stable: BootstrapDecision | undefined;
  #polls = 0;
  #failedPolls = 0;

  /** @param options - validated here (KINDRED_ERR_DISCOVERY_BAD_OPTION names the option) */
  constructor(options: DiscoveryOptions) {
    super();
    if (options?.strategy === undefined || typeof options.strategy.list !== 'function') {
      throw badOption('createDiscovery option strategy must be a Strategy (dnsSrv, dnsA, staticPeers, ...)');
    }
    this.strategy = options.strategy;
    this.#pollIntervalMs = number(
      options.pollIntervalMs,
      DISCOVERY_DEFAULTS.pollIntervalMs,
      'pollIntervalMs',
      1,
    );
    this.#maxPollIntervalMs = Math.max(
      this.#pollIntervalMs,
      number(options.maxPollIntervalMs, DISCOVERY_DEFAULTS.maxPollIntervalMs, 'maxPollIntervalMs', 1),
    );
    if (options.settled !== undefined && typeof options.settled !== 'function') {
      throw badOption('createDiscovery option settled must be a function returning a boolean');
    }
    this.#settled = options.settled ?? (() => true);
    if (options.connected !== undefined && typeof options.connected !== 'function') {
      throw badOption('createDiscovery option connected must be a function returning node names');
    }
    this.#connected = options.connected;
    this.#intervalMs = this.#pollIntervalMs;
    this.#pollDeadlineMs = number(
      options.pollDeadlineMs,
      Math.min(DISCOVERY_DEFAULTS.pollDeadlineMs, this.#pollIntervalMs),
      'pollDeadlineMs',
      1,
    );
    this.#jitter = number(options.jitter, DISCOVERY_DEFAULTS.jitter, 'jitter', 0, 1, false);
    this.#graceMs = number(options.graceMs, DISCOVERY_DEFAULTS.graceMs, 'graceMs', 0);
    this.#stableMarginMs = number(
      options.stableMarginMs,
      DISCOVERY_DEFAULTS.stableMarginMs,
      'stableMarginMs',
      0,
    );
    this.#requiredContactPoints = number(
      options.requiredContactPoints,
      DISCOVERY_DEFAULTS.requiredContactPoints,
      'requiredContactPoints',
      1,
    );
    this.#self = options.self;
    this.#log = childLogger(options.logger, { component: 'discovery' });
    this.#clock = options.clock ?? Date.now;
  }

  /** The current peers (self excluded), sorted by node name. */
  peers(): Peer[] {
    return [...this.#peers.values()].sort((a, b) => (a.node < b.node ? -1 : 1));
  }

  /** Counters for metrics: polls finished, polls that failed (the peer set was kept), current peers. */
  stats(): DiscoveryStats {
    return { polls: this.#polls, failedPolls: this.#failedPolls, peers: this.#peers.size };
  }

  /** The interval before the next poll (before jitter): `pollIntervalMs`, or up to `maxPollIntervalMs` while nothing changes. */
  get currentPollIntervalMs(): number {
    return this.#intervalMs;
  }

  /** The failure of the latest poll, or undefined when it succeeded. */
  get lastError(): KindredError | undefined {
    return this.#lastError;
  }

  /** Starts polling: one poll now, then every `pollIntervalMs` +/- jitter. Idempotent. */
  start(): this {
    if (this.#running) return this;
    this.#running = true;
    void this.#loop();
    return this;
  }

  /** Stops polling; the current set stays readable. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Polls once now (joins a poll already in flight) and applies the result; never rejects. */
  poll(): Promise<PollOutcome> {
    this.#inFlight ??= this.#pollOnce()
      .then((outcome) => {
        this.#intervalMs = this.#nextIntervalMs(outcome);
        return outcome;
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }

  /**
   * Resolves when the bootstrap guard holds, as in Akka Cluster Bootstrap: the discovered set (self included) has not
   * changed for `stableMarginMs` and has at least `requiredContactPoints` nodes. Then the lowest node name is the seed
   * that founds a cluster; every other node joins it. Rejects with KINDRED_ERR_DISCOVERY_NOT_STABLE on timeout/abort.
   * Needs polling ({@link Discovery.start}) or explicit {@link Discovery.poll} calls to make progress.
   */
  waitStable(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<BootstrapDecision> {
    if (this.#stable !== undefined) return Promise.resolve(this.#stable);
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        this.off('stable', onStable);
        if (timer !== undefined) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onStable = (d: BootstrapDecision) => {
        cleanup();
        resolve(d);
      };
      const fail = (why: string) => {
        cleanup();
        reject(
          new KindredError(
            DISCOVERY_ERRORS.DISCOVERY_NOT_STABLE,
            `discovery did not settle (${why}): found ${this.#discovered.length} of the ${this.#requiredContactPoints} required contact points; check the service has enough ready (or published not-ready) pods`,
            {
              details: { found: this.#discovered.map((p) => p.node), required: this.#requiredContactPoints },
            },
          ),
        );
      };
      const onAbort = () => fail('aborted');
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => fail(`${options.timeoutMs} ms passed`), options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.on('stable', onStable);
    });
  }

  async #loop(): Promise<void> {
    if (!this.#running) return;
    await this.poll();
    if (!this.#running) return;
    const spread = 1 + this.#jitter * (2 * Math.random() - 1);
    this.#timer = setTimeout(() => void this.#loop(), Math.max(1, Math.round(this.#intervalMs * spread)));
    this.#timer.unref();
  }

  /**
   * Runs the strategy under the poll's deadline. When it passes, the strategy's signal aborts and the strategy gets
   * until the next macrotask to settle: an aborted DNS lookup settles within the same turn (its sockets close
   * synchronously and the rest is promise continuations), so a partial SRV answer still arrives; a strategy that
   * ignores the signal is abandoned and the poll fails with KINDRED_ERR_DISCOVERY_DEADLINE.
   */
  async #listWithDeadline(): Promise<Peer[]> {
    const controller = new AbortController();
    let needsAddresses: ((node: string) => boolean) | undefined;
    if (this.#connected !== undefined) {
      const connected = new Set(this.#connected());
      needsAddresses = (node) => !connected.has(node);
    }
    const listed = this.strategy.list({
      signal: controller.signal,
      logger: this.#log,
      ...(needsAddresses === undefined ? {} : { needsAddresses }),
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        setImmediate(() =>
          reject(
            new KindredError(
              DISCOVERY_ERRORS.DISCOVERY_DEADLINE,
              `discovery poll of ${this.strategy.name} did not finish within ${this.#pollDeadlineMs} ms and was abandoned; check the DNS servers answer quickly (or raise pollDeadlineMs)`,
              { details: { strategy: this.strategy.name, pollDeadlineMs: this.#pollDeadlineMs } },
            ),
          ),
        );
      }, this.#pollDeadlineMs);
    });
    listed.catch(() => {}); // settled late, after the deadline won: nobody awaits it any more
    try {
      return await Promise.race([listed, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Doubles the interval while nothing changed (see {@link DISCOVERY_DEFAULTS.maxPollIntervalMs}), else resets it. */
  #nextIntervalMs(outcome: PollOutcome): number {
    // A node alone keeps looking at the base rate: its peers may simply not be published yet.
    const quiet =
      outcome.ok &&
      this.#peers.size > 0 &&
      outcome.added.length === 0 &&
      outcome.removed.length === 0 &&
      outcome.updated.length === 0 &&
      this.#missingSince.size === 0 &&
      this.#clock() - this.#changedAt >= this.#stableMarginMs;
    if (!quiet || !this.#settled()) return this.#pollIntervalMs;
    return Math.min(this.#maxPollIntervalMs, this.#intervalMs * 2);
  }

  async #pollOnce(): Promise<PollOutcome> {
    let found: Peer[];
    this.#polls++;
    try {
      found = await this.#listWithDeadline();
    } catch (err) {
      this.#failedPolls++;
      const error =
        err instanceof KindredError
          ? err
          : new KindredError(
              DISCOVERY_ERRORS.DISCOVERY_FAILED,
              `discovery failed: ${(err as Error)?.message ?? err}`,
              {
                cause: err,
              },
            );
      const first = this.#lastError === undefined || this.#lastError.code !== error.code;
      this.#lastError = error;
      if (first) {
        // One warning per failure streak: ours when nobody listens, else the listener's (no duplicate lines).
        const listened = this.listenerCount('error') > 0;
        this.#log[listened ? 'debug' : 'warn'](
          { strategy: this.strategy.name, code: error.code, kept: this.#peers.size },
          `peer lookup failed, keeping the last ${this.#peers.size} peers: ${error.message}`,
        );
        if (listened) this.emit('error', error);
      }
      return { ok: false, error };
    }
    if (this.#lastError !== undefined) {
      this.#log.info({ strategy: this.strategy.name, peers: found.length }, 'peer lookup works again');
    }
    this.#lastError = undefined;
    return this.#apply(found);
  }

  #apply(found: Peer[]): PollOutcome {
    const now = this.#clock();
    const key = found
      .map((p) => `${p.node}:${p.port}`)
      .sort()
      .join(',');
    if (key !== this.#discoveredKey) {
      this.#discoveredKey = key;
      this.#changedAt = now;
    }
    this.#discovered = found;
    const seen = new Map(found.filter((p) => p.node !== this.#self).map((p) => [p.node, p]));
    const added: Peer[] = [];
    const removed: Peer[] = [];
    const updated: Peer[] = [];
    for (const [node, peer] of seen) {
      this.#missingSince.delete(node);
      const known = this.#peers.get(node);
      if (known === undefined) {
        this.#peers.set(node, peer);
        added.push(peer);
      } else if (!samePeer(known, peer)) {
        this.#peers.set(node, peer);
        updated.push(peer);
        this.emit('update', peer, known);
      }
    }
    for (const [node, peer] of this.#peers) {
      if (seen.has(node)) continue;
      const since = this.#missingSince.get(node) ?? now;
      this.#missingSince.set(node, since);
      if (now - since >= this.#graceMs) {
        this.#peers.delete(node);
        this.#missingSince.delete(node);
        removed.push(peer);
      }
    }
    for (const p of added) this.emit('add', p);
    for (const p of removed) this.emit('remove', p);
    this.#checkStable(now);
    return { ok: true, added, removed, updated };
  }

  #checkStable(now: number): void {
    if (this.#stable !== undefined) return;
    if (this.#discovered.length < this.#requiredContactPoints) return;
    if (now - this.#changedAt < this.#stableMarginMs) return;
    const contactPoints = [...this.#discovered].sort((a, b) => (a.node < b.node ? -1 : 1));
    const seed = contactPoints[0]!.node;
    this.#stable = { contactPoints, seed, selfIsSeed: seed === this.#self };
    this.#log.info({ seed, contactPoints: contactPoints.length }, 'discovery is stable');
    this.emit('stable', this.#stable);
  }
}

/**
 * Creates a {@link Discovery} (not started: call `start()`, or `poll()` yourself).
 *
 * @example
 * const discovery = createDiscovery({ strategy: dnsSrv('_discovery._tcp.web-headless', { basename: 'app' }) });
 * discovery.on('add', (peer) => transport.connect(peer.node)).start();
 */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  return new Discovery(options);
}

function number(
  value: number | undefined,
  fallback: number,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  integer = true,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw badOption(
      `createDiscovery option ${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

function badOption(message: string): KindredError {
  return new KindredError(DISCOVERY_ERRORS.DISCOVERY_BAD_OPTION, message);
}
