import { describe, expect, it } from 'vitest';
import { type CorednsModel, corednsEndpointName, corednsZone, dashedIp } from '../src/coredns-zone.js';
import { LAB_ERRORS } from '../src/errors.js';

const svc = (endpointPodNames: boolean, extra: Partial<CorednsModel> = {}): CorednsModel => ({
  endpointPodNames,
  services: [
    {
      namespace: 'default',
      name: 'web-headless',
      headless: true,
      ports: [{ name: 'discovery', protocol: 'TCP', port: 8585 }],
      endpoints: [
        { podName: 'web-7f9c-aaaaa', ip: '10.244.1.5', ready: true },
        { podName: 'web-7f9c-bbbbb', ip: '10.244.1.6', ready: true },
        { podName: 'web-7f9c-ccccc', ip: '10.244.1.7', ready: false },
      ],
    },
  ],
  ...extra,
});

const records = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('$'));

describe('corednsEndpointName', () => {
  it('prefers hostname, then pod name with endpoint_pod_names (if < 64 chars), then the dashed IP', () => {
    expect(corednsEndpointName({ hostname: 'h', podName: 'p', ip: '10.0.0.1', ready: true }, true)).toBe('h');
    expect(corednsEndpointName({ podName: 'p', ip: '10.0.0.1', ready: true }, true)).toBe('p');
    expect(corednsEndpointName({ podName: 'p', ip: '10.0.0.1', ready: true }, false)).toBe('10-0-0-1');
    expect(corednsEndpointName({ podName: 'x'.repeat(64), ip: '10.0.0.1', ready: true }, true)).toBe(
      '10-0-0-1',
    );
    expect(corednsEndpointName({ podName: 'x'.repeat(63), ip: '10.0.0.1', ready: true }, true)).toBe(
      'x'.repeat(63),
    );
  });

  it('dashes IPv6 like CoreDNS, appending 0 after a trailing dash', () => {
    expect(dashedIp('fd00::5')).toBe('fd00--5');
    expect(dashedIp('fd00::')).toBe('fd00--0');
  });
});

