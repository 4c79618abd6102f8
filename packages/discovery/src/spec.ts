import { KindredError, type Resolver } from '@kindred/dns';
import { DISCOVERY_ERRORS } from './errors.js';
import type { Peer } from './peer.js';
import { dnsA, dnsSrv, parseStaticPeer, type Strategy, staticPeers } from './strategies.js';

/** A parsed discovery spec. */
export type DiscoverySpec =
  | { readonly kind: 'dns-srv'; readonly query: string }
  | { readonly kind: 'dns-a'; readonly query: string }
  | { readonly kind: 'static'; readonly peers: readonly Peer[] };

/**
 * Parses the one-string form used by the CLI and environment (`KINDRED_DISCOVERY`):
 * `dns-srv:_discovery._tcp.web-headless`, `dns-a:web-headless`, `static:n1@h1:4370,n2@h2`.
 * Throws KINDRED_ERR_DISCOVERY_BAD_SPEC with the accepted forms.
 */
export function parseDiscoverySpec(spec: string, options: { port?: number } = {}): DiscoverySpec {
  const colon = spec.indexOf(':');
  const kind = colon === -1 ? spec : spec.slice(0, colon);
  const value = colon === -1 ? '' : spec.slice(colon + 1).trim();
  const forms = 'use dns-srv:<query>, dns-a:<query> or static:<name@host[:port]>[,...]';
  switch (kind) {
    case 'dns-srv':
    case 'dns-a':
      if (value === '' || /\s/.test(value))
        throw badSpec(`discovery spec "${spec}" has no DNS name after '${kind}:'; ${forms}`);
      return { kind, query: value };
    case 'static': {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (items.length === 0) throw badSpec(`discovery spec "${spec}" lists no peers; ${forms}`);
      return { kind, peers: items.map((s) => parseStaticPeer(s, options.port)) };
    }
    default:
      throw badSpec(`unknown discovery spec "${spec}"; ${forms}`);
  }
}

/** Builds the {@link Strategy} a spec describes. */
export function strategyFromSpec(
  spec: string | DiscoverySpec,
  options: { resolver?: Resolver; basename?: string; port?: number } = {},
): Strategy {
  const parsed = typeof spec === 'string' ? parseDiscoverySpec(spec, options) : spec;
  switch (parsed.kind) {
    case 'dns-srv':
      return dnsSrv(parsed.query, options);
    case 'dns-a':
      return dnsA(parsed.query, options);
    default:
      return staticPeers(parsed.peers, options);
  }
}

function badSpec(message: string): KindredError {
  return new KindredError(DISCOVERY_ERRORS.DISCOVERY_BAD_SPEC, message);
}
