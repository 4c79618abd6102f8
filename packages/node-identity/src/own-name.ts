import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import {
  DNS_ERRORS,
  findHostsEntries,
  KindredError,
  Resolver,
  readHosts,
  readResolvConf,
  stripDot,
} from '@kindred/dns';
import type { Logger } from '@kindred/interface';
import { NODE_IDENTITY_DEFAULTS, NODE_IDENTITY_ENV } from './defaults.js';
import { NODE_IDENTITY_ERRORS } from './errors.js';
import { hostOverrideFromEnv, releaseNameFromEnv } from './naming-scheme.js';
import {
  formatNodeName,
  isValidNamePart,
  type NamingMode,
  type NodeName,
  namingModeOf,
  parseNodeName,
} from './node-name.js';

/**
 * Where the host part of the own name came from: `explicit` (`--name app@host`), `env` (`KINDRED_NODE_NAME`),
 * `release` (an Elixir release's whole `RELEASE_NODE`), `kindred-host` (`KINDRED_HOST`), `pod-ip` (`POD_IP`, under
 * `KINDRED_NAMING=pod-ip`), `kubernetes` (composed from `POD_NAME`, `POD_NAMESPACE`, `KINDRED_SUBDOMAIN` and the
 * cluster domain),
 * `resolv.conf` (the hostname up to its first dot plus resolv.conf's `domain` line), `hostname` (the OS hostname
 * itself: cut at the first dot for short names, or already dotted), `hosts` (the hostname's canonical name in
 * /etc/hosts), `dns` (the hostname's canonical name in DNS through the search list).
 */
export type HostSource =
  | 'explicit'
  | 'env'
  | 'release'
  | 'kindred-host'
  | 'pod-ip'
  | 'kubernetes'
  | 'resolv.conf'
  | 'hostname'
  | 'hosts'
  | 'dns';

/** The node's own name, with how it was found. */
export interface OwnName {
  /** `name@host`. */
  readonly node: string;
  /** The part before `@`. */
  readonly name: string;
  /** The part after `@`. */
  readonly host: string;
  /** The naming mode the node runs in. */
  readonly mode: NamingMode;
  /** Where the host came from. */
  readonly source: HostSource;
  /** One sentence for people on how the host was found (which file, which variable). */
  readonly detail: string;
}

/** The DNS step of `hostname -f`: `Resolver` from `@kindred/dns` fits; tests may pass any implementation. */
export interface CanonicalNameResolver {
  /** The canonical (fully qualified) name of `hostname`, looked up through the resolv.conf search list. */
  canonicalName(hostname: string): Promise<{ fqdn: string; source: 'hosts' | 'dns' }>;
}

/** Options of {@link resolveOwnName}. Give `name` or `sname`, or neither when `KINDRED_NODE_NAME` is set. */
export interface ResolveOwnNameOptions {
  /** `--name`: a base name (`app`, long names, host = `hostname -f`) or a whole name (`app@host`, taken as given). */
  readonly name?: string;
  /** `--sname`: a base name (`app`, host = the hostname up to its first dot) or a whole name without a dotted host. */
  readonly sname?: string;
  /** Environment with the overrides (`KINDRED_NODE_NAME`, `POD_NAME`, ...); defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The OS hostname; defaults to `os.hostname()` (gethostname(2), what `hostname` prints). */
  readonly hostname?: string;
  /** The hosts file; defaults to {@link NODE_IDENTITY_DEFAULTS.hostsPath}. */
  readonly hostsPath?: string;
  /** The resolver configuration (search list, cluster domain); defaults to {@link NODE_IDENTITY_DEFAULTS.resolvConfPath}. */
  readonly resolvConfPath?: string;
  /**
   * The DNS step, tried when the hosts file does not name the hostname; defaults to a `Resolver` from `@kindred/dns`
   * reading `resolvConfPath` (its search list, ndots and servers) and `hostsPath`.
   */
  readonly resolver?: CanonicalNameResolver;
  /** This machine's addresses, for `KINDRED_HOST=ip`; defaults to the non-internal ones of os.networkInterfaces(). */
  readonly localAddresses?: readonly string[];
  /** A logger (the `Logger` of @kindred/interface; pino fits); a child `{ component: 'node-identity' }` logs each step at debug. Silent when absent. */
  readonly logger?: Logger;
}

