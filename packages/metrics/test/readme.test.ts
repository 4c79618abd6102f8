import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Runs the README's example exactly as written, as a file inside the package so the imports resolve to the packages'
// built dist, and compares its output with the output the README shows.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '../..');
const dir = mkdtempSync(join(pkg, 'test/.readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README', () => {
  it('its example runs as written and prints what the README says', () => {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-b', 'packages/metrics'], {
      cwd: root,
      stdio: 'inherit',
    });
    const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
    const code = blocks.find((b) => b[1] === 'js')?.[2];
    const printed = blocks.find((b, i) => b[1] === '' && blocks[i - 1]?.[1] === 'js')?.[2];
    const file = join(dir, 'example.mjs');
    writeFileSync(file, code!);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(printed);
  });
});
