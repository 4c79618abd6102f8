export { isKindredError, KindredError } from './errors.js';
export { findHostsEntries, HOSTS_PATH, type HostsEntry, parseHosts, readHosts } from './hosts.js';
export {
  type Nameserver,
  type ParseResolvConfOptions,
  parseResolvConf,
  RESOLV_CONF_LIMITS,
  type ResolvConf,
  readResolvConf,
} from './resolv-conf.js';
