import { describe, expect, it } from 'vitest';
import { type LabDnsModel, labZoneText } from '../src/index.js';

const model = (over: Partial<LabDnsModel> = {}): LabDnsModel => ({
  namespace: 'default',
  service: 'simple-web-service-headless',
  port: { name: 'discovery', protocol: 'tcp', port: 8585 },
  endpointPodNames: false,
  publishNotReadyAddresses: false,
  ttlSeconds: 30,
  pods: [
    { name: 'simple-web-service-abc-11111', ip: '10.244.1.2', ready: true },
    { name: 'simple-web-service-abc-22222', ip: '10.244.1.3', ready: false },
  ],
  ...over,
});
const srv = '_discovery._tcp.simple-web-service-headless.default.svc.cluster.local.';

describe("the lab's zone (the lab's model mapped onto corednsZone)", () => {
  it('publishes only ready pods, under dashed-IP names, by default', () => {
    const text = labZoneText(model());
    expect(text).toContain(
      `${srv} 30 IN SRV 0 100 8585 10-244-1-2.simple-web-service-headless.default.svc.cluster.local.`,
    );
    expect(text).not.toContain('10-244-1-3.simple-web-service-headless');
  });

  it('names SRV targets by pod with endpoint_pod_names, and publishes not-ready pods with publishNotReadyAddresses', () => {
    const text = labZoneText(model({ endpointPodNames: true, publishNotReadyAddresses: true }));
    expect(text).toContain(
      `${srv} 30 IN SRV 0 50 8585 simple-web-service-abc-11111.simple-web-service-headless.default.svc.cluster.local.`,
    );
    expect(text).toContain(
      `${srv} 30 IN SRV 0 50 8585 simple-web-service-abc-22222.simple-web-service-headless.default.svc.cluster.local.`,
    );
  });

  it('has no record of the service once no pod is published (NXDOMAIN)', () => {
    const text = labZoneText(model({ pods: [{ name: 'p', ip: '10.244.1.9', ready: false }] }));
    expect(text).not.toContain('simple-web-service-headless');
  });
});
