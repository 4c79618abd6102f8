import { describe, expect, it } from 'vitest';
import { BEAM_NET_ERRORS, epmdPortFromEnv, fixedPortResolver } from '../../src/index.js';

describe('epmdPortFromEnv', () => {
  it('is 4369 without ERL_EPMD_PORT and the variable when set', () => {
    expect(epmdPortFromEnv({})).toBe(4369);
    expect(epmdPortFromEnv({ ERL_EPMD_PORT: '' })).toBe(4369);
    expect(epmdPortFromEnv({ ERL_EPMD_PORT: '43690' })).toBe(43_690);
  });
  it('refuses a value that is not a port, naming the variable', () => {
    expect(() => epmdPortFromEnv({ ERL_EPMD_PORT: 'x' })).toThrow(
      expect.objectContaining({
        code: BEAM_NET_ERRORS.BEAM_NET_OPTION,
        details: { option: 'ERL_EPMD_PORT' },
      }),
    );
  });
});

describe('fixedPortResolver (epmd-less)', () => {
  it('gives the one port for every node', async () => {
    const r = fixedPortResolver(45_000);
    expect(r.mode).toBe('fixed');
    expect(await r.portOf({ name: 'a', host: 'h1.example' })).toBe(45_000);
    expect(await r.portOf({ name: 'b', host: '10.0.0.1' })).toBe(45_000);
    expect(() => fixedPortResolver(0)).toThrow(
      expect.objectContaining({ code: BEAM_NET_ERRORS.BEAM_NET_OPTION }),
    );
  });
});
