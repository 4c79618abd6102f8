// `kindred doctor` against a real BIND 9 on loopback serving what CoreDNS's kubernetes plugin would, with a pod's
// /etc/hosts and resolv.conf as kubelet writes them, and real kindred transports standing in for the peers.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corednsZone, kubeletHostsFile } from '@kindred/lab';
import { freePort } from '@kindred/test-support';
import type { Transport } from '@kindred/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DoctorInputs,
  type DoctorReport,
  isNotChecked,
  namingFromEnv,
  runDoctor,
} from '../../src/commands/doctor.js';
import { main } from '../../src/main.js';
import {
  byId,
  listenPeers,
  NS,
  PODS,
  type Pod,
  type PodSetup,
  podInputs,
  podJsonArgs,
  podsModel,
  setUpPod,
  tearDownPod,
} from '../doctor-fixtures.js';
import { captureIO } from '../support.js';

const SVC = 'simple-web-service-headless';
const COOKIE = 'doctor-test-cookie';
const fqdnOf = (pod: string) => `${pod}.${SVC}.${NS}.svc.cluster.local`;
const SELF = PODS[0];
const model = (endpointPodNames: boolean, port: number, pods: readonly Pod[]) =>
  podsModel(SVC, endpointPodNames, port, pods);

describe('kindred doctor (real BIND on loopback)', () => {
  let dir: string;
  let pod: PodSetup;
  let kindredPort: number;
  const peers: Transport[] = [];
  let inputs: DoctorInputs;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kindred-doctor-'));
    kindredPort = await freePort('127.0.0.2');
    pod = await setUpPod(dir, SVC, SELF, corednsZone(model(true, kindredPort, PODS)));
    // The peers: real transports named as their pods' FQDNs.
    await listenPeers(peers, PODS.slice(1), kindredPort, COOKIE, (p) => `app@${fqdnOf(p.name)}`);
    inputs = podInputs(pod, kindredPort, COOKIE);
  });

  afterAll(async () => {
    await tearDownPod(dir, pod, peers);
  });

  it('passes every check in a correctly set-up pod with endpoint_pod_names on', async () => {
    const report = await runDoctor(inputs);
    const checks = byId(report);
    expect(report.checks.map((c) => c.id)).toEqual([
      'fqdn',
      'fqdn-dns',
      'subdomain',
      'srv-self',
      'srv-port',
      'peers',
    ]);
    for (const c of report.checks) expect(c, c.id).toMatchObject({ ok: true, hint: '' });
    expect(report.ok).toBe(true);
    expect(checks.fqdn?.detail).toContain(fqdnOf(SELF.name));
    expect(checks.peers?.detail).toContain('2/2 peers answered');
  });

  it('with endpoint_pod_names off: srv-self fails and the hint is the exact Corefile edit', async () => {
    await pod.dns.update([{ origin: 'cluster.local', text: corednsZone(model(false, kindredPort, PODS)) }]);
    try {
      const report = await runDoctor(inputs);
      const checks = byId(report);
      expect(report.ok).toBe(false);
      expect(checks.fqdn?.ok).toBe(true);
      expect(checks.subdomain?.ok).toBe(true);
      expect(checks['srv-self']?.ok).toBe(false);
      expect(checks['srv-self']?.detail).toContain(`127-0-0-1.${SVC}`);
      expect(checks['srv-self']?.hint).toContain('endpoint_pod_names');
      expect(checks['srv-self']?.hint).toContain('kubectl -n kube-system rollout restart deployment/coredns');
      // And the way that needs no cluster-admin: names by pod IP, discovery by the headless Service's A records.
      expect(checks['srv-self']?.hint).toContain('no cluster-admin');
      expect(checks['srv-self']?.hint).toContain('KINDRED_HOST=$(POD_IP)');
      expect(checks['srv-self']?.hint).toContain(`KINDRED_DISCOVERY=dns-a:${SVC}`);
      expect(checks['srv-self']?.hint).toContain('deploy/kustomize/overlays/pod-ip');
      // The peers are dialled by their dashed-IP names, which are not the names they run under.
      expect(checks.peers?.ok).toBe(false);
      expect(checks.peers?.detail).toContain(`app@127-0-0-2.${SVC}`);
    } finally {
      await pod.dns.update([{ origin: 'cluster.local', text: corednsZone(model(true, kindredPort, PODS)) }]);
    }
  });

  it('fails fqdn-dns when only /etc/hosts knows the pod (it is not among the endpoints)', async () => {
    await pod.dns.update([
      { origin: 'cluster.local', text: corednsZone(model(true, kindredPort, PODS.slice(1))) },
    ]);
    try {
      const checks = byId(await runDoctor(inputs));
      expect(checks['fqdn-dns']?.ok).toBe(false);
      expect(checks['fqdn-dns']?.detail).toContain('KINDRED_ERR_DNS_NXDOMAIN');
      expect(checks['fqdn-dns']?.hint).toContain('headless Service');
      expect(checks['srv-self']?.ok).toBe(false);
    } finally {
      await pod.dns.update([{ origin: 'cluster.local', text: corednsZone(model(true, kindredPort, PODS)) }]);
    }
  });

  it('checks an IPv6-only pod by its AAAA record (fqdn-dns asks DNS for A and AAAA)', async () => {
    const v6 = { name: 'simple-web-service-7d4b9c-v6aaa', ip: 'fd00:10:244:1::5' };
    await pod.dns.update([{ origin: 'cluster.local', text: corednsZone(model(true, kindredPort, [v6])) }]);
    const hostsPath = join(dir, 'hosts-v6');
    await writeFile(
      hostsPath,
      kubeletHostsFile({ hostname: v6.name, podIps: v6.ip, subdomain: SVC, namespace: NS }),
    );
    try {
      const report = await runDoctor({ ...inputs, hostname: v6.name, hostsPath, localAddresses: [v6.ip] });
      const checks = byId(report);
      expect(checks['fqdn-dns'], JSON.stringify(checks['fqdn-dns'])).toMatchObject({ ok: true });
      expect(checks['fqdn-dns']?.detail).toContain(v6.ip);
      expect(checks['srv-self']?.ok).toBe(true);
      expect(report.ok).toBe(true);
    } finally {
      await pod.dns.update([{ origin: 'cluster.local', text: corednsZone(model(true, kindredPort, PODS)) }]);
    }
  });

  it('fails subdomain when the pod template sets another subdomain', async () => {
    const hosts = join(dir, 'hosts-other');
    await writeFile(
      hosts,
      kubeletHostsFile({ hostname: SELF.name, podIps: SELF.ip, subdomain: 'web', namespace: NS }),
    );
    const checks = byId(await runDoctor({ ...inputs, hostsPath: hosts }));
    expect(checks.fqdn?.ok).toBe(true);
    expect(checks.subdomain?.ok).toBe(false);
    expect(checks.subdomain?.hint).toContain(`subdomain: ${SVC}`);
  });

  it('fails fqdn when the pod has no subdomain (hostname -f is not an FQDN)', async () => {
    const hosts = join(dir, 'hosts-nosub');
    await writeFile(hosts, kubeletHostsFile({ hostname: SELF.name, podIps: SELF.ip }));
    const report = await runDoctor({ ...inputs, hostsPath: hosts });
    const checks = byId(report);
    expect(checks.fqdn?.ok).toBe(false);
    expect(checks.fqdn?.detail).toContain('KINDRED_ERR_ILLEGAL_OWN_NAME');
    expect(checks.fqdn?.hint).toContain('spec.template.spec.subdomain');
    expect(report.ok).toBe(false);
  });

  it('says "not checked (needs ...)" and prints -- instead of FAIL for checks whose prerequisite failed', async () => {
    const hosts = join(dir, 'hosts-nosub-cli');
    await writeFile(hosts, kubeletHostsFile({ hostname: SELF.name, podIps: SELF.ip }));
    const checks = byId(await runDoctor({ ...inputs, hostsPath: hosts }));
    expect(isNotChecked(checks.fqdn!)).toBe(false);
    expect(checks['fqdn-dns']).toMatchObject({ ok: false, detail: 'not checked (needs an FQDN: see fqdn)' });
    expect(isNotChecked(checks['fqdn-dns']!)).toBe(true);
    expect(isNotChecked(checks.subdomain!)).toBe(true);

    const io = captureIO({ KINDRED_COOKIE: COOKIE, KINDRED_PORT: String(kindredPort) });
    const code = await main(
      [
        'doctor',
        '--hostname',
        SELF.name,
        '--hosts-file',
        hosts,
        '--resolv-conf',
        join(dir, 'resolv.conf'),
        '--nameserver',
        `127.0.0.1:${pod.dnsPort}`,
      ],
      io,
    );
    expect(code).toBe(1);
    expect(io.out()).toMatch(/^FAIL fqdn /m);
    expect(io.out()).toMatch(/^-- {3}fqdn-dns +not checked \(needs an FQDN/m);
    expect(io.out()).not.toMatch(/^FAIL fqdn-dns/m);
  });

  it('fails srv-port when the node listens on another port than the SRV record', async () => {
    const checks = byId(await runDoctor({ ...inputs, port: kindredPort + 1 }));
    expect(checks['srv-port']?.ok).toBe(false);
    expect(checks['srv-port']?.detail).toContain(`SRV port ${kindredPort}`);
  });

  it('fails peers with the reason when the cookie is wrong', async () => {
    const checks = byId(await runDoctor({ ...inputs, cookie: 'not-the-cookie' }));
    expect(checks.peers?.ok).toBe(false);
    expect(checks.peers?.detail).toContain('0/2 peers answered');
    expect(checks.peers?.hint).toContain('KINDRED_COOKIE');
  });

  it('pings peers with the cookie read from cookieFile (--cookie-file), and says what to do when it is refused', async () => {
    const { cookie: _flag, ...withoutCookie } = inputs;
    await writeFile(join(dir, 'doctor.cookie'), `${COOKIE}\n`, { mode: 0o400 });
    const checks = byId(await runDoctor({ ...withoutCookie, cookieFile: join(dir, 'doctor.cookie') }));
    expect(checks.peers?.ok).toBe(true);
    await writeFile(join(dir, 'loose.cookie'), COOKIE, { mode: 0o644 });
    const refused = byId(await runDoctor({ ...withoutCookie, cookieFile: join(dir, 'loose.cookie') }));
    expect(refused.peers?.ok).toBe(false);
    expect(refused.peers?.detail).toContain('KINDRED_ERR_COOKIE_FILE_MODE');
    expect(refused.peers?.hint).toContain('--cookie-file');
  });

  it('says the cluster DNS is down (not that the Service is missing) when no server answers', async () => {
    const closed = await freePort('127.0.0.1');
    const checks = byId(await runDoctor({ ...inputs, nameservers: [`127.0.0.1:${closed}`] }));
    expect(checks.fqdn?.ok).toBe(true);
    expect(checks['fqdn-dns']?.detail).toContain('KINDRED_ERR_DNS_TIMEOUT');
    expect(checks['fqdn-dns']?.hint).toContain('the cluster DNS did not answer');
    expect(checks['srv-self']?.hint).toContain('the cluster DNS did not answer');
    expect(checks.peers?.ok).toBe(false);
  });

  it('prints JSON and exits 0/1 through the command line', async () => {
    const io = captureIO({ KINDRED_COOKIE: COOKIE, KINDRED_PORT: String(kindredPort) });
    const args = podJsonArgs(pod);
    // localAddresses are the machine's own here: 127.0.0.1 is internal, so fqdn-dns cannot match; the exit code
    // must then be 1 and the JSON must say which check failed.
    const code = await main(['doctor', ...args], io);
    const report = JSON.parse(io.out()) as DoctorReport;
    expect(Object.keys(report)).toEqual(['ok', 'checks']);
    for (const c of report.checks) expect(Object.keys(c)).toEqual(['id', 'ok', 'detail', 'hint']);
    expect(report.checks.find((c) => c.id === 'fqdn-dns')?.ok).toBe(false);
    expect(report.ok).toBe(false);
    expect(code).toBe(1);
    expect(report.checks.find((c) => c.id === 'srv-self')?.ok).toBe(true);

    const bad = captureIO(io.env);
    expect(await main(['doctor', '--service', 'not-an-srv-name'], bad)).toBe(2);
    expect(bad.err()).toContain('_<port-name>._<protocol>.<service>');
    expect(bad.out()).toBe('');

    const badName = captureIO({ ...io.env, KINDRED_NAME: 'my app' });
    expect(await main(['doctor', ...args], badName)).toBe(2);
    expect(badName.err()).toContain('--name (or KINDRED_NAME) must be a node name base');
    await expect(runDoctor({ ...inputs, port: 0 })).rejects.toMatchObject({ code: 'KINDRED_ERR_USAGE' });
  });
});

