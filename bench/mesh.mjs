#!/usr/bin/env node
// Mesh scale in the pod lab: formation time and idle CPU per pod for 5, 20 and 50 pods. See bench/README.md.
//   node bench/mesh.mjs [--pods 5,20,50] [--idle-s 30] [--base DIR [--mixed] [--rounds N]] [--json]
// `node bench/run.mjs --only mesh` runs the same rows (bench/lib/mesh.mjs); `node bench/run.mjs` has them as its
// "cluster formation" section.
import { resolve } from 'node:path';
import { IDLE_WINDOW_MS } from './lib/formation.mjs';
import { renderMesh, runMesh } from './lib/mesh.mjs';

const USAGE = `usage: node bench/mesh.mjs [--pods 5,20,50] [--idle-s S] [--base DIR [--mixed] [--rounds N]] [--cpu-prof DIR] [--json]
  --pods N,N,...  lab sizes, one after the other (default 5,20,50)
  --idle-s S      idle CPU window after formation, seconds (default ${IDLE_WINDOW_MS / 1000}; 0: formation only)
  --base DIR      A/B: also run the app of the checkout at DIR (built, e.g. /work/main) in the same lab, alternating
                  with this build, and print the ratios this / base
  --mixed         with --base: one lab per round, the base's app in about half of the pods (by the pod name's last
                  character) and this build's in the rest; idle CPU per pod of each over the same window
  --rounds N      runs of each size (with --base: pairs, order alternating; default 1); rows are medians
  --cpu-prof DIR  this build's pods run under node --cpu-prof (profiles in DIR/pods<N>): the idle window's top
                  functions by self time, per pod
  --json          one JSON object on stdout
Needs root and a build (pnpm run build): the pod lab runs examples/simple-web-service in network namespaces.`;

const argv = process.argv.slice(2);
const value = (flag) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const podsText = value('--pods') ?? '5,20,50';
const idleText = value('--idle-s') ?? String(IDLE_WINDOW_MS / 1000);
const roundsText = value('--rounds') ?? '1';
const baseText = value('--base');
const pods = podsText.split(',').map(Number);
if (
  !pods.every((n) => Number.isInteger(n) && n >= 2 && n <= 200) ||
  !(Number(idleText) >= 0) ||
  !/^[1-9][0-9]?$/.test(roundsText) ||
  (argv.includes('--mixed') && baseText === undefined)
) {
  console.error(USAGE);
  process.exit(2);
}
const json = argv.includes('--json');
const result = await runMesh({
  pods,
  idleWindowMs: Number(idleText) * 1000,
  rounds: Number(roundsText),
  ...(baseText === undefined ? {} : { base: resolve(baseText) }),
  mixed: argv.includes('--mixed'),
  ...(value('--cpu-prof') === undefined ? {} : { cpuProfDir: resolve(value('--cpu-prof')) }),
  progress: (s) => {
    if (!json) process.stderr.write(`mesh: ${s}\n`);
  },
});
const out = { command: `node bench/mesh.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`, ...result };
if (json) console.log(JSON.stringify(out, null, 2));
else console.log(renderMesh(out));
process.exit(0);