/**
 * Finds the node's own name the way `erl -name` / `erl -sname` does, with kindred's container overrides, in this
 * order:
 *
 * 1. `name`/`sname` given as a whole `app@host`: taken as given after validation (`explicit`). As in Erlang, a long
 *    name's host is not checked for a dot; a short name's host must have none ("Can't set short node name!").
 * 2. `KINDRED_NODE_NAME`: the whole name (`env`).
 *    The base name is then `name`/`sname`; without either, an Elixir release's: `RELEASE_NODE` (a whole `app@host` is
 *    taken as given, `release`; a basename is used as one) or `RELEASE_NAME`, short names when
 *    `RELEASE_DISTRIBUTION=sname`.
 * 3. The host an environment variable sets: `KINDRED_HOST` as given (`kindred-host`), else with
 *    `KINDRED_NAMING=pod-ip` the pod's IP from `POD_IP` (`pod-ip`).
 * 4. Long names with `KINDRED_SUBDOMAIN` set: `<name>@<POD_NAME>.<subdomain>.<POD_NAMESPACE>.svc.<cluster domain>`,
 *    the cluster domain read from resolv.conf's search list (the entry after `<namespace>.svc.`), or from
 *    `KINDRED_CLUSTER_DOMAIN` (`kubernetes`).
 * 5. Long names, as `erl -name` finds its host (OTP 25's inet_config, checked with `erl`): a `domain` line in
 *    resolv.conf gives `<hostname up to its first dot>.<domain>` (`resolv.conf`); else a dotted hostname is taken
 *    as is (`hostname`); else what `hostname -f` prints: the hostname's canonical name in /etc/hosts (`hosts`),
 *    else in DNS through the search list (`dns`). In a pod (no `domain` line, a short hostname, kubelet's hosts
 *    file) this is exactly `hostname -f`; it differs from `hostname -f` only where erl does.
 * 6. Short names: the hostname up to its first dot (`hostname`).
 *
 * @throws KindredError `KINDRED_ERR_OWN_NAME_OPTIONS` (both or neither of name/sname), `KINDRED_ERR_NODE_NAME_*`,
 *   `KINDRED_ERR_ILLEGAL_OWN_NAME` ("Can't set short node name!" / "Can't set long node name!"),
 *   `KINDRED_ERR_KUBERNETES_ENV`, `KINDRED_ERR_CLUSTER_DOMAIN_UNKNOWN`, `KINDRED_ERR_DNS_BAD_CONFIG`,
 *   `KINDRED_ERR_NAMING_SCHEME`, `KINDRED_ERR_POD_IP`.
 * @example
 * // in a pod with subdomain web: kubelet's /etc/hosts names the pod web-0.web.default.svc.cluster.local
 * await resolveOwnName({ name: 'app' })
 * // { node: 'app@web-0.web.default.svc.cluster.local', name: 'app', host: 'web-0.web.default.svc.cluster.local',
 * //   mode: 'longnames', source: 'hosts', detail: 'canonical name of "web-0" in /etc/hosts' }
 */
