import { DNS_ERRORS, KindredError } from './errors.js';
import type { WireMessage } from './message.js';
import { type SoaData, toDnsRecord } from './records.js';
import type { ExchangeResult } from './wire.js';

// How the resolver words a failed lookup: one KindredError per outcome (SERVFAIL, REFUSED, a bad answer, a timeout,
// a deadline), the names the search list tried, and the negative TTL of an NXDOMAIN/NODATA answer.

/** A server's outcome for one question, as the error details list it. */
export type ServerFailure = { server: string; result: ExchangeResult | { kind: 'rcode'; rcode: string } };

/** The lookup outlived its deadline (an abort signal): DNS_DEADLINE, with what each server did. */
export function deadlineError(name: string, type: string, failures: ServerFailure[]): KindredError {
  return new KindredError(
    DNS_ERRORS.DNS_DEADLINE,
    `DNS lookup of ${name} ${type} abandoned: its deadline passed before an answer; check the nameservers in resolv.conf answer quickly, or allow more time`,
    { details: { name, type, servers: failures.map((f) => `${f.server}: ${f.result.kind}`) } },
  );
}

/** Every server failed one question: SERVFAIL, REFUSED, BAD_RESPONSE or TIMEOUT, most telling first. */
export function exchangeError(name: string, type: string, failures: ServerFailure[]): KindredError {
  const summary = failures.map((f) => {
    const r = f.result;
    const what = r.kind === 'rcode' ? r.rcode : r.kind === 'answer' ? 'answer' : r.kind;
    const reason = r.kind === 'unreachable' || r.kind === 'bad-response' ? ` (${r.reason})` : '';
    return `${f.server}: ${what}${reason}`;
  });
  const allUnreachable = failures.length > 0 && failures.every((f) => f.result.kind === 'unreachable');
  const details = { name, type, servers: summary, allUnreachable };
  const rcodes = failures.flatMap((f) => (f.result.kind === 'rcode' ? [f.result.rcode] : []));
  if (rcodes.includes('SERVFAIL')) {
    return new KindredError(
      DNS_ERRORS.DNS_SERVFAIL,
      `DNS server failure (SERVFAIL) for ${name} ${type}; the server could not answer (not synced yet, or a broken zone): retry later`,
      { details },
    );
  }
  if (rcodes.includes('REFUSED')) {
    return new KindredError(
      DNS_ERRORS.DNS_REFUSED,
      `DNS server refused ${name} ${type} (REFUSED); check the nameserver in resolv.conf serves this zone`,
      { details },
    );
  }
  if (rcodes.length > 0 || failures.some((f) => f.result.kind === 'bad-response')) {
    return new KindredError(
      DNS_ERRORS.DNS_BAD_RESPONSE,
      `no usable DNS answer for ${name} ${type} (${summary.join('; ')})`,
      { details },
    );
  }
  return new KindredError(
    DNS_ERRORS.DNS_TIMEOUT,
    `no DNS server answered ${name} ${type} (${summary.join('; ')}); check the nameservers in resolv.conf are up`,
    { details },
  );
}

/** The negative-caching TTL an NXDOMAIN/NODATA answer carries (its SOA), if any. */
export function negativeTtl(message: WireMessage): number | undefined {
  const soa = message.authorities.map(toDnsRecord).find((r) => r?.type === 'SOA');
  return soa === undefined ? undefined : Math.min(soa.ttl, (soa.data as SoaData).minimum);
}

/** The error reworded with the names the search list tried (once). */
export function withTried(err: KindredError, name: string, what: string, tried: string[]): KindredError {
  if (err.details?.tried !== undefined) return err;
  const triedText = tried.length > 1 ? ` (tried ${tried.join(', ')})` : '';
  const message =
    err.code === DNS_ERRORS.DNS_NXDOMAIN
      ? `${name} does not exist${triedText}; check the name, the namespace and the search list in resolv.conf`
      : err.code === DNS_ERRORS.DNS_NODATA
        ? `${name} has no ${what} record${triedText}`
        : `${err.message}${triedText}`;
  return new KindredError(err.code, message, { cause: err, details: { ...err.details, query: name, tried } });
}

/** Any failure as a KindredError (BAD_RESPONSE for what was not one). */
export function asKindred(err: unknown): KindredError {
  if (err instanceof KindredError) return err;
  return new KindredError(
    DNS_ERRORS.DNS_BAD_RESPONSE,
    `DNS lookup failed: ${(err as Error)?.message ?? err}`,
    {
      cause: err,
    },
  );
}

/** A resolver option, resolv.conf line or query name that cannot be used. */
export function badConfig(message: string): KindredError {
  return new KindredError(DNS_ERRORS.DNS_BAD_CONFIG, message);
}
