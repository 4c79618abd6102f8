#!/usr/bin/env node
// The release path: packs every published package (packages/*) with pnpm into one folder and checks each tarball as
// npm will see it. `pnpm pack` (like `pnpm publish`) rewrites `workspace:^` ranges into `^<version>` and adds the
// workspace's LICENSE to a package that has none; `npm pack` does neither, so releases go through this script (and
// `pnpm -r --filter "./packages/*" publish` publishes the same tarballs).
//
//   node scripts/pack.mjs [OUT_DIR]     (default: ./release; run `pnpm run build` first)
//
// Prints one tarball path per line. Exit codes: 0 packed and checked, 1 a check failed (it says which), 2 usage.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (args.length > 1 || args[0]?.startsWith('-')) {
  process.stderr.write('usage: node scripts/pack.mjs [OUT_DIR]\n');
  process.exit(2);
}
const out = resolve(args[0] ?? join(root, 'release'));
mkdirSync(out, { recursive: true });

const fail = (msg) => {
  process.stderr.write(`pack: ${msg}\n`);
  process.exit(1);
};
const tarballs = [];
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkgDir = join(root, 'packages', dir);
  if (!existsSync(join(pkgDir, 'package.json'))) continue;
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  if (!existsSync(join(pkgDir, 'dist', 'index.js')))
    fail(`${manifest.name}: no dist/index.js; run pnpm run build`);
  const printed = execFileSync('bash', [join(root, 'scripts/pnpm.sh'), 'pack', '--pack-destination', out], {
    cwd: pkgDir,
    encoding: 'utf8',
  });
  const tarball = printed.trim().split('\n').pop();
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
  const packed = JSON.parse(
    execFileSync('tar', ['xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
  );
  if (!files.includes('package/LICENSE')) fail(`${manifest.name}: no LICENSE in ${tarball}`);
  if (JSON.stringify(packed).includes('workspace:'))
    fail(`${manifest.name}: a workspace: range left in ${tarball}`);
  if (!packed.repository?.url) fail(`${manifest.name}: no repository in package.json`);
  tarballs.push(tarball);
}
process.stdout.write(`${tarballs.join('\n')}\n`);
