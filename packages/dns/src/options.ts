import type { Logger } from '@kindred/interface';
import { badConfig } from './failures.js';
import { RESOLV_CONF_LIMITS } from './resolv-conf.js';

/** Options of {@link Resolver}. Everything not given comes from resolv.conf, then {@link DNS_DEFAULTS}. */
export interface ResolverOptions {
  /** resolv.conf to read (default /etc/resolv.conf); a missing file means glibc's defaults. */
  readonly resolvConfPath?: string;
  /** hosts file for {@link Resolver.lookupHost} and {@link Resolver.canonicalName} (default /etc/hosts). */
  readonly hostsPath?: string;
  /** Servers to ask instead of resolv.conf's: `{address, port}` or `'10.0.0.1'`, `'127.0.0.1:5353'`, `'[::1]:53'`. */
  readonly nameservers?: readonly (string | { readonly address: string; readonly port?: number })[];
  /** Search list instead of resolv.conf's. */
  readonly search?: readonly string[];
  /** ndots instead of resolv.conf's (0..15). */
  readonly ndots?: number;
  /** Per-server, per-try wait instead of resolv.conf's `timeout` (ms, > 0). */
  readonly timeoutMs?: number;
  /** Rounds over the server list instead of resolv.conf's `attempts` (>= 1). */
  readonly attempts?: number;
  /** Rotate the starting server between queries, instead of resolv.conf's `rotate`. */
  readonly rotate?: boolean;
  /** Longest CNAME chain followed (default {@link DNS_DEFAULTS.maxCnameChain}). */
  readonly maxCnameChain?: number;
  /** Parallel A/AAAA lookups for SRV targets missing from the Additional section. */
  readonly srvAddressConcurrency?: number;
  /** Overall deadline of one {@link Resolver.resolveSrv} call, ms (default {@link DNS_DEFAULTS.srvDeadlineMs}). */
  readonly srvDeadlineMs?: number;
  /** The local hostname: its domain is the search list when resolv.conf has none (default os.hostname()). */
  readonly hostname?: string;
  /** A logger (the `Logger` of @kindred/interface; pino fits); the resolver logs through a `{ component: 'dns' }` child. Silent when absent. */
  readonly logger?: Logger;
}

/** Checks the {@link ResolverOptions} a Resolver is built with; KINDRED_ERR_DNS_BAD_CONFIG names the option. */
export function validateOptions(o: ResolverOptions): ResolverOptions {
  const int = (key: keyof ResolverOptions, min: number, max: number) => {
    const v = o[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw badConfig(`Resolver option ${key} must be an integer from ${min} to ${max}, got ${String(v)}`);
    }
  };
  int('ndots', 0, RESOLV_CONF_LIMITS.maxNdots);
  int('timeoutMs', 1, 600_000);
  int('attempts', 1, 100);
  int('maxCnameChain', 0, 64);
  int('srvAddressConcurrency', 1, 1024);
  int('srvDeadlineMs', 1, 3_600_000);
  if (o.nameservers !== undefined && (!Array.isArray(o.nameservers) || o.nameservers.length === 0)) {
    throw badConfig('Resolver option nameservers must be a non-empty array');
  }
  if (o.search !== undefined && (!Array.isArray(o.search) || o.search.some((s) => typeof s !== 'string'))) {
    throw badConfig('Resolver option search must be an array of domain names');
  }
  for (const key of ['resolvConfPath', 'hostsPath', 'hostname'] as const) {
    if (o[key] !== undefined && (typeof o[key] !== 'string' || o[key] === '')) {
      throw badConfig(`Resolver option ${key} must be a non-empty string`);
    }
  }
  return o;
}

/** Checks a lookup's deadline option (`what` names it): an integer of milliseconds, 1 to an hour. */
export function checkDeadline(ms: unknown, what: string): void {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1 || ms > 3_600_000) {
    throw badConfig(`${what} must be an integer from 1 to 3600000 (ms), got ${String(ms)}`);
  }
}
