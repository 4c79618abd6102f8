// Experiment (not part of run.mjs): kindred two-node one-way throughput with @kindred/transport as it is, and with
// its ws client masking with 0000 (experiments/zero-mask-preload.mjs, loaded with --import). Alternates the two.
//   node bench/experiments/kindred-zero-mask.mjs [messages] [rounds]
import { fileURLToPath } from 'node:url';
import { runKindredRemote } from '../lib/kindred.mjs';
import { killAll } from '../lib/proc.mjs';

const PRELOAD = fileURLToPath(new URL('./zero-mask-preload.mjs', import.meta.url));
const messages = Number(process.argv[2] ?? 300_000);
const rounds = Number(process.argv[3] ?? 3);
const rates = { random: [], zero: [] };
for (let i = 0; i < rounds; i++) {
  for (const zero of [false, true]) {
    const r = await runKindredRemote({ messages, rounds: 200, nodeFlags: zero ? ['--import', PRELOAD] : [] });
    rates[zero ? 'zero' : 'random'].push(Math.round(r.oneway.msgPerSec));
  }
}
killAll();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [k, xs] of Object.entries(rates))
  console.log(`kindred, ${k.padEnd(6)} mask: median ${median(xs)} msg/s  (runs: ${xs.join(', ')})`);
