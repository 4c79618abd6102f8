import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRICS_DEFAULTS, METRICS_ERRORS } from '../src/index.js';

const errorsMd = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '../../../docs/errors.md'),
  'utf8',
);

describe('metrics errors and defaults', () => {
  it('every metrics code is listed exactly once in docs/errors.md, as @kindred/metrics', () => {
    for (const code of Object.values(METRICS_ERRORS)) {
      const rows = errorsMd.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`));
      expect(rows, code).toHaveLength(1);
      expect(rows[0]).toContain('| @kindred/metrics |');
    }
  });

  it('keys its codes as every catalogue does (packages/cli/test/catalogues.test.ts): code minus KINDRED_ERR_', () => {
    for (const [key, code] of Object.entries(METRICS_ERRORS)) expect(code, key).toBe(`KINDRED_ERR_${key}`);
  });

  it('defaults and the catalogue are frozen', () => {
    expect(Object.isFrozen(METRICS_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(METRICS_DEFAULTS.latencyBucketsSeconds)).toBe(true);
    expect(Object.isFrozen(METRICS_ERRORS)).toBe(true);
  });
});
