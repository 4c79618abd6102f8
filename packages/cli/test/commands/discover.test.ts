import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CorednsModel,
  corednsZone,
  type DnsServer,
  freeDnsPort,
  headlessServiceModel,
  startDnsServer,
} from '@kindred/lab';
import { rawRecord, srvData, startRawDnsServer } from '@kindred/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportFailure } from '../../src/command.js';
import { createDiscoverCommand } from '../../src/commands/discover.js';
import { captureIO } from '../support.js';

// `kindred discover` in-process against a real BIND 9 on loopback (a free high port) serving CoreDNS-shaped records;
// resolv.conf and hosts are files of this test. The namespace test with erl is discover.integration.test.ts.

const port = await freeDnsPort();
const BASE = 'web-headless.default.svc.cluster.local';

const model = (endpointPodNames: boolean): CorednsModel =>
  headlessServiceModel({
    name: 'web-headless',
    endpointPodNames,
    endpoints: ['web-7f9c-bbbbb', 'web-7f9c-aaaaa', 'web-7f9c-ccccc'].map((podName, i) => ({
      podName,
      ip: `10.244.1.${12 - i}`,
    })),
  });

let server: DnsServer;
let dir: string;

async function discover(...argv: string[]) {
  return discoverWithEnv({}, ...argv);
}

