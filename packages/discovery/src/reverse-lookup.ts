import { isIP } from 'node:net';
import { type KindredError, Resolver, type SrvLookupOptions, type SrvTarget } from '@kindred/dns';

/** The answer of {@link reverseLookup}. */
export interface ReverseLookupResult {
  /** The query as given (`_discovery._tcp.web-headless`). */
  readonly query: string;
  /** The FQDN the search list found for it (`_discovery._tcp.web-headless.default.svc.cluster.local`). */
  readonly fqdn: string;
  /** The SRV targets at `fqdn`, in answer order, each with the addresses the Additional section gave. */
  readonly targets: readonly SrvTarget[];
  /** Set when the SRV lookup's deadline cut target address lookups short (see `SrvResolution.partial`). */
  readonly partial?: KindredError;
}

/**
 * The seed's `k8s_reverse_lookup`: finds the query's FQDN the way `inet:gethostbyname` does (hosts file, then an
 * address lookup through the resolv.conf search list; CoreDNS answers A at `_port._proto.<svc>...` names for exactly
 * this), then asks for the SRV records at that FQDN. Each target is a pod's name: `<pod>.<svc>.<ns>.svc.<zone>` with
 * CoreDNS's `endpoint_pod_names`, a dashed IP without it.
 *
 * Unlike the seed (IPv4 only, via gethostbyname), the first step accepts A or AAAA answers, so IPv6-only clusters
 * work too. Throws a KindredError with a `KINDRED_ERR_DNS_*` code when either step fails. `signal` aborts both steps
 * (KINDRED_ERR_DNS_DEADLINE; during the target address lookups, a partial result instead).
 *
 * @example
 * const { fqdn, targets } = await reverseLookup('_discovery._tcp.web-headless');
 */
export async function reverseLookup(
  query: string,
  options: {
    resolver?: Resolver;
    signal?: AbortSignal;
    /** Target addresses still within their TTL ({@link SrvLookupOptions.knownAddresses}): not asked again. */
    knownAddresses?: ReadonlyMap<string, readonly string[]>;
  } = {},
): Promise<ReverseLookupResult> {
  const resolver = options.resolver ?? new Resolver();
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const { fqdn } = await resolver.lookupHost(query, signal);
  // The trailing dot: the FQDN is absolute, as inet_res:resolve treats it (no second trip through the search list).
  const srv = await resolver.resolveSrv(`${fqdn}.`, {
    ...signal,
    ...(options.knownAddresses === undefined ? {} : { knownAddresses: options.knownAddresses }),
  });
  return {
    query,
    fqdn,
    targets: srv.targets,
    ...(srv.partial === undefined ? {} : { partial: srv.partial }),
  };
}

/**
 * True when an SRV target's first label is CoreDNS's fallback endpoint name, the pod's IP with dashes
 * (`10-244-1-5.web-headless.default.svc.cluster.local`, `fd00--1` for `fd00::1`, a trailing `-` made `-0`): what
 * CoreDNS's kubernetes plugin answers without `endpoint_pod_names`. Such a name never equals the pod's own FQDN
 * (`hostname -f`), so a peer dialled by it refuses the connection (name mismatch). Pod names that merely look like
 * hex with dashes (`db-7f9c-bbbbb`) are not dashed IPs.
 */
export function isDashedIpTarget(target: string): boolean {
  const label = target.split('.')[0] ?? '';
  if (isIP(label.replaceAll('-', '.')) === 4) return true;
  const v6 = label.replaceAll('-', ':');
  // CoreDNS appends '0' to a name that would end in '-' (an address ending in '::').
  return isIP(v6) === 6 || (v6.endsWith('::0') && isIP(v6.slice(0, -1)) === 6);
}
