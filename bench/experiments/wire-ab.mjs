// Experiment (not part of run.mjs): A/B of two BUILT checkouts on kindred's remote figures, without building
// worktrees (bench/ab.mjs does that for commits): each side's own bench/lib/kindred.mjs drives its own
// bench/kindred/peer.mjs against its own packages/*/dist. Runs alternate A B B A ...; medians and B/A are printed,
// with the CPU time per message and per round trip peer.mjs reports (the figures that hold up on a loaded machine).
// To compare another build with THIS peer.mjs, make dirA a directory holding copies of bench/lib and bench/kindred and
// a bench/node_modules/@kindred/{runtime,transport} symlinked to the other build's packages.
//   node bench/experiments/wire-ab.mjs <dirA> <dirB> [runs=6] [messages=300000] [rounds=10000] [kindred|transport]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { killAll } from '../lib/proc.mjs';

const [dirA, dirB] = process.argv.slice(2, 4);
if (!dirA || !dirB) {
  console.error('usage: wire-ab.mjs <dirA> <dirB> [runs] [messages] [rounds] [kindred|transport]');
  process.exit(2);
}
const runs = Number(process.argv[4] ?? 6);
const messages = Number(process.argv[5] ?? 300_000);
const rounds = Number(process.argv[6] ?? 10_000);
const transportOnly = process.argv[7] === 'transport';
const sides = [dirA, dirB];
const drivers = await Promise.all(
  sides.map((d) => import(pathToFileURL(join(d, 'bench', 'lib', 'kindred.mjs')).href)),
);
const res = sides.map(() => ({ oneway: [], p50: [], p99: [], sendCpu: [], recvCpu: [], rttCpu: [] }));
for (let i = 0; i < runs; i++) {
  for (const s of i % 2 === 0 ? [0, 1] : [1, 0]) {
    const r = await drivers[s].runKindredRemote({ messages, rounds, transportOnly });
    res[s].oneway.push(Math.round(r.oneway.msgPerSec));
    res[s].p50.push(r.rtt.p50Us);
    res[s].p99.push(r.rtt.p99Us);
    // CPU ns per message (sender, receiver) and per round trip (sender): only when that side's peer.mjs reports them.
    res[s].sendCpu.push(r.oneway.senderCpuNs ?? Number.NaN);
    res[s].recvCpu.push(r.oneway.receiverCpuNs ?? Number.NaN);
    res[s].rttCpu.push(r.rtt.senderCpuNs ?? Number.NaN);
    console.error(
      `run ${i + 1} ${'AB'[s]}: ${Math.round(r.oneway.msgPerSec)} msg/s, p50 ${r.rtt.p50Us}, p99 ${r.rtt.p99Us}`,
    );
  }
}
killAll();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const m = res.map((r) => ({
  oneway: median(r.oneway),
  p50: median(r.p50),
  p99: median(r.p99),
  sendCpu: median(r.sendCpu),
  recvCpu: median(r.recvCpu),
  rttCpu: median(r.rttCpu),
}));
const pairwise = (k) => median(res[1][k].map((b, i) => b / res[0][k][i])).toFixed(3);
console.log(
  `${transportOnly ? 'transport alone' : 'kindred'}: ${runs} alternated runs each, ${messages} msgs, ${rounds} rounds`,
);
for (const [i, d] of [dirA, dirB].entries()) {
  const x = m[i];
  console.log(
    `${'AB'[i]} ${d}: one-way ${x.oneway}, p50 ${x.p50}, p99 ${x.p99}; cpu ns/msg sender ${x.sendCpu} receiver ${x.recvCpu}; cpu ns/rtt sender ${x.rttCpu}`,
  );
}
console.log(
  `B/A medians: one-way ${(m[1].oneway / m[0].oneway).toFixed(3)}, p50 ${(m[1].p50 / m[0].p50).toFixed(3)}, p99 ${(m[1].p99 / m[0].p99).toFixed(3)}; median of pairwise ratios: one-way ${pairwise('oneway')}, p50 ${pairwise('p50')}, p99 ${pairwise('p99')}; cpu sender ${pairwise('sendCpu')}, receiver ${pairwise('recvCpu')}, per rtt ${pairwise('rttCpu')}`,
);
console.log(JSON.stringify(res));
