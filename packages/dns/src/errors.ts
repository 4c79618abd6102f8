// KindredError lives at the bottom of the house (@kindred/interface); @kindred/dns re-exports it, as every package does.
export { isKindredError, KindredError } from '@kindred/interface';

/** Every code the resolver throws; each is listed in docs/errors.md. */
export const DNS_ERROR_CODES = Object.freeze({
  /** The name does not exist (rcode NXDOMAIN) under any name the search list tried. */
  NXDOMAIN: 'KINDRED_ERR_DNS_NXDOMAIN',
  /** The name exists but has no record of the asked type (NOERROR, empty answer). */
  NODATA: 'KINDRED_ERR_DNS_NODATA',
  /** The server answered SERVFAIL (e.g. CoreDNS not yet synced with the API, a zone that failed to load). */
  SERVFAIL: 'KINDRED_ERR_DNS_SERVFAIL',
  /** The server refused the query (rcode REFUSED, e.g. not authoritative and recursion off). */
  REFUSED: 'KINDRED_ERR_DNS_REFUSED',
  /** No nameserver answered within timeout x attempts (or all were unreachable). */
  TIMEOUT: 'KINDRED_ERR_DNS_TIMEOUT',
  /** A CNAME chain was longer than `maxCnameChain` or looped. */
  CNAME_CHAIN: 'KINDRED_ERR_DNS_CNAME_CHAIN',
  /**
   * No usable answer: a malformed answer (over TCP, or over UDP with no valid one before the timeout: e.g. an A record
   * that is not 4 bytes, a name running past its record), or an rcode we cannot use (FORMERR, NOTIMP, ...).
   */
  BAD_RESPONSE: 'KINDRED_ERR_DNS_BAD_RESPONSE',
  /**
   * A lookup's overall deadline passed (resolveSrv's `deadlineMs`) or its caller's signal aborted it (a discovery
   * poll's deadline) before the answer it needs arrived. Also the code of a partial `SrvResolution` (its `partial`).
   */
  DEADLINE: 'KINDRED_ERR_DNS_DEADLINE',
  /** A resolver option, resolv.conf, hosts file or query name is unusable. */
  BAD_CONFIG: 'KINDRED_ERR_DNS_BAD_CONFIG',
});
