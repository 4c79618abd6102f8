import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_ERRORS } from '../src/errors.js';
import { assertLabPrerequisites, LabNetwork, REPO_ROOT } from '../src/index.js';

// Drives the built CLI (test/lab/bin/lab.js -> dist/cli.js; `npm test` builds first) as a user would, in its own
// state directory so it never touches a lab someone started by hand. The pods run a tiny HTTP server, not the app:
// this suite is about the CLI; the app's scenarios are in the scenario suites.
const LAB_BIN = join(REPO_ROOT, 'test/lab/bin/lab.js');
const CONTAINER = `require('node:http').createServer((q, r) => r.end(require('node:os').hostname())).listen(Number(process.env.PORT), process.env.POD_IP); process.on('SIGTERM', () => process.exit(0));`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('pnpm lab (CLI)', () => {
  let stateDir: string;
  let id: string | undefined;

  const lab = (...args: string[]) =>
    new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [LAB_BIN, ...args], {
        env: { ...process.env, KINDRED_LAB_STATE_DIR: stateDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const status = async () =>
    JSON.parse((await lab('status', '--json')).stdout) as {
      id: string;
      pods: { name: string; ip: string; ready: boolean }[];
      dns: { up: boolean; endpointPodNames: boolean };
    };

  beforeAll(async () => {
    await assertLabPrerequisites();
    if (!existsSync(join(REPO_ROOT, 'test/lab/dist/cli.js')))
      throw new Error("the lab is not built: run 'pnpm run build'");
    stateDir = await mkdtemp(join(tmpdir(), 'kindred-lab-cli-'));
  });

  afterAll(async () => {
    if (id) {
      await lab('down', '--id', id);
      await LabNetwork.destroyById(id);
    }
    await rm(stateDir, { recursive: true, force: true });
  });

  it('prints help, and rejects a bad command line with exit 2', async () => {
    const help = await lab('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pnpm lab <command>');
    const bad = await lab('frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown command 'frobnicate'");
    const badScale = await lab('scale', 'many');
    expect(badScale.code).toBe(2);
  });

  it('says it needs root, and what to do, when not run as root', async () => {
    const r = await new Promise<Run>((resolve) => {
      // uid 65534 in a user namespace: no capability, yet the checkout stays readable from a clone under /root.
      const child = spawn(
        'unshare',
        ['--user', '--map-user=65534', '--map-group=65534', process.execPath, LAB_BIN, 'status'],
        {
          env: { ...process.env, KINDRED_LAB_STATE_DIR: stateDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('must run as root: run it again with sudo');
    expect(r.stderr).toContain(LAB_ERRORS.LAB_NOT_ROOT);
    expect(r.stderr).not.toContain('    at ');
  });

  it('says so when no lab is up', async () => {
    const r = await lab('status');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no lab is up: start one with 'pnpm lab up'");
  });

  it('brings a lab up, runs every command against it, and takes it down leaving nothing', async () => {
    const up = await lab(
      'up',
      '--replicas',
      '2',
      '--readiness',
      'started',
      '--json',
      '--',
      'node',
      '-e',
      CONTAINER,
    );
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    id = (JSON.parse(up.stdout) as { id: string }).id;
    let s = await status();
    expect(s.pods).toHaveLength(2);
    const [a, b] = s.pods;
    console.log(`[cli] lab ${id}: ${s.pods.map((p) => p.name).join(', ')}`);

    expect((await lab('up', '--readiness', 'started', '--', 'true')).stderr).toContain('a lab is already up');
    const list = JSON.parse((await lab('list', '--json')).stdout) as {
      id: string;
      daemon: boolean;
      current: boolean;
    }[];
    expect(list).toContainEqual(expect.objectContaining({ id, daemon: true, current: true }));

    const hostname = await lab('exec', a!.name, '--', 'hostname', '-f');
    expect(hostname.stdout.trim()).toBe(`${a!.name}.simple-web-service-headless.default.svc.cluster.local`);
    expect((await lab('exec', a!.name, '--', 'sh', '-c', 'exit 3')).code).toBe(3);
    const whoami = await lab('exec', a!.name, '--', 'kindred', 'whoami', '--name', 'app');
    expect(whoami.stdout).toContain(`app@${a!.name}.simple-web-service-headless.default.svc.cluster.local`);
    expect((await lab('exec', a!.name, '--', 'sh', '-c', 'echo $POD_NAME')).stdout.trim()).toBe(a!.name);
    expect((await lab('get', b!.name, '/')).stdout.trim()).toBe(b!.name);

    const srv = [
      'dig',
      '+short',
      'SRV',
      '_discovery._tcp.simple-web-service-headless.default.svc.cluster.local',
    ];
    expect((await lab('exec', a!.name, '--', ...srv)).stdout).toContain('10-244-');
    expect((await lab('dns', 'endpoint-pod-names', 'on')).code).toBe(0);
    expect((await lab('exec', a!.name, '--', ...srv)).stdout).toContain(
      `${b!.name}.simple-web-service-headless`,
    );

    expect((await lab('scale', '3')).code).toBe(0);
    expect((await status()).pods).toHaveLength(3);

    const kill = await lab('kill', b!.name, '--json');
    const { replacement } = JSON.parse(kill.stdout) as { replacement: string };
    expect(replacement).toMatch(/^simple-web-service-/);
    s = await status();
    expect(s.pods.map((p) => p.name)).not.toContain(b!.name);
    expect(s.pods.map((p) => p.name)).toContain(replacement);

    expect((await lab('partition', a!.name)).code).toBe(0);
    expect((await lab('get', a!.name, '/')).code).toBe(1);
    expect((await lab('heal', a!.name)).code).toBe(0);
    const healed = await lab('get', a!.name, '/');
    expect(healed.stderr).toBe('');
    expect(healed.code).toBe(0);

    expect((await lab('dns', 'down')).code).toBe(0);
    expect((await status()).dns.up).toBe(false);
    expect((await lab('dns', 'up')).code).toBe(0);
    expect((await status()).dns.up).toBe(true);

    expect((await lab('kill', 'no-such-pod')).stderr).toContain("no pod named 'no-such-pod'");
    const text = await lab('status');
    expect(text.stdout).toContain('recent events:');
    expect(text.stdout).toContain('dns-up');
    expect((await lab('logs', a!.name)).code).toBe(0);

    // A rolling restart replaces every pod with a pod of a new pod-template-hash, one at a time.
    const before = (await status()).pods.map((p) => p.name);
    const restart = await lab('restart', '--json');
    expect(restart.code).toBe(0);
    expect((JSON.parse(restart.stdout) as { replaced: string[] }).replaced.sort()).toEqual(
      [...before].sort(),
    );
    const after = (await status()).pods.map((p) => p.name);
    expect(after).toHaveLength(before.length);
    for (const name of after) expect(before).not.toContain(name);
    expect(new Set(after.map((n) => n.split('-').at(-2))).size).toBe(1);
    expect(after[0]?.split('-').at(-2)).not.toBe(before[0]?.split('-').at(-2));

    const down = await lab('down');
    expect(down.code).toBe(0);
    expect(execFileSync('ip', ['netns', 'list']).toString()).not.toContain(`kl-${id}-`);
    expect(existsSync(join(stateDir, id))).toBe(false);
    expect(existsSync(join(stateDir, `${id}.json`))).toBe(false);
    expect((await lab('status')).code).toBe(1);
    id = undefined;
  });

  it('fails with LAB_NOT_READY, names the pods and shows the log, and leaves nothing when pods never turn ready', async () => {
    const before = new Set((await LabNetwork.listRuns()).map((r) => r.id));
    const crash = `console.error('cannot start: no config'); process.exit(1)`;
    const r = await lab('up', '--replicas', '2', '--wait-ms', '4000', '--', 'node', '-e', crash);
    console.log(`[cli] up with an app that cannot start: ${r.stderr.split('\n')[0]}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(LAB_ERRORS.LAB_NOT_READY);
    expect(r.stderr).toContain('2 of 2 pod(s) not ready after 4000 ms');
    expect(r.stderr).toContain('cannot start: no config');
    const leftovers = (await LabNetwork.listRuns()).filter((run) => !before.has(run.id));
    expect(leftovers).toEqual([]);
    expect((await lab('status')).stderr).toContain('no lab is up');
  });

  it("up --erlang N: a mixed lab, the app on Erlang's wire beside erl pods; scale --deployment erlang-app", async () => {
    const bad = await lab('up', '--erl-epmd-port', '8585');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--erl-epmd-port needs --erlang');
    const r = await lab('up', '--replicas', '1', '--erlang', '1', '--endpoint-pod-names', 'on', '--json');
    expect(r.code, r.stderr).toBe(0);
    id = (JSON.parse(r.stdout) as { id: string }).id;
    try {
      const s = await status();
      const byDeployment = (name: string) =>
        s.pods.filter((p) => (p as unknown as { deployment: string }).deployment === name);
      const [app] = byDeployment('simple-web-service');
      const [erl] = byDeployment('erlang-app');
      expect(app).toBeDefined();
      expect(erl).toBeDefined();
      expect((await lab('status')).stdout).toContain('deployments: simple-web-service (1), erlang-app (1)');
      // The erl pod's node is in the app's /nodes (the page), and the app's in the erl pod's.
      const seen = async (pod: string, other: string) => {
        for (let i = 0; i < 100; i++) {
          const g = await lab('get', pod, '/nodes');
          if (
            g.code === 0 &&
            (JSON.parse(g.stdout) as { nodes: string[] }).nodes.some((n) => n.includes(other))
          )
            return true;
          await new Promise((res) => setTimeout(res, 300));
        }
        return false;
      };
      expect(await seen(app!.name, erl!.name)).toBe(true);
      expect(await seen(erl!.name, app!.name)).toBe(true);
      const scaled = await lab('scale', '2', '--deployment', 'erlang-app', '--json');
      expect(scaled.code, scaled.stderr).toBe(0);
      const after = JSON.parse(scaled.stdout) as { deployments: { name: string; replicas: number }[] };
      expect(after.deployments).toEqual([
        { name: 'simple-web-service', replicas: 1 },
        { name: 'erlang-app', replicas: 2 },
      ]);
      expect((await lab('scale', '1', '--deployment', 'nosuch')).stderr).toContain(
        "no Deployment named 'nosuch'",
      );
    } finally {
      expect((await lab('down')).code).toBe(0);
      id = undefined;
    }
  });
  it('up --erlang N --erl-naming pod-ip: every pod named app@<pod IP>, found by A records from both sides', async () => {
    const noErlang = await lab('up', '--erl-naming', 'pod-ip');
    expect(noErlang.code).toBe(2);
    expect(noErlang.stderr).toContain("--erl-naming needs --erlang and 'fqdn' or 'pod-ip', got 'pod-ip'");
    expect((await lab('up', '--erlang', '1', '--erl-naming', 'ip')).stderr).toContain("got 'ip'");
    const r = await lab('up', '--replicas', '1', '--erlang', '1', '--erl-naming', 'pod-ip', '--json');
    expect(r.code, r.stderr).toBe(0);
    id = (JSON.parse(r.stdout) as { id: string }).id;
    try {
      const pods = (await status()).pods as unknown as { name: string; ip: string; node: string }[];
      expect(pods).toHaveLength(2);
      for (const p of pods) expect(p.node).toBe(`app@${p.ip}`);
      const [a, b] = pods as [(typeof pods)[0], (typeof pods)[0]];
      // Each pod's /nodes lists the other by its IP name: the app's dns-a discovery and lab_app's A-record poll.
      const sees = async (pod: string, node: string) => {
        for (let i = 0; i < 100; i++) {
          const g = await lab('get', pod, '/nodes');
          if (g.code === 0 && (JSON.parse(g.stdout) as { nodes: string[] }).nodes.includes(node)) return true;
          await new Promise((res) => setTimeout(res, 300));
        }
        return false;
      };
      expect(await sees(a.name, b.node)).toBe(true);
      expect(await sees(b.name, a.node)).toBe(true);
    } finally {
      expect((await lab('down')).code).toBe(0);
      id = undefined;
    }
  });
});
