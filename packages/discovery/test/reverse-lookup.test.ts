import { corednsEndpointName } from '@kindred/lab';
import { describe, expect, it } from 'vitest';
import { isDashedIpTarget } from '../src/reverse-lookup.js';

// reverseLookup itself runs against a real BIND in discovery.integration.test.ts; here the pure name rule.

const SVC = 'web-headless.default.svc.cluster.local';

describe('isDashedIpTarget', () => {
  it("recognises the names CoreDNS's kubernetes plugin gives endpoints without endpoint_pod_names", () => {
    // The lab's CoreDNS model writes the names exactly as CoreDNS's endpointHostname does.
    for (const ip of ['10.244.1.5', '192.168.0.255', 'fd00::1', 'fd00:10:244:1::', '2001:db8::a:b']) {
      const label = corednsEndpointName({ podName: 'web-0', ip, ready: true }, false);
      expect(isDashedIpTarget(`${label}.${SVC}`), `${ip} -> ${label}`).toBe(true);
    }
    expect(isDashedIpTarget(`10-244-1-5.${SVC}.`)).toBe(true);
  });

  it('does not take pod names for dashed IPs, even ones made of hex digits and dashes', () => {
    for (const ip of ['10.244.1.5', 'fd00::1']) {
      const label = corednsEndpointName({ podName: 'db-7f9c-bbbbb', ip, ready: true }, true);
      expect(isDashedIpTarget(`${label}.${SVC}`), label).toBe(false);
    }
    for (const name of [
      'web-7f9c-aaaaa',
      'cafe-5d8f-b4a2c',
      'dead-beef-0',
      '10-244-1',
      '10-244-1-256',
      'abc',
    ]) {
      expect(isDashedIpTarget(`${name}.${SVC}`), name).toBe(false);
    }
  });
});
