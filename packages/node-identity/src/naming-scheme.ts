import { networkInterfaces } from 'node:os';
import { KindredError } from '@kindred/dns';
import { NODE_IDENTITY_DEFAULTS, NODE_IDENTITY_ENV } from './defaults.js';
import { NODE_IDENTITY_ERRORS } from './errors.js';
import { isIpLiteral, isValidHostPart, type NamingMode } from './node-name.js';

/**
 * How the host part of a long node name is chosen in Kubernetes, after the two ways BEAM clusters name pods:
 * `fqdn` is `name@<pod FQDN>` (`hostname -f`; the seed's, libcluster's `Kubernetes.DNSSRV`, whose SRV targets are
 * pod FQDNs under CoreDNS's `endpoint_pod_names`); `pod-ip` is `name@<pod IP>` (`POD_IP` from the downward API;
 * libcluster's `Kubernetes.DNS` and Phoenix's `dns_cluster`, which read A records). A cluster must use one: Erlang
 * dials the exact name, so a peer named by IP is not the node a discovery of FQDNs dials.
 */
export type NamingScheme = 'fqdn' | 'pod-ip';

/** The schemes, in the order they are documented and printed. */
export const NAMING_SCHEMES: readonly NamingScheme[] = Object.freeze(['fqdn', 'pod-ip']);

/**
 * The scheme `KINDRED_NAMING` asks for: unset or empty is {@link NODE_IDENTITY_DEFAULTS.naming} (`fqdn`).
 *
 * @throws KindredError `KINDRED_ERR_NAMING_SCHEME` for any other value.
 */
export function namingSchemeFromEnv(env: NodeJS.ProcessEnv = process.env): NamingScheme {
  const raw = env[NODE_IDENTITY_ENV.naming];
  if (raw === undefined || raw === '') return NODE_IDENTITY_DEFAULTS.naming;
  if ((NAMING_SCHEMES as readonly string[]).includes(raw)) return raw as NamingScheme;
  throw new KindredError(
    NODE_IDENTITY_ERRORS.NAMING_SCHEME,
    `${NODE_IDENTITY_ENV.naming} must be fqdn (name@<hostname -f>, for SRV discovery) or pod-ip ` +
      `(name@<POD_IP>, for A-record discovery), got ${JSON.stringify(raw)}`,
    { details: { variable: NODE_IDENTITY_ENV.naming, value: raw } },
  );
}

/**
 * The pod's IP from `POD_IP` (the downward API's `status.podIP`), the host of the `pod-ip` scheme.
 *
 * @throws KindredError `KINDRED_ERR_POD_IP` when it is unset or not an IP literal; the message says how to set it.
 */
export function podIpFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env[NODE_IDENTITY_ENV.podIp];
  if (raw === undefined || raw === '' || !isIpLiteral(raw)) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.POD_IP,
      `the pod-ip naming scheme needs ${NODE_IDENTITY_ENV.podIp}, the pod's IP address, ` +
        `${raw === undefined || raw === '' ? 'which is not set' : `not ${JSON.stringify(raw)}`}: add it from the ` +
        'downward API (env: - name: POD_IP, valueFrom: fieldRef: fieldPath: status.podIP)',
      { details: { variable: NODE_IDENTITY_ENV.podIp, ...(raw === undefined ? {} : { value: raw }) } },
    );
  }
  return raw;
}

/**
 * The scheme a resolved name follows: `pod-ip` when its host is an IP literal, `fqdn` for any other long name,
 * `undefined` for a short name (neither: libcluster's Kubernetes strategies and dns_cluster need long names).
 */
export function namingSchemeOf(own: {
  readonly host: string;
  readonly mode: NamingMode;
}): NamingScheme | undefined {
  if (own.mode === 'shortnames') return undefined;
  return isIpLiteral(own.host) ? 'pod-ip' : 'fqdn';
}

/** A host that an environment variable chose, with how, for `OwnName.source` and `detail`. */
export interface HostOverride {
  readonly host: string;
  readonly source: 'kindred-host' | 'pod-ip';
  readonly detail: string;
}

