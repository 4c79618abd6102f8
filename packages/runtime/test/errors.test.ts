import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProcessExitedError, RUNTIME_DEFAULTS, RUNTIME_ERRORS } from '../src/index.js';

const errorsMd = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '../../../docs/errors.md'),
  'utf8',
);

describe('runtime errors and defaults', () => {
  it('every runtime code is listed exactly once in docs/errors.md, as @kindred/runtime', () => {
    for (const code of Object.values(RUNTIME_ERRORS)) {
      const rows = errorsMd.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`));
      expect(rows, code).toHaveLength(1);
      expect(rows[0]).toContain('| @kindred/runtime |');
    }
  });

  it('ProcessExitedError carries the reason and the code', () => {
    const e = new ProcessExitedError({ why: 1 });
    expect(e).toMatchObject({
      code: RUNTIME_ERRORS.PROCESS_EXITED,
      reason: { why: 1 },
      name: 'ProcessExitedError',
    });
  });

  it('defaults are frozen', () => {
    expect(Object.isFrozen(RUNTIME_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(RUNTIME_ERRORS)).toBe(true);
  });
});
