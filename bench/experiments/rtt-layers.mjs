// Experiment (not part of run.mjs): round trip through kindred (runtime over transport) vs the transport alone,
// alternated `runs` times, to isolate what the runtime adds per round trip.
//   node bench/experiments/rtt-layers.mjs [rounds] [runs]
import { runKindredRemote } from '../lib/kindred.mjs';
import { killAll } from '../lib/proc.mjs';

const rounds = Number(process.argv[2] ?? 5_000);
const runs = Number(process.argv[3] ?? 3);
const out = { kindred: [], transport: [] };
for (let i = 0; i < runs; i++) {
  for (const transportOnly of [false, true]) {
    const r = await runKindredRemote({ messages: 2_000, rounds, transportOnly });
    out[transportOnly ? 'transport' : 'kindred'].push(r.rtt);
  }
}
killAll();
for (const [k, rs] of Object.entries(out)) {
  console.log(
    `${k.padEnd(10)} p50 ${rs.map((r) => r.p50Us).join(', ')} us; p99 ${rs.map((r) => r.p99Us).join(', ')} us`,
  );
}
