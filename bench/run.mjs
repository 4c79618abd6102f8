#!/usr/bin/env node
// kindred's benchmarks with their baselines in the same run. See bench/README.md.
//   node bench/run.mjs [--quick] [--json] [--write-results]
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beamLines, runBeamTable } from './lib/beam-table.mjs';
import { FANOUT_FULL, FANOUT_QUICK, fanoutTable, runFanout } from './lib/fanout.mjs';
import { runFormation } from './lib/formation.mjs';
import { idleLines, runIdle } from './lib/idle.mjs';
import { runKindredLocal, runKindredRemote } from './lib/kindred.mjs';
import { machineInfo } from './lib/machine.mjs';
import { renderMesh, runMesh } from './lib/mesh.mjs';
import { killAll } from './lib/proc.mjs';
import { runRemote } from './lib/remote.mjs';
import { renderMarkdown, renderRemoteText, renderText } from './lib/report.mjs';
import { evaluate, evaluateIdle, remoteTargets } from './lib/targets.mjs';

const USAGE = `usage: node bench/run.mjs [--quick] [--json] [--write-results] [--only remote | --only mac [--runs N] | --only beam | --only mesh | --only idle
                  | --only fanout]
  --quick          small sizes for development (20,000 messages, 1,000 round trips, 100,000 processes, one run
                   per two-node system instead of the median of five, 5-pod formation and idle CPU only)
  --json           print the figures as one JSON object instead of the table
  --write-results  also write bench/RESULTS.md from this run
  --only mac       only the frame MAC's cost: @kindred/transport alone and kindred, two nodes, each with
                   frameIntegrity on and off in this run, N rounds (default 5; 3 with --quick) of an off
                   and an on run back to back, order alternating; the ratio on / off is the median of
                   the rounds' ratios
  --only remote    only the two-node table (Erlang, raw ws+msgpackr 1 and 256 per frame, @kindred/transport
                   alone, kindred; each the median of 5 alternated runs) and its targets, each with its baseline
                   and ratio
  --only beam      only both wires beside Erlang's own: erl <-> erl, kindred <-> kindred on its own wire and on
                   Erlang's wire (@kindred/beam), kindred -> erl and erl -> kindred, one-way and round trip,
                   in this run, with ratios to erl <-> erl (the full run prints this table too)
  --only mesh      only the mesh-scale rows: 5, 20 and 50 pods (5 with --quick) in the pod lab, formation time and
                   idle CPU per pod with their targets (root; node bench/mesh.mjs has the A/B options)
  --only idle      only idle processes and idle servers against the bare async-function floor, 3 alternating
                   rounds, each measurement in a fresh node --expose-gc child
  --only fanout    only fan-out and pg churn over 3 kindred nodes (bench/fanout.mjs): one broadcast to a group of
                   10,000 and to each of 1,000 groups of 10 against the same messages point to point, and
                   100,000 pg joins+leaves a second with the time until every view is equal
Runs the Erlang and raw ws+msgpackr baselines and kindred in the same run (separate OS processes over loopback).`;

const FULL = Object.freeze({
  messages: 1_000_000,
  rounds: 10_000,
  processes: 1_000_000,
  localMessages: 1_000_000,
  repeat: 2,
  /** Runs of each two-node system (alternating order); each figure of the table is the median of them. */
  remoteRuns: 5,
});
const QUICK = Object.freeze({
  messages: 20_000,
  rounds: 1_000,
  processes: 100_000,
  localMessages: 100_000,
  repeat: 1,
  remoteRuns: 1,
});

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
if (onlyAt >= 0 && !['remote', 'mac', 'beam', 'mesh', 'idle', 'fanout'].includes(only)) {
  console.error(`--only takes "remote", "mac", "beam", "mesh", "idle" or "fanout"\n${USAGE}`);
  process.exit(2);
}
const runsAt = argv.indexOf('--runs');
const runsText = runsAt >= 0 ? argv[runsAt + 1] : undefined;
if (runsAt >= 0 && (only !== 'mac' || !/^[1-9][0-9]?$/.test(runsText ?? ''))) {
  console.error(`--runs takes a count from 1 to 99 and goes with --only mac\n${USAGE}`);
  process.exit(2);
}
/** Positions of --only, --runs and their values. */
const valueAt = new Set([onlyAt, runsAt].filter((i) => i >= 0).flatMap((i) => [i, i + 1]));
for (const a of argv.filter((_, i) => !valueAt.has(i))) {
  if (!['--quick', '--json', '--write-results', '--help', '-h'].includes(a)) {
    console.error(`unknown option ${a}\n${USAGE}`);
    process.exit(2);
  }
}
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const quick = argv.includes('--quick');
const json = argv.includes('--json');
const macRuns = runsText === undefined ? (quick ? 3 : 5) : Number(runsText);
const writeResults = argv.includes('--write-results');
const sizes = quick ? QUICK : FULL;
/** Rounds of the idle rows (floor, spawn, server in each, alternating order). */
const IDLE_ROUNDS = 3;
const progress = (text) => {
  if (!json) process.stderr.write(`bench: ${text}\n`);
};

