import { execFile } from 'node:child_process';
import { Resolver } from '@kindred/dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorednsModel, corednsZone } from '../src/coredns-zone.js';
import { type DnsServer, freeDnsPort, startDnsServer } from '../src/dns-server.js';

// A real BIND 9 on loopback (IPv4 and IPv6, a free high port) serving zones shaped like CoreDNS's answers, queried
// by dig and by our Resolver.

const port = await freeDnsPort(['127.0.0.1', '::1']);
const BASE = 'web-headless.default.svc.cluster.local';

const model = (endpointPodNames: boolean, pods = ['web-7f9c-aaaaa', 'web-7f9c-bbbbb']): CorednsModel => ({
  endpointPodNames,
  services: [
    {
      namespace: 'default',
      name: 'web-headless',
      headless: true,
      ports: [{ name: 'discovery', protocol: 'TCP', port: 8585 }],
      endpoints: pods.map((podName, i) => ({ podName, ip: `10.244.1.${i + 5}`, ready: true })),
    },
    {
      namespace: 'default',
      name: 'empty',
      headless: true,
      ports: [{ name: 'discovery', port: 8585 }],
      endpoints: [{ podName: 'empty-0', ip: '10.244.9.9', ready: false }],
    },
    {
      namespace: 'default',
      name: 'dual',
      headless: true,
      ports: [{ name: 'discovery', port: 8585 }],
      endpoints: [
        { podName: 'dual-0', ip: '10.244.2.5', ready: true },
        { podName: 'dual-0', ip: 'fd00:10:244::5', ready: true },
      ],
    },
  ],
});

