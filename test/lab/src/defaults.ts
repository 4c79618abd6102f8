/**
 * Every default of the lab in one place. The addresses follow kind's defaults (pods 10.244.0.0/16, services
 * 10.96.0.0/12, cluster DNS 10.96.0.10) so what a pod sees in the lab is what it would see in a kind cluster.
 */
export const LAB_DEFAULTS = Object.freeze({
  /** The pod network, attached to the lab's bridge. */
  podSubnet: '10.244.0.0/16',
  /** The bridge's own address inside the router namespace (the "node"), first host of {@link podSubnet}. */
  bridgeAddress: '10.244.0.1',
  /** The service network; pods route it onto the bridge so a service address held by a lab host is reachable. */
  serviceSubnet: '10.96.0.0/12',
  /** The cluster DNS service address (kube-dns), written as `nameserver` in every pod's resolv.conf. */
  clusterDnsAddress: '10.96.0.10',
  /** The cluster domain. */
  clusterDomain: 'cluster.local',
  /** The Kubernetes namespace pods live in. */
  namespace: 'default',
  /** How long {@link LabHost.exec} waits before killing the command (SIGKILL). */
  execTimeoutMs: 30_000,
  /** Length in hex characters of a random run id. */
  runIdHexChars: 6,
  /** Where `ip netns exec` takes per-namespace /etc files from (bind-mounted over /etc/<file>). */
  etcNetnsDir: '/etc/netns',
  /** Prefix of every network namespace, veth and bridge the lab creates (`kl-<id>-...`, `kv<id>n<i>`, `kb<id>`). */
  namePrefix: 'kl',
});
