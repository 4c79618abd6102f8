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
});
