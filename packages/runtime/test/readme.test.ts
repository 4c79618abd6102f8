import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeExample, runExample } from '@kindred/test-support';
import { describe, expect, it } from 'vitest';

// Runs the README's example exactly as written, as a file inside the package so `@kindred/runtime` resolves to the
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

  it('its supervised-server example runs as written and prints what the README says', () => {
    const { code, printed } = readmeExample(pkg, 'startSupervisor');
    const r = runExample(pkg, 'supervised.mjs', code);
    // The one crash is reported once on stderr, as the README says, and nothing else is written there.
    expect(r.stderr.match(/=CRASH REPORT====/g)).toHaveLength(1);
    expect(r.stderr).toContain('counter');
    expect(r.stderr).toContain('asked to crash');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(printed);
  });

  it('its singleton example runs as written: one instance, taken over at once when its node leaves', () => {
    const { code, printed } = readmeExample(pkg, 'singleton(');
    const r = runExample(pkg, 'singleton.mjs', code);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(printed);
  });
});
