// The app's discovery specs against a real BIND on loopback serving CoreDNS's records for the headless service.
import { Resolver } from '@kindred/dns';
import { corednsZone, type DnsServer, freeDnsPort, headlessServiceModel, startDnsServer } from '@kindred/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoveryStrategy } from '../src/strategy.js';

const SVC = 'simple-web-service-headless';
const PODS = [
  { podName: 'simple-web-service-5d9c-x2k4q', ip: '10.244.1.5', ready: true },
  { podName: 'simple-web-service-5d9c-7zltb', ip: '10.244.1.6', ready: true },
];

describe('discoveryStrategy', () => {
  let dns: DnsServer;
  let resolver: Resolver;
  beforeAll(async () => {
    // Free for UDP and TCP (a TCP-only check could hand BIND a UDP port another test holds).
    const port = await freeDnsPort();
    const text = corednsZone(headlessServiceModel({ name: SVC, endpointPodNames: true, endpoints: PODS }));
    dns = await startDnsServer({
      zones: [{ origin: 'cluster.local', text }],
      listen: [{ address: '127.0.0.1', port }],
    });
    // The search list and ndots a pod gets from kubelet.
    resolver = new Resolver({
      nameservers: [`127.0.0.1:${port}`],
      search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
      resolvConfPath: '/nonexistent',
    });
  });
  afterAll(async () => {
    await dns?.stop();
  });

  it('dns-srv: peers are <KINDRED_NAME>@<SRV target> on the SRV port, with their addresses', async () => {
    const s = discoveryStrategy(`dns-srv:_discovery._tcp.${SVC}`, 'app', 1, resolver);
    const peers = await s.list();
    expect(peers.map((p) => [p.node, p.port, p.addresses]).sort()).toEqual(
      PODS.map((p) => [`app@${p.podName}.${SVC}.default.svc.cluster.local`, 8585, [p.ip]]).sort(),
    );
    expect([s.runs, s.errors]).toEqual([1, 0]);
  });

  it('dns-a: peers are <KINDRED_NAME>@<ip> on KINDRED_PORT (A records carry no port)', async () => {
    const peers = await discoveryStrategy(`dns-a:${SVC}`, 'app', 8585, resolver).list();
    expect(peers.map((p) => p.node).sort()).toEqual(['app@10.244.1.5', 'app@10.244.1.6']);
    expect(peers.every((p) => p.port === 8585)).toBe(true);
  });

  it("passes the poll's context on: an already-aborted deadline signal ends the DNS lookup at once", async () => {
    const s = discoveryStrategy(`dns-srv:_discovery._tcp.${SVC}`, 'app', 1, resolver);
    const outcome = await s.list({ signal: AbortSignal.abort() }).then(
      (peers) => ({ peers }),
      (err: unknown) => ({ err }),
    );
    // Either nothing resolved (a coded rejection) or the answer came back partial: never the full three peers.
    if ('err' in outcome) expect(outcome.err).toMatchObject({ code: expect.stringMatching(/^KINDRED_ERR_/) });
    else expect(outcome.peers.every((p) => p.addresses.length === 0)).toBe(true);
    expect(s.runs).toBe(1);
  });

  it('counts a failed lookup (readiness only needs one round, failed or not)', async () => {
    const s = discoveryStrategy('dns-srv:_discovery._tcp.nope', 'app', 1, resolver);
    await expect(s.list()).rejects.toMatchObject({ code: expect.stringMatching(/^KINDRED_ERR_DNS_/) });
    expect([s.runs, s.errors]).toEqual([1, 1]);
  });

  it('static: listed nodes, KINDRED_PORT when an entry has no port; a bad spec names KINDRED_DISCOVERY', async () => {
    const peers = await discoveryStrategy('static:a@127.0.0.1:4370,b@h.example', 'x', 8585).list();
    expect(peers.map((p) => [p.node, p.port])).toEqual([
      ['a@127.0.0.1', 4370],
      ['b@h.example', 8585],
    ]);
    for (const bad of ['static:nohost', 'consul:x']) {
      expect(() => discoveryStrategy(bad, 'x', 1)).toThrow(
        expect.objectContaining({
          code: 'KINDRED_ERR_APP_CONFIG',
          message: expect.stringContaining('KINDRED_DISCOVERY'),
        }),
      );
    }
  });
});
