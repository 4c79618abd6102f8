/**
 * Every default of `@kindred/node-identity`, in one frozen object. Paths are injectable per call; these are what a
 * call uses when it is given none.
 */
export const NODE_IDENTITY_DEFAULTS = Object.freeze({
  /** Where glibc (and so `hostname -f`) reads host names. */
  hostsPath: '/etc/hosts',
  /** Where glibc reads the DNS search list; also where the Kubernetes cluster domain is read from. */
  resolvConfPath: '/etc/resolv.conf',
  /** The cookie file, relative to the home directory (Erlang's is `.erlang.cookie`). */
  cookieFileName: '.kindred.cookie',
  /** Length of a created cookie, as Erlang's auth.erl makes it (20 random upper-case letters). */
  cookieLength: 20,
  /** Mode of a created cookie file: read-only for the owner, as auth.erl leaves it. */
  cookieFileMode: 0o400,
  /** A node name is an atom in Erlang: at most 255 characters. */
  maxNodeNameLength: 255,
  /**
   * The naming scheme when `KINDRED_NAMING` is unset: `fqdn` (`name@<hostname -f>`, the seed's, libcluster's
   * `Kubernetes.DNSSRV`). The other is `pod-ip` (`name@<POD_IP>`, libcluster's `Kubernetes.DNS`, dns_cluster).
   */
  naming: 'fqdn' as const,
});

/** Environment variables read by {@link NODE_IDENTITY_DEFAULTS}'s users, by role. */
export const NODE_IDENTITY_ENV = Object.freeze({
  /** The whole node name, `name@host`; wins over everything but an explicit `name@host` option. */
  nodeName: 'KINDRED_NODE_NAME',
  /** The cookie, when no `cookie` option is given. */
  cookie: 'KINDRED_COOKIE',
  /** Kubernetes composition: the pod's name (downward API `metadata.name`). */
  podName: 'POD_NAME',
  /** Kubernetes composition: the pod's namespace (downward API `metadata.namespace`). */
  podNamespace: 'POD_NAMESPACE',
  /** Kubernetes composition: the pod's `subdomain`, the headless Service's name. Setting it turns composition on. */
  subdomain: 'KINDRED_SUBDOMAIN',
  /** Kubernetes composition: the cluster domain, when resolv.conf's search list does not tell it. */
  clusterDomain: 'KINDRED_CLUSTER_DOMAIN',
  /** The host part, as given (`$(POD_IP)` in deploy's pod-ip overlay); `ip`: this machine's first non-internal IPv4. */
  host: 'KINDRED_HOST',
  /** The naming scheme: `fqdn` (the default) or `pod-ip` (the host is `POD_IP`). */
  naming: 'KINDRED_NAMING',
  /** The pod's IP (downward API `status.podIP`): the host under the `pod-ip` scheme. */
  podIp: 'POD_IP',
  /** An Elixir release's node name (`app@host`, or a basename): the name when no other is given. */
  releaseNode: 'RELEASE_NODE',
  /** An Elixir release's name: the basename when neither a name option nor `RELEASE_NODE` gives one. */
  releaseName: 'RELEASE_NAME',
  /** An Elixir release's distribution, `name` (long names, the default) or `sname` (short names). */
  releaseDistribution: 'RELEASE_DISTRIBUTION',
});
