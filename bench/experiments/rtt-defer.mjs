// Experiment (not part of run.mjs): what sending on the next setImmediate (as @kindred/transport's batching does for
// a lone message) adds to a round trip. Raw ws + msgpackr, one frame per message, ping-pong sent at once vs deferred
// with setImmediate on both sides. Alternates the two, `runs` times each.
//   node bench/experiments/rtt-defer.mjs [rounds] [runs]
import { killAll } from '../lib/proc.mjs';
import { runRaw } from '../lib/raw.mjs';

const rounds = Number(process.argv[2] ?? 5_000);
const runs = Number(process.argv[3] ?? 3);
const out = { now: [], deferred: [] };
for (let i = 0; i < runs; i++) {
  for (const defer of [false, true]) {
    const env = { ...process.env, KBENCH_DEFER_SEND: defer ? '1' : '0' };
    const r = await runRaw({ batch: 1, messages: 1_000, rounds, env });
    out[defer ? 'deferred' : 'now'].push(r.rtt);
  }
}
killAll();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [k, rs] of Object.entries(out)) {
  console.log(
    `${k.padEnd(8)} p50 median ${median(rs.map((r) => r.p50Us))} us, p99 median ${median(rs.map((r) => r.p99Us))} us  (p50 runs: ${rs.map((r) => r.p50Us).join(', ')})`,
  );
}
