// `kindred doctor` for a node named by pod IP (deploy's pod-ip overlay: KINDRED_HOST=$(POD_IP),
// KINDRED_DISCOVERY=dns-a:<headless service>), against a real BIND 9 on loopback serving what CoreDNS would without
// endpoint_pod_names, and real kindred transports named app@<address> standing in for the peers.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corednsZone } from '@kindred/lab';
import { freePort } from '@kindred/test-support';
import type { Transport } from '@kindred/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorInputs, type DoctorReport, runDoctor } from '../../../src/commands/doctor.js';
import { main } from '../../../src/main.js';
import {
  byId,
  listenPeers,
  PODS,
  type Pod,
  type PodSetup,
  podIpInputs,
  podJsonArgs,
  podsModel,
  setUpPod,
  tearDownPod,
} from '../../doctor-fixtures.js';
import { captureIO } from '../../support.js';

const SVC = 'simple-web-service-headless';
const COOKIE = 'doctor-pod-ip-cookie';
const SELF = PODS[0];

function zone(port: number, pods: readonly Pod[]): string {
  return corednsZone(podsModel(SVC, false, port, pods));
}

describe('kindred doctor under the pod-ip naming scheme (real BIND on loopback)', () => {
  let dir: string;
  let pod: PodSetup;
  let port: number;
  const peers: Transport[] = [];
  let inputs: DoctorInputs;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kindred-doctor-pod-ip-'));
    port = await freePort('127.0.0.2');
    // The pod-ip overlay keeps the base's subdomain, so kubelet still writes the FQDN; it plays no part here.
    pod = await setUpPod(dir, SVC, SELF, zone(port, PODS));
    await listenPeers(peers, PODS.slice(1), port, COOKIE, (p) => `app@${p.ip}`);
    inputs = podIpInputs(pod, port, COOKIE);
  });

  afterAll(async () => {
    await tearDownPod(dir, pod, peers);
  });

  it('passes in a correctly set-up pod-ip pod, with endpoint_pod_names off (no SRV check applies)', async () => {
    const report = await runDoctor(inputs);
    expect(report.checks.map((c) => c.id)).toEqual(['pod-ip', 'a-records', 'peers']);
    for (const c of report.checks) expect(c, c.id).toMatchObject({ ok: true, hint: '' });
    expect(report.ok).toBe(true);
    const checks = byId(report);
    expect(checks['pod-ip']?.detail).toBe("this node is app@127.0.0.1, this pod's address");
    expect(checks['a-records']?.detail).toContain("this pod's 127.0.0.1 among them");
    expect(checks.peers?.detail).toBe('2/2 peers answered: app@127.0.0.2, app@127.0.0.3');
  });

  it('fails pod-ip with the downward-API fix when POD_IP is missing or not this pod', async () => {
    const { podIp: _ip, ...noIp } = inputs;
    const missing = byId(await runDoctor(noIp));
    expect(missing['pod-ip']?.ok).toBe(false);
    expect(missing['pod-ip']?.hint).toContain('fieldPath: status.podIP');
    expect(missing['a-records']?.detail).toBe("not checked (needs this pod's IP: see pod-ip)");
    const stale = byId(await runDoctor({ ...inputs, podIp: '10.9.9.9' }));
    expect(stale['pod-ip']?.detail).toContain("this pod's addresses are 127.0.0.1");
  });

  it('fails pod-ip naming the fix when discovery reads SRV targets instead of A records', async () => {
    const checks = byId(await runDoctor({ ...inputs, discovery: 'dns-srv' }));
    expect(checks['pod-ip']?.ok).toBe(false);
    expect(checks['pod-ip']?.hint).toContain(`KINDRED_DISCOVERY=dns-a:${SVC}`);
    expect(checks['pod-ip']?.hint).toContain('unset KINDRED_HOST and KINDRED_NAMING');
  });

  it('fails a-records when the Service does not list this pod, and peers with the reason on a wrong cookie', async () => {
    await pod.dns.update([{ origin: 'cluster.local', text: zone(port, PODS.slice(1)) }]);
    try {
      const checks = byId(await runDoctor(inputs));
      expect(checks['a-records']?.ok).toBe(false);
      expect(checks['a-records']?.detail).toContain("not this pod's 127.0.0.1");
      expect(checks['a-records']?.hint).toContain('publishNotReadyAddresses');
    } finally {
      await pod.dns.update([{ origin: 'cluster.local', text: zone(port, PODS) }]);
    }
    const bad = byId(await runDoctor({ ...inputs, cookie: 'not-the-cookie' }));
    expect(bad.peers?.ok).toBe(false);
    expect(bad.peers?.detail).toContain('0/2 peers answered');
  });

  it('the command line picks the pod-ip checklist from KINDRED_HOST=$(POD_IP) and KINDRED_DISCOVERY=dns-a:', async () => {
    const io = captureIO({
      KINDRED_COOKIE: COOKIE,
      KINDRED_PORT: String(port),
      KINDRED_HOST: SELF.ip,
      POD_IP: SELF.ip,
      KINDRED_DISCOVERY: `dns-a:${SVC}`,
    });
    const args = podJsonArgs(pod);
    const code = await main(['doctor', ...args], io);
    const report = JSON.parse(io.out()) as DoctorReport;
    expect(report.checks.map((c) => c.id)).toEqual(['pod-ip', 'a-records', 'peers']);
    // This machine's addresses are its own (127.0.0.1 is internal), so pod-ip says the IP is not this pod's.
    expect(report.checks[0]?.ok).toBe(false);
    expect(code).toBe(1);
    const flag = captureIO({ KINDRED_COOKIE: COOKIE, KINDRED_PORT: String(port), POD_IP: SELF.ip });
    await main(['doctor', ...args, '--naming', 'pod-ip'], flag);
    expect((JSON.parse(flag.out()) as DoctorReport).checks.map((c) => c.id)).toEqual([
      'pod-ip',
      'a-records',
      'peers',
    ]);
    const bad = captureIO({});
    expect(await main(['doctor', '--naming', 'ip'], bad)).toBe(2);
    expect(bad.err()).toContain('--naming must be fqdn or pod-ip');
  });
});
