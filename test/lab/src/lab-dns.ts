import { existsSync } from 'node:fs';
import { KindredError } from '@kindred/dns';
import { corednsZone } from './coredns-zone.js';
import { LAB_DEFAULTS } from './defaults.js';
import { type DnsServer, startDnsServer } from './dns-server.js';
import { LAB_ERRORS } from './errors.js';

/** The Kubernetes objects the lab's DNS answers for: one headless Service and the Deployment's pods. */
export interface LabDnsModel {
  /** Kubernetes namespace. */
  readonly namespace: string;
  /** Headless Service name. */
  readonly service: string;
  /** The Service's one named port. */
  readonly port: { readonly name: string; readonly protocol: 'tcp' | 'udp'; readonly port: number };
  /** CoreDNS `endpoint_pod_names`. */
  readonly endpointPodNames: boolean;
  /** The Service's `publishNotReadyAddresses`. */
  readonly publishNotReadyAddresses: boolean;
  /** CoreDNS `ttl`. */
  readonly ttlSeconds: number;
  /** The pods the Service selects; `ready` excludes terminating pods. */
  readonly pods: readonly { readonly name: string; readonly ip: string; readonly ready: boolean }[];
}

/** The lab's cluster DNS: BIND in the DNS pod's namespace at the cluster DNS address, port 53. */
export interface LabDns {
  /** Whether BIND is running (false after {@link LabDns.stop}, `dns down`). */
  readonly running: boolean;
  /** Serves the zone for `model` (a no-op when the zone text is unchanged or BIND is stopped). */
  update(model: LabDnsModel): Promise<void>;
  /** Starts BIND again with the zone for `model`. */
  start(model: LabDnsModel): Promise<void>;
  /** Stops BIND; queries to the cluster DNS address then get ICMP port unreachable, as with CoreDNS down. */
  stop(): Promise<void>;
}

/** The cluster.local zone text CoreDNS's kubernetes plugin would answer for `model`. */
export function labZoneText(model: LabDnsModel): string {
  return corednsZone({
    clusterDomain: LAB_DEFAULTS.clusterDomain,
    ttl: model.ttlSeconds,
    endpointPodNames: model.endpointPodNames,
    services: [
      {
        name: model.service,
        namespace: model.namespace,
        headless: true,
        publishNotReadyAddresses: model.publishNotReadyAddresses,
        ports: [{ name: model.port.name, protocol: model.port.protocol, port: model.port.port }],
        endpoints: model.pods.map((p) => ({ ip: p.ip, podName: p.name, ready: p.ready })),
      },
    ],
    pods: model.pods.map((p) => ({ name: p.name, namespace: model.namespace, ip: p.ip })),
  });
}

/** Starts the lab's DNS in `netns` (which must hold {@link LAB_DEFAULTS.clusterDnsAddress}). */
export async function startLabDns(options: { netns: string; model: LabDnsModel }): Promise<LabDns> {
  const listen = [{ address: LAB_DEFAULTS.clusterDnsAddress, port: 53 }];
  const origin = LAB_DEFAULTS.clusterDomain;
  let text = labZoneText(options.model);
  let server: DnsServer | undefined = await startDnsServer({
    zones: [{ origin, text }],
    listen,
    netns: options.netns,
  });
  return {
    get running() {
      return server !== undefined;
    },
    async update(model) {
      const next = labZoneText(model);
      if (next === text) return;
      text = next;
      if (server) await server.update([{ origin, text }]);
    },
    async start(model) {
      text = labZoneText(model);
      if (server) {
        await server.update([{ origin, text }]);
        return;
      }
      server = await startDnsServer({ zones: [{ origin, text }], listen, netns: options.netns });
    },
    async stop() {
      const s = server;
      server = undefined;
      await s?.stop();
    },
  };
}

/** Throws KINDRED_ERR_LAB_TOOL_MISSING, naming the Debian package, unless BIND and dig are installed. */
export function requireDnsTools(): void {
  for (const [file, pkg] of [
    ['/usr/sbin/named', 'bind9'],
    ['/usr/bin/dig', 'bind9-dnsutils'],
  ] as const) {
    if (!existsSync(file)) {
      throw new KindredError(
        LAB_ERRORS.LAB_TOOL_MISSING,
        `the lab's DNS needs ${file}: install it (apt-get install ${pkg}, or npm run setup)`,
        { details: { tool: file } },
      );
    }
  }
}