async function discoverWithEnv(env: NodeJS.ProcessEnv, ...argv: string[]) {
  const io = captureIO(env);
  const command = createDiscoverCommand({
    resolvConfPath: join(dir, 'resolv.conf'),
    hostsPath: join(dir, 'hosts'),
  });
  let code: number;
  try {
    code = await command.run(argv, io);
  } catch (e) {
    code = reportFailure(io, 'discover', e);
  }
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kindred-discover-'));
  await writeFile(
    join(dir, 'resolv.conf'),
    `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5 timeout:1 attempts:1\n`,
  );
  await writeFile(join(dir, 'hosts'), '127.0.0.1 localhost\n');
  server = await startDnsServer({
    zones: [{ origin: 'cluster.local', text: corednsZone(model(true)) }],
    listen: [{ address: '127.0.0.1', port }],
  });
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('kindred discover', () => {
  it('--json prints the seed lookup exactly: query, fqdn, type, targets sorted by name', async () => {
    const r = await discover('_discovery._tcp.web-headless', '--json', '--nameserver', `127.0.0.1:${port}`);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(r.out);
    expect(parsed).toEqual({
      query: '_discovery._tcp.web-headless',
      fqdn: `_discovery._tcp.${BASE}`,
      type: 'srv',
      targets: [
        { target: `web-7f9c-aaaaa.${BASE}`, port: 8585, priority: 0, weight: 33, addresses: ['10.244.1.11'] },
        { target: `web-7f9c-bbbbb.${BASE}`, port: 8585, priority: 0, weight: 33, addresses: ['10.244.1.12'] },
        { target: `web-7f9c-ccccc.${BASE}`, port: 8585, priority: 0, weight: 33, addresses: ['10.244.1.10'] },
      ],
    });
    expect(Object.keys(parsed)).toEqual(['query', 'fqdn', 'type', 'targets']);
  });

  it('--type a and aaaa put addresses at the top level', async () => {
    const a = await discover('web-headless', '--type', 'a', '--json', '--nameserver', `127.0.0.1:${port}`);
    expect(JSON.parse(a.out)).toEqual({
      query: 'web-headless',
      fqdn: BASE,
      type: 'a',
      addresses: ['10.244.1.10', '10.244.1.11', '10.244.1.12'],
    });
    const aaaa = await discover(
      'web-headless',
      '--type',
      'aaaa',
      '--json',
      '--nameserver',
      `127.0.0.1:${port}`,
    );
    expect(aaaa.code).toBe(1);
    expect(aaaa.err).toMatch(/^kindred discover: .*\(KINDRED_ERR_DNS_NODATA\)\n$/);
  });

  it('prints a table, and warns when CoreDNS lacks endpoint_pod_names', async () => {
    const named = await discover('_discovery._tcp.web-headless', '--nameserver', `127.0.0.1:${port}`);
    expect(named.out).toContain(`web-7f9c-aaaaa.${BASE}  8585   0     33      10.244.1.11`);
    expect(named.out).not.toContain('note:');
    await server.update([{ origin: 'cluster.local', text: corednsZone(model(false)) }]);
    try {
      const dashed = await discover('_discovery._tcp.web-headless', '--nameserver', `127.0.0.1:${port}`);
      expect(dashed.out).toContain(`10-244-1-10.${BASE}`);
      expect(dashed.out).toContain('endpoint_pod_names');
    } finally {
      await server.update([{ origin: 'cluster.local', text: corednsZone(model(true)) }]);
    }
  });

  it('fails with exit 1 and one line with the reason and code, no stack trace', async () => {
    const nx = await discover('_discovery._tcp.nope', '--nameserver', `127.0.0.1:${port}`);
    expect(nx.code).toBe(1);
    expect(nx.out).toBe('');
    expect(nx.err.split('\n')).toHaveLength(2);
    expect(nx.err).toMatch(
      /^kindred discover: _discovery\._tcp\.nope does not exist .*\(KINDRED_ERR_DNS_NXDOMAIN\)\n$/,
    );
    // resolv.conf's own nameserver (127.0.0.1:53) runs nothing here: ICMP unreachable, the timeout code.
    const down = await discover('_discovery._tcp.web-headless');
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/\(KINDRED_ERR_DNS_TIMEOUT\)\n$/);
    expect(down.err).not.toMatch(/\n\s+at /);
  });

  it('rejects bad command lines with exit 2', async () => {
    expect((await discover()).code).toBe(2);
    expect((await discover('a', 'b')).code).toBe(2);
    expect((await discover('x', '--type', 'mx')).err).toMatch(/--type must be srv, a or aaaa/);
    const bad = await discover('x', '--nameserver', 'dns.example');
    expect(bad).toMatchObject({ code: 2, err: expect.stringMatching(/--nameserver/) });
  });

  it('takes the query from KINDRED_DISCOVERY when none is given', async () => {
    const ns = ['--json', '--nameserver', `127.0.0.1:${port}`];
    const srv = await discoverWithEnv({ KINDRED_DISCOVERY: 'dns-srv:_discovery._tcp.web-headless' }, ...ns);
    expect(JSON.parse(srv.out)).toMatchObject({ type: 'srv', fqdn: `_discovery._tcp.${BASE}` });
    const a = await discoverWithEnv({ KINDRED_DISCOVERY: 'dns-a:web-headless' }, ...ns);
    expect(JSON.parse(a.out)).toMatchObject({ type: 'a', fqdn: BASE });
    const st = await discoverWithEnv({ KINDRED_DISCOVERY: 'static:a@h' }, ...ns);
    expect(st.code).toBe(2);
  });

  it('warns on stderr and marks the JSON partial when the SRV deadline cuts target lookups short', async () => {
    // A raw fake on loopback: SRV with two glue-less targets; only pod-a's A query is ever answered.
    const fake = await startRawDnsServer((q) => {
      if (q.type === 33)
        return ['pod-a.t.test', 'pod-b.t.test'].map((t) => rawRecord(q.name, 33, srvData(t, 8585)));
      if (q.name.startsWith('pod-b.')) return undefined;
      if (q.type === 1) return [rawRecord(q.name, 1, Buffer.from([10, 9, 9, 9]))];
      return [];
    });
    try {
      const io = captureIO();
      const command = createDiscoverCommand({
        resolvConfPath: join(dir, 'resolv.conf'),
        hostsPath: join(dir, 'hosts'),
        timeoutMs: 600_000,
        srvDeadlineMs: 300,
      });
      const args = ['_d._tcp.t.test.', '--json', '--nameserver', `127.0.0.1:${fake.port}`];
      expect(await command.run(args, io)).toBe(0);
      expect(JSON.parse(io.out())).toMatchObject({
        targets: [
          { target: 'pod-a.t.test', addresses: ['10.9.9.9'] },
          { target: 'pod-b.t.test', addresses: [] },
        ],
        partial: { code: 'KINDRED_ERR_DNS_DEADLINE', unresolved: ['pod-b.t.test'] },
      });
      expect(io.err()).toMatch(
        /^kindred discover: warning: .*deadline \(300 ms\).*\(KINDRED_ERR_DNS_DEADLINE\)\n$/,
      );
    } finally {
      fake.close();
    }
  });

  it('has --help', () => {
    expect(createDiscoverCommand().help).toMatch(/Exit codes:/);
  });
});
