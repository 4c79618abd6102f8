import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, type LabHost, LabNetwork } from '@kindred/lab';
import { until as poll } from '@kindred/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The seed's experiment, reproduced in real network + UTS namespaces (the lab) with the built kindred CLI and a real
// `erl` side by side, plus the host check across two namespaces. Needs root; fails (never skips) without it.

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const kindredBin = join(root, 'packages/cli/bin/kindred.js');
const COOKIE = 'cookie';

function kindred(host: LabHost, args: string[]) {
  return host.exec([process.execPath, kindredBin, ...args], { timeoutMs: 20_000 });
}

/** Starts `kindred start` in `host`; resolves once it printed its started line. */
function startKindred(host: LabHost, args: string[]): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = host.spawn([process.execPath, kindredBin, 'start', ...args, '--json']);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kindred start did not start: ${err}`)), 15_000);
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('"event":"started"')) {
        clearTimeout(timer);
        resolve({ child, stderr: () => err });
      }
    });
    child.once('exit', (code) => reject(new Error(`kindred start exited ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess | undefined): void {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function until(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  return poll(fn, { what, timeoutMs: ms, intervalMs: 100 });
}

describe('the seed experiment: hostname imacpro, /etc/hosts "127.0.1.1 imacpro.home imacpro"', () => {
  let net: LabNetwork;
  let host: LabHost;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await assertLabPrerequisites();
    if (!existsSync(join(root, 'packages/cli/dist/main.js'))) {
      throw new Error('the CLI is not built: run `pnpm run build` (npm test does) before this test');
    }
    net = await LabNetwork.create();
    host = await net.addHost({
      hostname: 'imacpro',
      address: '10.244.1.2',
      hostsFile: '127.0.0.1\tlocalhost\n127.0.1.1\timacpro.home imacpro\n',
      // No DNS server in this namespace: nothing here needs one (every name is in /etc/hosts or an IP literal).
      resolvConf: 'nameserver 127.0.0.1\n',
    });
  }, 60_000);

  afterAll(async () => {
    for (const c of children) stop(c);
    await net?.destroy();
  });

  const cases = [
    { target: 'n1@127.0.0.1', cookie: COOKIE, kindred: 'pang', reason: 'name_mismatch' },
    { target: 'n1@localhost', cookie: COOKIE, kindred: 'pang', reason: 'illegal_hostname' },
    { target: 'n1@imacpro', cookie: COOKIE, kindred: 'pang', reason: 'illegal_hostname' },
    { target: 'n1@imacpro.home', cookie: COOKIE, kindred: 'pong', reason: null },
    { target: 'n1@imacpro.home', cookie: 'wrong', kindred: 'pang', reason: 'bad_cookie' },
  ] as const;

  it('kindred answers like Erlang, case by case, and both log the wrong cookie naming the peer', async () => {
    // kindred's n1 and erl's n1 run side by side: kindred on its port 4370, erl on EPMD's port.
    const n1 = await startKindred(host, ['--name', 'n1', '--cookie', COOKIE]);
    children.push(n1.child);
    const erl = host.spawn(['erl', '-name', 'n1', '-setcookie', COOKIE, '-noshell', '-noinput']);
    children.push(erl);
    let erlLog = '';
    erl.stdout?.on('data', (d) => {
      erlLog += d;
    });
    erl.stderr?.on('data', (d) => {
      erlLog += d;
    });
    await until('erl n1 registered in epmd', async () =>
      (await host.exec(['epmd', '-names'])).stdout.includes('n1'),
    );

    for (const c of cases) {
      const k = await kindred(host, ['ping', c.target, '--name', 'n2', '--cookie', c.cookie, '--json']);
      const result = JSON.parse(k.stdout) as { result: string; node: string; reason: string | null };
      expect({ target: c.target, cookie: c.cookie, ...result }).toMatchObject({
        target: c.target,
        result: c.kindred,
        reason: c.reason,
      });
      expect(k.code).toBe(c.kindred === 'pong' ? 0 : 1);
      if (c.reason === 'illegal_hostname') {
        const host = c.target.split('@')[1];
        expect(k.stderr).toContain(
          `** System running to use fully qualified hostnames **\n** Hostname ${host} is illegal **`,
        );
      }

      const e = await host.exec(
        [
          'erl',
          '-name',
          'n2',
          '-setcookie',
          c.cookie,
          '-noshell',
          '-eval',
          `io:format("RESULT ~p~n", [net_adm:ping('${c.target}')]), halt().`,
        ],
        { timeoutMs: 20_000 },
      );
      const erlResult = /RESULT (pong|pang)/.exec(e.stdout)?.[1];
      expect({ target: c.target, cookie: c.cookie, erl: erlResult }).toEqual({
        target: c.target,
        cookie: c.cookie,
        erl: c.kindred,
      });
      if (c.reason === 'illegal_hostname') {
        expect(e.stdout + e.stderr).toContain(`Hostname ${c.target.split('@')[1]} is illegal`);
      }
    }

    await until('erl n1 logged the wrong cookie', async () => erlLog.includes('Invalid challenge reply'));
    expect(erlLog).toContain(
      "Connection attempt from node 'n2@imacpro.home' rejected. Invalid challenge reply.",
    );
    expect(n1.stderr()).toContain(
      "** Connection attempt from node 'n2@imacpro.home' rejected. Invalid challenge reply. **",
    );
  });
});

describe('two pods: a node may only claim a name whose host resolves to its own address', () => {
  let net: LabNetwork;
  let a: LabHost;
  let b: LabHost;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await assertLabPrerequisites();
    net = await LabNetwork.create();
    const hosts =
      '127.0.0.1\tlocalhost\n10.244.1.2\tpod-a.web.default.svc.cluster.local pod-a\n10.244.1.3\tpod-b.web.default.svc.cluster.local pod-b\n';
    const resolvConf = 'nameserver 127.0.0.1\n';
    a = await net.addHost({ hostname: 'pod-a', address: '10.244.1.2', hostsFile: hosts, resolvConf });
    b = await net.addHost({ hostname: 'pod-b', address: '10.244.1.3', hostsFile: hosts, resolvConf });
  }, 60_000);

  afterAll(async () => {
    for (const c of children) stop(c);
    await net?.destroy();
  });

  it("refuses pod-b claiming pod-a's name (not_allowed) and accepts pod-b under its own name", async () => {
    const n1 = await startKindred(a, ['--name', 'n1', '--cookie', COOKIE]);
    children.push(n1.child);
    const target = 'n1@pod-a.web.default.svc.cluster.local';

    const imposter = await kindred(b, [
      'ping',
      target,
      '--name',
      'app@pod-a.web.default.svc.cluster.local',
      '--cookie',
      COOKIE,
      '--json',
    ]);
    expect(JSON.parse(imposter.stdout)).toMatchObject({ result: 'pang', reason: 'not_allowed' });
    expect(imposter.code).toBe(1);

    const honest = await kindred(b, ['ping', target, '--name', 'app', '--cookie', COOKIE, '--json']);
    expect(JSON.parse(honest.stdout)).toMatchObject({ result: 'pong' });

    expect(n1.stderr()).toContain(
      "Connection attempt from node 'app@pod-a.web.default.svc.cluster.local' refused: its host resolves to 10.244.1.2, not to 10.244.1.3",
    );
  });
});
