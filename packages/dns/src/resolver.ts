import { setMaxListeners } from 'node:events';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { childLogger, type Logger } from '@kindred/interface';
import { DNS_DEFAULTS } from './defaults.js';
import { DNS_ERRORS, KindredError } from './errors.js';
import { asKindred, badConfig, deadlineError, exchangeError, negativeTtl, withTried } from './failures.js';
import { findHostsEntries, readHosts } from './hosts.js';
import type { WireMessage } from './message.js';
import { checkNameserver, formatServer, parseNameserver } from './nameserver.js';
import { checkDeadline, type ResolverOptions, validateOptions } from './options.js';
import { type DnsRecord, RECORD_TYPES, type RecordType, stripDot, toDnsRecord } from './records.js';
import { type Nameserver, type ResolvConf, readResolvConf } from './resolv-conf.js';
import { type ExchangeResult, exchangeTcp, exchangeUdp, sameName, type WireCounters } from './wire.js';

export { formatServer, parseNameserver } from './nameserver.js';
export type { ResolverOptions } from './options.js';

/** The configuration one lookup used: resolv.conf merged with the options (the fields mean what they mean there). */
export type EffectiveResolverConfig = Omit<ResolvConf, 'otherOptions'>;

/** The answer to {@link Resolver.resolve}. */
export interface Resolution {
  /** The name as asked. */
  readonly name: string;
  /** The name the search list resolved: the candidate that answered (no trailing dot). */
  readonly fqdn: string;
  /** The owner name of the answer after following CNAMEs (equals `fqdn` when there were none). */
  readonly canonical: string;
  readonly type: RecordType;
  /** Records of `type` at `canonical`, in server order. */
  readonly answers: readonly DnsRecord[];
  /** CNAME records followed from `fqdn` to `canonical`. */
  readonly cnames: readonly DnsRecord[];
  /** The Additional section of the final answer (glue such as SRV targets' A/AAAA). */
  readonly additionals: readonly DnsRecord[];
  /** Smallest TTL (seconds) among answers and CNAMEs: how long this answer stays valid. */
  readonly ttl: number;
  /** The server that answered, `address:port` (`[v6]:port`). */
  readonly server: string;
}

/** One SRV target, with the addresses the Additional section (or a follow-up A/AAAA query) gave for it. */
export interface SrvTarget {
  /** Target host name without trailing dot: with CoreDNS `endpoint_pod_names`, `<pod>.<svc>.<ns>.svc.<zone>`. */
  readonly target: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
  /** IPv4 then IPv6 addresses, deduplicated; empty when the target resolves to nothing. */
  readonly addresses: readonly string[];
  /** TTL of the SRV record, seconds. */
  readonly ttl: number;
}

/** The answer to {@link Resolver.resolveSrv}. */
export interface SrvResolution {
  readonly name: string;
  readonly fqdn: string;
  readonly targets: readonly SrvTarget[];
  /** Smallest TTL of the SRV records, seconds. */
  readonly ttl: number;
  /**
   * Set when the deadline (or the caller's signal) cut the target address lookups short: a
   * `KINDRED_ERR_DNS_DEADLINE` error whose `details.unresolved` lists the targets whose addresses were still being
   * looked up. Those targets are in `targets` with no addresses (as targets whose lookups failed are): the SRV
   * answer itself is complete, and a peer is dialled by its target name, so they are still worth knowing.
   */
  readonly partial?: KindredError;
}

/** Per-call options of the lookups. */
export interface LookupOptions {
  /** Aborts the lookup: in-flight queries are dropped, their sockets closed; it rejects with KINDRED_ERR_DNS_DEADLINE. */
  readonly signal?: AbortSignal;
}

/** Per-call options of {@link Resolver.resolveSrv}. */
export interface SrvLookupOptions extends LookupOptions {
  /** Overall deadline of this call, ms (default: the resolver's `srvDeadlineMs`). */
  readonly deadlineMs?: number;
  /**
   * Addresses the caller already holds for some targets, still within their TTL (key: the target in lowercase,
   * without the trailing dot): a target the Additional section leaves out but this map names gets no A/AAAA
   * queries of its own. A poller passes what its last answer gave, so an SRV set too large for the Additional
   * section (every address lookup a UDP exchange, per target, per poll) costs one query per TTL instead.
   */
  readonly knownAddresses?: ReadonlyMap<string, readonly string[]>;
}

