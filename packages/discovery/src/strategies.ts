import { isIP } from 'node:net';
import { KindredError, Resolver } from '@kindred/dns';
import type { Logger } from '@kindred/interface';
import { isPort } from '@kindred/interface';
import { isValidHostPart, isValidNamePart } from '@kindred/node-identity';
import { DISCOVERY_DEFAULTS } from './defaults.js';
import { DISCOVERY_ERRORS } from './errors.js';
import type { Peer } from './peer.js';
import { reverseLookup } from './reverse-lookup.js';

/** What the poller hands a strategy for one {@link Strategy.list} call. */
export interface ListContext {
  /**
   * Aborted when the poll's deadline passes. A strategy should stop its work then and settle at once: with what it
   * has (the DNS strategies return a partial SRV answer) or by rejecting; one that ignores it is abandoned.
   */
  readonly signal?: AbortSignal;
  /** Where to report a partial answer (the poller's `{ component: 'discovery' }` logger). */
  readonly logger?: Logger;
  /**
   * Whether the owner still needs addresses for `node` (default: for every node). Addresses are only used to dial a
   * peer, so {@link dnsSrv} keeps a target's last addresses past their TTL, without asking DNS again, while this
   * says no (the poller passes "not connected"); once it says yes again (the peer went away) the next poll asks.
   */
  readonly needsAddresses?: (node: string) => boolean;
}

/** A way to find peers. Every strategy answers the same question: who is there right now? */
export interface Strategy {
  /** What it asks, for logs and `kindred discover` (`dns-srv:_discovery._tcp.web-headless`). */
  readonly name: string;
  /** The peers found now, sorted by node name. Rejects (with a KindredError) when the source cannot be asked. */
  list(context?: ListContext): Promise<Peer[]>;
}

/** Options of the DNS strategies. */
export interface DnsStrategyOptions {
  /** The resolver to ask (default: a new {@link Resolver} reading /etc/resolv.conf and /etc/hosts). */
  readonly resolver?: Resolver;
  /** Node name part: peers are `<basename>@<host>` (default {@link DISCOVERY_DEFAULTS.basename}). */
  readonly basename?: string;
}

/** Options of {@link dnsA}. */
export interface DnsAStrategyOptions extends DnsStrategyOptions {
  /** The port peers listen on (A records carry none; default {@link DISCOVERY_DEFAULTS.port}). */
  readonly port?: number;
  /** 4 for A, 6 for AAAA, 0 for both (default 0). */
  readonly family?: 0 | 4 | 6;
}

/**
 * DNS SRV discovery, the seed's way: {@link reverseLookup} of `query` (FQDN through the search list, then SRV), one
 * peer per target, `node = <basename>@<target>`, port from the SRV record. With CoreDNS's `endpoint_pod_names` and a
 * Deployment whose `subdomain` is the headless service, the target is exactly the name the pod gives itself
 * (`hostname -f`), so names match the way Erlang distribution requires.
 */
export function dnsSrv(query: string, options: DnsStrategyOptions = {}): Strategy {
  const basename = checkBasename(options.basename ?? DISCOVERY_DEFAULTS.basename);
  checkQuery(query);
  const resolver = options.resolver ?? new Resolver();
  // Target addresses from earlier polls, kept for their record's TTL as a caching resolver would: a large SRV set
  // does not fit the Additional section, and asking A and AAAA of every target on every poll made discovery the
  // main idle cost of a 20-pod mesh (bench/README.md, "Mesh scale"). Past the TTL they are kept while the owner does
  // not need them (a connected peer is not dialled): at 50 pods, a refresh of every target on each slowed poll was
  // most of what discovery still cost.
  const learned = new Map<string, { node: string; addresses: readonly string[]; until: number }>();
  return {
    name: `dns-srv:${query}`,
    async list(context: ListContext = {}) {
      const now = Date.now();
      const knownAddresses = new Map<string, readonly string[]>();
      for (const [target, entry] of learned) {
        if (entry.until > now || context.needsAddresses?.(entry.node) === false) {
          knownAddresses.set(target, entry.addresses);
        } else learned.delete(target);
      }
      const { targets, partial } = await reverseLookup(query, {
        resolver,
        knownAddresses,
        ...(context.signal === undefined ? {} : { signal: context.signal }),
      });
      const answered = new Set<string>();
      for (const t of targets) {
        const key = t.target.toLowerCase();
        answered.add(key);
        if (t.addresses.length > 0 && !knownAddresses.has(key)) {
          learned.set(key, {
            node: `${basename}@${t.target}`,
            addresses: t.addresses,
            until: now + t.ttl * 1000,
          });
        }
      }
      for (const key of learned.keys()) if (!answered.has(key)) learned.delete(key);
      if (partial !== undefined) {
        // Every target is still a peer (it is dialled by name); only some addresses are missing.
        context.logger?.warn(
          { strategy: `dns-srv:${query}`, code: partial.code, unresolved: partial.details?.unresolved },
          `partial SRV answer: ${partial.message}`,
        );
      }
      const byNode = new Map<string, Peer>();
      // Lowest priority first, so a target listed twice keeps its preferred port.
      for (const t of [...targets].sort((a, b) => a.priority - b.priority)) {
        const node = `${basename}@${t.target}`;
        if (!byNode.has(node))
          byNode.set(node, { node, host: t.target, port: t.port, addresses: t.addresses });
      }
      return sortPeers([...byNode.values()]);
    },
  };
}

