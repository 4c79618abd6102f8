import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BEAM_NET_ERRORS, beamNetError } from '../src/errors-net.js';
import { BEAM_HANDSHAKE_FAILURES } from '../src/handshake/failures.js';

const errorsMd = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('BEAM_NET_ERRORS', () => {
  it('is frozen, keyed by code minus KINDRED_ERR_, each code a @kindred/beam row of docs/errors.md', () => {
    expect(Object.isFrozen(BEAM_NET_ERRORS)).toBe(true);
    for (const [key, code] of Object.entries(BEAM_NET_ERRORS)) {
      expect(code).toBe(`KINDRED_ERR_${key}`);
      const rows = errorsMd.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`));
      expect({ code, rows: rows.length }).toEqual({ code, rows: 1 });
      expect(rows[0]).toContain('| @kindred/beam |');
    }
  });

  it('every handshake failure reason maps to a catalogue code', () => {
    const codes = new Set<string>(Object.values(BEAM_NET_ERRORS));
    for (const code of Object.values(BEAM_HANDSHAKE_FAILURES)) expect(codes.has(code)).toBe(true);
  });

  it('builds KindredErrors with code, details and cause', () => {
    const cause = new Error('x');
    expect(beamNetError(BEAM_NET_ERRORS.EPMD, 'm', { reason: 'taken' }, cause)).toMatchObject({
      name: 'KindredError',
      code: 'KINDRED_ERR_EPMD',
      details: { reason: 'taken' },
      cause,
    });
  });
});
