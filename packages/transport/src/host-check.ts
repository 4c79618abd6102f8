import { isIP } from 'node:net';
import type { Logger } from '@kindred/interface';
import { parseNodeName } from '@kindred/node-identity';
import { LogLimiter } from './log-limiter.js';
import { hostMatchesAddress } from './peer-address.js';

/** Resolves a host name to addresses; `@kindred/dns`'s Resolver is one. */
export interface HostResolver {
  lookupHost(name: string): Promise<{ readonly addresses: readonly string[] }>;
}

/** What the host check found: the host accounts for the connection's address, or why not. */
export type HostVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'host_unresolved'; readonly error: string }
  | { readonly ok: false; readonly reason: 'host_mismatch'; readonly addresses: readonly string[] };

/** Counters of the host check, part of the transport's `stats()`. */
export interface HostCheckStats {
  /** Lookups sent to the resolver. */
  readonly lookups: number;
  /** Checks answered from the cache or by a lookup already under way. */
  readonly cached: number;
}

type Lookup = { readonly addresses: readonly string[] } | { readonly error: string };

/**
 * kindred's acceptor-side host check (the initiator's host must resolve to the connection's address), with its
 * lookups cached per host, resolved or not, for `ttlMs`, at most `maxEntries` hosts, and concurrent checks of one
 * host sharing one lookup: a reconnect storm of authenticated peers does not requery. The transport runs it only
 * after the initiator proved the cookie, so an unauthenticated peer makes no DNS query.
 */
export class HostCheck {
  readonly #cache = new Map<string, { readonly expires: number; readonly lookup: Lookup }>();
  readonly #inflight = new Map<string, Promise<Lookup>>();
  #lookups = 0;
  #cached = 0;

  readonly #resolver: HostResolver;
  readonly #limits: { readonly ttlMs: number; readonly maxEntries: number };
  readonly #now: () => number;

  constructor(
    resolver: HostResolver,
    limits: { readonly ttlMs: number; readonly maxEntries: number },
    now: () => number = Date.now,
  ) {
    this.#resolver = resolver;
    this.#limits = limits;
    this.#now = now;
  }

  /** Does `host` resolve to `remoteAddress` (or, for a loopback connection, to an address of this machine)? */
  async verify(host: string, remoteAddress: string): Promise<HostVerdict> {
    const lookup = isIP(host) !== 0 ? { addresses: [host] } : await this.#lookup(host);
    if ('error' in lookup) return { ok: false, reason: 'host_unresolved', error: lookup.error };
    if (!hostMatchesAddress(lookup.addresses, remoteAddress)) {
      return { ok: false, reason: 'host_mismatch', addresses: lookup.addresses };
    }
    return { ok: true };
  }

  /** Counters for the transport's stats(). */
  stats(): HostCheckStats {
    return { lookups: this.#lookups, cached: this.#cached };
  }

  #lookup(host: string): Promise<Lookup> {
    const key = host.toLowerCase();
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      if (hit.expires > this.#now()) {
        this.#cached++;
        return Promise.resolve(hit.lookup);
      }
      this.#cache.delete(key);
    }
    const pending = this.#inflight.get(key);
    if (pending !== undefined) {
      this.#cached++;
      return pending;
    }
    this.#lookups++;
    let started: Promise<{ readonly addresses: readonly string[] }>;
    try {
      started = this.#resolver.lookupHost(host);
    } catch (err) {
      started = Promise.reject(err);
    }
    const p = started
      .then(
        (found): Lookup => ({ addresses: [...found.addresses] }),
        (err: unknown): Lookup => ({ error: err instanceof Error ? err.message : String(err) }),
      )
      .then((lookup) => {
        this.#inflight.delete(key);
        this.#store(key, lookup);
        return lookup;
      });
    this.#inflight.set(key, p);
    return p;
  }

  #store(key: string, lookup: Lookup): void {
    this.#cache.set(key, { expires: this.#now() + this.#limits.ttlMs, lookup });
    // Map order is insertion order: past the bound, the entry stored longest ago goes.
    while (this.#cache.size > this.#limits.maxEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
  }
}

/** Erlang-style quoting of a node name in log lines. */
const quoted = (node: string): string => `'${node}'`;

/**
 * The host check as the acceptor runs it (kindred's addition, under long names): the initiator's host must resolve
 * to the connection's address. The handshake calls it only after the REPLY digest was verified, so a peer without
 * the cookie makes this node send no DNS query; lookups are cached per host ({@link HostCheck}). A refusal is
 * logged once per host per `logIntervalMs`.
 */
export class InitiatorHostCheck {
  readonly #check: HostCheck;
  readonly #limiter: LogLimiter;
  readonly #log: Logger;

  constructor(
    resolver: HostResolver,
    limits: { readonly ttlMs: number; readonly maxEntries: number; readonly logIntervalMs: number },
    log: Logger,
  ) {
    this.#check = new HostCheck(resolver, limits);
    this.#limiter = new LogLimiter(limits.logIntervalMs, limits.maxEntries);
    this.#log = log;
  }

  /** Null when `name`'s host accounts for `remote`, else the refusal to send (STATUS not_allowed). */
  async verify(
    name: string,
    remote: string,
  ): Promise<{ readonly refuse: 'not_allowed'; readonly reason: string } | null> {
    const host = parseNodeName(name).host;
    const verdict = await this.#check.verify(host, remote);
    if (verdict.ok) return null;
    const suppressed = this.#limiter.take(host.toLowerCase());
    if (suppressed !== undefined) {
      const unresolved = verdict.reason === 'host_unresolved';
      this.#log.warn(
        {
          peer: { name, address: remote, ...(unresolved ? {} : { resolved: verdict.addresses }) },
          suppressed,
        },
        unresolved
          ? `Connection attempt from node ${quoted(name)} refused: its host does not resolve (${verdict.error})`
          : `Connection attempt from node ${quoted(name)} refused: its host resolves to ${verdict.addresses.join(', ')}, not to ${remote}`,
      );
    }
    return { refuse: 'not_allowed', reason: verdict.reason };
  }

  /** Counters for the transport's stats(). */
  stats(): HostCheckStats {
    return this.#check.stats();
  }
}
