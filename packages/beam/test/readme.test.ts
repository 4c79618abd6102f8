import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeExample, runExample } from '@kindred/test-support';
import { describe, expect, it } from 'vitest';

// Runs the README's example exactly as written, as a file inside the package so `@kindred/beam` resolves to the
// package itself (its built dist), and compares its output with the output the README shows.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README', () => {
  it('its example runs as written and prints what the README says', () => {
    const { code, printed } = readmeExample(pkg);
    const r = runExample(pkg, 'example.mjs', code);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(printed);
  });
});
