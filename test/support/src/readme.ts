import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (this file is `test/support/src/readme.ts`, or its build in `test/support/dist`). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A README example: the code of a `js` block and what it prints (the plain block right after it). */
export interface ReadmeExample {
  /** The `js` block. */
  readonly code: string;
  /** The unlabelled block that follows it. */
  readonly printed: string;
}

/**
 * The example in the README of the package at `pkgDir`: its first `js` block (or the first that contains `marker`)
 * and the unlabelled block right after it, the output the README shows. Throws when either is missing.
 */
export function readmeExample(pkgDir: string, marker?: string): ReadmeExample {
  const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  const i = blocks.findIndex((b) => b[1] === 'js' && (marker === undefined || b[2]!.includes(marker)));
  const what = marker === undefined ? 'a js block' : `a js block containing ${JSON.stringify(marker)}`;
  if (i < 0) throw new Error(`${pkgDir}/README.md has no ${what}`);
  if (blocks[i + 1]?.[1] !== '')
    throw new Error(`${pkgDir}/README.md: ${what} is not followed by its output block`);
  return { code: blocks[i]![2]!, printed: blocks[i + 1]![2]! };
}

/** What {@link runExample} saw. */
export interface ExampleRun {
  /** The exit status (`null` when killed, e.g. by the 30 s timeout). */
  readonly status: number | null;
  /** Its standard output. */
  readonly stdout: string;
  /** Its standard error. */
  readonly stderr: string;
}

/**
 * Builds the package at `pkgDir` (`tsc -b`, so its imports resolve to the built dist as a user's would) and runs
 * `code` with node as the file `name` (`.mjs`) inside the package, in a temporary folder under its `test/` removed
 * afterwards.
 */
export function runExample(pkgDir: string, name: string, code: string): ExampleRun {
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-b', pkgDir], { cwd: ROOT, stdio: 'inherit' });
  const dir = mkdtempSync(join(pkgDir, 'test/.readme-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
