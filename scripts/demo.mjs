#!/usr/bin/env node
// The demo. Until the pod lab and the example app exist it shows this machine's node identity with `kindred whoami`:
// short names (the hostname up to its first dot) work on any machine without DNS; long names need a fully
// qualified hostname (`hostname -f`), so that step is shown only when KINDRED_DEMO_NAME=long.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/cli/bin/kindred.js', import.meta.url));
const long = process.env.KINDRED_DEMO_NAME === 'long';
const steps = [
  ['whoami', long ? '--name' : '--sname', 'demo'],
  ['whoami', long ? '--name' : '--sname', 'demo', '--json'],
];
for (const args of steps) {
  process.stdout.write(`$ kindred ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  process.stdout.write('\n');
}
