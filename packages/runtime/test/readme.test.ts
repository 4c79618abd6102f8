import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Runs the README's example exactly as written, as a file inside the package so `@kindred/runtime` resolves to the
// package itself (its built dist), and compares its output with the output the README shows.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '../..');
const dir = mkdtempSync(join(pkg, 'test/.readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds the package, so `@kindred/runtime` resolves to its dist as a user's import would. */
function build(): void {
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-b', 'packages/runtime'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** The README's `js` blocks (the first, or the first containing `marker`) and the plain block right after it. */
function example(marker?: string): { code: string; printed: string } {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  const i = blocks.findIndex((b) => b[1] === 'js' && (marker === undefined || b[2]!.includes(marker)));
  expect(i).toBeGreaterThanOrEqual(0);
  expect(blocks[i + 1]?.[1]).toBe('');
  return { code: blocks[i]![2]!, printed: blocks[i + 1]![2]! };
}

/** Runs `code` as a file inside the package; its exit status, stdout and stderr. */
function run(name: string, code: string): { status: number | null; stdout: string; stderr: string } {
  const file = join(dir, name);
  writeFileSync(file, code);
  return spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
}

describe('README', () => {
  it('its example runs as written and prints what the README says', () => {
    build();
    const { code, printed } = example();
    const r = run('example.mjs', code);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(printed);
  });

  it('its supervised-server example runs as written and prints what the README says', () => {
    build();
    const { code, printed } = example('startSupervisor');
    const r = run('supervised.mjs', code);
    // The one crash is reported once on stderr, as the README says, and nothing else is written there.
    expect(r.stderr.match(/=CRASH REPORT====/g)).toHaveLength(1);
    expect(r.stderr).toContain('counter');
    expect(r.stderr).toContain('asked to crash');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(printed);
  });

  it('its singleton example runs as written: one instance, taken over at once when its node leaves', () => {
    build();
    const { code, printed } = example('singleton(');
    const r = run('singleton.mjs', code);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(printed);
  });
});
