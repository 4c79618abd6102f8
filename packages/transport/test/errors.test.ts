import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TRANSPORT_ERRORS, transportError } from '../src/errors.js';

const errorsMd = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '../../../docs/errors.md'),
  'utf8',
);

describe('transport error codes', () => {
  it('lists every code exactly once in docs/errors.md, as @kindred/transport', () => {
    for (const code of Object.values(TRANSPORT_ERRORS)) {
      const rows = errorsMd.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`));
      expect({ code, rows: rows.length }).toEqual({ code, rows: 1 });
      expect(rows[0]).toContain('| @kindred/transport |');
    }
  });

  it('builds KindredErrors with code and details', () => {
    const err = transportError(TRANSPORT_ERRORS.NOT_CONNECTED, 'not connected', { node: 'a@b.c' });
    expect(err).toMatchObject({
      name: 'KindredError',
      code: 'KINDRED_ERR_NOT_CONNECTED',
      details: { node: 'a@b.c' },
    });
  });
});
