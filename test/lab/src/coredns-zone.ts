import { isIP } from 'node:net';
import { KindredError } from '@kindred/dns';
import { LAB_ERRORS } from './errors.js';

/** One port of a Service. */
export interface CorednsPort {
  /** The port's name (`discovery`): the `_discovery` label of the SRV name. Unnamed ports get no SRV name. */
  readonly name?: string;
  /** Default TCP; the SRV label is its lower case (`_tcp`). Either case is accepted. */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP' | 'tcp' | 'udp' | 'sctp';
  readonly port: number;
}

/** One address of an Endpoints/EndpointSlice object. */
export interface CorednsEndpoint {
  /** The pod the endpoint targets (its `targetRef.name`); used as the DNS name with `endpoint_pod_names`. */
  readonly podName?: string;
  /** The pod IP (IPv4 or IPv6). */
  readonly ip: string;
  /** Whether the pod is ready; not-ready endpoints are published only with `publishNotReadyAddresses`. */
  readonly ready: boolean;
  /**
   * The endpoint's hostname: set by Kubernetes only when the pod has `spec.hostname` and `spec.subdomain` equals the
   * service name. Wins over the pod name and the dashed IP.
   */
  readonly hostname?: string;
}

/** A Service as CoreDNS's kubernetes plugin sees it. */
export interface CorednsService {
  readonly namespace: string;
  readonly name: string;
  /** `clusterIP: None`. A headless service publishes its endpoints; a ClusterIP one its cluster IP. */
  readonly headless: boolean;
  /** The cluster IP of a non-headless service. */
  readonly clusterIP?: string;
  readonly ports: readonly CorednsPort[];
  readonly endpoints: readonly CorednsEndpoint[];
  /** Publish not-ready endpoints too (what Akka bootstrap asks for). */
  readonly publishNotReadyAddresses?: boolean;
}

/** A pod for the `pods insecure` records `1-2-3-4.<ns>.pod.<zone>`. */
export interface CorednsPod {
  /** The pod's name (informational: `pods insecure` names pods by IP only). */
  readonly name?: string;
  readonly namespace: string;
  readonly ip: string;
}

/** What CoreDNS knows: the cluster's services and pods, and the plugin's options. */
export interface CorednsModel {
  /** Cluster domain (default `cluster.local`). */
  readonly zone?: string;
  /** Same as {@link CorednsModel.zone} (kubelet's name for it); `zone` wins when both are given. */
  readonly clusterDomain?: string;
  readonly services: readonly CorednsService[];
  /** Pods answered under `<dashed-ip>.<ns>.pod.<zone>`; every endpoint's pod is added automatically. */
  readonly pods?: readonly CorednsPod[];
  /** The plugin's `endpoint_pod_names` option (kind and kubeadm ship without it). */
  readonly endpointPodNames: boolean;
  /** The plugin's `ttl` (kubeadm/kind: 30; the plugin's own default is 5). Default 30. */
  readonly ttl?: number;
  /** The kube-dns service address, the A record of `ns.dns.<zone>` (default 10.96.0.10). */
  readonly dnsServiceIP?: string;
}

/** Defaults of {@link corednsZone}, as kind configures CoreDNS. */
export const COREDNS_ZONE_DEFAULTS = Object.freeze({
  zone: 'cluster.local',
  ttl: 30,
  dnsServiceIP: '10.96.0.10',
  /** CoreDNS's SOA timers: refresh, retry, expire (seconds). The minimum is the plugin's ttl. */
  soaRefresh: 7200,
  soaRetry: 1800,
  soaExpire: 86400,
  /** A pod name longer than this is not used as an endpoint name (DNS label limit). */
  maxLabelLength: 63,
  /** {@link headlessServiceModel}'s namespace when none is given. */
  namespace: 'default',
  /** {@link headlessServiceModel}'s port when none is given: the seed's `discovery` port. */
  servicePort: Object.freeze({ name: 'discovery', protocol: 'TCP', port: 8585 } as const),
});