export async function resolveOwnName(options: ResolveOwnNameOptions = {}): Promise<OwnName> {
  const log = options.logger?.child({ component: 'node-identity' });
  const env = options.env ?? process.env;
  if (options.name !== undefined && options.sname !== undefined) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.OWN_NAME_OPTIONS,
      'give either a long name (--name) or a short name (--sname), not both',
    );
  }
  let flagMode: NamingMode | undefined =
    options.sname !== undefined ? 'shortnames' : options.name !== undefined ? 'longnames' : undefined;
  let base = options.sname ?? options.name;

  if (base?.includes('@')) {
    const at = base.indexOf('@');
    // Erlang treats `-name app@` as `-name app`: an empty host means "find it".
    if (at === base.length - 1) {
      base = base.slice(0, at);
    } else {
      const node = parseNodeName(base);
      return finish(node, flagMode ?? 'longnames', 'explicit', `given as ${base}`, log);
    }
  }

  const fromEnv = env[NODE_IDENTITY_ENV.nodeName];
  if (fromEnv !== undefined && fromEnv !== '') {
    const node = parseFromVariable(fromEnv, NODE_IDENTITY_ENV.nodeName);
    return finish(node, flagMode ?? namingModeOf(node), 'env', `from ${NODE_IDENTITY_ENV.nodeName}`, log);
  }

  if (base === undefined) {
    const release = releaseNameFromEnv(env);
    if (release?.node !== undefined) {
      const node = parseFromVariable(release.node, release.variable);
      return finish(node, release.mode, 'release', `from ${release.variable}`, log);
    }
    if (release?.base !== undefined) {
      base = release.base;
      flagMode = release.mode;
    }
  }
  if (base === undefined || flagMode === undefined) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.OWN_NAME_OPTIONS,
      `no node name: give --name BASE (long names) or --sname BASE (short names), or set ${NODE_IDENTITY_ENV.nodeName}`,
    );
  }
  checkBase(base);

  const override = hostOverrideFromEnv(env, options.localAddresses);
  if (override !== undefined) {
    return finish({ name: base, host: override.host }, flagMode, override.source, override.detail, log);
  }

  const hostname = options.hostname ?? osHostname();
  if (flagMode === 'shortnames') {
    const short = hostname.split('.')[0] ?? '';
    return finish(
      { name: base, host: short },
      'shortnames',
      'hostname',
      `the hostname ${JSON.stringify(hostname)} up to its first dot`,
      log,
    );
  }

  if (env[NODE_IDENTITY_ENV.subdomain] !== undefined && env[NODE_IDENTITY_ENV.subdomain] !== '') {
    const { host, detail } = await kubernetesHost(env, options.resolvConfPath);
    return finish({ name: base, host }, 'longnames', 'kubernetes', detail, log);
  }

  const found = await fullyQualifiedHostname(hostname, options, log);
  return finish({ name: base, host: found.fqdn }, 'longnames', found.source, found.detail, log);
}

/** Parses a whole name from an environment variable; the message says where the bad name came from. */
function parseFromVariable(text: string, variable: string): NodeName {
  try {
    return parseNodeName(text);
  } catch (err) {
    // Same code, but no flag of the caller's is wrong: the message names the variable.
    if (!(err instanceof KindredError)) throw err;
    throw new KindredError(err.code, `${variable}: ${err.message}`, {
      cause: err,
      details: { ...err.details, variable },
    });
  }
}

function checkBase(base: string): void {
  if (!isValidNamePart(base)) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.NODE_NAME_INVALID_NAME,
      `Invalid node name! ${JSON.stringify(base)} must be letters, digits, '_' or '-' (at least one)`,
      { details: { name: base } },
    );
  }
}

function finish(
  node: NodeName,
  mode: NamingMode,
  source: HostSource,
  detail: string,
  log: Logger | undefined,
): OwnName {
  if (mode === 'shortnames' && node.host.includes('.')) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.ILLEGAL_OWN_NAME,
      `Can't set short node name! The host ${JSON.stringify(node.host)} (${detail}) has a dot; ` +
        'use --name for long names or give a host without a dot',
      { details: { host: node.host, mode, source } },
    );
  }
  const text = formatNodeName(node);
  log?.debug({ own: { node: text, source } }, 'own node name');
  return { node: text, name: node.name, host: node.host, mode, source, detail };
}