/** The answer to {@link Resolver.lookupHost}, like getaddrinfo with AI_CANONNAME. */
export interface HostLookup {
  readonly name: string;
  /** The canonical name: the first name of the matching hosts line, or the DNS name that answered after CNAMEs. */
  readonly fqdn: string;
  readonly addresses: readonly string[];
  readonly source: 'hosts' | 'dns' | 'literal';
}

/** Counters since construction, for diagnostics and tests. */
export interface ResolverStats {
  /** DNS exchanges started (UDP and TCP). */
  queries: number;
  /** UDP answers retried over TCP because the TC bit was set. */
  tcpFallbacks: number;
  /** Datagrams ignored because their ID or question did not match (or did not decode): possible spoofing. */
  mismatched: number;
  /** Answers to our ID and question with malformed records (an A record not 4 bytes, ...): ignored over UDP. */
  malformed: number;
}

/**
 * A stub resolver that behaves like glibc's: resolv.conf and the search list with ndots, /etc/hosts first for host
 * lookups, UDP with random ID and source port, TCP on truncation, per-server timeout and attempts, rotate, CNAME
 * chains, and distinct error codes for NXDOMAIN, NODATA, SERVFAIL, REFUSED and timeouts. No cache: every call asks.
 *
 * @example
 * const resolver = new Resolver();
 * const { fqdn, targets } = await resolver.resolveSrv('_discovery._tcp.web-headless');
 */
export class Resolver {
  /** Counters since construction. */
  readonly stats: ResolverStats = { queries: 0, tcpFallbacks: 0, mismatched: 0, malformed: 0 };
  readonly #options: ResolverOptions;
  readonly #nameservers: readonly Nameserver[] | undefined;
  readonly #log: Logger;
  #rotation = 0;

