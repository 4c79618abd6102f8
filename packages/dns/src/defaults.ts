/**
 * Every default of @kindred/dns in one place. The resolver takes ndots, timeout and attempts from resolv.conf; these
 * are glibc's values for when the file says nothing.
 */
export const DNS_DEFAULTS = Object.freeze({
  /** Where the nameservers, search list and options are read (re-read on every lookup, as glibc does on change). */
  resolvConfPath: '/etc/resolv.conf',
  /** Where getaddrinfo-like lookups look first. */
  hostsPath: '/etc/hosts',
  /** The DNS port when a nameserver is given without one. */
  port: 53,
  /** glibc: names with fewer dots than this try the search list before the bare name. */
  ndots: 1,
  /** glibc RES_TIMEOUT: how long to wait for one server, per try. */
  timeoutMs: 5_000,
  /** glibc RES_DFLRETRY: rounds over the server list. */
  attempts: 2,
  /** CNAMEs followed before giving up with KINDRED_ERR_DNS_CNAME_CHAIN (glibc and BIND stop around 8-16). */
  maxCnameChain: 8,
  /** Parallel A/AAAA lookups for SRV targets the Additional section did not cover. */
  srvAddressConcurrency: 16,
  /**
   * Overall deadline of one {@link Resolver.resolveSrv} call, SRV query and target address lookups together. One
   * glibc timeout: enough for a healthy server, not for a retry after a lost datagram. Without it, an answer with
   * many targets missing from the Additional section whose A queries time out took minutes (targets / concurrency x
   * timeout x attempts). On the deadline the targets found so far are returned, marked partial.
   */
  srvDeadlineMs: 5_000,
});