/** What {@link headlessServiceModel} takes. */
export interface HeadlessServiceModelOptions {
  /** The Service's name (`simple-web-service-headless`); pods set it as their `subdomain`. */
  readonly name: string;
  /** Default {@link COREDNS_ZONE_DEFAULTS.namespace}. */
  readonly namespace?: string;
  /** Its one named port; default {@link COREDNS_ZONE_DEFAULTS.servicePort} (`discovery`, TCP, 8585). */
  readonly port?: CorednsPort;
  /** Its endpoints; `ready` defaults to true. */
  readonly endpoints: readonly (Omit<CorednsEndpoint, 'ready'> & { readonly ready?: boolean })[];
  /** The plugin's `endpoint_pod_names` option. */
  readonly endpointPodNames: boolean;
  /** Publish not-ready endpoints too (default false, as Kubernetes). */
  readonly publishNotReadyAddresses?: boolean;
}

/**
 * The model of the seed's set-up: one headless Service (`clusterIP: None`) with one named port in front of the
 * given endpoints, and nothing else. Tests of discovery, `kindred discover` and `kindred doctor` all start here.
 */
export function headlessServiceModel(options: HeadlessServiceModelOptions): CorednsModel {
  return {
    endpointPodNames: options.endpointPodNames,
    services: [
      {
        namespace: options.namespace ?? COREDNS_ZONE_DEFAULTS.namespace,
        name: options.name,
        headless: true,
        ...(options.publishNotReadyAddresses === undefined
          ? {}
          : { publishNotReadyAddresses: options.publishNotReadyAddresses }),
        ports: [options.port ?? COREDNS_ZONE_DEFAULTS.servicePort],
        endpoints: options.endpoints.map((e) => ({ ...e, ready: e.ready ?? true })),
      },
    ],
  };
}

/**
 * The endpoint's DNS label, chosen as CoreDNS's kubernetes plugin does: its hostname; else, with
 * `endpoint_pod_names`, the pod name if it fits in a label; else the dashed IP (`10-244-1-5`; IPv6 colons become
 * dashes, with `0` appended when it would end in `-`).
 */
export function corednsEndpointName(endpoint: CorednsEndpoint, endpointPodNames: boolean): string {
  if (endpoint.hostname !== undefined && endpoint.hostname !== '') return endpoint.hostname;
  if (
    endpointPodNames &&
    endpoint.podName !== undefined &&
    endpoint.podName !== '' &&
    endpoint.podName.length <= COREDNS_ZONE_DEFAULTS.maxLabelLength
  ) {
    return endpoint.podName;
  }
  return dashedIp(endpoint.ip);
}

/** `10.244.1.5` -> `10-244-1-5`; `fd00::5` -> `fd00--5`; `fd00::` -> `fd00--0`. */
export function dashedIp(ip: string): string {
  if (ip.includes('.')) return ip.replaceAll('.', '-');
  const dashed = ip.replaceAll(':', '-');
  return dashed.endsWith('-') ? `${dashed}0` : dashed;
}

/**
 * The BIND zone file for the cluster domain, with exactly the records CoreDNS's kubernetes plugin answers for
 * `model` (see /work/shared/reference/coredns-kubernetes.md): for each headless service with published endpoints,
 * `<svc>.<ns>.svc A` per endpoint, `<ep>.<svc>.<ns>.svc A` per endpoint, `_<port>._<proto>.<svc>.<ns>.svc SRV 0 w
 * port <ep>...` per endpoint with w = max(1, floor(100 / N)) and the A records at that SRV name too,
 * `<svc>.<ns>.svc SRV` per endpoint x port; pod records `<dashed-ip>.<ns>.pod`; the SOA `ns.dns.<zone>.
 * hostmaster.<zone>.` with the ttl as minimum. A headless service with no published endpoint has no records at all,
 * so it is NXDOMAIN, as with CoreDNS. The SOA serial is 1; {@link startDnsServer} manages it.
 */
