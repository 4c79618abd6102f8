#!/usr/bin/env node
// A/B of kindred on Erlang's wire between two built checkouts: each pair (kindred -> erl, erl -> kindred, kindred ->
// kindred on Erlang's wire) runs A and B back to back, order alternating round by round, and prints the median of the
// rounds' B/A ratios (one-way > 1 is faster, p50/p99 < 1 is faster), so load on the shared machine falls on both.
//   node bench/experiments/beam-ab.mjs <dirA> <dirB> [--rounds N] [--messages N] [--rtt N] [--only k2e,e2k,k2k]
// dirA, dirB: repository roots whose packages are built (e.g. a `git worktree add --detach` of main, built).
import { resolve } from 'node:path';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const [dirA, dirB] = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
if (!dirA || !dirB) {
  console.error(
    'usage: beam-ab.mjs <dirA> <dirB> [--rounds N] [--messages N] [--rtt N] [--only k2e,e2k,k2k]',
  );
  process.exit(2);
}
const rounds = Number(opt('--rounds', 3));
const messages = Number(opt('--messages', 200_000));
const rtt = Number(opt('--rtt', 2_000));
const only = opt('--only', 'k2e,e2k,k2k').split(',');

const load = async (dir) => import(resolve(dir, 'bench/lib/beam.mjs'));
const libs = { A: await load(dirA), B: await load(dirB) };
const FNS = { k2e: 'runKindredToErl', e2k: 'runErlToKindred', k2k: 'runKindredBeam' };
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const out = {};
for (const which of only) {
  const rows = [];
  for (let r = 0; r < rounds; r++) {
    const res = {};
    for (const side of r % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
      const x = await libs[side][FNS[which]]({ messages, rounds: rtt });
      res[side] = { msgPerSec: Math.round(x.oneway.msgPerSec), p50: x.rtt.p50Us, p99: x.rtt.p99Us };
    }
    rows.push(res);
    process.stderr.write(
      `beam-ab: ${which} round ${r + 1}: A ${JSON.stringify(res.A)} B ${JSON.stringify(res.B)}\n`,
    );
  }
  out[which] = {
    A: rows.map((x) => x.A),
    B: rows.map((x) => x.B),
    onewayBoverA: median(rows.map((x) => x.B.msgPerSec / x.A.msgPerSec)),
    p50BoverA: median(rows.map((x) => x.B.p50 / x.A.p50)),
    p99BoverA: median(rows.map((x) => x.B.p99 / x.A.p99)),
  };
  const o = out[which];
  console.log(
    `${which}: one-way B/A ${o.onewayBoverA.toFixed(2)}x (A median ${median(o.A.map((x) => x.msgPerSec))}, B median ${median(o.B.map((x) => x.msgPerSec))} msg/s), rtt p50 B/A ${o.p50BoverA.toFixed(2)}, p99 B/A ${o.p99BoverA.toFixed(2)}`,
  );
}
process.exit(0);
