// `kindred doctor --erlang` with real parts: a real `epmd` (Debian's erlang-base) on a test-chosen port, kindred
// nodes on Erlang's wire (one registered with that epmd, "peers" answering EPMD themselves on their own loopback
// address, as a Node.js pod does), a real `erl` for the epmd-less case, and a real BIND serving the headless
// Service's A records (the pod-ip scheme, as libcluster's Kubernetes.DNS and dns_cluster name nodes). Every process
// started here is killed in afterAll.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EpmdClient } from '@kindred/beam';
import { corednsZone } from '@kindred/lab';
import { type StartedNode, startNode } from '@kindred/runtime';
import { freePort, until } from '@kindred/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorInputs, runDoctor } from '../../../src/commands/doctor.js';
import { byId, type PodSetup, podIpInputs, podsModel, setUpPod, tearDownPod } from '../../doctor-fixtures.js';

const SVC = 'mixed-headless';
const COOKIE = 'doctor-erlang-cookie';
const SELF = { name: 'mixed-7d4b9c-aaaaa', ip: '127.0.0.1' };

function zone(ips: readonly string[]): string {
  const pods = ips.map((ip, i) => ({ name: `mixed-7d4b9c-${'abcde'[i]}aaaa`, ip }));
  return corednsZone(podsModel(SVC, false, 4370, pods));
}

const children: ChildProcess[] = [];
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: 'ignore' });
  children.push(child);
  return child;
}

function listens(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

let dir: string;
let pod: PodSetup;
let epmdPort: number;
const nodes: StartedNode[] = [];
let base: DoctorInputs;

/** A kindred node on Erlang's wire, named by its address (the pod-ip scheme). */
async function beamNode(
  name: string,
  ip: string,
  discovery: { mode: 'epmd' } | { mode: 'embedded'; host: string } | { mode: 'fixed'; port: number },
): Promise<StartedNode> {
  const node = await startNode({
    name: `${name}@${ip}`,
    cookie: COOKIE,
    host: ip,
    env: {},
    distribution: 'erlang',
    erlang: { epmdPort, discovery },
  });
  nodes.push(node);
  return node;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kindred-doctor-erlang-'));
  pod = await setUpPod(dir, SVC, SELF, zone([SELF.ip, '127.0.0.2']));
  // A real epmd, on 127.0.0.1 only, where this node registers (erl_epmd always registers on 127.0.0.1).
  epmdPort = await freePort('127.0.0.1');
  run('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], process.env);
  const client = new EpmdClient({ port: epmdPort, requestTimeoutMs: 1_000 });
  await until(
    () =>
      client.names('127.0.0.1').then(
        () => true,
        () => false,
      ),
    { what: 'epmd to answer' },
  );
  await beamNode('app', SELF.ip, { mode: 'epmd' });
  await beamNode('app', '127.0.0.2', { mode: 'embedded', host: '127.0.0.2' });
  await beamNode('shop', '127.0.0.3', { mode: 'embedded', host: '127.0.0.3' });
  base = { ...podIpInputs(pod, 4370, COOKIE), erlang: { epmdPort } };
});

afterAll(async () => {
  for (const n of nodes) await n.stop();
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
  }
  await tearDownPod(dir, pod);
});

