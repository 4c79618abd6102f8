// KindredError lives at the bottom of the house (@kindred/interface); @kindred/dns re-exports it, as every package does.
export { isKindredError, KindredError } from '@kindred/interface';

/** Every code the resolver throws, key = code minus `KINDRED_ERR_`; each is listed in docs/errors.md. */
export const DNS_ERRORS = Object.freeze({
  /** The name does not exist (rcode NXDOMAIN) under any name the search list tried. */
  DNS_NXDOMAIN: 'KINDRED_ERR_DNS_NXDOMAIN',
  /** The name exists but has no record of the asked type (NOERROR, empty answer). */
  DNS_NODATA: 'KINDRED_ERR_DNS_NODATA',
  /** The server answered SERVFAIL (e.g. CoreDNS not yet synced with the API, a zone that failed to load). */
  DNS_SERVFAIL: 'KINDRED_ERR_DNS_SERVFAIL',
  /** The server refused the query (rcode REFUSED, e.g. not authoritative and recursion off). */
  DNS_REFUSED: 'KINDRED_ERR_DNS_REFUSED',
  /** No nameserver answered within timeout x attempts (or all were unreachable). */
  DNS_TIMEOUT: 'KINDRED_ERR_DNS_TIMEOUT',
  /** A CNAME chain was longer than `maxCnameChain` or looped. */
  DNS_CNAME_CHAIN: 'KINDRED_ERR_DNS_CNAME_CHAIN',
  /**
   * No usable answer: a malformed answer (over TCP, or over UDP with no valid one before the timeout: e.g. an A record
   * that is not 4 bytes, a name running past its record), or an rcode we cannot use (FORMERR, NOTIMP, ...).
   */
  DNS_BAD_RESPONSE: 'KINDRED_ERR_DNS_BAD_RESPONSE',
  /**
   * A lookup's overall deadline passed (resolveSrv's `deadlineMs`) or its caller's signal aborted it (a discovery
   * poll's deadline) before the answer it needs arrived. Also the code of a partial `SrvResolution` (its `partial`).
   */
  DNS_DEADLINE: 'KINDRED_ERR_DNS_DEADLINE',
  /** A resolver option, resolv.conf, hosts file or query name is unusable. */
  DNS_BAD_CONFIG: 'KINDRED_ERR_DNS_BAD_CONFIG',
});

/**
 * @deprecated the catalogue's former name and keys; use {@link DNS_ERRORS} (same codes).
 */
export const DNS_ERROR_CODES = Object.freeze({
  NXDOMAIN: DNS_ERRORS.DNS_NXDOMAIN,
  NODATA: DNS_ERRORS.DNS_NODATA,
  SERVFAIL: DNS_ERRORS.DNS_SERVFAIL,
  REFUSED: DNS_ERRORS.DNS_REFUSED,
  TIMEOUT: DNS_ERRORS.DNS_TIMEOUT,
  CNAME_CHAIN: DNS_ERRORS.DNS_CNAME_CHAIN,
  BAD_RESPONSE: DNS_ERRORS.DNS_BAD_RESPONSE,
  DEADLINE: DNS_ERRORS.DNS_DEADLINE,
  BAD_CONFIG: DNS_ERRORS.DNS_BAD_CONFIG,
});
