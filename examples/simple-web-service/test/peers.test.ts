// The app's discovery specs against a real BIND on loopback serving CoreDNS's records for the headless service.
import { createServer } from 'node:net';
import { Resolver } from '@kindred/dns';
import { corednsZone, type DnsServer, startDnsServer } from '@kindred/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerSource } from '../src/peers.js';

const SVC = 'simple-web-service-headless';
const PODS = [
  { podName: 'simple-web-service-5d9c-x2k4q', ip: '10.244.1.5', ready: true },
  { podName: 'simple-web-service-5d9c-7zltb', ip: '10.244.1.6', ready: true },
];

async function freeUdpishPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('peerSource', () => {
  let dns: DnsServer;
  let resolver: Resolver;
  beforeAll(async () => {
    const port = await freeUdpishPort();
    dns = await startDnsServer({
      zones: [
        {
          origin: 'cluster.local',
          text: corednsZone({
            endpointPodNames: true,
            services: [
              {
                namespace: 'default',
                name: SVC,
                headless: true,
                ports: [{ name: 'discovery', protocol: 'TCP', port: 8585 }],
                endpoints: PODS,
              },
            ],
          }),
        },
      ],
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

  it('dns-srv: each SRV target becomes <name>@<target> dialled on the SRV port at its address', async () => {
    const peers = await peerSource(`dns-srv:_discovery._tcp.${SVC}`, 'app', 1, resolver).list();
    expect(peers.sort((x, y) => x.node.localeCompare(y.node))).toEqual(
      PODS.map((p) => ({
        node: `app@${p.podName}.${SVC}.default.svc.cluster.local`,
        port: 8585,
        address: p.ip,
      })).sort((x, y) => x.node.localeCompare(y.node)),
    );
  });

  it('dns-a: each address becomes <name>@<ip> on the configured port', async () => {
    const peers = await peerSource(`dns-a:${SVC}`, 'app', 8585, resolver).list();
    expect(peers.map((p) => p.node).sort()).toEqual(['app@10.244.1.5', 'app@10.244.1.6']);
    expect(peers.every((p) => p.port === 8585)).toBe(true);
  });

  it('dns-srv: a missing service rejects with the DNS code (the app keeps its cluster then)', async () => {
    await expect(peerSource('dns-srv:_discovery._tcp.nope', 'app', 1, resolver).list()).rejects.toMatchObject(
      {
        code: expect.stringMatching(/^KINDRED_ERR_DNS_/),
      },
    );
  });

  it('static: NODE@HOST[:PORT] items, the default port otherwise; malformed items are refused', async () => {
    expect(await peerSource('static:a@127.0.0.1:4370, b@h.example', 'x', 8585, resolver).list()).toEqual([
      { node: 'a@127.0.0.1', port: 4370 },
      { node: 'b@h.example', port: 8585 },
    ]);
    expect(() => peerSource('static:nohost', 'x', 1, resolver)).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_APP_CONFIG' }),
    );
    expect(() => peerSource('static:a@h:99999', 'x', 1, resolver)).toThrow(/bad port/);
    expect(() => peerSource('consul:x', 'x', 1, resolver)).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_APP_CONFIG' }),
    );
  });
});