/** Run one section; a failure becomes an explicit "not measured" with the reason, never a silent gap. */
async function section(name, fn) {
  progress(`${name} ...`);
  const t0 = Date.now();
  try {
    const r = await fn();
    progress(`${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  } catch (err) {
    progress(`${name} failed: ${err.message}`);
    return { notMeasured: `failed: ${err.message.split('\n')[0]}` };
  }
}

if (only === 'mac') {
  await runMac();
  process.exit(0);
}
if (only === 'beam') {
  await runBeam();
  process.exit(0);
}
if (only === 'idle') {
  const idle = await section('idle processes and servers vs the async floor', () =>
    runIdle({ processes: sizes.processes, rounds: IDLE_ROUNDS, onProgress: progress }),
  );
  killAll();
  const out = {
    date: new Date().toISOString(),
    command: `node bench/run.mjs ${argv.join(' ')}`,
    quick,
    sizes,
    machine: { ...machineInfo() },
    idle,
    targets: evaluateIdle(idle, sizes.processes),
  };
  if (json) console.log(JSON.stringify(out, null, 2));
  else
    console.log(
      [
        `kindred idle processes vs the async-function floor, ${out.date}`,
        `command: ${out.command}`,
        `machine: load ${out.machine.loadavgStart} at start`,
        '',
        ...idleLines(idle),
        '',
        ...out.targets.map(
          (t) =>
            `${t.target}: ${t.value ?? '-'} ${t.met === null ? `not measured: ${t.note}` : t.met ? 'met' : 'MISSED'}${t.met !== null && t.note ? ` (${t.note})` : ''}`,
        ),
      ].join('\n'),
    );
  process.exit(0);
}

if (only === 'fanout') {
  const fanout = await section('fan-out and pg churn, 3 nodes', () =>
    runFanout(quick ? FANOUT_QUICK : FANOUT_FULL),
  );
  killAll();
  const out = {
    date: new Date().toISOString(),
    command: `node bench/run.mjs ${argv.join(' ')}`,
    machine: machineInfo(),
    fanout,
  };
  Object.assign(out, evaluate(out));
  if (json) console.log(JSON.stringify(out, null, 2));
  else console.log(renderFanout(out));
  process.exit(0);
}

/** The fan-out rows and their targets as text. */
function renderFanout(out) {
  const rows = fanoutTable(out.fanout).map((r) => `${r[0].padEnd(56)} | ${r[1]}`);
  const targets = out.targets
    .filter((t) => t.target.includes('point to point') || t.target.includes('churn'))
    .map(
      (t) =>
        `${t.target.padEnd(72)} | ${t.value ?? '-'} | ${t.met === null ? `not measured: ${t.note}` : `${t.met ? 'met' : 'MISSED'}${t.note ? ` (${t.note})` : ''}`}`,
    );
  return [
    `kindred fan-out and pg churn, ${out.date}`,
    `command: ${out.command}`,
    `machine: load ${out.machine.loadavgStart} at start`,
    '',
    ...rows,
    '',
    ...targets,
  ].join('\n');
}

if (only === 'mesh') {
  const mesh = await runMesh({ pods: quick ? [5] : [5, 20, 50], progress });
  const out = { command: `node bench/run.mjs ${argv.join(' ')}`, machine: machineInfo(), ...mesh };
  console.log(json ? JSON.stringify(out, null, 2) : renderMesh(out));
  process.exit(0);
}

if (only === 'remote') {
  await runRemoteOnly();
  process.exit(0);
}

/** The two-node table and its targets alone (issue 18's remote rows). */
async function runRemoteOnly() {
  const t0 = Date.now();
  const startedAt = new Date();
  const machine = machineInfo();
  const remote = await runRemote({
    messages: sizes.messages,
    rounds: sizes.rounds,
    runs: sizes.remoteRuns,
    section,
  });
  killAll();
  const notRun = { notMeasured: 'not run (--only remote)' };
  const results = {
    date: startedAt.toISOString(),
    command: `node bench/run.mjs ${argv.join(' ')}`,
    quick,
    sizes,
    machine: { ...machine, loadavgEnd: machineInfo().loadavgStart },
    durationSeconds: Math.round((Date.now() - t0) / 100) / 10,
    remote,
  };
  const { ratios } = evaluate({ ...results, local: notRun, formation: notRun });
  Object.assign(results, { ratios, targets: remoteTargets(remote, ratios) });
  if (json) console.log(JSON.stringify(results, null, 2));
  else console.log(renderRemoteText(results));
}

/**
 * Both wires side by side with Erlang's own (issues 13, 18; bench/lib/beam-table.mjs): erl <-> erl, kindred on both
 * wires, kindred <-> erl both ways, each `repeat` times in alternating order, best of the runs (as the main table).
 */
async function runBeam() {
  const { messages, rounds } = sizes;
  const machine = machineInfo();
  const startedAt = new Date();
  const beam = await runBeamTable({ messages, rounds, repeat: sizes.repeat, section, bestOf });
  killAll();
  const out = {
    date: startedAt.toISOString(),
    command: `node bench/run.mjs ${argv.join(' ')}`,
    sizes,
    machine: { ...machine, loadavgEnd: machineInfo().loadavgStart },
    results: beam.results,
    ratios: beam.ratios,
    targets: beam.targets,
  };
  const lines = [
    `kindred on Erlang's distribution protocol, ${out.date}`,
    `command: ${out.command}`,
    `machine: load ${machine.loadavgStart} at start, ${out.machine.loadavgEnd} at end; ${messages.toLocaleString('en-US')} one-way messages, ${rounds.toLocaleString('en-US')} round trips; best of ${sizes.repeat} run(s)`,
    '',
    ...beamLines(beam),
    '',
    ...beam.targets.map(
      (t) =>
        `${t.met === true ? 'met   ' : t.met === false ? 'MISSED' : 'n/a   '} ${t.target}: ${t.value ?? t.note}`,
    ),
  ];
  if (json) console.log(JSON.stringify(out, null, 2));
  else console.log(lines.join('\n'));
}

/**
 * The frame MAC's cost (issue 11: "one-way throughput and round trip with the MAC on stay within 10% of without it,
 * measured in one run"): each system with frameIntegrity off and on, `--runs` rounds; in each round the off and on
 * runs follow each other (order alternating between rounds), so a pair shares the machine's state of the moment. The
 * figure is the median over the rounds of the pair's ratio on / off: one noisy run moves a single pair, not the
 * median. The best run of each variant is printed too.
 */
async function runMac() {
  const { messages, rounds } = sizes;
  const runsEach = macRuns;
  const systems = [
    ['transport', '@kindred/transport alone', true],
    ['kindred', 'kindred, two nodes', false],
  ];
  const variants = [];
  for (const [key, label, transportOnly] of systems) {
    for (const mac of [false, true])
      variants.push({
        key: `${key}-${mac ? 'mac' : 'nomac'}`,
        label: `${label}, frameIntegrity ${mac}`,
        transportOnly,
        mac,
      });
  }
  const runsOf = Object.fromEntries(variants.map((v) => [v.key, []]));
  for (let rep = 0; rep < runsEach; rep++) {
    for (const [key] of systems) {
      const pair = variants.filter((v) => v.key.startsWith(`${key}-`));
      for (const v of rep % 2 === 0 ? pair : [...pair].reverse()) {
        runsOf[v.key].push(
          await section(`${v.label} (round ${rep + 1} of ${runsEach})`, () =>
            runKindredRemote({ messages, rounds, transportOnly: v.transportOnly, frameIntegrity: v.mac }),
          ),
        );
      }
    }
  }
  killAll();
  const best = Object.fromEntries(variants.map((v) => [v.key, bestOf(runsOf[v.key])]));
  const out = {
    date: new Date().toISOString(),
    command: `node bench/run.mjs ${argv.join(' ')}`,
    sizes: { ...sizes, runs: runsEach },
    machine: { ...machineInfo() },
    results: best,
    ratios: {},
  };
  const lines = [
    `kindred frame MAC cost, ${out.date}`,
    `command: ${out.command}`,
    `machine: load ${machineInfo().loadavgStart}; ${runsEach} rounds, each an off and an on run back to back`,
    '',
  ];
  lines.push('system (best run)            | MAC    | msg/s one-way | rtt p50 us | rtt p99 us');
  for (const v of variants) {
    const r = best[v.key];
    const f = r.notMeasured
      ? `not measured: ${r.notMeasured}`
      : `${Math.round(r.oneway.msgPerSec).toLocaleString('en-US').padStart(13)} | ${String(r.rtt.p50Us).padStart(10)} | ${String(r.rtt.p99Us).padStart(10)}`;
    lines.push(
      `${(v.transportOnly ? 'transport alone' : 'kindred, two nodes').padEnd(28)} | ${v.mac ? 'on ' : 'off'}    | ${f}`,
    );
  }
  lines.push('');
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  for (const [key] of systems) {
    const ons = runsOf[`${key}-mac`];
    const offs = runsOf[`${key}-nomac`];
    const pairs = ons
      .map((on, i) => [on, offs[i]])
      .filter(([on, off]) => !on.notMeasured && !off.notMeasured);
    if (pairs.length === 0) {
      lines.push(`${key}: not measured (no round had both runs)`);
      continue;
    }
    const throughputs = pairs.map(([on, off]) => on.oneway.msgPerSec / off.oneway.msgPerSec);
    const rtts = pairs.map(([on, off]) => on.rtt.p50Us / off.rtt.p50Us);
    const throughput = median(throughputs);
    const rtt = median(rtts);
    out.ratios[key] = {
      throughputOnOverOff: throughput,
      rttP50OnOverOff: rtt,
      rounds: pairs.length,
      throughputPerRound: throughputs,
      rttP50PerRound: rtts,
    };
    const verdict = throughput >= 0.9 && rtt <= 1.1 ? 'within 10%' : 'OVER 10%';
    lines.push(
      `${key}: MAC on / off, median of ${pairs.length} rounds: throughput ${pct(throughput)}, rtt p50 ${pct(rtt)} -> ${verdict}`,
      `${' '.repeat(key.length + 2)}per round: throughput ${throughputs.map(pct).join(' ')}; rtt p50 ${rtts.map(pct).join(' ')}`,
    );
  }
  if (json) console.log(JSON.stringify(out, null, 2));
  else console.log(lines.join('\n'));
}

const startedAt = new Date();
const t0 = Date.now();
const machine = machineInfo();
const { messages, rounds } = sizes;
const remote = await runRemote({ messages, rounds, runs: sizes.remoteRuns, section });

/** The best figures over several runs of one system (--only beam, --only mac); the runs themselves are kept. */
function bestOf(list) {
  const good = list.filter((r) => !r.notMeasured);
  if (good.length === 0) return list[0];
  const best = good.reduce((a, b) => (b.oneway.msgPerSec > a.oneway.msgPerSec ? b : a));
  return {
    ...best,
    rtt: {
      rounds: best.rtt.rounds,
      p50Us: Math.min(...good.map((r) => r.rtt.p50Us)),
      p99Us: Math.min(...good.map((r) => r.rtt.p99Us)),
    },
    runs: list.map((r) =>
      r.notMeasured
        ? r
        : { msgPerSec: Math.round(r.oneway.msgPerSec), p50Us: r.rtt.p50Us, p99Us: r.rtt.p99Us },
    ),
  };
}
const local = await section('kindred local spawn and send', () =>
  runKindredLocal({ processes: sizes.processes, messages: sizes.localMessages, repeat: sizes.repeat }),
);
const idle = await section('idle processes and servers vs the async floor', () =>
  runIdle({ processes: sizes.processes, rounds: IDLE_ROUNDS, onProgress: progress }),
);
const fanout = await section('fan-out and pg churn, 3 nodes', () =>
  runFanout(quick ? FANOUT_QUICK : FANOUT_FULL),
);
const formation = await section('cluster formation in the lab', () => runFormation({ quick }));
// Erlang's wire beside Erlang's own (bench/lib/beam-table.mjs): its rows, ratios and targets go in as `beam`.
const beam = await runBeamTable({ messages, rounds, repeat: sizes.repeat, section, bestOf });
killAll();

const results = {
  date: startedAt.toISOString(),
  command: `node bench/run.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`,
  quick,
  sizes,
  machine: { ...machine, loadavgEnd: machineInfo().loadavgStart },
  durationSeconds: Math.round((Date.now() - t0) / 100) / 10,
  remote,
  local,
  idle,
  fanout,
  formation,
  beam,
};
Object.assign(results, evaluate(results));

if (json) console.log(JSON.stringify(results, null, 2));
else
  console.log(`${renderText(results)}\n\nErlang's wire beside Erlang's own\n${beamLines(beam).join('\n')}`);
if (writeResults) {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
  const beamMd = `\n## Erlang's wire beside Erlang's own (\`--only beam\`)\n\n${beamLines(beam, { markdown: true }).join('\n')}\n`;
  writeFileSync(file, renderMarkdown(results) + beamMd);
  progress(`wrote ${file}`);
}
