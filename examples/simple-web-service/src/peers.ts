import { KindredError, type Resolver } from '@kindred/dns';
import { parseNodeName } from '@kindred/node-identity';

/** A peer to connect to: its node name and where to dial it. */
export interface PeerTarget {
  readonly node: string;
  readonly port: number;
  /** An address to dial instead of resolving the node's host. */
  readonly address?: string;
}

/** Where the app's peers come from: asked once per poll. */
export interface PeerSource {
  /** `dns-srv`, `dns-a` or `static`. */
  readonly kind: string;
  list(): Promise<PeerTarget[]>;
}

/**
 * Builds the peer source for a KINDRED_DISCOVERY spec:
 * - `dns-srv:QUERY`: the seed's k8s_reverse_lookup, each SRV target `T` port `P` becomes `<name>@T` dialled on P;
 * - `dns-a:QUERY`: each address `A` becomes `<name>@A` dialled on `port` (libcluster's Kubernetes.DNS naming);
 * - `static:NODE@HOST:PORT,...`: the listed nodes (`:PORT` optional, default `port`).
 * Throws KINDRED_ERR_APP_CONFIG for a malformed spec.
 */
export function peerSource(spec: string, name: string, port: number, resolver: Resolver): PeerSource {
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  if (kind === 'dns-srv') {
    return {
      kind,
      async list() {
        const { targets } = await resolver.resolveSrv(rest);
        return targets.map((t) =>
          t.addresses[0] === undefined
            ? { node: `${name}@${t.target}`, port: t.port }
            : { node: `${name}@${t.target}`, port: t.port, address: t.addresses[0] },
        );
      },
    };
  }
  if (kind === 'dns-a') {
    return {
      kind,
      async list() {
        const res = await resolver.resolve(rest, 'A');
        return res.answers.flatMap((r) =>
          r.type === 'A' ? [{ node: `${name}@${r.data}`, port, address: r.data }] : [],
        );
      },
    };
  }
  if (kind === 'static') {
    const peers = rest
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((item) => {
        const m = /^(.+@.+?)(?::(\d+))?$/.exec(item);
        const node = m?.[1];
        const p = m?.[2] === undefined ? port : Number(m[2]);
        try {
          if (node === undefined) throw new Error('no node name');
          parseNodeName(node);
        } catch (err) {
          throw new KindredError(
            'KINDRED_ERR_APP_CONFIG',
            `KINDRED_DISCOVERY: '${item}' is not NODE@HOST[:PORT] (${(err as Error).message})`,
            { details: { variable: 'KINDRED_DISCOVERY', value: spec } },
          );
        }
        if (!Number.isInteger(p) || p < 1 || p > 65_535) {
          throw new KindredError('KINDRED_ERR_APP_CONFIG', `KINDRED_DISCOVERY: bad port in '${item}'`, {
            details: { variable: 'KINDRED_DISCOVERY', value: spec },
          });
        }
        return { node, port: p };
      });
    return { kind, list: async () => peers };
  }
  throw new KindredError(
    'KINDRED_ERR_APP_CONFIG',
    `KINDRED_DISCOVERY must be dns-srv:QUERY, dns-a:QUERY or static:NODE@HOST:PORT,... (got '${spec}')`,
    { details: { variable: 'KINDRED_DISCOVERY', value: spec } },
  );
}
