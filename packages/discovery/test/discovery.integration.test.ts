import { Resolver } from '@kindred/dns';
import {
  type CorednsModel,
  corednsZone,
  type DnsServer,
  freeDnsPort,
  headlessServiceModel,
  startDnsServer,
} from '@kindred/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscovery } from '../src/discovery.js';
import { reverseLookup } from '../src/reverse-lookup.js';
import { dnsA, dnsSrv } from '../src/strategies.js';

// Discovery against a real BIND 9 on loopback (a free high port) serving what CoreDNS's kubernetes plugin answers,
// with a kubelet-style search list and ndots:5.

const port = await freeDnsPort();
const BASE = 'web-headless.default.svc.cluster.local';
const QUERY = '_discovery._tcp.web-headless';

const model = (endpointPodNames: boolean, replicas: number, extra = 0): CorednsModel =>
  headlessServiceModel({
    name: 'web-headless',
    endpointPodNames,
    endpoints: Array.from({ length: replicas + extra }, (_, i) => ({
      podName: `web-7f9c-${String(i).padStart(3, '0')}`,
      ip: `10.244.${Math.floor(i / 250) + 1}.${(i % 250) + 5}`,
      ready: i < replicas, // the extra ones are not ready: not published
    })),
  });

let server: DnsServer;
const resolver = new Resolver({
  nameservers: [`127.0.0.1:${port}`],
  search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
  ndots: 5,
  timeoutMs: 300,
  attempts: 1,
  resolvConfPath: '/nonexistent/resolv.conf',
  hostsPath: '/nonexistent/hosts',
});
const serve = (m: CorednsModel) => server.update([{ origin: 'cluster.local', text: corednsZone(m) }]);

beforeAll(async () => {
  server = await startDnsServer({
    zones: [{ origin: 'cluster.local', text: corednsZone(model(true, 2)) }],
    listen: [{ address: '127.0.0.1', port }],
  });
});
afterAll(async () => {
  await server?.stop();
});

describe('discovery against BIND serving CoreDNS-shaped records', () => {
  it("reverseLookup is the seed's k8s_reverse_lookup: pod-name targets with endpoint_pod_names", async () => {
    const res = await reverseLookup(QUERY, { resolver });
    expect(res.fqdn).toBe(`_discovery._tcp.${BASE}`);
    expect([...res.targets].sort((a, b) => a.target.localeCompare(b.target))).toEqual([
      {
        target: `web-7f9c-000.${BASE}`,
        port: 8585,
        priority: 0,
        weight: 50,
        addresses: ['10.244.1.5'],
        ttl: 30,
      },
      {
        target: `web-7f9c-001.${BASE}`,
        port: 8585,
        priority: 0,
        weight: 50,
        addresses: ['10.244.1.6'],
        ttl: 30,
      },
    ]);
    expect(await dnsSrv(QUERY, { resolver, basename: 'app' }).list()).toEqual([
      {
        node: `app@web-7f9c-000.${BASE}`,
        host: `web-7f9c-000.${BASE}`,
        port: 8585,
        addresses: ['10.244.1.5'],
      },
      {
        node: `app@web-7f9c-001.${BASE}`,
        host: `web-7f9c-001.${BASE}`,
        port: 8585,
        addresses: ['10.244.1.6'],
      },
    ]);
    expect(
      (await dnsA('web-headless', { resolver, basename: 'app', port: 8585 }).list()).map((p) => p.node),
    ).toEqual(['app@10.244.1.5', 'app@10.244.1.6']);
  });

  it('gets dashed-IP targets without endpoint_pod_names (why the seed patches CoreDNS)', async () => {
    await serve(model(false, 2));
    const peers = await dnsSrv(QUERY, { resolver, basename: 'app' }).list();
    expect(peers.map((p) => p.host)).toEqual([`10-244-1-5.${BASE}`, `10-244-1-6.${BASE}`]);
    await serve(model(true, 2));
  });

  it('fires each change once as records change between polls', async () => {
    let now = 0;
    const d = createDiscovery({
      strategy: dnsSrv(QUERY, { resolver, basename: 'app' }),
      graceMs: 1_000,
      stableMarginMs: 600_000,
      clock: () => now,
    });
    const events: string[] = [];
    d.on('add', (p) => events.push(`add ${p.host.split('.')[0]}`));
    d.on('remove', (p) => events.push(`remove ${p.host.split('.')[0]}`));
    d.on('error', (e) => events.push(`error ${e.code}`));

    await d.poll();
    expect(events.splice(0)).toEqual(['add web-7f9c-000', 'add web-7f9c-001']);
    await serve(model(true, 3));
    await d.poll();
    await d.poll();
    expect(events.splice(0)).toEqual(['add web-7f9c-002']);
    await serve(model(true, 1, 2)); // scale down: 001 and 002 become not ready
    await d.poll();
    expect(events.splice(0)).toEqual([]); // within the grace period
    now = 1_000;
    await d.poll();
    await d.poll();
    expect(events.splice(0)).toEqual(['remove web-7f9c-001', 'remove web-7f9c-002']);
    await serve(model(true, 0, 1));
    now = 2_000;
    await d.poll(); // a headless service with no ready endpoint is NXDOMAIN: an error, the last set is kept
    await d.poll();
    expect(events.splice(0)).toEqual(['error KINDRED_ERR_DNS_NXDOMAIN']);
    expect(d.peers().map((p) => p.host.split('.')[0])).toEqual(['web-7f9c-000']);
    await serve(model(true, 2));
    now = 3_000;
    await d.poll();
    expect(events.splice(0)).toEqual(['add web-7f9c-001']);
  });

  it('lists 500 peers from a truncated answer retried over TCP', async () => {
    await serve(model(true, 500));
    const peers = await dnsSrv(QUERY, { resolver, basename: 'app' }).list();
    expect(peers).toHaveLength(500);
    expect(peers.every((p) => p.port === 8585 && p.addresses.length === 1)).toBe(true);
    expect(resolver.stats.tcpFallbacks).toBeGreaterThan(0);
    await serve(model(true, 2));
  });

  it('keeps the last good set when the DNS server goes down, reporting KINDRED_ERR_DNS_TIMEOUT once', async () => {
    const d = createDiscovery({ strategy: dnsSrv(QUERY, { resolver, basename: 'app' }), graceMs: 0 });
    const errors: string[] = [];
    d.on('error', (e) => errors.push(e.code));
    await d.poll();
    expect(d.peers()).toHaveLength(2);
    await server.stop();
    await d.poll();
    await d.poll();
    expect(errors).toEqual(['KINDRED_ERR_DNS_TIMEOUT']);
    expect(d.peers()).toHaveLength(2);
  });
});
