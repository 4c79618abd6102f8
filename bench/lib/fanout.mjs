// Fan-out and pg churn over three kindred nodes (bench/fanout.mjs, in a child process), for bench/run.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from './proc.mjs';

const FANOUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fanout.mjs');

/** Full sizes: the issue's (10,000 members; 1,000 groups of 10; 100,000 joins and leaves a second). */
export const FANOUT_FULL = Object.freeze({
  members: 10_000,
  groups: 1_000,
  groupSize: 10,
  rounds: 10,
  churnRate: 100_000,
  churnSeconds: 2,
});
/** --quick sizes. */
export const FANOUT_QUICK = Object.freeze({
  members: 3_000,
  groups: 300,
  groupSize: 10,
  rounds: 4,
  churnRate: 100_000,
  churnSeconds: 1,
});

function profFlags() {
  const dir = process.env.KBENCH_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

/**
 * Runs bench/fanout.mjs with `sizes` (`runtime`: another checkout's built @kindred/runtime) and returns its JSON:
 * `{ broadcast, groups, churn }` (see bench/fanout.mjs).
 */
export async function runFanout(sizes, { runtime, timeoutMs = 300_000 } = {}) {
  const args = [
    ...profFlags(),
    FANOUT,
    '--json',
    '--members',
    String(sizes.members),
    '--groups',
    String(sizes.groups),
    '--group-size',
    String(sizes.groupSize),
    '--rounds',
    String(sizes.rounds),
    '--churn-rate',
    String(sizes.churnRate),
    '--churn-seconds',
    String(sizes.churnSeconds),
    ...(runtime ? ['--runtime', runtime] : []),
  ];
  const p = start(process.execPath, args);
  try {
    const [line] = await p.waitFor(/^\{.*\}$/, timeoutMs, 'the JSON result');
    return { sizes, ...JSON.parse(line) };
  } finally {
    await p.exited;
  }
}

/** The fan-out rows as a table (first row the header), for report.mjs. */
export function fanoutTable(f) {
  const t = [['fan-out and pg churn, 3 nodes (bench/fanout.mjs)', 'figure']];
  if (!f || f.notMeasured) {
    t.push(['broadcast / groups / churn', `not measured: ${f?.notMeasured ?? 'not run'}`]);
    return t;
  }
  const row = (label, x) =>
    t.push([
      label,
      `broadcast ${x.broadcastMs} ms, the same point to point ${x.pointToPointMs} ms: ${x.ratio}x (median of ${x.rounds} rounds, delivered to all members)`,
    ]);
  if (f.broadcast)
    row(`one broadcast to a group of ${f.broadcast.members.toLocaleString('en-US')}`, f.broadcast);
  if (f.groups)
    row(
      `one broadcast to each of ${f.groups.groups.toLocaleString('en-US')} groups of ${f.groups.members / f.groups.groups}`,
      f.groups,
    );
  const c = f.churn;
  if (c)
    t.push([
      `pg churn, ${c.targetOpsPerSec.toLocaleString('en-US')} joins+leaves/s for ${c.seconds} s`,
      `${c.achievedOpsPerSec.toLocaleString('en-US')} ops/s achieved; ${c.converged ? `every view equal ${c.convergeAfterLastOpMs} ms after the last op` : 'views NOT equal'}`,
    ]);
  return t;
}

/** The issue's fan-out targets, as targets.mjs's `add(target, value, met, note)` calls. */
export function fanoutTargets(f, add) {
  const B = 'broadcast to 10,000 members on 3 nodes <= 2x point to point';
  const G = 'broadcast to 1,000 groups of 10 on 3 nodes <= 2x point to point';
  const C = 'pg churn 100,000 ops/s on 3 nodes: views equal <= 1 s after the last op';
  if (!f || f.notMeasured) {
    for (const t of [B, G, C]) add(t, null, null, f?.notMeasured ?? 'not run');
    return;
  }
  const small = (n, full) => (n < full ? `measured with ${n.toLocaleString('en-US')}` : undefined);
  if (f.broadcast)
    add(B, `${f.broadcast.ratio}x`, f.broadcast.ratio <= 2, small(f.broadcast.members, 10_000));
  else add(B, null, null, 'not run');
  if (f.groups) add(G, `${f.groups.ratio}x`, f.groups.ratio <= 2, small(f.groups.groups, 1_000));
  else add(G, null, null, 'not run');
  const c = f.churn;
  if (c) {
    const rateNote =
      c.achievedOpsPerSec < c.targetOpsPerSec
        ? `achieved ${c.achievedOpsPerSec.toLocaleString('en-US')} ops/s of ${c.targetOpsPerSec.toLocaleString('en-US')}`
        : undefined;
    add(
      C,
      c.converged ? `${c.convergeAfterLastOpMs} ms` : 'views not equal',
      c.converged && c.convergeAfterLastOpMs <= 1000 && c.achievedOpsPerSec >= c.targetOpsPerSec * 0.95,
      rateNote,
    );
  } else add(C, null, null, 'not run');
}
