import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLabPrerequisites, Lab } from '../src/index.js';

// The lab runs any container; this suite checks the lab itself (pods, kubelet files, DNS records, readiness,
// ReplicaSet behaviour, partitions, DNS down) with a tiny real HTTP server as the container, not the app. The
// app's own scenarios are in scenarios.integration.test.ts.
const CONTAINER = `
const http = require('node:http');
let ready = true;
http.createServer((req, res) => {
  if (req.url === '/readyz') { res.statusCode = ready ? 200 : 503; return res.end(ready ? 'ok' : 'not ready'); }
  if (req.url === '/toggle') { ready = !ready; return res.end(String(ready)); }
  if (req.url === '/crash') { res.end('bye'); setTimeout(() => process.exit(3), 50); return; }
  res.end(JSON.stringify({ hostname: require('node:os').hostname(), env: process.env.POD_NAME, cookie: process.env.KINDRED_COOKIE }));
}).listen(Number(process.env.PORT), process.env.POD_IP);
process.on('SIGTERM', () => process.exit(0));
`;

const dig = (lab: Lab, pod: string, ...args: string[]) =>
  lab
    .exec(pod, ['dig', '+short', '+time=1', '+tries=2', ...args])
    .then((r) => r.stdout.trim().split('\n').filter(Boolean).sort());

