import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isKindredError, KindredError } from '../src/errors.js';

describe('KindredError', () => {
  it('carries a code, details and a cause', () => {
    const cause = new Error('inner');
    const err = new KindredError('KINDRED_ERR_X', 'something broke', { cause, details: { host: 'a' } });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('KINDRED_ERR_X');
    expect(err.details).toEqual({ host: 'a' });
    expect(err.cause).toBe(cause);
    expect(isKindredError(err, 'KINDRED_ERR_X')).toBe(true);
    expect(isKindredError(err, 'KINDRED_ERR_Y')).toBe(false);
    expect(isKindredError(new Error('plain'))).toBe(false);
  });
});

// Every code thrown anywhere in the sources (packages, examples, the lab, deploy scripts) must be a row of
// docs/errors.md exactly once, and every row must be a code some source still uses: users match on these codes.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const SOURCE_DIRS = ['packages', 'examples', 'test', 'deploy'];
// A code as a string literal ('KINDRED_ERR_X', "…", `…`); prefixes such as 'KINDRED_ERR_DNS_' end in '_' and are not codes.
const CODE_LITERAL = /['"`](KINDRED_ERR_[A-Z0-9_]*[A-Z0-9])['"`]/g;
const ROW = /^\| `(KINDRED_ERR_[A-Z0-9_]+)` \|/;

/** Files under `dir`, never descending into dependencies, builds or scratch directories (.something). */
function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = entry.name;
    // node_modules holds workspace links back into the tree (a package and its dev dependency may link each other),
    // so a walk that entered it would never end.
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const top of SOURCE_DIRS) {
    const all: string[] = [];
    walk(join(ROOT, top), all);
    for (const file of all) {
      const rel = relative(join(ROOT, top), file);
      // Sources only: a test may use made-up codes (like KINDRED_ERR_X above).
      if (top !== 'deploy' && !rel.split(sep).includes('src')) continue;
      if (/\.(ts|mts|mjs|js)$/.test(rel) && !rel.endsWith('.d.ts') && !rel.endsWith('.d.mts'))
        files.push(file);
    }
  }
  return files;
}

describe('docs/errors.md', () => {
  const rows = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')
    .split('\n')
    .flatMap((line) => ROW.exec(line)?.[1] ?? []);
  const used = new Map<string, string>();
  for (const file of sourceFiles()) {
    for (const m of readFileSync(file, 'utf8').matchAll(CODE_LITERAL)) used.set(m[1]!, relative(ROOT, file));
  }

  it('finds the codes in the sources (the scan itself works)', () => {
    expect(used.get('KINDRED_ERR_DNS_NXDOMAIN')).toBe('packages/dns/src/errors.ts');
    expect(used.size).toBeGreaterThan(40);
  });

  it('lists every code used in the sources exactly once', () => {
    const problems = [...used].flatMap(([code, file]) => {
      const n = rows.filter((r) => r === code).length;
      return n === 1 ? [] : [`${code} (used in ${file}) has ${n} rows`];
    });
    expect(problems).toEqual([]);
  });

  it('has no row for a code no source uses any more', () => {
    expect(rows.filter((code) => !used.has(code))).toEqual([]);
  });
});
