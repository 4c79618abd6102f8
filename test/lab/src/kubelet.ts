import { LAB_DEFAULTS } from './defaults.js';

/** An entry of a pod's `spec.hostAliases`. */
export interface HostAlias {
  /** The address. */
  readonly ip: string;
  /** The names that resolve to it. */
  readonly hostnames: readonly string[];
}

/** What kubelet knows when it writes a pod's /etc/hosts. */
export interface KubeletHostsOptions {
  /** The pod's hostname: `spec.hostname`, or else the pod name cut to 63 characters. */
  readonly hostname: string;
  /** The pod's IPs (status.podIPs); one line per address. */
  readonly podIps: string | readonly string[];
  /** `spec.subdomain`: with it the FQDN line `<ip>\t<hostname>.<subdomain>.<ns>.svc.<domain>\t<hostname>` is written. */
  readonly subdomain?: string | undefined;
  /** The pod's Kubernetes namespace; default {@link LAB_DEFAULTS.namespace}. */
  readonly namespace?: string | undefined;
  /** The cluster domain; default {@link LAB_DEFAULTS.clusterDomain}. */
  readonly clusterDomain?: string | undefined;
  /** `spec.hostAliases`, appended after a `# Entries added by HostAliases.` header. */
  readonly hostAliases?: readonly HostAlias[] | undefined;
}

/**
 * The /etc/hosts kubelet writes for a pod (pkg/kubelet `managedHostsFileContent`), byte for byte: the managed
 * header, the localhost and ip6 lines, then one line per pod IP — `<ip>\t<fqdn>\t<hostname>` when the pod has a
 * subdomain (this is what makes `hostname -f` print the FQDN), `<ip>\t<hostname>` otherwise.
 *
 * @example
 * kubeletHostsFile({ hostname: 'web-5d9c-x2k4q', podIps: '10.244.1.5', subdomain: 'web-headless' })
 * // ...10.244.1.5\tweb-5d9c-x2k4q.web-headless.default.svc.cluster.local\tweb-5d9c-x2k4q\n
 */
export function kubeletHostsFile(options: KubeletHostsOptions): string {
  const namespace = options.namespace ?? LAB_DEFAULTS.namespace;
  const clusterDomain = options.clusterDomain ?? LAB_DEFAULTS.clusterDomain;
  const ips = typeof options.podIps === 'string' ? [options.podIps] : options.podIps;
  const hostname = options.hostname.slice(0, 63);
  let text =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  const domain = options.subdomain ? `${options.subdomain}.${namespace}.svc.${clusterDomain}` : '';
  for (const ip of ips) {
    text += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  }
  if (options.hostAliases && options.hostAliases.length > 0) {
    text += '\n# Entries added by HostAliases.\n';
    for (const alias of options.hostAliases) text += `${alias.ip}\t${alias.hostnames.join('\t')}\n`;
  }
  return text;
}

/** What kubelet uses to write a `dnsPolicy: ClusterFirst` pod's resolv.conf. */
export interface KubeletResolvConfOptions {
  /** The pod's Kubernetes namespace; default {@link LAB_DEFAULTS.namespace}. */
  readonly namespace?: string | undefined;
  /** The cluster domain; default {@link LAB_DEFAULTS.clusterDomain}. */
  readonly clusterDomain?: string | undefined;
  /** kubelet's `--cluster-dns`; default `[LAB_DEFAULTS.clusterDnsAddress]`. */
  readonly nameservers?: readonly string[] | undefined;
  /** The node's own search domains, which kubelet appends after the cluster ones; default none. */
  readonly hostSearches?: readonly string[] | undefined;
  /** Options; default `['ndots:5']`. */
  readonly options?: readonly string[] | undefined;
}

/**
 * The resolv.conf a `ClusterFirst` pod gets, in the order containerd's CRI writes it (what kind runs): `search
 * <ns>.svc.<domain> svc.<domain> <domain>`, one `nameserver` line per cluster DNS address, `options ndots:5`.
 */
export function kubeletResolvConf(options: KubeletResolvConfOptions = {}): string {
  const namespace = options.namespace ?? LAB_DEFAULTS.namespace;
  const domain = options.clusterDomain ?? LAB_DEFAULTS.clusterDomain;
  const searches = [`${namespace}.svc.${domain}`, `svc.${domain}`, domain, ...(options.hostSearches ?? [])];
  const nameservers = options.nameservers ?? [LAB_DEFAULTS.clusterDnsAddress];
  const opts = options.options ?? ['ndots:5'];
  let text = `search ${searches.join(' ')}\n`;
  for (const ns of nameservers) text += `nameserver ${ns}\n`;
  if (opts.length > 0) text += `options ${opts.join(' ')}\n`;
  return text;
}

/**
 * kubelet's expansion of an env value (`$(VAR)` dependent environment variables): `$(NAME)` becomes the value of a
 * variable defined earlier (`defined`), `$$` a literal `$`; a reference to an unknown variable stays as written.
 */
export function expandEnvValue(value: string, defined: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(defined, name) ? (defined[name] as string) : match;
  });
}
