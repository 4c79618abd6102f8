import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeExample, runExample } from '../src/readme.js';

const README = [
  '# pkg',
  '```sh',
  'npm i pkg',
  '```',
  '```js',
  "console.log('one');",
  '```',
  '```',
  'one',
  '```',
  '```js',
  "console.log('two'); // marker",
  '```',
  'no output block here',
].join('\n');

const pkg = mkdtempSync(join(tmpdir(), 'kindred-readme-'));
mkdirSync(join(pkg, 'test'));
writeFileSync(join(pkg, 'README.md'), README);
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

describe('readmeExample', () => {
  it('finds the first js block and the output block after it', () => {
    expect(readmeExample(pkg)).toEqual({ code: "console.log('one');\n", printed: 'one\n' });
  });

  it('throws when the block is missing or has no output block after it', () => {
    expect(() => readmeExample(pkg, 'absent')).toThrow(/no a js block containing "absent"/);
    expect(() => readmeExample(pkg, 'marker')).toThrow(/not followed by its output block/);
  });
});

describe('runExample', () => {
  it('runs the code inside the package and removes its file', () => {
    // A package of one source file, which tsc -b builds into dist/.
    writeFileSync(join(pkg, 'a.ts'), 'export const a = 1;\n');
    writeFileSync(
      join(pkg, 'tsconfig.json'),
      JSON.stringify({ files: ['a.ts'], compilerOptions: { outDir: 'dist' } }),
    );
    const r = runExample(pkg, 'x.mjs', "console.log(import.meta.url); console.error('e'); process.exit(3);");
    expect(r.status).toBe(3);
    expect(r.stdout).toContain(`file://${join(pkg, 'test')}`);
    expect(r.stderr).toBe('e\n');
    expect(readdirSync(join(pkg, 'test'))).toEqual([]);
    expect(readdirSync(join(pkg, 'dist'))).toContain('a.js');
  });
});
