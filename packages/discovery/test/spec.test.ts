import { describe, expect, it } from 'vitest';
import { parseDiscoverySpec, strategyFromSpec } from '../src/spec.js';

describe('parseDiscoverySpec', () => {
  it('parses the three forms', () => {
    expect(parseDiscoverySpec('dns-srv:_discovery._tcp.web-headless')).toEqual({
      kind: 'dns-srv',
      query: '_discovery._tcp.web-headless',
    });
    expect(parseDiscoverySpec('dns-a:web-headless')).toEqual({ kind: 'dns-a', query: 'web-headless' });
    expect(parseDiscoverySpec('static:n1@h1:4370, n2@h2', { port: 5000 })).toEqual({
      kind: 'static',
      peers: [
        { node: 'n1@h1', host: 'h1', port: 4370, addresses: [] },
        { node: 'n2@h2', host: 'h2', port: 5000, addresses: [] },
      ],
    });
  });

  it('rejects anything else with the accepted forms in the message', () => {
    for (const bad of ['', 'dns-srv:', 'dns-a', 'static:', 'consul:x', 'dns-srv:a b']) {
      expect(() => parseDiscoverySpec(bad), bad).toThrow(
        expect.objectContaining({
          code: 'KINDRED_ERR_DISCOVERY_BAD_SPEC',
          message: expect.stringMatching(/dns-srv:<query>/),
        }),
      );
    }
  });

  it('builds the matching strategy', async () => {
    expect(strategyFromSpec('dns-srv:_d._tcp.s').name).toBe('dns-srv:_d._tcp.s');
    expect(strategyFromSpec('dns-a:s').name).toBe('dns-a:s');
    expect(await strategyFromSpec('static:a@h').list()).toEqual([
      { node: 'a@h', host: 'h', port: 4370, addresses: [] },
    ]);
  });
});
