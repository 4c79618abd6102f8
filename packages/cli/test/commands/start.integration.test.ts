import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, type LabHost, LabNetwork } from '@kindred/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Two pods (the lab's network + UTS namespaces; needs root, fails without it) run the built `kindred start` on the
// same port, as replicas of one app do without EPMD. A peer given without a port (static:NODE, like dns-a) must be
// dialed on the node's own listen port: nothing listens on the default 4370 here, so dialing that would never connect.

const kindredBin = fileURLToPath(new URL('../../bin/kindred.js', import.meta.url));
const builtMain = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const PORT = '4371';
const A = 'app@pod-a.web.default.svc.cluster.local';
const B = 'app@pod-b.web.default.svc.cluster.local';

interface Started {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  stderr(): string;
}

function startKindred(host: LabHost, args: string[]): Started {
  const child = host.spawn([process.execPath, kindredBin, 'start', ...args, '--json'], {
    env: { KINDRED_LOG_LEVEL: 'warn' },
  });
  const events: Record<string, unknown>[] = [];
  let buf = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line !== '') events.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return { child, events, stderr: () => err };
}

async function event(
  s: Started,
  what: string,
  pred: (e: Record<string, unknown>) => boolean,
  ms = 15_000,
): Promise<Record<string, unknown>> {
  const end = Date.now() + ms;
  for (;;) {
    const e = s.events.find(pred);
    if (e !== undefined) return e;
    if (s.child.exitCode !== null) throw new Error(`kindred start exited ${s.child.exitCode}: ${s.stderr()}`);
    if (Date.now() > end) {
      throw new Error(
        `timed out waiting for ${what}; events ${JSON.stringify(s.events)}; stderr ${s.stderr()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kindred start in two pods on one port', () => {
  let net: LabNetwork | undefined;
  let a: LabHost;
  let b: LabHost;
  const started: Started[] = [];

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
  }, 60_000);

  afterAll(async () => {
    for (const s of started) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    }
    await net?.destroy();
  });

  it('dials a peer given without a port on its own listen port', async () => {
    const na = startKindred(a, ['--name', 'app', '--cookie', 'pods', '--port', PORT]);
    started.push(na);
    expect(await event(na, 'a started', (e) => e.event === 'started')).toEqual({
      event: 'started',
      node: A,
      port: Number(PORT),
    });
    const nb = startKindred(b, [
      '--name',
      'app',
      '--cookie',
      'pods',
      '--port',
      PORT,
      '--discovery',
      `static:${A}`,
    ]);
    started.push(nb);
    expect(await event(nb, 'b to reach a', (e) => e.event === 'nodeup')).toEqual({
      event: 'nodeup',
      node: A,
      direction: 'out',
    });
    expect(await event(na, 'a to see b', (e) => e.event === 'nodeup')).toEqual({
      event: 'nodeup',
      node: B,
      direction: 'in',
    });
    nb.child.kill('SIGTERM');
    // SIGTERM is a planned stop: b leaves, and a sees that as a leave, not as a crash (connection_closed).
    expect(await event(na, 'a to see b leave', (e) => e.event === 'nodedown')).toEqual({
      event: 'nodedown',
      node: B,
      reason: 'shutdown',
    });
    na.child.kill('SIGTERM');
    await event(na, 'a to stop', (e) => e.event === 'stopped');
  });
});