describe('Lab (pods, CoreDNS-like BIND, ReplicaSet behaviour)', () => {
  let lab: Lab;
  const srv = '_discovery._tcp.simple-web-service-headless.default.svc.cluster.local';

  beforeAll(async () => {
    await assertLabPrerequisites();
    lab = await Lab.start({
      replicas: 3,
      command: ['node', '-e', CONTAINER],
      publishNotReadyAddresses: false,
      terminationGracePeriodMs: 2000,
    });
    lab.on('error', (err: Error) => console.log(`[lab] DNS update failed: ${err.message}`));
    await lab.waitFor('3 ready pods', () => lab.pods().filter((p) => p.ready).length === 3, 30_000);
    await lab.synced();
  });

  afterAll(async () => {
    await lab?.stop();
    if (lab)
      expect(execFileSync('ip', ['netns', 'list']).toString()).not.toContain(lab.network.names.netnsPrefix);
  });

  it('names pods like a Deployment and gives them kubelet files and hostnames', async () => {
    const pods = lab.pods();
    const hash = lab.templateHash;
    for (const p of pods) {
      expect(p.name).toMatch(new RegExp(`^simple-web-service-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect((await lab.exec(p.name, ['hostname'])).stdout.trim()).toBe(p.name);
      expect((await lab.exec(p.name, ['hostname', '-f'])).stdout.trim()).toBe(p.fqdn);
      expect(p.fqdn).toBe(`${p.name}.simple-web-service-headless.default.svc.cluster.local`);
      const body = JSON.parse((await lab.http(p.name, '/')).body);
      expect(body).toEqual({ hostname: p.name, env: p.name, cookie: lab.cookie });
    }
    console.log(`[lab] pods: ${pods.map((p) => `${p.name}=${p.ip}`).join(', ')}`);
  });

  it('answers what CoreDNS answers, with and without endpoint_pod_names', async () => {
    const [a, b, c] = lab.pods();
    const ips = [a!.ip, b!.ip, c!.ip].sort();
    // Through the pod's resolv.conf (search list), the seed's query.
    expect(await dig(lab, a!.name, '+search', '_discovery._tcp.simple-web-service-headless')).toEqual(ips);
    const dashed = await dig(lab, a!.name, 'SRV', srv);
    expect(dashed).toEqual(
      ips
        .map(
          (ip) =>
            `0 33 8585 ${ip.replaceAll('.', '-')}.simple-web-service-headless.default.svc.cluster.local.`,
        )
        .sort(),
    );
    await lab.setEndpointPodNames(true);
    const named = await dig(lab, a!.name, 'SRV', srv);
    expect(named).toEqual([a!, b!, c!].map((p) => `0 33 8585 ${p.fqdn}.`).sort());
    // The pod's own FQDN resolves through DNS to its address.
    expect(await dig(lab, a!.name, a!.fqdn)).toEqual([a!.ip]);
    console.log(`[lab] SRV off: ${dashed.join(' | ')}\n[lab] SRV on: ${named.join(' | ')}`);
  });

  it('publishes only ready pods, unless publishNotReadyAddresses', async () => {
    const [a, b] = lab.pods();
    await lab.http(b!.name, '/toggle'); // b's readiness probe now fails
    await lab.waitFor('b not ready', () => !lab.pods().find((p) => p.name === b!.name)?.ready, 10_000);
    await lab.synced();
    expect(await dig(lab, a!.name, 'simple-web-service-headless.default.svc.cluster.local')).not.toContain(
      b!.ip,
    );
    await lab.setPublishNotReadyAddresses(true);
    expect(await dig(lab, a!.name, 'simple-web-service-headless.default.svc.cluster.local')).toContain(b!.ip);
    await lab.setPublishNotReadyAddresses(false);
    await lab.http(b!.name, '/toggle');
    await lab.waitFor('b ready again', () => lab.pods().find((p) => p.name === b!.name)?.ready, 10_000);
  });

  it('scales, replaces a killed pod with a new one, and keeps DNS in step', async () => {
    const first = lab.pods()[0]!;
    await lab.scale(4);
    await lab.waitFor('4 ready', () => lab.pods().filter((p) => p.ready).length === 4, 20_000);
    await lab.synced();
    expect((await dig(lab, first.name, 'SRV', srv)).length).toBe(4);
    const victim = lab.pods()[1]!;
    const replacement = await lab.kill(victim.name);
    expect(replacement).toBeDefined();
    expect(replacement).not.toBe(victim.name);
    expect(lab.status().deletedPods).toContain(victim.name);
    const events = lab.status().events.map((e) => `${e.type} ${e.pod}${e.detail ? ` ${e.detail}` : ''}`);
    expect(events).toEqual(
      expect.arrayContaining([
        `terminating ${victim.name} SIGKILL`,
        `exited ${victim.name} signal SIGKILL`,
        `deleted ${victim.name}`,
        expect.stringMatching(new RegExp(`^created ${replacement} 10\\.244\\.1\\.`)),
      ]),
    );
    await lab.waitFor(
      'replacement ready',
      () => lab.pods().find((p) => p.name === replacement)?.ready,
      20_000,
    );
    const targets = await dig(lab, first.name, 'SRV', srv);
    expect(targets.join()).not.toContain(victim.name);
    expect(targets.join()).toContain(replacement!);
    await lab.scale(2);
    await lab.waitFor('2 pods', () => lab.pods().length === 2, 20_000);
    await lab.synced();
    expect((await dig(lab, first.name, 'SRV', srv)).length).toBe(2);
    console.log(
      `[lab] killed ${victim.name}, replacement ${replacement}; scaled to ${lab
        .pods()
        .map((p) => p.name)
        .join(', ')}`,
    );
  });

  it('partitions and heals a pod; DNS down and up', async () => {
    const [a, b] = lab.pods();
    await lab.partition(b!.name);
    const cut = await lab.exec(a!.name, [
      'node',
      '-e',
      `require('node:net').connect(8080, '${b!.ip}').on('connect', () => process.exit(0)).on('error', () => process.exit(1)).setTimeout(1500, () => process.exit(2))`,
    ]);
    expect(cut.code).not.toBe(0);
    await lab.heal(b!.name);
    const ok = await lab.exec(a!.name, [
      'node',
      '-e',
      `require('node:net').connect(8080, '${b!.ip}').on('connect', () => process.exit(0)).on('error', () => process.exit(1)).setTimeout(1500, () => process.exit(2))`,
    ]);
    expect(ok.code).toBe(0);

    await lab.setDns(false);
    expect(lab.status().dns.up).toBe(false);
    const down = await lab.exec(a!.name, ['dig', '+time=1', '+tries=1', 'SRV', srv]);
    expect(down.code).not.toBe(0);
    await lab.setDns(true);
    expect((await dig(lab, a!.name, 'SRV', srv)).length).toBe(2);
  });

  it('restarts a crashed container in the same pod, like kubelet', async () => {
    const pod = lab.pods()[0]!;
    await lab.http(pod.name, '/crash');
    await lab.waitFor('a restart', () => lab.pods().find((p) => p.name === pod.name)?.restarts === 1, 10_000);
    await lab.waitFor(
      'ready again',
      () => lab.pods().find((p) => p.name === pod.name && p.phase === 'Running')?.ready,
      20_000,
    );
    const after = lab.pods().find((p) => p.name === pod.name)!;
    expect(after.ip).toBe(pod.ip);
    expect(after.pid).not.toBe(pod.pid);
    expect(lab.status().deletedPods).not.toContain(pod.name);
  });

  it('answers NXDOMAIN for the headless service once no endpoint is published', async () => {
    const probe = lab.network.hosts().find((h) => h.hostname === 'coredns')!;
    await lab.scale(0);
    await lab.waitFor('no pods', () => lab.pods().length === 0, 20_000);
    await lab.synced();
    const r = await probe.exec(['dig', '+time=1', '+tries=2', '@10.96.0.10', 'SRV', srv]);
    expect(r.stdout).toContain('status: NXDOMAIN');
    expect(r.stdout).toContain('ns.dns.cluster.local. hostmaster.cluster.local.');
  });
});
