import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, type LabHost, LabNetwork } from '@kindred/lab';
import type { NodeSnapshot } from '@kindred/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A node in one lab pod (network + UTS namespaces; needs root) holding a registered process with 3 queued messages, a
// pg group of 2 and a monitor; the built `kindred observe` in another pod lists them and exits 0.

const kindredBin = fileURLToPath(new URL('../../bin/kindred.js', import.meta.url));
const builtMain = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const target = fileURLToPath(new URL('../fixtures/observe-target.mjs', import.meta.url));
const PORT = '4371';
const A = 'app@pod-a.web.default.svc.cluster.local';
const ENV = { KINDRED_COOKIE: 'observe-pods' };

describe('kindred observe against a lab pod', () => {
  let net: LabNetwork | undefined;
  let a: LabHost;
  let b: LabHost;
  let node: ChildProcess | undefined;

  beforeAll(async () => {
    await assertLabPrerequisites();
    if (!existsSync(builtMain))
      throw new Error(`${builtMain} is missing: build first with node_modules/.bin/tsc -b`);
    net = await LabNetwork.create();
    const hosts =
      '127.0.0.1\tlocalhost\n10.244.1.2\tpod-a.web.default.svc.cluster.local pod-a\n10.244.1.3\tpod-b.web.default.svc.cluster.local pod-b\n';
    const resolvConf = 'nameserver 127.0.0.1\n';
    a = await net.addHost({ hostname: 'pod-a', address: '10.244.1.2', hostsFile: hosts, resolvConf });
    b = await net.addHost({ hostname: 'pod-b', address: '10.244.1.3', hostsFile: hosts, resolvConf });
    const child = a.spawn([process.execPath, target, A, PORT], { env: ENV });
    node = child;
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the target node exited ${code}: ${err}`)));
    });
  }, 60_000);

  afterAll(async () => {
    if (node !== undefined && node.exitCode === null && node.signalCode === null) node.kill('SIGKILL');
    await net?.destroy();
  });

  it('--json lists the registered process with 3 queued messages, the pg group of 2 and the monitor; exit 0', async () => {
    const r = await b.exec([process.execPath, kindredBin, 'observe', A, '--port', PORT, '--json'], {
      env: ENV,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const snap = JSON.parse(r.stdout) as NodeSnapshot;
    expect(snap.node).toBe(A);
    const inbox = snap.processes.find((p) => p.name === 'inbox');
    expect(inbox).toMatchObject({ mailbox: 3, function: 'inbox', monitoredByCount: 1 });
    expect(snap.processes.find((p) => p.function === 'watcher')?.monitors).toEqual([inbox?.pid]);
    expect(snap.registered).toContainEqual({ name: 'inbox', pid: inbox?.pid });
    expect(snap.groups).toContainEqual(
      expect.objectContaining({ scope: 'pg', group: 'workers', memberCount: 2 }),
    );
    expect(snap.peers).toEqual([
      expect.objectContaining({ hidden: true, direction: 'in', lastInAt: expect.any(Number) }),
    ]);
  });

  it('prints the table once when piped, with --count 1; exit 0', async () => {
    const r = await b.exec([process.execPath, kindredBin, 'observe', A, '--port', PORT, '--count', '1'], {
      env: ENV,
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^${A.replace(/\./g, '\\.')} {2}up `));
    expect(r.stdout).toMatch(/ inbox +inbox +waiting +3 +0 +0 +1\n/);
    expect(r.stdout).toContain('  pg/workers  2: ');
  });

  it('exits 1 naming bad_cookie with the wrong cookie', async () => {
    const r = await b.exec([process.execPath, kindredBin, 'observe', A, '--port', PORT, '--json'], {
      env: { KINDRED_COOKIE: 'wrong' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kindred observe: bad_cookie');
  });
});