export function corednsZone(model: CorednsModel): string {
  const zone = model.zone ?? model.clusterDomain ?? COREDNS_ZONE_DEFAULTS.zone;
  const ttl = model.ttl ?? COREDNS_ZONE_DEFAULTS.ttl;
  const d = COREDNS_ZONE_DEFAULTS;
  if (!Number.isInteger(ttl) || ttl < 0) throw zoneError(`ttl must be a non-negative integer, got ${ttl}`);
  const lines: string[] = [
    `$TTL ${ttl}`,
    `${zone}. ${ttl} IN SOA ns.dns.${zone}. hostmaster.${zone}. 1 ${d.soaRefresh} ${d.soaRetry} ${d.soaExpire} ${ttl}`,
    `${zone}. ${ttl} IN NS ns.dns.${zone}.`,
    `ns.dns.${zone}. ${ttl} IN A ${model.dnsServiceIP ?? d.dnsServiceIP}`,
    // The kubernetes plugin's schema version record (DNS specification for Kubernetes, 1.1.0).
    `dns-version.${zone}. ${ttl} IN TXT "1.1.0"`,
  ];
  const rr = (name: string, type: string, data: string) => lines.push(`${name}. ${ttl} IN ${type} ${data}`);
  const addr = (name: string, ip: string) => rr(name, isIP(ip) === 6 ? 'AAAA' : 'A', ip);
  const pods = new Map<string, CorednsPod>();

  for (const svc of model.services) {
    checkLabel(svc.name, 'service name');
    checkLabel(svc.namespace, 'namespace');
    const base = `${svc.name}.${svc.namespace}.svc.${zone}`;
    const namedPorts = svc.ports.filter((p) => p.name !== undefined && p.name !== '');
    if (!svc.headless) {
      if (svc.clusterIP === undefined) continue;
      checkIp(svc.clusterIP);
      addr(base, svc.clusterIP);
      for (const p of namedPorts) {
        const srvName = `_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`;
        rr(srvName, 'SRV', `0 100 ${p.port} ${base}.`);
        addr(srvName, svc.clusterIP);
      }
      for (const p of svc.ports) rr(base, 'SRV', `0 ${weight(svc.ports.length)} ${p.port} ${base}.`);
      continue;
    }
    const published = svc.endpoints.filter((e) => e.ready || svc.publishNotReadyAddresses === true);
    if (published.length === 0) continue; // NXDOMAIN, as CoreDNS answers for a headless service with no endpoints
    const named = published.map((e) => {
      checkIp(e.ip);
      pods.set(`${svc.namespace}/${e.ip}`, { namespace: svc.namespace, ip: e.ip });
      return { ip: e.ip, host: `${corednsEndpointName(e, model.endpointPodNames)}.${base}` };
    });
    for (const ip of new Set(named.map((e) => e.ip))) addr(base, ip);
    for (const e of named) addr(e.host, e.ip);
    for (const p of namedPorts) {
      const srvName = `_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`;
      for (const e of named) rr(srvName, 'SRV', `0 ${weight(named.length)} ${p.port} ${e.host}.`);
      for (const ip of new Set(named.map((e) => e.ip))) addr(srvName, ip);
    }
    for (const p of svc.ports) {
      for (const e of named)
        rr(base, 'SRV', `0 ${weight(named.length * svc.ports.length)} ${p.port} ${e.host}.`);
    }
  }
  for (const pod of model.pods ?? []) pods.set(`${pod.namespace}/${pod.ip}`, pod);
  for (const pod of pods.values()) {
    checkIp(pod.ip);
    addr(`${dashedIp(pod.ip)}.${pod.namespace}.pod.${zone}`, pod.ip);
  }
  return `${lines.join('\n')}\n`;
}

/** CoreDNS's SRV weight for a set of `n` records of equal priority. */
function weight(n: number): number {
  return Math.max(1, Math.floor(100 / n));
}

function checkLabel(label: string, what: string): void {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(label)) {
    throw zoneError(
      `${what} "${label}" is not a DNS-1123 label (lowercase letters, digits, '-', <= 63 chars)`,
    );
  }
}

function checkIp(ip: string): void {
  if (isIP(ip) === 0) throw zoneError(`"${ip}" is not an IPv4 or IPv6 address`);
}

function zoneError(message: string): KindredError {
  return new KindredError(LAB_ERRORS.LAB_BAD_OPTION, `corednsZone: ${message}`);
}
