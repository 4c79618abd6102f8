import { KindredError } from '@kindred/dns';
import { NODE_IDENTITY_ENV } from './defaults.js';
import { type NamingScheme, namingSchemeOf, podIpFromEnv } from './naming-scheme.js';
import { formatNodeName } from './node-name.js';
import { type OwnName, type ResolveOwnNameOptions, resolveOwnName } from './own-name.js';

/** The name one scheme gives this node, or why it gives none here. */
export type SchemeName =
  | { readonly ok: true; readonly node: string; readonly host: string; readonly detail: string }
  | { readonly ok: false; readonly error: KindredError };

/** The node's own name and the name each scheme would give it. */
export interface SchemeNames {
  /** The name the node uses ({@link resolveOwnName}). */
  readonly own: OwnName;
  /** The scheme `own` follows; `undefined` for short names (neither scheme). */
  readonly scheme: NamingScheme | undefined;
  /** `name@<pod FQDN>` (`hostname -f`): what libcluster's `Kubernetes.DNSSRV` dials. */
  readonly fqdn: SchemeName;
  /** `name@<POD_IP>`: what libcluster's `Kubernetes.DNS` and dns_cluster dial. */
  readonly 'pod-ip': SchemeName;
}

/** The variables that choose a host or a whole name: cleared to ask what `hostname -f` alone gives. */
const HOST_CHOOSING = [
  NODE_IDENTITY_ENV.nodeName,
  NODE_IDENTITY_ENV.host,
  NODE_IDENTITY_ENV.naming,
  NODE_IDENTITY_ENV.releaseNode,
] as const;

function failed(err: unknown): SchemeName {
  if (err instanceof KindredError) return { ok: false, error: err };
  throw err;
}

/**
 * The node's own name (as {@link resolveOwnName} finds it, with the same options) and the name each naming scheme
 * would give the same basename, so a user mixing kindred with Elixir sees which name libcluster will dial: the scheme
 * in use gives `own`; `fqdn` is found as `erl -name` finds its host, ignoring the variables that override it
 * (`KINDRED_NODE_NAME`, `KINDRED_HOST`, `KINDRED_NAMING`, `RELEASE_NODE`; `KINDRED_SUBDOMAIN` still composes it);
 * `pod-ip` is `POD_IP`. A scheme that gives no name here carries the error saying why (no FQDN, no `POD_IP`).
 *
 * @throws what {@link resolveOwnName} throws for the own name.
 * @example
 * // in a pod of deploy's pod-ip overlay (KINDRED_HOST=$(POD_IP)):
 * await resolveSchemeNames({ name: 'app' })
 * // { own: { node: 'app@10.244.1.5', source: 'kindred-host', ... }, scheme: 'pod-ip',
 * //   fqdn: { ok: true, node: 'app@web-0.web.default.svc.cluster.local', ... }, 'pod-ip': { ok: true, node: 'app@10.244.1.5', ... } }
 */
export async function resolveSchemeNames(options: ResolveOwnNameOptions = {}): Promise<SchemeNames> {
  const own = await resolveOwnName(options);
  const scheme = namingSchemeOf(own);
  const env = options.env ?? process.env;
  const asOwn: SchemeName = { ok: true, node: own.node, host: own.host, detail: own.detail };

  let fqdn: SchemeName = asOwn;
  if (scheme !== 'fqdn') {
    const bare: NodeJS.ProcessEnv = { ...env };
    for (const variable of HOST_CHOOSING) delete bare[variable];
    try {
      const { name: _name, sname: _sname, ...files } = options;
      const r = await resolveOwnName({ ...files, name: own.name, env: bare });
      fqdn = { ok: true, node: r.node, host: r.host, detail: r.detail };
    } catch (err) {
      fqdn = failed(err);
    }
  }
  let podIp: SchemeName = asOwn;
  if (scheme !== 'pod-ip') {
    try {
      const host = podIpFromEnv(env);
      podIp = {
        ok: true,
        node: formatNodeName({ name: own.name, host }),
        host,
        detail: `the pod's IP from ${NODE_IDENTITY_ENV.podIp}`,
      };
    } catch (err) {
      podIp = failed(err);
    }
  }
  return { own, scheme, fqdn, 'pod-ip': podIp };
}
