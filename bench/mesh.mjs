#!/usr/bin/env node
// Mesh scale in the pod lab: formation time and idle CPU per pod for 5, 20 and 50 pods. See bench/README.md.
//   node bench/mesh.mjs [--pods 5,20,50] [--idle-s 30] [--json]
// `node bench/run.mjs` runs the same rows (bench/lib/formation.mjs) as its "cluster formation" section.
import { loadavg } from 'node:os';
import { IDLE_WINDOW_MS, runFormation } from './lib/formation.mjs';

const USAGE = `usage: node bench/mesh.mjs [--pods 5,20,50] [--idle-s S] [--json]
  --pods N,N,...  lab sizes, one after the other (default 5,20,50)
  --idle-s S      idle CPU window after formation, seconds (default ${IDLE_WINDOW_MS / 1000}; 0: formation only)
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
const pods = podsText.split(',').map(Number);
if (!pods.every((n) => Number.isInteger(n) && n >= 2 && n <= 200) || !(Number(idleText) >= 0)) {
  console.error(USAGE);
  process.exit(2);
}
const json = argv.includes('--json');
const t0 = Date.now();
const load = loadavg().map((x) => Math.round(x * 100) / 100);
const formation = await runFormation({ quick: false, pods, idleWindowMs: Number(idleText) * 1000 });
const result = {
  date: new Date(t0).toISOString(),
  command: `node bench/mesh.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`,
  loadavgStart: load,
  loadavgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
  formation,
};
if (json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `${result.command}  (load average ${load.join(' ')} -> ${result.loadavgEnd.join(' ')}; ${result.wallSeconds} s)`,
  );
  if (formation.notMeasured) console.log(`not measured: ${formation.notMeasured}`);
  for (const n of pods) {
    const r = formation[`pods${n}`];
    if (!r || r.notMeasured) {
      console.log(`${n} pods: not measured: ${r?.notMeasured}`);
      continue;
    }
    const limit = r.pollIntervalMs + 2000;
    const idle = r.idle
      ? `; idle CPU per pod mean ${r.idle.meanPctPerPod}% median ${r.idle.medianPctPerPod}% max ${r.idle.maxPctPerPod}% of a core over ${r.idle.windowMs} ms (target < 0.3%)${r.idle.meshIntact ? '' : ' MESH BROKE'}`
      : '';
    console.log(
      `${n} pods: formed in ${r.ms} ms after the last start (target <= ${limit} ms: ${r.ms <= limit ? 'met' : 'MISSED'}; start spread ${r.podsStartSpreadMs} ms)${idle}; ${r.wallSeconds} s`,
    );
  }
}
process.exit(0);
