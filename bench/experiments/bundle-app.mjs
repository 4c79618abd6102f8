// Experiment: examples/simple-web-service bundled into one file by esbuild, laid out as a checkout that
// `node bench/join.mjs --base DIR` (and `bench/mesh.mjs --base DIR`) can run: DIR/examples/simple-web-service/dist/main.js.
// esbuild is not a dependency of this repository; pass the path of its binary (`npm i esbuild` in a scratch directory).
//   node bench/experiments/bundle-app.mjs --esbuild /tmp/esb/node_modules/.bin/esbuild --out /tmp/esb/app
// Two packages stay outside the bundle and are linked next to it from this checkout's node_modules/.pnpm:
// dns-packet (@kindred/dns loads it with createRequire, which esbuild leaves alone) and msgpackr-extract (msgpackr's
// optional native extractor, found at run time by node-gyp-build). See bench/README.md, "Boot and join CPU".
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const value = (flag) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const esbuild = value('--esbuild');
const out = value('--out');
if (esbuild === undefined || out === undefined) {
  console.error('usage: node bench/experiments/bundle-app.mjs --esbuild PATH --out DIR');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const app = join(resolve(out), 'examples/simple-web-service');
rmSync(resolve(out), { recursive: true, force: true });
mkdirSync(join(app, 'dist'), { recursive: true });
writeFileSync(join(app, 'package.json'), '{"type":"module"}\n');
execFileSync(
  esbuild,
  [
    join(root, 'examples/simple-web-service/dist/main.js'),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node20',
    '--external:msgpackr-extract',
    '--external:dns-packet',
    `--outfile=${join(app, 'dist/main.js')}`,
    "--banner:js=import { createRequire as __kindredRequire } from 'node:module'; const require = __kindredRequire(import.meta.url);",
    '--log-level=warning',
  ],
  { stdio: 'inherit' },
);
const modules = join(resolve(out), 'node_modules');
mkdirSync(modules, { recursive: true });
const store = join(root, 'node_modules/.pnpm');
for (const pkg of ['dns-packet', 'msgpackr-extract']) {
  const version = readdirSync(store).find((d) => d.startsWith(`${pkg}@`));
  if (version === undefined) throw new Error(`${pkg} is not in ${store}`);
  symlinkSync(join(store, version, 'node_modules', pkg), join(modules, pkg));
}
console.log(`bundled: ${join(app, 'dist/main.js')}`);
