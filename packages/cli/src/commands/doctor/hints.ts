import { DNS_ERRORS, isKindredError } from '@kindred/dns';

/**
 * The operator texts of `kindred doctor`: what to do when a check fails. Kept apart from the checks so they read
 * (and are reviewed) as prose, and so a test can match on them.
 */

/** The fix when the pod has no FQDN, or the wrong subdomain. */
export const hintSubdomain = (svc: string): string =>
  `set spec.template.spec.subdomain: ${svc} (the headless Service's name) in the Deployment, not spec.hostname: ` +
  "kubelet then writes '<pod-ip> <pod>." +
  `${svc}.<namespace>.svc.cluster.local <pod>' in /etc/hosts`;

/** The exact Corefile edit that turns dashed-IP SRV targets into pod names. */
export const COREFILE_EDIT = [
  'kubectl -n kube-system edit configmap coredns',
  '  # inside the kubernetes block, add one line:',
  '  kubernetes cluster.local in-addr.arpa ip6.arpa {',
  '     pods insecure',
  '     fallthrough in-addr.arpa ip6.arpa',
  '     ttl 30',
  '     endpoint_pod_names',
  '  }',
  'kubectl -n kube-system rollout restart deployment/coredns',
  '(or run deploy/coredns/patch-coredns.sh, which makes the same edit idempotently)',
].join('\n');

/**
 * The way without cluster-admin, for when CoreDNS's Corefile can't be edited (GKE's kube-dns, a managed CoreDNS
 * add-on on AKS or EKS that reverts edits, no rights on kube-system): name nodes by pod IP and discover them by the
 * headless Service's A records, as dns_cluster and libcluster's Kubernetes.DNS do.
 */
export const hintPodIpMode = (svc: string): string =>
  "can't edit CoreDNS (no cluster-admin, GKE's kube-dns, a managed add-on that reverts it)? Name the nodes by pod " +
  'IP instead, which needs no DNS change: in the Deployment set KINDRED_HOST=$(POD_IP) (POD_IP from the downward ' +
  `API, status.podIP) and KINDRED_DISCOVERY=dns-a:${svc} (deploy/kustomize/overlays/pod-ip does both)`;

/** The fix when the pod-ip scheme has no address that is this pod's. */
export const hintPodIpAddress = (): string =>
  'set POD_IP from the downward API (env: - name: POD_IP, valueFrom: fieldRef: fieldPath: status.podIP) and ' +
  'KINDRED_HOST=$(POD_IP) after it (or KINDRED_NAMING=pod-ip), as deploy/kustomize/overlays/pod-ip does';

/** The fix when the headless Service's address records do not list this pod. */
export const hintPodIpRecords = (svc: string): string =>
  `create the headless Service ${svc} (clusterIP: None) selecting this pod's labels, in this pod's namespace, ` +
  'and point KINDRED_DISCOVERY=dns-a:<that service> at it; CoreDNS publishes only ready pods unless the Service ' +
  'sets publishNotReadyAddresses: true';

const DNS_DOWN_CODES: ReadonlySet<string> = new Set([
  DNS_ERRORS.DNS_TIMEOUT,
  DNS_ERRORS.DNS_SERVFAIL,
  DNS_ERRORS.DNS_REFUSED,
]);

/** The hint when the cluster DNS itself does not answer, rather than not knowing a name. */
export function dnsDownHint(err: unknown): string | undefined {
  if (!isKindredError(err) || !DNS_DOWN_CODES.has(err.code)) return undefined;
  return (
    'the cluster DNS did not answer: check CoreDNS (kubectl -n kube-system get pods -l k8s-app=kube-dns; kubectl ' +
    '-n kube-system logs deploy/coredns) and the nameserver in /etc/resolv.conf; SERVFAIL right after a start means ' +
    'CoreDNS has not synced with the API yet'
  );
}

/** The fix when DNS does not know this pod's FQDN. */
export function hintFqdnUnknown(svc: string, dashedSelf: string | undefined): string {
  return dashedSelf !== undefined
    ? `DNS knows this pod only as ${dashedSelf}: enable CoreDNS's endpoint_pod_names (see srv-self), or ${hintPodIpMode(svc)}`
    : `create the headless Service ${svc} (clusterIP: None) selecting this pod's labels, in this pod's ` +
        `namespace, and set the pod's subdomain to ${svc}; CoreDNS publishes only ready pods unless ` +
        'the Service sets publishNotReadyAddresses: true';
}

/** The fix when DNS resolves this pod's FQDN to another address. */
export const HINT_FQDN_ELSEWHERE =
  'a stale record or a name collision: check that no other pod or Service uses this name, and that ' +
  'CoreDNS serves the current endpoints (kubectl get endpointslices)';