/**
 * The host part `erl -name` picks (OTP 25, Linux; inet_config.erl, each case checked with a real `erl` in a lab
 * namespace):
 * - resolv.conf's last `domain` line wins over everything: hostname `web` or `web.a.example` with
 *   `domain corp.example` gives `web.corp.example`, even when /etc/hosts names `web.b.example` (a trailing dot on the
 *   domain is kept, as erl keeps it). `search` lines play no part.
 * - else a dotted hostname is the host as is (`web.a.example`, whatever /etc/hosts says; `hostname -f` would print
 *   /etc/hosts' canonical name instead);
 * - else the hostname's canonical name from getaddrinfo, NSS `files dns`, as `hostname -f`: the first /etc/hosts
 *   line naming it (used as is, so `other.b.example` for a line `other.b.example web`), else DNS through the search
 *   list. A canonical name without a dot is "Can't set long node name!": glibc stops at the first source that knows
 *   the name, so a hosts line `127.0.1.1 web` never reaches DNS.
 */
async function fullyQualifiedHostname(
  hostname: string,
  options: ResolveOwnNameOptions,
  log: Logger | undefined,
): Promise<{ fqdn: string; source: HostSource; detail: string }> {
  const resolvConfPath = options.resolvConfPath ?? NODE_IDENTITY_DEFAULTS.resolvConfPath;
  const domain = await resolvConfDomain(resolvConfPath);
  if (domain !== undefined) {
    const short = hostname.split('.')[0] ?? '';
    return {
      fqdn: `${short}.${domain}`,
      source: 'resolv.conf',
      detail: `the hostname ${JSON.stringify(short)} and the domain line of ${resolvConfPath}`,
    };
  }
  if (hostname.includes('.')) {
    return { fqdn: hostname, source: 'hostname', detail: 'the hostname, already fully qualified' };
  }
  const hostsPath = options.hostsPath ?? NODE_IDENTITY_DEFAULTS.hostsPath;
  const entry = findHostsEntries(await readHosts(hostsPath), hostname)[0];
  if (entry !== undefined) {
    const fqdn = stripDot(entry.canonical);
    if (!fqdn.includes('.'))
      throw noFqdn(hostname, `${hostsPath} names it ${JSON.stringify(fqdn)}, without a dot`);
    return { fqdn, source: 'hosts', detail: `canonical name of ${JSON.stringify(hostname)} in ${hostsPath}` };
  }
  let dnsFailure: string;
  const resolver =
    options.resolver ??
    // The resolver makes its own `component: 'dns'` child: hand it the caller's logger, not ours, so its lines
    // carry one component.
    new Resolver({
      hostsPath,
      resolvConfPath,
      hostname,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  try {
    const answer = await resolver.canonicalName(hostname);
    const fqdn = stripDot(answer.fqdn);
    if (fqdn.includes('.')) {
      return {
        fqdn,
        source: answer.source,
        detail: `canonical name of ${JSON.stringify(hostname)} in ${answer.source === 'dns' ? 'DNS' : hostsPath}`,
      };
    }
    dnsFailure = `DNS names it ${JSON.stringify(fqdn)}, without a dot`;
  } catch (err) {
    dnsFailure = `DNS: ${(err as Error).message}`;
    log?.debug({ err, hostname }, 'DNS step of hostname -f failed');
  }
  throw noFqdn(hostname, `it is not in ${hostsPath}; ${dnsFailure}`);
}

/**
 * The argument of resolv.conf's last `domain` line (what Erlang's inet_parse takes as the domain), or `undefined`.
 * `#` starts a comment; a missing file has none. Kept verbatim, a trailing dot included, as erl keeps it.
 */
export async function resolvConfDomain(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KindredError(
      DNS_ERRORS.DNS_BAD_CONFIG,
      `cannot read resolver configuration ${path}: ${(err as Error).message}; check the file's permissions`,
      { cause: err, details: { path } },
    );
  }
  let domain: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const hash = raw.indexOf('#');
    const words = (hash === -1 ? raw : raw.slice(0, hash)).trim().split(/[ \t]+/);
    if (words[0] === 'domain' && words[1] !== undefined && words[1] !== '') domain = words[1];
  }
  return domain;
}

