// Idle processes and idle servers against the bare async-function floor (issue 18), in the same run: `rounds`
// rounds, each running the floor, kindred's spawn and kindred's idle servers once, every one in its own fresh
// `node --expose-gc` child (bench/kindred/idle.mjs), the order alternating between rounds (forward, backward, ...).
// A ratio is the median over the rounds of that round's kindred / floor ratio, so one noisy moment moves one round,
// not the figure. KBENCH_CPU_PROF=<dir> adds `--cpu-prof --cpu-prof-dir <dir>` to the children.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from './proc.mjs';

const IDLE = join(dirname(fileURLToPath(import.meta.url)), '..', 'kindred', 'idle.mjs');

/** Median of a non-empty list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One measurement (`mode` floor, spawn or server) in a fresh child; `runtimeDir` picks a built runtime (A/B). */
export async function runIdleOnce(mode, processes, { runtimeDir, timeoutMs = 300_000 } = {}) {
  const prof = process.env.KBENCH_CPU_PROF
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.KBENCH_CPU_PROF]
    : [];
  const args = ['--expose-gc', ...prof, IDLE, mode, String(processes)];
  if (runtimeDir !== undefined && mode !== 'floor') args.push(runtimeDir);
  const p = start(process.execPath, args);
  try {
    const [, json] = await p.waitFor(/^RESULT (.*)$/, timeoutMs, 'the RESULT line');
    return JSON.parse(json);
  } finally {
    let timer;
    await Promise.race([p.exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
    await p.stop();
  }
}

const MODES = ['floor', 'spawn', 'server'];
const round3 = (x) => Math.round(x * 1000) / 1000;

/**
 * The idle rows: `rounds` rounds of floor, spawn and server (alternating order). Returns each mode's median seconds
 * and bytes per process, the median per-round ratios kindred / floor, and every run.
 */
export async function runIdle({ processes, rounds = 3, onProgress = () => {} }) {
  const runs = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? MODES : [...MODES].reverse()) {
      onProgress(`idle ${mode}, ${processes} (round ${r + 1} of ${rounds})`);
      runs[mode].push(await runIdleOnce(mode, processes));
    }
  }
  const summary = (mode) => ({
    processes,
    seconds: round3(median(runs[mode].map((x) => x.seconds))),
    cpuSeconds: round3(median(runs[mode].map((x) => x.cpuSeconds))),
    bytesPerProcess: Math.round(median(runs[mode].map((x) => x.bytesPerProcess))),
  });
  const ratios = (mode) => {
    const time = runs[mode].map((x, i) => x.seconds / runs.floor[i].seconds);
    const cpu = runs[mode].map((x, i) => x.cpuSeconds / runs.floor[i].cpuSeconds);
    const bytes = runs[mode].map((x, i) => x.bytesPerProcess / runs.floor[i].bytesPerProcess);
    return {
      timeVsFloor: round3(median(time)),
      cpuVsFloor: round3(median(cpu)),
      bytesVsFloor: round3(median(bytes)),
      timePerRound: time.map(round3),
      cpuPerRound: cpu.map(round3),
      bytesPerRound: bytes.map(round3),
    };
  };
  return {
    rounds,
    floor: summary('floor'),
    spawn: { ...summary('spawn'), ...ratios('spawn') },
    server: { ...summary('server'), ...ratios('server') },
    runs: Object.fromEntries(
      MODES.map((m) => [
        m,
        runs[m].map((x) => ({
          seconds: round3(x.seconds),
          cpuSeconds: round3(x.cpuSeconds),
          bytesPerProcess: Math.round(x.bytesPerProcess),
        })),
      ]),
    ),
  };
}

/** The idle rows as text lines (for `--only idle` and the main table). */
export function idleLines(idle) {
  if (idle?.notMeasured) return [`idle processes: not measured: ${idle.notMeasured}`];
  const n = idle.floor.processes.toLocaleString('en-US');
  const row = (label, x, ratio) =>
    `${label.padEnd(46)} | ${x.seconds.toFixed(2).padStart(6)} s | ${x.cpuSeconds.toFixed(2).padStart(6)} s | ${String(x.bytesPerProcess).padStart(5)} B | ${ratio}`;
  const list = (xs) => xs.map((v) => v.toFixed(2)).join(' ');
  const vs = (x) =>
    `time ${x.timeVsFloor.toFixed(2)}x, cpu ${x.cpuVsFloor.toFixed(2)}x, bytes ${x.bytesVsFloor.toFixed(2)}x (rounds: time ${list(x.timePerRound)}; cpu ${list(x.cpuPerRound)}; bytes ${list(x.bytesPerRound)})`;
  return [
    `${`${n} idle, median of ${idle.rounds} alternating rounds`.padEnd(46)} |   wall   |   cpu    |  B/proc | vs floor (median of the rounds' ratios)`,
    row('floor: parked async functions (resolve kept)', idle.floor, '1'),
    row('kindred: node.spawn, parked in receive()', idle.spawn, vs(idle.spawn)),
    row('kindred: startServer, idle after init', idle.server, vs(idle.server)),
  ];
}
