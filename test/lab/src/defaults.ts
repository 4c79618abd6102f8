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
  /** The Deployment the lab runs; pods are named `<deployment>-<pod-template-hash>-<5 chars>`. */
  deployment: 'simple-web-service',
  /** The headless Service (and every pod's `subdomain`), as in deploy/k8s. */
  service: 'simple-web-service-headless',
  /** Replicas `up` starts. */
  replicas: 3,
  /** The Service port named `discovery` (TCP), the SRV record's port. */
  discoveryPort: 8585,
  /** The container port named `http` (the app's PORT), probed for readiness. */
  httpPort: 8080,
  /** Readiness probe path, as in deploy/k8s. */
  readinessPath: '/readyz',
  /** Readiness probe period. deploy/k8s says 5 s; the lab probes every second so scenarios run faster. */
  probePeriodMs: 1000,
  /** Readiness probe timeout (Kubernetes' timeoutSeconds default, 1 s). */
  probeTimeoutMs: 1000,
  /** Consecutive failed probes before a ready pod turns not ready (Kubernetes' failureThreshold default). */
  probeFailureThreshold: 3,
  /** SIGTERM to SIGKILL when a pod is removed (terminationGracePeriodSeconds, 30 s in deploy/k8s). */
  terminationGracePeriodMs: 30_000,
  /** First delay before restarting a crashed container; doubles up to {@link restartBackoffMaxMs} (kubelet). */
  restartBackoffMs: 1000,
  /** Longest delay between container restarts. */
  restartBackoffMaxMs: 30_000,
  /** `publishNotReadyAddresses` of the headless Service; deploy/k8s sets it (see the comment there). */
  publishNotReadyAddresses: true,
  /** CoreDNS's `endpoint_pod_names`: off, like kind's and kubeadm's Corefile. */
  endpointPodNames: false,
  /** CoreDNS `ttl` as kubeadm/kind configure it. */
  dnsTtlSeconds: 30,
  /** The DNS pod's own pod-network address; it also holds {@link clusterDnsAddress}. */
  dnsPodAddress: '10.244.0.2',
  /** Pods get addresses from here upwards (a kind worker's podCIDR is 10.244.1.0/24). */
  firstPodAddress: '10.244.1.2',
  /** The cookie base name `KINDRED_NAME`. */
  nodeBaseName: 'app',
  /** `pnpm lab up`: how long to wait for the daemon to answer, and then (`--wait-ms`) for every pod to be ready. */
  upTimeoutMs: 60_000,
  /** `pnpm lab down`: how long the daemon gets to stop everything before it is killed. */
  downTimeoutMs: 30_000,
  /** How long the CLI waits for the daemon's answer to one command (scale and kill wait for pods). */
  controlTimeoutMs: 120_000,
  /** {@link Lab.http}: timeout of one GET into a pod. */
  httpTimeoutMs: 2_000,
  /** {@link Lab.waitFor}: default timeout. */
  waitTimeoutMs: 30_000,
  /** Where the lab CLI keeps state, control sockets and pod logs (tmpfs, gone after a reboot like the namespaces). */
  stateDir: '/run/kindred-lab',
});