describe('kindred doctor --erlang (real epmd, Erlang-wire nodes, real BIND)', () => {
  it("passes in a pod of a mixed cluster: EPMD lists the node, peers answer over Erlang's wire", async () => {
    const report = await runDoctor(base);
    expect(report.checks.map((c) => c.id)).toEqual([
      'pod-ip',
      'a-records',
      'peers',
      'epmd',
      'cookie',
      'naming',
    ]);
    for (const c of report.checks) expect(c, `${c.id}: ${c.detail}`).toMatchObject({ ok: true, hint: '' });
    const checks = byId(report);
    expect(checks.epmd?.detail).toBe(
      `EPMD on port ${epmdPort} lists app on this host, and answers on 1 peer(s)`,
    );
    expect(checks.peers?.detail).toBe('1/1 peers answered: app@127.0.0.2');
    expect(checks.naming?.detail).toContain("libcluster's Kubernetes.DNS and dns_cluster");
    expect(checks.naming?.detail).toContain("every peer's EPMD lists it");
    expect(checks.cookie?.detail).toContain('from --cookie');
  });

  it('names the fix when the Erlang side runs under another basename (its EPMD lists shop)', async () => {
    await pod.dns.update([{ origin: 'cluster.local', text: zone([SELF.ip, '127.0.0.3']) }]);
    try {
      const checks = byId(await runDoctor(base));
      expect(checks.naming?.ok).toBe(false);
      expect(checks.naming?.detail).toContain("127.0.0.3's EPMD lists shop");
      expect(checks.naming?.hint).toContain('KINDRED_NAME=shop');
      expect(checks.naming?.hint).toContain('application_name');
      // And dialing app@127.0.0.3 finds no such node there.
      expect(checks.peers?.ok).toBe(false);
    } finally {
      await pod.dns.update([{ origin: 'cluster.local', text: zone([SELF.ip, '127.0.0.2']) }]);
    }
    const given = byId(
      await runDoctor({ ...base, erlang: { epmdPort, basename: 'web', basenameFrom: 'RELEASE_NAME' } }),
    );
    expect(given.naming?.ok).toBe(false);
    expect(given.naming?.detail).toContain("the Erlang side's is web (RELEASE_NAME)");
    expect(given.naming?.hint).toContain('KINDRED_NAME=web');
  });

  it('names the fix when the naming scheme disagrees with what discovery yields', async () => {
    const fqdnButA = byId(await runDoctor({ ...base, naming: 'fqdn', discovery: 'dns-a' }));
    expect(fqdnButA.naming?.ok).toBe(false);
    expect(fqdnButA.naming?.hint).toContain('KINDRED_NAMING=pod-ip');
    expect(fqdnButA.naming?.hint).toContain('RELEASE_NODE=app@$(POD_IP)');
    // Named by FQDN with SRV discovery, but CoreDNS without endpoint_pod_names: the targets are dashed IPs.
    const dashed = byId(await runDoctor({ ...base, naming: 'fqdn', discovery: 'dns-srv' }));
    expect(dashed.naming?.ok).toBe(false);
    expect(dashed.naming?.detail).toMatch(/would dial app@127-0-0-[12]\.mixed-headless/);
    expect(dashed.naming?.hint).toContain('endpoint_pod_names');
    expect(dashed.naming?.hint).toContain('KINDRED_NAMING=pod-ip');
    const ipButSrv = byId(await runDoctor({ ...base, discovery: 'dns-srv' }));
    expect(ipButSrv.naming?.ok).toBe(false);
    expect(ipButSrv.naming?.hint).toContain(`KINDRED_DISCOVERY=dns-a:${SVC}`);
  });

  it("fails epmd when this host's EPMD does not list the node, or nothing answers on the port", async () => {
    const ghost = byId(await runDoctor({ ...base, name: 'ghost' }));
    expect(ghost.epmd?.ok).toBe(false);
    expect(ghost.epmd?.detail).toContain('not ghost');
    expect(ghost.epmd?.hint).toContain('kindred start --erlang --name ghost');
    const closed = await freePort('127.0.0.1');
    const none = byId(await runDoctor({ ...base, erlang: { epmdPort: closed } }));
    expect(none.epmd?.ok).toBe(false);
    expect(none.epmd?.detail).toContain(`nothing answers EPMD on this host's port ${closed}`);
    expect(none.epmd?.detail).toContain('KINDRED_ERR_EPMD');
  });

  it('says where the cookie comes from (a Secret volume) and fails when RELEASE_COOKIE differs', async () => {
    // A Secret volume as kubelet lays it out: cookie -> ..data/cookie, ..data -> a timestamped directory.
    const vol = join(dir, 'secret');
    await mkdir(join(vol, '..2026_11_29_23_00_00.1'), { recursive: true });
    await writeFile(join(vol, '..2026_11_29_23_00_00.1', 'cookie'), COOKIE, { mode: 0o400 });
    await symlink('..2026_11_29_23_00_00.1', join(vol, '..data'));
    await symlink('..data/cookie', join(vol, 'cookie'));
    const { cookie: _c, ...noCookie } = base;
    const fromVolume = byId(await runDoctor({ ...noCookie, cookieFile: join(vol, 'cookie') }));
    expect(fromVolume.cookie?.ok).toBe(true);
    expect(fromVolume.cookie?.detail).toContain('a file of a mounted Kubernetes Secret volume');
    expect(fromVolume.peers?.ok).toBe(true);
    const fromEnv = byId(
      await runDoctor({ ...noCookie, env: { KINDRED_COOKIE: COOKIE, RELEASE_COOKIE: 'other' } }),
    );
    expect(fromEnv.cookie?.ok).toBe(false);
    expect(fromEnv.cookie?.detail).toContain('differs from RELEASE_COOKIE');
    expect(fromEnv.cookie?.hint).toContain('secretKeyRef');
    const none = byId(await runDoctor({ ...noCookie, home: join(dir, 'no-home') }));
    expect(none.cookie?.ok).toBe(false);
    expect(none.cookie?.detail).toContain('KINDRED_ERR_COOKIE_FILE');
  });

  it('epmd-less (-erl_epmd_port): a real erl peer answers on the agreed port, and pings pong', async () => {
    const fixed = await freePort('127.0.0.2');
    const home = join(dir, 'erl-home');
    await mkdir(home, { recursive: true });
    run(
      'erl',
      [
        '-noshell',
        '-name',
        'app@127.0.0.2',
        '-setcookie',
        COOKIE,
        '-start_epmd',
        'false',
        '-erl_epmd_port',
        String(fixed),
        '-kernel',
        'inet_dist_use_interface',
        '{127,0,0,2}',
      ],
      { ...process.env, HOME: home, ERL_EPMD_PORT: String(await freePort('127.0.0.1')) },
    );
    await until(() => listens('127.0.0.2', fixed), {
      what: 'erl to listen',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    await beamNode('appx', SELF.ip, { mode: 'fixed', port: fixed });
    const report = await runDoctor({ ...base, name: 'app', erlang: { epmdPort, erlEpmdPort: fixed } });
    const checks = byId(report);
    expect(checks.epmd, checks.epmd?.detail).toMatchObject({ ok: true });
    expect(checks.epmd?.detail).toBe(
      `epmd-less on port ${fixed}: this node listens there, and so do 1 peer(s)`,
    );
    expect(checks.peers?.detail).toBe('1/1 peers answered: app@127.0.0.2');
    expect(checks.naming?.ok).toBe(true);
    expect(report.ok).toBe(true);
    const wrongPort = byId(
      await runDoctor({ ...base, erlang: { epmdPort, erlEpmdPort: await freePort('127.0.0.1') } }),
    );
    expect(wrongPort.epmd?.ok).toBe(false);
    expect(wrongPort.epmd?.hint).toContain('-erl_epmd_port');
  });
});