describe('namingFromEnv (which checklist the environment asks for)', () => {
  it('is fqdn unless a variable names the node by an IP, or KINDRED_NAMING=pod-ip', () => {
    expect(namingFromEnv({})).toEqual({ naming: 'fqdn' });
    expect(namingFromEnv({ KINDRED_HOST: 'web.example' })).toEqual({ naming: 'fqdn' });
    expect(namingFromEnv({ KINDRED_HOST: '10.0.0.5' })).toEqual({ naming: 'pod-ip', podIp: '10.0.0.5' });
    expect(namingFromEnv({ KINDRED_NODE_NAME: 'app@10.0.0.6' })).toEqual({
      naming: 'pod-ip',
      podIp: '10.0.0.6',
    });
    expect(namingFromEnv({ KINDRED_NAMING: 'pod-ip', POD_IP: '10.0.0.7' })).toEqual({
      naming: 'pod-ip',
      podIp: '10.0.0.7',
    });
  });

  it('leaves a missing POD_IP to the pod-ip check, and follows --naming over the environment', () => {
    expect(namingFromEnv({ KINDRED_NAMING: 'pod-ip' })).toEqual({ naming: 'pod-ip' });
    expect(namingFromEnv({ POD_IP: '10.0.0.7' }, 'pod-ip')).toEqual({ naming: 'pod-ip', podIp: '10.0.0.7' });
    expect(namingFromEnv({ KINDRED_HOST: '10.0.0.5' }, 'fqdn')).toEqual({ naming: 'fqdn' });
    expect(() => namingFromEnv({ KINDRED_NAMING: 'dns' })).toThrow(/KINDRED_NAMING must be fqdn/);
  });
});
