// Experiment (not part of run.mjs): A/B of two built runtimes on the idle rows. Alternating rounds (A B, B A, ...),
// each measurement in a fresh `node --expose-gc` child (bench/kindred/idle.mjs); prints each side's median seconds
// and bytes per process and the median of the per-round ratios B / A.
//   node bench/experiments/idle-ab.mjs <runtimeDistA> <runtimeDistB> [rounds=5] [processes=1000000] [spawn,server]
import { median, runIdleOnce } from '../lib/idle.mjs';
import { killAll } from '../lib/proc.mjs';

const [a, b, roundsText = '5', nText = '1000000', modesText = 'spawn,server'] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: idle-ab.mjs <runtimeDistA> <runtimeDistB> [rounds] [processes] [modes]');
  process.exit(2);
}
const rounds = Number(roundsText);
const n = Number(nText);
for (const mode of modesText.split(',')) {
  const runs = { A: [], B: [] };
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
      runs[side].push(await runIdleOnce(mode, n, { runtimeDir: side === 'A' ? a : b }));
    }
  }
  const med = (side, k) => median(runs[side].map((x) => x[k]));
  const ratio = (k) => median(runs.B.map((x, i) => x[k] / runs.A[i][k]));
  console.log(
    `${mode} x ${n}, ${rounds} rounds: A ${med('A', 'seconds').toFixed(3)} s (cpu ${med('A', 'cpuSeconds').toFixed(3)}) ${med('A', 'bytesPerProcess').toFixed(0)} B | B ${med('B', 'seconds').toFixed(3)} s (cpu ${med('B', 'cpuSeconds').toFixed(3)}) ${med('B', 'bytesPerProcess').toFixed(0)} B | B/A time ${ratio('seconds').toFixed(3)} cpu ${ratio('cpuSeconds').toFixed(3)} bytes ${ratio('bytesPerProcess').toFixed(3)}`,
  );
  console.log(
    `  per round B/A time: ${runs.B.map((x, i) => (x.seconds / runs.A[i].seconds).toFixed(2)).join(' ')}`,
  );
}
killAll();
