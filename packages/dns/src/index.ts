export { DNS_DEFAULTS } from './defaults.js';
export { DNS_ERROR_CODES, DNS_ERRORS, isKindredError, KindredError } from './errors.js';
export { findHostsEntries, type HostsEntry, parseHosts, readHosts } from './hosts.js';
export {
  type DnsRecord,
  RECORD_TYPES,
  type RecordType,
  type SoaData,
  type SrvData,
  stripDot,
} from './records.js';
export {
  type Nameserver,
  type ParseResolvConfOptions,
  parseResolvConf,
  RESOLV_CONF_LIMITS,
  type ResolvConf,
  readResolvConf,
} from './resolv-conf.js';
export {
  type EffectiveResolverConfig,
  formatServer,
  type HostLookup,
  type LookupOptions,
  parseNameserver,
  type Resolution,
  Resolver,
  type ResolverOptions,
  type ResolverStats,
  type SrvLookupOptions,
  type SrvResolution,
  type SrvTarget,
} from './resolver.js';
export { sameName } from './wire.js';
