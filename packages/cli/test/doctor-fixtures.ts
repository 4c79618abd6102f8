// The pod the doctor tests check, shared by test/commands/doctor.test.ts and test/commands/doctor/*: a headless
// Service's records as CoreDNS's kubernetes plugin serves them (on a real BIND on loopback), and the /etc/hosts and
// resolv.conf kubelet writes into the pod.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CorednsModel,
  type DnsServer,
  freeDnsPort,
  headlessServiceModel,
  kubeletHostsFile,
  startDnsServer,
} from '@kindred/lab';
import { createTransport, type Transport } from '@kindred/transport';
import type { DoctorInputs, DoctorReport } from '../src/commands/doctor.js';

/** The namespace every doctor test's Service lives in. */
export const NS = 'default';

/** A pod: its name (the hostname kubelet gives it) and its address (a loopback one, so pods can share a port). */
export interface Pod {
  readonly name: string;
  readonly ip: string;
}

/** This pod and two peers, each on its own loopback address so they can share the SRV port, as pods do. */
export const PODS = [
  { name: 'simple-web-service-7d4b9c-aaaaa', ip: '127.0.0.1' },
  { name: 'simple-web-service-7d4b9c-bbbbb', ip: '127.0.0.2' },
  { name: 'simple-web-service-7d4b9c-ccccc', ip: '127.0.0.3' },
] as const;

/** What CoreDNS serves for headless Service `service` with `pods` as its (ready or not) endpoints. */
export function podsModel(
  service: string,
  endpointPodNames: boolean,
  port: number,
  pods: readonly Pod[],
): CorednsModel {
  return headlessServiceModel({
    name: service,
    namespace: NS,
    endpointPodNames,
    publishNotReadyAddresses: true,
    port: { name: 'discovery', protocol: 'TCP', port },
    endpoints: pods.map((p) => ({ podName: p.name, ip: p.ip })),
  });
}

/** A report's checks by id. */
export function byId(report: DoctorReport): Record<string, DoctorReport['checks'][number]> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c]));
}

/** The checked pod's surroundings: its files in `dir`, and the BIND serving `cluster.local` on `dnsPort`. */
export interface PodSetup {
  readonly dir: string;
  readonly dns: DnsServer;
  readonly dnsPort: number;
  readonly service: string;
  readonly self: Pod;
}

/**
 * Starts BIND on 127.0.0.1 serving `zone` as `cluster.local`, and writes `self`'s /etc/hosts (subdomain `service`)
 * and resolv.conf into `dir`.
 */
export async function setUpPod(dir: string, service: string, self: Pod, zone: string): Promise<PodSetup> {
  const dnsPort = await freeDnsPort();
  const dns = await startDnsServer({
    zones: [{ origin: 'cluster.local', text: zone }],
    listen: [{ address: '127.0.0.1', port: dnsPort }],
  });
  await writeFile(
    join(dir, 'hosts'),
    kubeletHostsFile({ hostname: self.name, podIps: self.ip, subdomain: service, namespace: NS }),
  );
  await writeFile(
    join(dir, 'resolv.conf'),
    `search ${NS}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n`,
  );
  return { dir, dns, dnsPort, service, self };
}

/** `runDoctor`'s inputs for the pod: node base `app`, SRV `_discovery._tcp.<service>`, the test's DNS and files. */
export function podInputs(pod: PodSetup, port: number, cookie: string): DoctorInputs {
  return {
    service: `_discovery._tcp.${pod.service}`,
    name: 'app',
    port,
    cookie,
    hostname: pod.self.name,
    hostsPath: join(pod.dir, 'hosts'),
    resolvConfPath: join(pod.dir, 'resolv.conf'),
    nameservers: [`127.0.0.1:${pod.dnsPort}`],
    localAddresses: [pod.self.ip],
    env: {},
  };
}

/** The same, for a node named by its pod IP and found by the Service's A records (deploy's pod-ip overlay). */
export function podIpInputs(pod: PodSetup, port: number, cookie: string): DoctorInputs {
  return {
    ...podInputs(pod, port, cookie),
    naming: 'pod-ip',
    podIp: pod.self.ip,
    discovery: 'dns-a',
    addressQuery: pod.service,
  };
}

/** `kindred doctor`'s options pointing at the pod's hostname, files and DNS, with `--json`. */
export function podJsonArgs(pod: PodSetup): string[] {
  return [
    '--hostname',
    pod.self.name,
    '--hosts-file',
    join(pod.dir, 'hosts'),
    '--resolv-conf',
    join(pod.dir, 'resolv.conf'),
    '--nameserver',
    `127.0.0.1:${pod.dnsPort}`,
    '--json',
  ];
}

/**
 * Real kindred transports standing in for the peer pods, pushed onto `peers` as each listens (the caller closes
 * them, also after a failure here): each named `nodeOf(pod)`, on the pod's address and `port`. They skip the
 * reverse check of the dialer's host (verifyPeerHost) because their own resolver would ask this machine's DNS, not
 * the test's BIND.
 */
export async function listenPeers(
  peers: Transport[],
  pods: readonly Pod[],
  port: number,
  cookie: string,
  nodeOf: (pod: Pod) => string,
): Promise<void> {
  for (const pod of pods) {
    const t = createTransport({
      self: { node: nodeOf(pod) },
      cookie,
      port,
      host: pod.ip,
      verifyPeerHost: false,
    });
    await t.listen();
    peers.push(t);
  }
}

/** Closes `peers`, stops the pod's BIND and removes `dir` (each part skipped when it was never set up). */
export async function tearDownPod(
  dir: string | undefined,
  pod: PodSetup | undefined,
  peers: readonly Transport[] = [],
): Promise<void> {
  for (const t of peers) await t.close();
  await pod?.dns.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}