function noFqdn(hostname: string, why: string): KindredError {
  return new KindredError(
    NODE_IDENTITY_ERRORS.ILLEGAL_OWN_NAME,
    `Can't set long node name! No fully qualified name for hostname ${JSON.stringify(hostname)} (${why}). ` +
      `Add "<address> <fqdn> ${hostname}" to /etc/hosts, set ${NODE_IDENTITY_ENV.nodeName}=name@fqdn, ` +
      'or use short names (--sname)',
    { details: { hostname } },
  );
}

/**
 * The cluster domain from a resolv.conf search list as kubelet writes it (`<ns>.svc.<domain> svc.<domain> <domain>`):
 * the rest of the first entry that starts with `<namespace>.svc.`, or `undefined`.
 *
 * @example
 * clusterDomainFromSearch(['default.svc.corp.example', 'svc.corp.example', 'corp.example'], 'default') // 'corp.example'
 */
export function clusterDomainFromSearch(search: readonly string[], namespace: string): string | undefined {
  const prefix = `${namespace}.svc.`.toLowerCase();
  for (const entry of search) {
    if (entry.toLowerCase().startsWith(prefix) && entry.length > prefix.length)
      return entry.slice(prefix.length);
  }
  return undefined;
}

async function kubernetesHost(
  env: NodeJS.ProcessEnv,
  resolvConfPath: string | undefined,
): Promise<{ host: string; detail: string }> {
  const subdomain = env[NODE_IDENTITY_ENV.subdomain] ?? '';
  const pod = env[NODE_IDENTITY_ENV.podName] ?? '';
  const namespace = env[NODE_IDENTITY_ENV.podNamespace] ?? '';
  const missing = [
    pod === '' ? NODE_IDENTITY_ENV.podName : undefined,
    namespace === '' ? NODE_IDENTITY_ENV.podNamespace : undefined,
  ].filter((v) => v !== undefined);
  if (missing.length > 0) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.KUBERNETES_ENV,
      `${NODE_IDENTITY_ENV.subdomain} is set but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not; ` +
        'set them from the downward API (fieldRef metadata.name / metadata.namespace)',
      { details: { missing } },
    );
  }
  for (const [variable, label] of [
    [pod, NODE_IDENTITY_ENV.podName],
    [subdomain, NODE_IDENTITY_ENV.subdomain],
    [namespace, NODE_IDENTITY_ENV.podNamespace],
  ] as const) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(variable) || variable.length > 63) {
      throw new KindredError(
        NODE_IDENTITY_ERRORS.KUBERNETES_ENV,
        `${label}=${JSON.stringify(variable)} is not a DNS label (lower-case letters, digits and '-', at most 63)`,
        { details: { variable: label } },
      );
    }
  }
  const path = resolvConfPath ?? NODE_IDENTITY_DEFAULTS.resolvConfPath;
  let domain = env[NODE_IDENTITY_ENV.clusterDomain];
  let from: string = NODE_IDENTITY_ENV.clusterDomain;
  if (domain === undefined || domain === '') {
    const conf = await readResolvConf(path);
    domain = clusterDomainFromSearch(conf.search, namespace);
    from = `the search list of ${path}`;
    if (domain === undefined) {
      throw new KindredError(
        NODE_IDENTITY_ERRORS.CLUSTER_DOMAIN_UNKNOWN,
        `cannot tell the cluster domain: ${path} has no search entry "${namespace}.svc.<domain>" ` +
          `(search: ${conf.search.join(' ') || 'none'}); set ${NODE_IDENTITY_ENV.clusterDomain}`,
        { details: { path, search: conf.search, namespace } },
      );
    }
  }
  domain = stripDot(domain);
  return {
    host: `${pod}.${subdomain}.${namespace}.svc.${domain}`,
    detail: `${NODE_IDENTITY_ENV.podName}.${NODE_IDENTITY_ENV.subdomain}.${NODE_IDENTITY_ENV.podNamespace}.svc.<cluster domain>, the cluster domain from ${from}`,
  };
}
