import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorednsModel, corednsZone } from '../src/coredns-zone.js';
import { type DnsServer, startDnsServer } from '../src/dns-server.js';
import { assertLabPrerequisites } from '../src/netns.js';

// glibc is the oracle for the resolver's search order. In a network namespace of our own whose resolv.conf is
// kubelet's (search <ns>.svc.cluster.local svc.cluster.local cluster.local, ndots:5) and whose nameserver is a BIND
// inside it on 127.0.0.1:53 with its query log on, `getent ahostsv4 NAME` (glibc getaddrinfo, AF_INET) and
// `kindred discover NAME --type a` (our Resolver) must send the same A queries in the same order, and find the same
// addresses. Needs root and the built CLI (packages/cli/dist; `npm test` builds first).

const KINDRED = join(dirname(fileURLToPath(import.meta.url)), '../../../packages/cli/bin/kindred.js');
const NETNS = `kdns-${randomBytes(3).toString('hex')}`;
const ETC = `/etc/netns/${NETNS}`;

const model: CorednsModel = {
  endpointPodNames: true,
  services: [
    {
      namespace: 'default',
      name: 'web-headless',
      headless: true,
      ports: [{ name: 'discovery', protocol: 'TCP', port: 8585 }],
      endpoints: [
        { podName: 'web-0', ip: '10.244.1.5', ready: true },
        { podName: 'web-1', ip: '10.244.1.6', ready: true },
      ],
    },
  ],
};

function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', NETNS, ...argv], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let dns: DnsServer;

/** The queries BIND logs while `argv` runs (waiting until its log has been quiet for a moment). */
async function queriesOf(argv: string[]): Promise<{ queries: string[]; stdout: string; code: number }> {
  const before = dns.queries().length;
  const result = await run(argv);
  let count = -1;
  while (count !== dns.queries().length) {
    count = dns.queries().length;
    await new Promise((r) => setTimeout(r, 150));
  }
  const queries = dns
    .queries()
    .slice(before)
    .map((q) => `${q.name} ${q.type}`);
  return { queries, stdout: result.stdout, code: result.code };
}

beforeAll(async () => {
  await assertLabPrerequisites();
  await mkdir(ETC, { recursive: true });
  await writeFile(
    join(ETC, 'resolv.conf'),
    'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n',
  );
  await writeFile(join(ETC, 'hosts'), '127.0.0.1\tlocalhost\n');
  for (const args of [
    ['netns', 'add', NETNS],
    ['-n', NETNS, 'link', 'set', 'lo', 'up'],
    // getaddrinfo's AI_ADDRCONFIG (getent ahosts sets it) ignores loopback: give the namespace one real IPv4 address.
    // (No dummy module here: a veth pair with both ends inside the namespace does it.)
    ['-n', NETNS, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'],
    ['-n', NETNS, 'addr', 'add', '192.0.2.10/32', 'dev', 'v0'],
    ['-n', NETNS, 'link', 'set', 'v0', 'up'],
    ['-n', NETNS, 'link', 'set', 'v1', 'up'],
  ]) {
    await new Promise<void>((resolve, reject) =>
      execFile('ip', args, (err, _o, stderr) =>
        err ? reject(new Error(`ip ${args.join(' ')}: ${stderr}`)) : resolve(),
      ),
    );
  }
  dns = await startDnsServer({
    zones: [{ origin: 'cluster.local', text: corednsZone(model) }],
    listen: [{ address: '127.0.0.1', port: 53 }],
    netns: NETNS,
    queryLog: true,
  });
});

afterAll(async () => {
  await dns?.stop();
  await new Promise((resolve) => execFile('ip', ['netns', 'del', NETNS], resolve));
  await rm(ETC, { recursive: true, force: true });
});

describe('our resolver asks what glibc asks', () => {
  for (const name of [
    'web-headless',
    '_discovery._tcp.web-headless',
    'web-0.web-headless.default.svc',
    'web-0.web-headless.default.svc.cluster.local',
    'no-such-service',
    'web-headless.default.svc.cluster.local.',
  ]) {
    it(name, async () => {
      const glibc = await queriesOf(['getent', 'ahostsv4', name]);
      const ours = await queriesOf(['node', KINDRED, 'discover', name, '--type', 'a', '--json']);
      expect(ours.queries).toEqual(glibc.queries);
      expect(ours.queries.length).toBeGreaterThan(0);
      const glibcAddresses = [
        ...new Set(
          glibc.stdout
            .split('\n')
            .map((l) => l.split(/\s+/)[0])
            .filter(Boolean),
        ),
      ].sort();
      if (glibc.code === 0) {
        expect(ours.code).toBe(0);
        expect(JSON.parse(ours.stdout).addresses).toEqual(glibcAddresses);
      } else {
        expect(ours.code).toBe(1);
      }
    });
  }
});