/** This machine's first non-internal IPv4 address (a container's own address). */
function firstIpv4(addresses: readonly string[] | undefined): string | undefined {
  if (addresses !== undefined) return addresses.find((a) => isIpLiteral(a) && !a.includes(':'));
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/**
 * The host an environment variable sets, or `undefined` when none does: `KINDRED_HOST` first (as given, as deploy's
 * pod-ip overlay sets it to `$(POD_IP)`; `ip` is this machine's first non-internal IPv4, as the example app takes
 * it in Docker Compose), then `KINDRED_NAMING=pod-ip` (`POD_IP`).
 *
 * @param localAddresses - this machine's addresses for `KINDRED_HOST=ip` (default: os.networkInterfaces())
 * @throws KindredError `KINDRED_ERR_NODE_NAME_INVALID_HOST` (a bad `KINDRED_HOST`), `KINDRED_ERR_POD_IP`,
 *   `KINDRED_ERR_NAMING_SCHEME`.
 */
export function hostOverrideFromEnv(
  env: NodeJS.ProcessEnv,
  localAddresses?: readonly string[],
): HostOverride | undefined {
  const variable = NODE_IDENTITY_ENV.host;
  const given = env[variable];
  if (given !== undefined && given !== '') {
    if (given === 'ip') {
      const address = firstIpv4(localAddresses);
      if (address === undefined) {
        throw new KindredError(
          NODE_IDENTITY_ERRORS.POD_IP,
          `${variable}=ip but this machine has no non-internal IPv4 address; set ${variable} to the address`,
          { details: { variable, value: given } },
        );
      }
      return {
        host: address,
        source: 'kindred-host',
        detail: `${variable}=ip: this machine's first IPv4 address`,
      };
    }
    if (!isValidHostPart(given)) {
      throw new KindredError(
        NODE_IDENTITY_ERRORS.NODE_NAME_INVALID_HOST,
        `${variable}=${JSON.stringify(given)} is not a host part (bytes 0x21-0xFF without '@'); ` +
          `in Kubernetes set it to $(POD_IP) with POD_IP from the downward API, or use ${NODE_IDENTITY_ENV.naming}=pod-ip`,
        { details: { variable, value: given } },
      );
    }
    return { host: given, source: 'kindred-host', detail: `from ${variable}` };
  }
  if (namingSchemeFromEnv(env) === 'pod-ip') {
    return {
      host: podIpFromEnv(env),
      source: 'pod-ip',
      detail: `${NODE_IDENTITY_ENV.naming}=pod-ip: the pod's IP from ${NODE_IDENTITY_ENV.podIp}`,
    };
  }
  return undefined;
}

/** The base name and mode an Elixir release's variables give, when no name option does. */
export interface ReleaseName {
  /** `RELEASE_NODE`'s whole `app@host`, when it has one (taken as given, like `KINDRED_NODE_NAME`). */
  readonly node?: string;
  /** The basename: `RELEASE_NODE` without `@`, else `RELEASE_NAME`. */
  readonly base?: string;
  readonly mode: NamingMode;
  /** Which variable gave it, for `detail`. */
  readonly variable: string;
}

/**
 * The name an Elixir release running in this environment would take (`rel/env.sh.eex`'s `RELEASE_NODE`, else the
 * release's `RELEASE_NAME`; short names when `RELEASE_DISTRIBUTION=sname`), so a kindred pod given the same
 * variables as an Elixir Deployment takes the same basename. `undefined` when neither is set.
 */
export function releaseNameFromEnv(env: NodeJS.ProcessEnv): ReleaseName | undefined {
  const mode: NamingMode =
    env[NODE_IDENTITY_ENV.releaseDistribution] === 'sname' ? 'shortnames' : 'longnames';
  const node = env[NODE_IDENTITY_ENV.releaseNode];
  if (node !== undefined && node !== '') {
    const variable = NODE_IDENTITY_ENV.releaseNode;
    // Elixir's release script treats `app@` like `app`: the host is found.
    if (node.includes('@') && !node.endsWith('@')) return { node, mode, variable };
    return { base: node.replace(/@$/, ''), mode, variable };
  }
  const name = env[NODE_IDENTITY_ENV.releaseName];
  if (name !== undefined && name !== '') return { base: name, mode, variable: NODE_IDENTITY_ENV.releaseName };
  return undefined;
}
