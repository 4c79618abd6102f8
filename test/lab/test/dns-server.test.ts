import { describe, expect, it } from 'vitest';
import { DNS_SERVER_DEFAULTS, type DnsServerOptions, startDnsServer } from '../src/dns-server.js';
import { LAB_ERRORS } from '../src/errors.js';

// Option validation happens before BIND is started, so these need neither root nor a port; the server itself is
// tested against a real BIND in dns-server.integration.test.ts.

const zone = { origin: 'cluster.local', text: '' };
const listen = { address: '127.0.0.1', port: 15_353 };

describe('startDnsServer options', () => {
  it('rejects bad options with KINDRED_ERR_LAB_BAD_OPTION naming the option, before starting anything', async () => {
    const cases: [Partial<DnsServerOptions>, string][] = [
      [{ zones: [], listen: [listen] }, 'option zones'],
      [{ zones: [{ origin: 'cluster.local.', text: '' }], listen: [listen] }, 'zones[0].origin'],
      [{ zones: [{ origin: 'a b', text: '' }], listen: [listen] }, 'zones[0].origin'],
      [{ zones: [zone, zone], listen: [listen] }, 'same origin twice'],
      [{ zones: [zone], listen: [] }, 'option listen'],
      [{ zones: [zone], listen: [{ address: 'localhost', port: 53 }] }, 'listen[0].address'],
      [{ zones: [zone], listen: [listen, { address: '::1', port: 0 }] }, 'listen[1].port'],
      [{ zones: [zone], listen: [{ address: '::1', port: 65_536 }] }, 'listen[0].port'],
      [{ zones: [zone], listen: [listen], readyTimeoutMs: 0 }, 'readyTimeoutMs'],
      [{ zones: [zone], listen: [listen], readyTimeoutMs: 1.5 }, 'readyTimeoutMs'],
    ];
    for (const [options, named] of cases) {
      const err = await startDnsServer(options as DnsServerOptions).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, named).toMatchObject({ code: LAB_ERRORS.LAB_BAD_OPTION });
      expect((err as Error).message, named).toContain(named);
    }
  });

  it('keeps its defaults in one frozen object', () => {
    expect(Object.isFrozen(DNS_SERVER_DEFAULTS)).toBe(true);
    expect(DNS_SERVER_DEFAULTS.namedPath).toBe('/usr/sbin/named');
  });
});
