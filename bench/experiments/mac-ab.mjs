// Experiment (not part of run.mjs): a focused A/B of the frame MAC (issue 11), more runs than `run.mjs --only mac`
// and medians instead of the best run: `pairs` times kindred two nodes (or @kindred/transport alone with
// `transport`) with frameIntegrity off then on, the order alternating, each run a fresh pair of processes.
//   node bench/experiments/mac-ab.mjs [pairs=7] [messages=300000] [rounds=10000] [kindred|transport]
import { runKindredRemote } from '../lib/kindred.mjs';
import { killAll } from '../lib/proc.mjs';

const pairs = Number(process.argv[2] ?? 7);
const messages = Number(process.argv[3] ?? 300_000);
const rounds = Number(process.argv[4] ?? 10_000);
const transportOnly = process.argv[5] === 'transport';
const runs = { off: [], on: [] };
for (let i = 0; i < pairs; i++) {
  for (const mac of i % 2 === 0 ? [false, true] : [true, false]) {
    const r = await runKindredRemote({ messages, rounds, transportOnly, frameIntegrity: mac });
    const row = { msgPerSec: Math.round(r.oneway.msgPerSec), p50: r.rtt.p50Us, p99: r.rtt.p99Us };
    runs[mac ? 'on' : 'off'].push(row);
    console.error(`pair ${i + 1} MAC ${mac ? 'on ' : 'off'}: ${JSON.stringify(row)}`);
  }
}
killAll();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (side, k) => median(runs[side].map((r) => r[k]));
console.log(
  `${transportOnly ? 'transport alone' : 'kindred, two nodes'}: ${pairs} off/on pairs, ${messages} msgs, ${rounds} rounds`,
);
console.log('MAC | msg/s one-way (median) | rtt p50 us (median) | rtt p99 us (median)');
for (const side of ['off', 'on'])
  console.log(
    `${side.padEnd(3)} | ${String(med(side, 'msgPerSec')).padStart(22)} | ${String(med(side, 'p50')).padStart(19)} | ${String(med(side, 'p99')).padStart(19)}`,
  );
const pct = (k) => ((med('on', k) / med('off', k)) * 100).toFixed(1);
console.log(`on / off: throughput ${pct('msgPerSec')}%, rtt p50 ${pct('p50')}%, rtt p99 ${pct('p99')}%`);