const big = (n: number): CorednsModel => ({
  endpointPodNames: true,
  services: [
    {
      namespace: 'big',
      name: 'many',
      headless: true,
      ports: [{ name: 'discovery', port: 8585 }],
      endpoints: Array.from({ length: n }, (_, i) => ({
        podName: `many-${String(i).padStart(3, '0')}`,
        ip: `10.245.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        ready: true,
      })),
    },
  ],
});

const LOOPS = `$TTL 30
loops.test. IN SOA ns.loops.test. hostmaster.loops.test. 1 7200 1800 86400 30
loops.test. IN NS ns.loops.test.
ns.loops.test. IN A 127.0.0.1
${Array.from({ length: 10 }, (_, i) => `c${i}.loops.test. IN CNAME c${i + 1}.loops.test.`).join('\n')}
c10.loops.test. IN A 192.0.2.10
ext.loops.test. IN CNAME web-headless.default.svc.cluster.local.
alias.loops.test. IN CNAME real.loops.test.
real.loops.test. IN A 192.0.2.44
`;
// BIND refuses to load a zone with a CNAME beside other data; queries for it then get SERVFAIL.
const BROKEN = `$TTL 30
broken.test. IN SOA ns.broken.test. hostmaster.broken.test. 1 7200 1800 86400 30
broken.test. IN NS ns.broken.test.
ns.broken.test. IN A 127.0.0.1
x.broken.test. IN CNAME y.broken.test.
x.broken.test. IN A 192.0.2.1
`;

function dig(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dig', ['-p', String(port), '@127.0.0.1', '+norec', ...args], (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

let server: DnsServer;
const resolver = new Resolver({
  nameservers: [`[::1]:${port}`],
  search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
  ndots: 5,
  timeoutMs: 1000,
  attempts: 1,
  resolvConfPath: '/nonexistent/resolv.conf',
  hostsPath: '/nonexistent/hosts',
});

beforeAll(async () => {
  server = await startDnsServer({
    zones: [
      { origin: 'cluster.local', text: corednsZone(model(true)) },
      { origin: 'loops.test', text: LOOPS },
      { origin: 'broken.test', text: BROKEN, expectLoadFailure: true },
    ],
    listen: [
      { address: '127.0.0.1', port },
      { address: '::1', port },
    ],
  });
});
afterAll(async () => {
  await server?.stop();
});

describe('startDnsServer (real BIND 9) with CoreDNS-shaped zones', () => {
  it('answers SRV with the targets A records in the Additional section (minimal-responses no)', async () => {
    const out = await dig('+noall', '+answer', '+additional', `_discovery._tcp.${BASE}`, 'SRV');
    expect(out).toMatch(
      new RegExp(`_discovery._tcp.${BASE}.\\s+30\\s+IN\\s+SRV\\s+0 50 8585 web-7f9c-aaaaa.${BASE}.`),
    );
    expect(out).toMatch(new RegExp(`web-7f9c-bbbbb.${BASE}.\\s+30\\s+IN\\s+A\\s+10.244.1.6`));
  });

  it('resolves the seed query through the search list: A at the SRV name, then SRV with addresses', async () => {
    const a = await resolver.lookupHost('_discovery._tcp.web-headless');
    // BIND rotates the order of an RRset between answers (as CoreDNS may); compare as sets.
    expect({ ...a, addresses: [...a.addresses].sort() }).toEqual({
      name: '_discovery._tcp.web-headless',
      fqdn: `_discovery._tcp.${BASE}`,
      addresses: ['10.244.1.5', '10.244.1.6'],
      source: 'dns',
    });
    const srv = await resolver.resolveSrv(`${a.fqdn}.`);
    expect([...srv.targets].sort((x, y) => x.target.localeCompare(y.target))).toEqual([
      {
        target: `web-7f9c-aaaaa.${BASE}`,
        port: 8585,
        priority: 0,
        weight: 50,
        addresses: ['10.244.1.5'],
        ttl: 30,
      },
      {
        target: `web-7f9c-bbbbb.${BASE}`,
        port: 8585,
        priority: 0,
        weight: 50,
        addresses: ['10.244.1.6'],
        ttl: 30,
      },
    ]);
  });

  it('resolves IPv6: AAAA through the search list, and SRV targets with AAAA glue', async () => {
    expect(await resolver.lookupHost('dual', { family: 6 })).toMatchObject({
      fqdn: 'dual.default.svc.cluster.local',
      addresses: ['fd00:10:244::5'],
    });
    const both = await resolver.lookupHost('dual');
    expect([...both.addresses].sort()).toEqual(['10.244.2.5', 'fd00:10:244::5']);
    const srv = await resolver.resolveSrv('_discovery._tcp.dual');
    expect(srv.targets).toEqual([
      expect.objectContaining({
        target: 'dual-0.dual.default.svc.cluster.local',
        addresses: ['10.244.2.5', 'fd00:10:244::5'],
      }),
    ]);
  });

  it('tells NXDOMAIN (headless service without ready endpoints, unknown port) from NODATA', async () => {
    await expect(
      resolver.resolve(`_discovery._tcp.empty.default.svc.cluster.local.`, 'SRV'),
    ).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_NXDOMAIN',
    });
    await expect(resolver.resolve(`_nope._tcp.${BASE}.`, 'SRV')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_NXDOMAIN',
    });
    await expect(resolver.resolve(`${BASE}.`, 'TXT')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_NODATA',
      details: expect.objectContaining({ negativeTtl: 30 }),
    });
  });

  it('answers SERVFAIL for a zone BIND could not load', async () => {
    expect(server.log()).toMatch(/broken\.test\/IN: not loaded due to errors/);
    await expect(resolver.resolve('x.broken.test.', 'A')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_SERVFAIL',
    });
  });

  it('follows CNAMEs, within an answer and across zones, and stops over-long chains', async () => {
    const res = await resolver.resolve('alias.loops.test.', 'A');
    expect(res).toMatchObject({ fqdn: 'alias.loops.test', canonical: 'real.loops.test', ttl: 30 });
    expect(res.answers.map((a) => a.data)).toEqual(['192.0.2.44']);
    expect((await resolver.lookupHost('alias.loops.test.')).fqdn).toBe('real.loops.test');
    // BIND answers only the CNAME when its target is in another zone: the resolver asks again for the target.
    const ext = await resolver.lookupHost('ext.loops.test.');
    expect(ext.fqdn).toBe(BASE);
    expect([...ext.addresses].sort()).toEqual(['10.244.1.5', '10.244.1.6']);
    // c0 -> c1 -> ... -> c10: ten CNAMEs, more than the default maxCnameChain (8).
    await expect(resolver.resolve('c0.loops.test.', 'A')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_CNAME_CHAIN',
    });
    const patient = new Resolver({ nameservers: [`127.0.0.1:${port}`], maxCnameChain: 10, search: [] });
    expect((await patient.resolve('c0.loops.test.', 'A')).canonical).toBe('c10.loops.test');
  });

  it('serves dashed-IP targets without endpoint_pod_names after an update, with a new serial', async () => {
    const before = server.serials.get('cluster.local')!;
    await server.update([{ origin: 'cluster.local', text: corednsZone(model(false)) }]);
    expect(server.serials.get('cluster.local')).toBe(before + 1);
    const srv = await resolver.resolveSrv('_discovery._tcp.web-headless');
    expect(srv.targets.map((t) => t.target).sort()).toEqual([`10-244-1-5.${BASE}`, `10-244-1-6.${BASE}`]);
    await server.update([{ origin: 'cluster.local', text: corednsZone(model(true)) }]);
  });

  it('retries over TCP for a truncated answer: an SRV set of 500 targets, every address found', async () => {
    await server.update([{ origin: 'cluster.local', text: corednsZone(big(500)) }]);
    const udpOnly = await dig(
      '+noall',
      '+comments',
      '+ignore',
      '+bufsize=0',
      '_discovery._tcp.many.big.svc.cluster.local',
      'SRV',
    );
    expect(udpOnly).toMatch(/flags:[^;]*\btc\b/);
    const before = resolver.stats.tcpFallbacks;
    const srv = await resolver.resolveSrv('_discovery._tcp.many.big.svc.cluster.local.');
    expect(resolver.stats.tcpFallbacks).toBe(before + 1);
    expect(srv.targets).toHaveLength(500);
    expect(srv.targets.every((t) => t.weight === 1 && t.port === 8585 && t.addresses.length === 1)).toBe(
      true,
    );
    expect(new Set(srv.targets.map((t) => t.addresses[0])).size).toBe(500);
    await server.update([{ origin: 'cluster.local', text: corednsZone(model(true)) }]);
  });
});