/**
 * DNS A/AAAA discovery, like libcluster's `Kubernetes.DNS` and Phoenix's dns_cluster: every address of `query`
 * (through the search list; a headless service's name gives its ready pods) becomes `node = <basename>@<ip>`.
 */
export function dnsA(query: string, options: DnsAStrategyOptions = {}): Strategy {
  const basename = checkBasename(options.basename ?? DISCOVERY_DEFAULTS.basename);
  const port = checkPort(options.port ?? DISCOVERY_DEFAULTS.port, 'port');
  const family = options.family ?? 0;
  if (family !== 0 && family !== 4 && family !== 6) throw badOption(`dnsA option family must be 0, 4 or 6`);
  checkQuery(query);
  const resolver = options.resolver ?? new Resolver();
  return {
    name: `dns-a:${query}`,
    async list(context: ListContext = {}) {
      const { addresses } = await resolver.lookupHost(query, {
        family,
        ...(context.signal === undefined ? {} : { signal: context.signal }),
      });
      return sortPeers(
        [...new Set(addresses)].map((ip) => ({ node: `${basename}@${ip}`, host: ip, port, addresses: [ip] })),
      );
    },
  };
}

/**
 * A fixed list of peers, like libcluster's Epmd strategy. Entries are {@link Peer}s or `name@host[:port]` strings
 * (`name@[v6addr]:port` for IPv6 literals); the port defaults to `options.port` or {@link DISCOVERY_DEFAULTS.port}.
 */
export function staticPeers(peers: readonly (string | Peer)[], options: { port?: number } = {}): Strategy {
  const port = checkPort(options.port ?? DISCOVERY_DEFAULTS.port, 'port');
  const list = sortPeers(peers.map((p) => (typeof p === 'string' ? parseStaticPeer(p, port) : p)));
  return {
    name: `static:${list.map((p) => `${p.node}:${p.port}`).join(',')}`,
    async list() {
      return list.map((p) => ({ ...p }));
    },
  };
}

/** Parses `name@host`, `name@host:port` or `name@[v6]:port` into a {@link Peer} (KINDRED_ERR_DISCOVERY_BAD_SPEC). */
export function parseStaticPeer(text: string, defaultPort: number = DISCOVERY_DEFAULTS.port): Peer {
  const at = text.indexOf('@');
  const name = text.slice(0, at);
  const rest = text.slice(at + 1);
  if (at <= 0 || rest === '' || !isValidNamePart(name)) {
    throw badSpec(`static peer "${text}" is not name@host[:port] (name: letters, digits, '_' or '-')`);
  }
  let host = rest;
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket !== null) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (isIP(rest) === 0) {
    const hp = /^([^:]+):(\d+)$/.exec(rest);
    if (hp !== null) {
      host = hp[1]!;
      port = Number(hp[2]);
    } else if (rest.includes(':')) {
      throw badSpec(`static peer "${text}": the port must be a number (name@host:port)`);
    }
  }
  if (!isValidHostPart(host)) {
    throw badSpec(
      `static peer "${text}": the host "${host}" is not a legal node host (no spaces, no second '@')`,
    );
  }
  if (!isPort(port)) {
    throw badSpec(`static peer "${text}": port ${port} is not 1-65535`);
  }
  return { node: `${name}@${host}`, host, port, addresses: isIP(host) === 0 ? [] : [host] };
}

/** Peers sorted by node name, the order every strategy returns. */
export function sortPeers(peers: Peer[]): Peer[] {
  return peers.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

function checkBasename(basename: string): string {
  if (!isValidNamePart(basename)) {
    throw badOption(`basename "${basename}" must be letters, digits, '_' or '-' (the part before '@')`);
  }
  return basename;
}

function checkQuery(query: string): void {
  if (typeof query !== 'string' || query.trim() === '' || /\s/.test(query)) {
    throw badSpec(`DNS query "${String(query)}" must be a DNS name such as _discovery._tcp.web-headless`);
  }
}

function checkPort(port: number, option: string): number {
  if (!isPort(port)) throw badOption(`${option} must be 1-65535, got ${port}`);
  return port;
}

function badSpec(message: string): KindredError {
  return new KindredError(DISCOVERY_ERRORS.DISCOVERY_BAD_SPEC, message);
}

function badOption(message: string): KindredError {
  return new KindredError(DISCOVERY_ERRORS.DISCOVERY_BAD_OPTION, message);
}