/** The fix when there are no SRV records at all. */
export const hintNoSrv = (svc: string, portName: string, protocol: string): string =>
  `the headless Service ${svc} needs a port named ${portName} (protocol ` +
  `${protocol.toUpperCase()}) and at least one endpoint; with publishNotReadyAddresses: false only ` +
  'ready pods are published';

/** The fix when the SRV port and the listen port differ. */
export const hintPort = (portName: string, port: number): string =>
  `make the headless Service's port named ${portName} and the container port named ${portName} ` +
  `both ${port}, or set KINDRED_PORT to the Service's port`;

/** What each pang reason of a peer ping means. */
export const HINT_PEERS =
  'a bad_cookie reason: every replica needs the same KINDRED_COOKIE (one Secret); name_mismatch: the peer ' +
  'runs under another name than its SRV target (see srv-self); setup_timeout or no answer in time: the peer is not listening on the ' +
  "SRV port or a NetworkPolicy blocks it; host_unresolved: the peer cannot resolve this node's FQDN to its " +
  'address (see fqdn-dns)';

/** The fix when this host's EPMD does not answer or does not list the node. */
export const hintOwnEpmd = (name: string, port: number): string =>
  `run the node on Erlang's wire (kindred start --erlang --name ${name}, or KINDRED_DISTRIBUTION=erlang): it ` +
  `registers with this host's epmd on port ${port}, or answers EPMD queries itself when none runs; every node ` +
  'of the cluster must use the same EPMD port (ERL_EPMD_PORT, else 4369)';

/** The fix when a peer's EPMD does not answer. */
export const hintPeerEpmd = (port: number): string =>
  `Erlang nodes ask the peer host's EPMD (port ${port}) for the distribution port: a NetworkPolicy must allow ${port} ` +
  'and the distribution port (pin it on the Erlang side: -kernel inet_dist_listen_min N inet_dist_listen_max N) ' +
  "between the Deployments, and the peer must be running on Erlang's wire; or go epmd-less on every node";

/** The fix when the epmd-less port is not listening somewhere. */
export const hintEpmdLess = (port: number): string =>
  `epmd-less, every node listens on and dials port ${port}: the Erlang side needs -start_epmd false ` +
  `-erl_epmd_port ${port} (ELIXIR_ERL_OPTIONS or vm.args.eex), kindred nodes kindred start --erlang ` +
  `--erl-epmd-port ${port}, and a NetworkPolicy must allow ${port}`;

/** The fix when the cookie is missing or differs from the Erlang side's. */
export const hintCookie = (): string =>
  'take the cookie from the one Secret the Erlang Deployment reads RELEASE_COOKIE from: env KINDRED_COOKIE with ' +
  'valueFrom.secretKeyRef (as deploy/ does), or --cookie-file on a Secret volume (mode 0400, a root container)';

/** The fix when the node is named by FQDN but discovery reads A records. */
export const hintSchemeFqdnButA = (name: string, svc: string): string =>
  `peers (and libcluster's Kubernetes.DNS, dns_cluster) dial ${name}@<pod IP>: name this node by pod IP ` +
  '(KINDRED_NAMING=pod-ip, or KINDRED_HOST=$(POD_IP), with POD_IP from the downward API), and the Erlang side ' +
  `RELEASE_NODE=${name}@$(POD_IP); or discover by SRV (KINDRED_DISCOVERY=dns-srv:_<port>._tcp.${svc}, ` +
  "libcluster's Kubernetes.DNSSRV) and keep the FQDN names";

/** The fix when the node is named by pod IP but discovery reads SRV targets. */
export const hintSchemePodIpButSrv = (name: string, svc: string): string =>
  `SRV targets are pod FQDNs, so peers (and libcluster's Kubernetes.DNSSRV) dial ${name}@<pod FQDN>: either ` +
  `discover by A records (KINDRED_DISCOVERY=dns-a:${svc}; libcluster's Kubernetes.DNS or dns_cluster on the Erlang ` +
  'side), or unset KINDRED_HOST and KINDRED_NAMING so this node is named by hostname -f like the SRV targets';

/** The fix when SRV targets are dashed IPs, which name no node. */
export const hintSrvDashed = (svc: string): string =>
  `enable CoreDNS's endpoint_pod_names so the targets are pod FQDNs:\n${COREFILE_EDIT}\nor name every node, ` +
  `kindred and Erlang, by pod IP and discover by A records (KINDRED_NAMING=pod-ip, KINDRED_DISCOVERY=dns-a:${svc}; ` +
  "libcluster's Kubernetes.DNS or dns_cluster)";

/** The fix when the basename differs from the Erlang side's. */
export const hintBasename = (ours: string, theirs: string): string =>
  `use one basename on both sides: KINDRED_NAME=${theirs} (kindred start --name ${theirs}) here, or on the Erlang ` +
  `side RELEASE_NODE=${ours}@<host> (libcluster's application_name: "${ours}"; dns_cluster only joins nodes ` +
  'with its own basename)';
