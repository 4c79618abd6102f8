// The two-node table (issue 18): Erlang, raw ws + msgpackr (1 and 256 per frame), @kindred/transport alone and
// kindred, each run `runs` times in alternating order (forward, backward, ...); every figure of the table is the
// median of its system's runs (one-way, p50 and p99 each on their own), so a noisy moment moves one run, not the
// figure, and every system gets the same treatment. Every run is kept in the JSON.
import { runErlang } from './erlang.mjs';
import { runKindredRemote } from './kindred.mjs';
import { round2 } from './message.mjs';
import { runRaw } from './raw.mjs';

/** The systems of the table: key, label, run function. */
export function remoteSystems({ messages, rounds }) {
  return [
    ['erlang', 'Erlang distribution', () => runErlang({ messages, rounds })],
    ['raw1', 'raw ws+msgpackr, 1 message per frame', () => runRaw({ batch: 1, messages, rounds })],
    ['raw256', 'raw ws+msgpackr, 256 messages per frame', () => runRaw({ batch: 256, messages, rounds })],
    [
      'transport',
      '@kindred/transport alone, two nodes',
      () => runKindredRemote({ messages, rounds, transportOnly: true }),
    ],
    ['kindred', 'kindred, two nodes', () => runKindredRemote({ messages, rounds })],
  ];
}

/** Median of numbers (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One system's figure from its runs: the median of the one-way throughputs, of the p50s and of the p99s (each on
 * its own); the other fields (how, transport counters, ...) from the run whose throughput is the median's nearest.
 */
export function medianOf(list) {
  const good = list.filter((r) => !r.notMeasured);
  if (good.length === 0) return list[0];
  const oneway = median(good.map((r) => r.oneway.msgPerSec));
  const nearest = good.reduce((a, b) =>
    Math.abs(b.oneway.msgPerSec - oneway) < Math.abs(a.oneway.msgPerSec - oneway) ? b : a,
  );
  return {
    ...nearest,
    oneway: { ...nearest.oneway, msgPerSec: oneway },
    rtt: {
      rounds: nearest.rtt.rounds,
      p50Us: round2(median(good.map((r) => r.rtt.p50Us))),
      p99Us: round2(median(good.map((r) => r.rtt.p99Us))),
    },
    figure: `median of ${good.length} run${good.length === 1 ? '' : 's'}`,
    runs: list.map((r) =>
      r.notMeasured
        ? r
        : { msgPerSec: Math.round(r.oneway.msgPerSec), p50Us: r.rtt.p50Us, p99Us: r.rtt.p99Us },
    ),
  };
}

/**
 * Runs every system `runs` times, alternating the order, through `section(label, fn)` (run.mjs's: a failure becomes
 * `notMeasured`); returns each system's {@link medianOf}.
 */
export async function runRemote({ messages, rounds, runs, section }) {
  const systems = remoteSystems({ messages, rounds });
  const all = Object.fromEntries(systems.map(([k]) => [k, []]));
  for (let rep = 0; rep < runs; rep++) {
    const order = rep % 2 === 0 ? systems : [...systems].reverse();
    for (const [key, label, fn] of order) {
      all[key].push(await section(`${label} (run ${rep + 1} of ${runs})`, fn));
    }
  }
  return Object.fromEntries(systems.map(([k]) => [k, medianOf(all[k])]));
}