describe('corednsZone', () => {
  it('publishes the ready endpoints of a headless service with pod names (endpoint_pod_names)', () => {
    const rr = records(corednsZone(svc(true)));
    const base = 'web-headless.default.svc.cluster.local.';
    expect(rr).toEqual([
      'cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30',
      'cluster.local. 30 IN NS ns.dns.cluster.local.',
      'ns.dns.cluster.local. 30 IN A 10.96.0.10',
      'dns-version.cluster.local. 30 IN TXT "1.1.0"',
      `${base} 30 IN A 10.244.1.5`,
      `${base} 30 IN A 10.244.1.6`,
      `web-7f9c-aaaaa.${base} 30 IN A 10.244.1.5`,
      `web-7f9c-bbbbb.${base} 30 IN A 10.244.1.6`,
      `_discovery._tcp.${base} 30 IN SRV 0 50 8585 web-7f9c-aaaaa.${base}`,
      `_discovery._tcp.${base} 30 IN SRV 0 50 8585 web-7f9c-bbbbb.${base}`,
      `_discovery._tcp.${base} 30 IN A 10.244.1.5`,
      `_discovery._tcp.${base} 30 IN A 10.244.1.6`,
      `${base} 30 IN SRV 0 50 8585 web-7f9c-aaaaa.${base}`,
      `${base} 30 IN SRV 0 50 8585 web-7f9c-bbbbb.${base}`,
      '10-244-1-5.default.pod.cluster.local. 30 IN A 10.244.1.5',
      '10-244-1-6.default.pod.cluster.local. 30 IN A 10.244.1.6',
    ]);
  });

  it('uses dashed-IP targets without endpoint_pod_names, and publishes not-ready endpoints on request', () => {
    const model = svc(false, { ttl: 5 });
    const text = corednsZone({
      ...model,
      services: model.services.map((s) => ({ ...s, publishNotReadyAddresses: true })),
    });
    expect(text).toContain(
      '_discovery._tcp.web-headless.default.svc.cluster.local. 5 IN SRV 0 33 8585 10-244-1-7.web-headless.default.svc.cluster.local.',
    );
    expect(text).not.toContain('web-7f9c');
  });

  it('gives weight max(1, floor(100/N)) and one <svc> SRV per endpoint x port', () => {
    const endpoints = Array.from({ length: 150 }, (_, i) => ({
      ip: `10.244.${Math.floor(i / 200)}.${(i % 200) + 1}`,
      ready: true,
    }));
    const text = corednsZone({
      endpointPodNames: false,
      services: [
        {
          namespace: 'ns',
          name: 's',
          headless: true,
          ports: [
            { name: 'a', port: 1 },
            { name: 'b', protocol: 'UDP', port: 2 },
          ],
          endpoints,
        },
      ],
    });
    const srv = records(text).filter((l) => l.includes(' SRV '));
    expect(srv.filter((l) => l.startsWith('_a._tcp.s.ns.svc')).every((l) => l.includes('SRV 0 1 1 '))).toBe(
      true,
    );
    expect(srv.filter((l) => l.startsWith('_b._udp.s.ns.svc'))).toHaveLength(150);
    expect(srv.filter((l) => l.startsWith('s.ns.svc'))).toHaveLength(300);
  });

  it('publishes IPv6 endpoints as AAAA with dashed-IPv6 names', () => {
    const text = corednsZone({
      endpointPodNames: false,
      services: [
        {
          namespace: 'default',
          name: 'v6',
          headless: true,
          ports: [{ name: 'discovery', port: 8585 }],
          endpoints: [{ podName: 'v6-0', ip: 'fd00::5', ready: true }],
        },
      ],
    });
    expect(records(text)).toEqual(
      expect.arrayContaining([
        'fd00--5.v6.default.svc.cluster.local. 30 IN AAAA fd00::5',
        '_discovery._tcp.v6.default.svc.cluster.local. 30 IN SRV 0 100 8585 fd00--5.v6.default.svc.cluster.local.',
        '_discovery._tcp.v6.default.svc.cluster.local. 30 IN AAAA fd00::5',
        'fd00--5.default.pod.cluster.local. 30 IN AAAA fd00::5',
      ]),
    );
  });

  it('leaves a headless service with no ready endpoint out entirely (NXDOMAIN)', () => {
    const model = svc(true);
    const text = corednsZone({
      ...model,
      services: model.services.map((s) => ({
        ...s,
        endpoints: s.endpoints.map((e) => ({ ...e, ready: false })),
      })),
    });
    expect(text).not.toContain('web-headless');
  });

  it('answers a ClusterIP service with its cluster IP', () => {
    const text = corednsZone({
      endpointPodNames: false,
      services: [
        {
          namespace: 'default',
          name: 'api',
          headless: false,
          clusterIP: '10.96.4.4',
          ports: [{ name: 'http', port: 80 }],
          endpoints: [{ ip: '10.244.2.2', ready: true }],
        },
      ],
    });
    expect(records(text)).toContain(
      '_http._tcp.api.default.svc.cluster.local. 30 IN SRV 0 100 80 api.default.svc.cluster.local.',
    );
    expect(text).not.toContain('10.244.2.2');
  });

  it('rejects names and addresses CoreDNS could never serve', () => {
    expect(() =>
      corednsZone({
        endpointPodNames: false,
        services: [{ namespace: 'Bad_NS', name: 's', headless: true, ports: [], endpoints: [] }],
      }),
    ).toThrow(expect.objectContaining({ code: LAB_ERRORS.LAB_BAD_OPTION }));
    expect(() =>
      corednsZone({
        endpointPodNames: false,
        services: [
          {
            namespace: 'n',
            name: 's',
            headless: true,
            ports: [],
            endpoints: [{ ip: '10.0.0', ready: true }],
          },
        ],
      }),
    ).toThrow(/not an IPv4 or IPv6 address/);
  });
});
