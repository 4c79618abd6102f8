// Experiment (not part of run.mjs): what WebSocket client masking costs. Raw ws + msgpackr, 256 messages per frame,
// with ws's random mask (what @kindred/transport's dialer does today) and with a zero mask (generateMask filling
// 0000: ws then skips masking on the sender and unmasking on the receiver). Alternates the two, `rounds` times each.
//   node bench/experiments/ws-mask.mjs [messages] [rounds]
import { killAll } from '../lib/proc.mjs';
import { runRaw } from '../lib/raw.mjs';

const messages = Number(process.argv[2] ?? 300_000);
const rounds = Number(process.argv[3] ?? 3);
const rates = { random: [], zero: [] };
for (let i = 0; i < rounds; i++) {
  for (const zeroMask of [false, true]) {
    const r = await runRaw({ batch: 256, messages, rounds: 100, zeroMask });
    rates[zeroMask ? 'zero' : 'random'].push(Math.round(r.oneway.msgPerSec));
  }
}
killAll();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [k, xs] of Object.entries(rates))
  console.log(`${k.padEnd(7)} mask: median ${median(xs)} msg/s  (runs: ${xs.join(', ')})`);
