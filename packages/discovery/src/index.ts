/**
 * `@kindred/discovery`: who else is there? DNS SRV (the seed's `k8s_reverse_lookup`), DNS A and static strategies
 * behind one {@link Strategy} interface, and a poller with grace periods and Akka's bootstrap guard.
 */

export { isKindredError, KindredError } from '@kindred/dns';
export { DISCOVERY_DEFAULTS } from './defaults.js';
export {
  type BootstrapDecision,
  createDiscovery,
  Discovery,
  type DiscoveryEvents,
  type DiscoveryOptions,
  type DiscoveryStats,
  type PollOutcome,
} from './discovery.js';
export { DISCOVERY_ERROR_CODES, DISCOVERY_ERRORS } from './errors.js';
export { type Peer, samePeer } from './peer.js';
export { isDashedIpTarget, type ReverseLookupResult, reverseLookup } from './reverse-lookup.js';
export { type DiscoverySpec, parseDiscoverySpec, strategyFromSpec } from './spec.js';
export {
  type DnsAStrategyOptions,
  type DnsStrategyOptions,
  dnsA,
  dnsSrv,
  type ListContext,
  parseStaticPeer,
  type Strategy,
  sortPeers,
  staticPeers,
} from './strategies.js';