  /** @param options - overrides of resolv.conf and defaults; validated here (KINDRED_ERR_DNS_BAD_CONFIG). */
  constructor(options: ResolverOptions = {}) {
    this.#options = validateOptions(options);
    this.#nameservers = options.nameservers?.map((n, i) =>
      typeof n === 'string'
        ? parseNameserver(n, `nameservers[${i}]`)
        : checkNameserver(n, `nameservers[${i}]`),
    );
    this.#log = childLogger(options.logger, { component: 'dns' });
  }

  /** Reads resolv.conf and merges the options: the configuration the next lookup will use. */
  async config(): Promise<EffectiveResolverConfig> {
    const o = this.#options;
    const conf = await readResolvConf(o.resolvConfPath ?? DNS_DEFAULTS.resolvConfPath, {
      hostname: o.hostname ?? osHostname(),
    });
    return {
      nameservers: this.#nameservers ?? conf.nameservers,
      search: (o.search ?? conf.search).map(stripDot).filter((d) => d !== '' && d !== '.'),
      ndots: o.ndots ?? conf.ndots,
      timeoutMs: o.timeoutMs ?? conf.timeoutMs,
      attempts: o.attempts ?? conf.attempts,
      rotate: o.rotate ?? conf.rotate,
    };
  }

  /**
   * Resolves `name` to records of `type` through the search list (glibc order: a name with at least ndots dots is
   * tried as is first; otherwise each search domain, then the bare name; a trailing dot means the bare name only).
   * Follows CNAMEs up to `maxCnameChain`. Throws a {@link KindredError} with a `KINDRED_ERR_DNS_*` code.
   */
  async resolve(name: string, type: RecordType, opts: LookupOptions = {}): Promise<Resolution> {
    if (!RECORD_TYPES.includes(type)) {
      throw badConfig(`record type ${String(type)} is not supported; use one of ${RECORD_TYPES.join(', ')}`);
    }
    const conf = await this.config();
    const res = await this.#search(name, type, conf, (fqdn) =>
      this.#queryChasing(fqdn, type, conf, opts.signal),
    );
    return { ...res, name };
  }

  /**
   * Resolves SRV records for `name` through the search list. Each target's addresses come from the Additional
   * section; targets missing there get A and AAAA queries of their own, `srvAddressConcurrency` targets at a time.
   * Targets `.` ("no service") are dropped.
   *
   * The whole call has a deadline (`deadlineMs`, default `srvDeadlineMs`; `signal` aborts it too). If it passes
   * before the SRV answer, the call rejects with KINDRED_ERR_DNS_DEADLINE: without the SRV records there is nothing
   * to return. If it passes while target addresses are still being looked up, those lookups are dropped and the
   * call resolves with every target, the unfinished ones without addresses, and `partial` set (a
   * KINDRED_ERR_DNS_DEADLINE error naming them, also logged as a warning).
   */
  async resolveSrv(name: string, opts: SrvLookupOptions = {}): Promise<SrvResolution> {
    const deadlineMs = opts.deadlineMs ?? this.#options.srvDeadlineMs ?? DNS_DEFAULTS.srvDeadlineMs;
    checkDeadline(deadlineMs, 'resolveSrv option deadlineMs');
    const deadline = new AbortController();
    // One listener per query in flight (2 x srvAddressConcurrency); bounded, so no leak warning is wanted.
    setMaxListeners(0, deadline.signal);
    const onAbort = () => deadline.abort();
    const timer = setTimeout(onAbort, deadlineMs);
    if (opts.signal?.aborted) deadline.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#resolveSrv(name, deadline.signal, deadlineMs, opts.knownAddresses);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async #resolveSrv(
    name: string,
    signal: AbortSignal,
    deadlineMs: number,
    known: ReadonlyMap<string, readonly string[]> | undefined,
  ): Promise<SrvResolution> {
    const conf = await this.config();
    const res = await this.#search(name, 'SRV', conf, (fqdn) =>
      this.#queryChasing(fqdn, 'SRV', conf, signal),
    );
    const glue = new Map<string, { v4: string[]; v6: string[] }>();
    for (const r of res.additionals) {
      if (r.type !== 'A' && r.type !== 'AAAA') continue;
      const key = r.name.toLowerCase();
      const entry = glue.get(key) ?? { v4: [], v6: [] };
      (r.type === 'A' ? entry.v4 : entry.v6).push(r.data);
      glue.set(key, entry);
    }
    const srvs = res.answers.filter((r) => r.type === 'SRV' && r.data.target !== '.');
    const missing = [...new Set(srvs.map((r) => (r.data as { target: string }).target.toLowerCase()))].filter(
      (t) => !glue.has(t),
    );
    for (const t of missing) {
      const addresses = known?.get(t);
      if (addresses === undefined || addresses.length === 0) continue;
      glue.set(t, {
        v4: addresses.filter((a) => isIP(a) === 4),
        v6: addresses.filter((a) => isIP(a) === 6),
      });
    }
    await mapLimit(
      missing.filter((t) => !glue.has(t)),
      this.#options.srvAddressConcurrency ?? DNS_DEFAULTS.srvAddressConcurrency,
      signal,
      async (t) => {
        const found = await this.#targetAddresses(t, conf, signal);
        if (found !== undefined) glue.set(t, found);
      },
    );
    const targets = srvs.map((r) => {
      const d = r.data as { target: string; port: number; priority: number; weight: number };
      const g = glue.get(d.target.toLowerCase());
      return {
        target: d.target,
        port: d.port,
        priority: d.priority,
        weight: d.weight,
        addresses: [...new Set([...(g?.v4 ?? []), ...(g?.v6 ?? [])])],
        ttl: r.ttl,
      };
    });
    const unresolved = missing.filter((t) => !glue.has(t));
    if (unresolved.length === 0) return { name, fqdn: res.fqdn, targets, ttl: res.ttl };
    const partial = new KindredError(
      DNS_ERRORS.DNS_DEADLINE,
      `SRV lookup of ${name}: the deadline (${deadlineMs} ms) passed before the addresses of ${unresolved.length} of ${srvs.length} targets were known; they are returned without addresses`,
      { details: { name, deadlineMs, unresolved, targets: srvs.length } },
    );
    this.#log.warn(
      { query: { name, type: 'SRV' }, code: partial.code, deadlineMs, unresolved: unresolved.length },
      'SRV target address lookups cut short by the deadline: partial result',
    );
    return { name, fqdn: res.fqdn, targets, ttl: res.ttl, partial };
  }

  /**
   * getaddrinfo-like: an IP literal is itself (`source: 'literal'`); then the hosts file (every matching line, the
   * first line's first name is the canonical name); then DNS A and/or AAAA through the search list.
   *
   * @param opts.family - 4 (A only), 6 (AAAA only) or 0 (both; the default)
   * @param opts.signal - aborts the DNS part (KINDRED_ERR_DNS_DEADLINE)
   */
  async lookupHost(
    name: string,
    opts: { family?: 0 | 4 | 6; signal?: AbortSignal } = {},
  ): Promise<HostLookup> {
    const family = opts.family ?? 0;
    if (family !== 0 && family !== 4 && family !== 6)
      throw badConfig(`family must be 0, 4 or 6, got ${family}`);
    const literal = isIP(name.split('%')[0] ?? '');
    if (literal !== 0) {
      if (family !== 0 && literal !== family) {
        throw new KindredError(
          DNS_ERRORS.DNS_NODATA,
          `${name} is an IPv${literal} address, not IPv${family}`,
          {
            details: { name, family },
          },
        );
      }
      return { name, fqdn: name, addresses: [name], source: 'literal' };
    }
    const hosts = await readHosts(this.#options.hostsPath ?? DNS_DEFAULTS.hostsPath);
    const matched = findHostsEntries(hosts, name, family);
    if (matched.length > 0) {
      const addresses = [...new Set(matched.map((e) => e.address))];
      return { name, fqdn: matched[0]!.canonical, addresses, source: 'hosts' };
    }
    const conf = await this.config();
    const types: RecordType[] = family === 4 ? ['A'] : family === 6 ? ['AAAA'] : ['A', 'AAAA'];
    const res = await this.#search(name, types.join('/'), conf, (fqdn) =>
      this.#addressQuery(fqdn, types, conf, opts.signal),
    );
    return { name, fqdn: res.canonical, addresses: res.addresses, source: 'dns' };
  }

  /**
   * What `hostname -f` prints: getaddrinfo(hostname, AI_CANONNAME). The first hosts-file line naming `hostname`
   * gives its first name; otherwise DNS through the search list, the canonical name being the name that answered
   * (after CNAMEs).
   *
   * @param hostname - the short or full host name (default: os.hostname(), i.e. gethostname)
   */
  async canonicalName(hostname: string = osHostname()): Promise<{ fqdn: string; source: 'hosts' | 'dns' }> {
    const found = await this.lookupHost(hostname);
    return { fqdn: found.fqdn, source: found.source === 'hosts' ? 'hosts' : 'dns' };
  }

  /** glibc res_search: the order candidates are tried, and which error is reported when all fail. */
  async #search<T>(
    name: string,
    what: string,
    conf: EffectiveResolverConfig,
    attempt: (fqdn: string) => Promise<T>,
  ): Promise<T> {
    const trailingDot = name.endsWith('.');
    const bare = trailingDot ? name.slice(0, -1) : name;
    checkQueryName(bare, name);
    const dots = bare.split('.').length - 1;
    const tried: string[] = [];
    const tryName = async (fqdn: string): Promise<T> => {
      tried.push(fqdn);
      return attempt(fqdn);
    };
    let saved: KindredError | undefined;
    let nodata: KindredError | undefined;
    let servfail: KindredError | undefined;
    let last: KindredError | undefined;
    let triedAsIs = false;
    if (trailingDot || dots >= conf.ndots) {
      try {
        return await tryName(bare);
      } catch (err) {
        const e = asKindred(err);
        if (trailingDot || e.code === DNS_ERRORS.DNS_DEADLINE) throw withTried(e, name, what, tried);
        saved = e;
        triedAsIs = true;
      }
    }
    if (!trailingDot) {
      for (const domain of conf.search) {
        try {
          return await tryName(`${bare}.${domain}`);
        } catch (err) {
          last = asKindred(err);
          if (last.code === DNS_ERRORS.DNS_DEADLINE) throw withTried(last, name, what, tried);
          // glibc gives up on the whole search at once when the servers refuse connections (ECONNREFUSED).
          if (last.details?.allUnreachable === true) throw withTried(last, name, what, tried);
          if (last.code === DNS_ERRORS.DNS_NODATA) nodata = last;
          else if (last.code === DNS_ERRORS.DNS_SERVFAIL) servfail = last;
          else if (last.code !== DNS_ERRORS.DNS_NXDOMAIN) break; // timeout, refused, ...: glibc stops searching
        }
      }
      if (!triedAsIs) {
        try {
          return await tryName(bare);
        } catch (err) {
          last = asKindred(err);
        }
      }
    }
    throw withTried(saved ?? nodata ?? servfail ?? last!, name, what, tried);
  }

  /** One absolute name: query, follow CNAMEs in the answer and, if the chain leaves it, query the chain's end. */
  async #queryChasing(
    fqdn: string,
    type: RecordType,
    conf: EffectiveResolverConfig,
    signal: AbortSignal | undefined,
  ): Promise<Resolution> {
    const maxChain = this.#options.maxCnameChain ?? DNS_DEFAULTS.maxCnameChain;
    const cnames: DnsRecord[] = [];
    const seen = new Set<string>([fqdn.toLowerCase()]);
    let current = fqdn;
    for (;;) {
      const { message, server } = await this.#exchange(current, type, conf, signal);
      if (message.rcode === 'NXDOMAIN') {
        throw new KindredError(
          DNS_ERRORS.DNS_NXDOMAIN,
          `${current} does not exist (NXDOMAIN from ${server})`,
          {
            details: { name: current, type, server, negativeTtl: negativeTtl(message) },
          },
        );
      }
      const records = message.answers.map(toDnsRecord).filter((r): r is DnsRecord => r !== undefined);
      let owner = current;
      for (;;) {
        if (type === 'CNAME' || records.some((r) => r.type === type && sameName(r.name, owner))) break;
        const cname = records.find((r) => r.type === 'CNAME' && sameName(r.name, owner));
        if (cname === undefined) break;
        const target = cname.data as string;
        if (cnames.length >= maxChain || seen.has(target.toLowerCase())) {
          throw new KindredError(
            DNS_ERRORS.DNS_CNAME_CHAIN,
            `CNAME chain from ${fqdn} is longer than ${maxChain} or loops (at ${target}); fix the DNS records`,
            { details: { name: fqdn, chain: [...cnames.map((c) => c.name), target] } },
          );
        }
        seen.add(target.toLowerCase());
        cnames.push(cname);
        owner = target;
      }
      const answers = records.filter((r) => r.type === type && sameName(r.name, owner));
      if (answers.length > 0) {
        const additionals = message.additionals
          .map(toDnsRecord)
          .filter((r): r is DnsRecord => r !== undefined);
        const ttl = Math.min(...answers.map((r) => r.ttl), ...cnames.map((r) => r.ttl));
        return {
          name: fqdn,
          fqdn,
          canonical: stripDot(owner),
          type,
          answers,
          cnames,
          additionals,
          ttl,
          server,
        };
      }
      if (!sameName(owner, current)) {
        current = owner; // the chain left this answer: ask for its end
        continue;
      }
      throw new KindredError(
        DNS_ERRORS.DNS_NODATA,
        `${current} has no ${type} record (NODATA from ${server})`,
        {
          details: { name: current, type, server, negativeTtl: negativeTtl(message) },
        },
      );
    }
  }

  /** A and/or AAAA for one absolute name, as getaddrinfo does per candidate: success if either type answers. */
  async #addressQuery(
    fqdn: string,
    types: RecordType[],
    conf: EffectiveResolverConfig,
    signal: AbortSignal | undefined,
  ): Promise<{ canonical: string; addresses: string[] }> {
    const results = await Promise.allSettled(types.map((t) => this.#queryChasing(fqdn, t, conf, signal)));
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (ok.length > 0) {
      return {
        canonical: ok[0]!.canonical,
        addresses: [...new Set(ok.flatMap((r) => r.answers.map((a) => a.data as string)))],
      };
    }
    const errors = results.map((r) => asKindred((r as PromiseRejectedResult).reason));
    const nameError = (e: KindredError) =>
      e.code === DNS_ERRORS.DNS_NXDOMAIN || e.code === DNS_ERRORS.DNS_NODATA;
    // The deadline outranks everything (nothing else was waited for); a real failure (timeout, SERVFAIL, ...)
    // outranks "no such record"; NODATA outranks NXDOMAIN.
    return Promise.reject(
      errors.find((e) => e.code === DNS_ERRORS.DNS_DEADLINE) ??
        errors.find((e) => !nameError(e)) ??
        errors.find((e) => e.code === DNS_ERRORS.DNS_NODATA) ??
        errors[0]!,
    );
  }

  /**
   * Addresses of an SRV target absent from the Additional section; failures leave it without addresses. Undefined
   * when the deadline cut either query short (the caller reports the target as unresolved, not as address-less).
   */
  async #targetAddresses(
    target: string,
    conf: EffectiveResolverConfig,
    signal: AbortSignal,
  ): Promise<{ v4: string[]; v6: string[] } | undefined> {
    const [v4, v6] = await Promise.all(
      (['A', 'AAAA'] as const).map(async (t) => {
        try {
          return (await this.#queryChasing(target, t, conf, signal)).answers.map((a) => a.data as string);
        } catch (err) {
          const e = asKindred(err);
          if (e.code === DNS_ERRORS.DNS_DEADLINE) return undefined;
          if (e.code !== DNS_ERRORS.DNS_NXDOMAIN && e.code !== DNS_ERRORS.DNS_NODATA) {
            this.#log.warn({ target, type: t, code: e.code }, 'SRV target address lookup failed');
          }
          return [];
        }
      }),
    );
    if (v4 === undefined || v6 === undefined) return undefined;
    return { v4, v6 };
  }

  /**
   * res_send: `attempts` rounds over the servers (starting at the next one when rotating), UDP first, TCP on TC.
   * SERVFAIL/REFUSED/NOTIMP/FORMERR move on to the next server; NOERROR and NXDOMAIN are final.
   */
  async #exchange(
    name: string,
    type: RecordType,
    conf: EffectiveResolverConfig,
    signal: AbortSignal | undefined,
  ): Promise<{ message: WireMessage; server: string }> {
    const servers = conf.nameservers;
    const start = conf.rotate ? this.#rotation++ % servers.length : 0;
    const failures: { server: string; result: ExchangeResult | { kind: 'rcode'; rcode: string } }[] = [];
    const counters: WireCounters = { mismatched: 0, malformed: 0 };
    try {
      for (let attempt = 0; attempt < conf.attempts; attempt++) {
        for (let i = 0; i < servers.length; i++) {
          const server = servers[(start + i) % servers.length]!;
          const label = formatServer(server);
          if (signal?.aborted) throw deadlineError(name, type, failures);
          this.stats.queries++;
          let result = await exchangeUdp(server, name, type, conf.timeoutMs, counters, signal);
          if (result.kind === 'answer' && result.message.truncated) {
            this.stats.tcpFallbacks++;
            this.stats.queries++;
            result = await exchangeTcp(server, name, type, conf.timeoutMs, signal);
          }
          if (result.kind === 'aborted') throw deadlineError(name, type, failures);
          if (result.kind !== 'answer') {
            failures.push({ server: label, result });
            continue;
          }
          const rcode = result.message.rcode;
          if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') return { message: result.message, server: label };
          failures.push({ server: label, result: { kind: 'rcode', rcode } });
        }
      }
    } finally {
      this.stats.mismatched += counters.mismatched;
      this.stats.malformed += counters.malformed;
      if (counters.malformed > 0) {
        this.#log.warn(
          { query: { name, type }, malformed: counters.malformed },
          'ignored DNS answers with malformed records',
        );
      }
      if (counters.mismatched > 0) {
        this.#log.warn(
          { query: { name, type }, ignored: counters.mismatched },
          'ignored DNS responses with a wrong ID or question',
        );
      }
    }
    throw exchangeError(name, type, failures);
  }
}

function checkQueryName(bare: string, original: string): void {
  if (bare === '' || bare.length > 253 || bare.split('.').some((l) => l === '' || l.length > 63)) {
    throw badConfig(
      `"${original}" is not a valid DNS name (empty label, label over 63 or name over 253 characters)`,
    );
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; once `signal` aborts, no further item is started. */
async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
