// Cluster formation in the pod lab (test/lab, built): N pods of examples/simple-web-service with CoreDNS's
// endpoint_pod_names on, discovering each other through the headless service's SRV record (real BIND).
// Measured: from the moment the last pod's process started (its start time in /proc, 10 ms resolution) to the moment
// every node sees all others (the latest nodeup event, timestamped by the app itself, once GET /nodes on every pod
// shows the full mesh). Then, idle: the CPU time (utime + stime in /proc/<pid>/stat) every pod's process used over a
// window, as a share of one core; CPU time is what an idle mesh costs, and unlike a wall-clock figure it does not move
// when other work loads the machine. Needs root (network namespaces).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { idleProfile, monotonicUs } from './idle-profile.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAB = join(REPO, 'test/lab/dist/index.js');
const APP = appOf(REPO);
/** The app's discovery poll interval as deployed (its default, set explicitly so the figure says what it is). */
const POLL_INTERVAL_MS = 5_000;
/** deploy/k8s's readinessProbe periodSeconds. */
const PROBE_PERIOD_MS = 5_000;
/** Formation deadline; 50 pods on a loaded 2-core machine take a while to even start. */
const TIMEOUT_MS = 120_000;
/** After the mesh formed, wait this long before the idle window: the join waits pass and discovery reaches its idle cadence. */
const SETTLE_MS = 20_000;
/** The idle CPU window (several tick periods of 15 s and discovery polls of 5 s). */
export const IDLE_WINDOW_MS = 30_000;
const CHECK_EVERY_MS = 100;

let clockTicks;
/** Wall-clock start time (epoch ms) of process `pid`, from /proc. */
function processStartMs(pid) {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]); // field 22 of proc(5); fields[0] is field 3
  const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const bootMs = Date.now() - uptimeS * 1000;
  return bootMs + (startTicks / clockTicks) * 1000;
}

/** CPU seconds (user + system) process `pid` used so far, or undefined if it is gone. */
export function cpuSeconds(pid) {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime, stime: fields 14 and 15 of proc(5)
  } catch {
    return undefined;
  }
}

/**
 * Idle CPU of `pids` over `windowMs`: per pod, the share of one core in percent (mean, median, max), from the
 * CPU time each process used in the window (10 ms resolution, so a 30 s window resolves 0.03 %).
 */
export async function idleCpu(pids, windowMs) {
  const before = pids.map(cpuSeconds);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const seconds = (performance.now() - t0) / 1000;
  const after = pids.map(cpuSeconds);
  const pct = [];
  for (let i = 0; i < pids.length; i++) {
    if (before[i] !== undefined && after[i] !== undefined) pct.push(((after[i] - before[i]) / seconds) * 100);
  }
  if (pct.length < pids.length)
    throw new Error(`${pids.length - pct.length} pod process(es) exited while idle`);
  const sorted = [...pct].sort((a, b) => a - b);
  const r3 = (x) => Math.round(x * 1000) / 1000;
  return {
    perPod: pct,
    windowMs: Math.round(seconds * 1000),
    meanPctPerPod: r3(pct.reduce((a, b) => a + b, 0) / pct.length),
    medianPctPerPod: r3(sorted[Math.floor(sorted.length / 2)]),
    maxPctPerPod: r3(sorted.at(-1)),
    totalPct: r3(pct.reduce((a, b) => a + b, 0)),
  };
}

async function viewOf(lab, pod) {
  try {
    const res = await lab.http(pod.name, '/nodes');
    return res.status === 200 ? JSON.parse(res.body) : undefined;
  } catch {
    return undefined;
  }
}

/** The pod's argv when `mixed` (another build's app) runs in about half of the pods: by the pod name's last char. */
function mixedCommand(mixed) {
  const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;
  return [
    '/bin/sh',
    '-c',
    `case "$(hostname)" in *[02468acegikmoqsuwy]) exec node ${q(APP)} ;; *) exec node ${q(mixed)} ;; esac`,
  ];
}

/** True when process `pid` runs `app` (its argv names it). */
function runs(pid, app) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(app);
  } catch {
    return false;
  }
}

/** Mean of `values` (one per pod) for this build's pods and the `mixed` build's, in a mixed lab. */
function splitMean(values, pods, mixed) {
  const mean = (xs) =>
    xs.length === 0 ? null : Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000;
  const base = values.filter((_, i) => runs(pods[i].pid, mixed));
  const mine = values.filter((_, i) => !runs(pods[i].pid, mixed));
  return {
    this: mean(mine),
    base: mean(base),
    ratio: mean(base) ? Math.round((mean(mine) / mean(base)) * 1000) / 1000 : null,
  };
}

async function formOnce(Lab, replicas, idleWindowMs, app, mixed, cpuProfDir) {
  const lab = await Lab.start({
    // Another build's app (an A/B against another checkout: bench/mesh.mjs --base); the lab itself stays this one.
    ...(app === undefined ? {} : { command: ['node', app] }),
    ...(mixed === undefined ? {} : { command: mixedCommand(mixed) }),
    ...(cpuProfDir === undefined
      ? {}
      : {
          command: [
            'node',
            '--cpu-prof',
            `--cpu-prof-dir=${cpuProfDir}`,
            // 5 ms between samples (V8's default is 1 ms): the profiler's own cost stays small next to an idle pod's.
            '--cpu-prof-interval=5000',
            app ?? APP,
          ],
        }),
    replicas,
    endpointPodNames: true,
    // Profiled pods exit gracefully (a profile is written at exit), and may take a while on a loaded machine.
    terminationGracePeriodMs: cpuProfDir === undefined ? 2_000 : 30_000,
    // The readiness probe as deploy/k8s sets it (periodSeconds 5), not the lab's 1 s default for fast tests: the
    // probe is part of what an idle pod costs (a 1 s probe alone is ~0.1% of a core per pod here).
    probePeriodMs: PROBE_PERIOD_MS,
    env: {
      KINDRED_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      LOG_LEVEL: 'warn',
      ...(cpuProfDir === undefined ? {} : { KINDRED_DRAIN_MS: '0' }),
    },
  });
  try {
    const startedAtResolve = Date.now();
    const pods = lab.pods();
    const starts = pods.map((p) => (p.pid === undefined ? startedAtResolve : processStartMs(p.pid)));
    const lastStart = Math.max(...starts);
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const views = await Promise.all(pods.map((p) => viewOf(lab, p)));
      const full = pods.every((p, i) => {
        const v = views[i];
        const expected = pods
          .filter((o) => o !== p)
          .map((o) => o.node)
          .sort();
        return v && v.self === p.node && JSON.stringify([...v.nodes].sort()) === JSON.stringify(expected);
      });
      if (full) {
        const seenAt = Date.now();
        // What booting and forming cost each pod (CPU seconds so far): 50 pods on 2 shared cores cannot form faster
        // than their boot CPU allows.
        const cpuAtFormation = pods.map((p) => cpuSeconds(p.pid) ?? 0);
        // The latest nodeup any node logged: when the last link of the mesh came up (app clock = this clock).
        const ups = views.flatMap((v) =>
          (v.events ?? []).filter((e) => e.type === 'nodeup').map((e) => e.at),
        );
        const formedAt = ups.length > 0 ? Math.max(...ups) : seenAt;
        // Which link came up last, and when its two ends started (relative to the last start): says whether the
        // last pod was slow to dial or an early pod slow to find the others.
        let lastLink;
        views.forEach((v, i) => {
          for (const e of v.events ?? []) {
            if (e.type !== 'nodeup' || (lastLink !== undefined && e.at <= lastLink.at)) continue;
            const j = pods.findIndex((p) => p.node === e.node);
            lastLink = { at: e.at, pod: i, peer: j };
          }
        });
        const formed = {
          pods: replicas,
          ms: Math.round(formedAt - lastStart),
          observedMs: Math.round(seenAt - lastStart),
          podsStartSpreadMs: Math.round(lastStart - Math.min(...starts)),
          pollIntervalMs: POLL_INTERVAL_MS,
          probePeriodMs: PROBE_PERIOD_MS,
          cpuSecondsPerPodAtFormation: {
            mean: Math.round((cpuAtFormation.reduce((a, b) => a + b, 0) / pods.length) * 100) / 100,
            max: Math.max(...cpuAtFormation),
            ...(mixed === undefined ? {} : { mixed: splitMean(cpuAtFormation, pods, mixed) }),
          },
          ...(lastLink === undefined
            ? {}
            : {
                lastLink: {
                  seenBy: pods[lastLink.pod].name,
                  seenByStartedMs: Math.round(starts[lastLink.pod] - lastStart),
                  peer: pods[lastLink.peer]?.name ?? null,
                  peerStartedMs: lastLink.peer < 0 ? null : Math.round(starts[lastLink.peer] - lastStart),
                },
              }),
        };
        if (idleWindowMs <= 0) return formed;
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const pids = pods.map((p) => p.pid);
        const measure = async () => {
          const { perPod, ...idle } = await idleCpu(pids, idleWindowMs);
          if (mixed !== undefined) {
            // Both builds in one mesh over the same window: the fairest A/B of idle CPU on a loud machine.
            const mean = (xs) =>
              xs.length === 0 ? null : Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000;
            const base = perPod.filter((_, i) => runs(pids[i], mixed));
            const mine = perPod.filter((_, i) => !runs(pids[i], mixed));
            idle.mixed = {
              thisPods: mine.length,
              thisMeanPctPerPod: mean(mine),
              basePods: base.length,
              baseMeanPctPerPod: mean(base),
              ratio: mean(base) ? Math.round((mean(mine) / mean(base)) * 1000) / 1000 : null,
            };
          }
          return idle;
        };
        const fromUs = monotonicUs();
        const idle = await measure();
        const toUs = monotonicUs();
        // A second window right after the first: how much the figure moves from one window to the next. V8's
        // memory reducer runs its full collections once a booted process's allocation drops (about 50 s after start
        // in a 20-pod lab, `--trace-gc`), inside one window or the other depending on how long the pods took to boot.
        const idleLate = await measure();
        // Still a full mesh after the idle window: an idle figure of a mesh that fell apart would mean nothing.
        const after = await Promise.all(pods.map((p) => viewOf(lab, p)));
        const intact = after.every((v) => v && v.nodes.length === replicas - 1);
        return {
          ...formed,
          idle: { ...idle, meshIntact: intact },
          idleLate,
          ...(cpuProfDir === undefined ? {} : { profileWindowUs: [fromUs, toUs] }),
        };
      }
      if (Date.now() > deadline) {
        const seen = views.map((v) => (v ? v.nodes.length : 'no answer')).join(',');
        throw new Error(
          `no full mesh of ${replicas} pods within ${TIMEOUT_MS} ms (peers seen per pod: ${seen})`,
        );
      }
      await new Promise((r) => setTimeout(r, CHECK_EVERY_MS));
    }
  } finally {
    // lab.stop() kills with SIGKILL; a profiled pod must exit on its own to write its profile.
    if (cpuProfDir !== undefined) {
      await lab.scale(0).catch(() => {});
      const written = () =>
        existsSync(cpuProfDir) ? readdirSync(cpuProfDir).filter((f) => f.endsWith('.cpuprofile')).length : 0;
      for (let waited = 0; written() < replicas && waited < 40_000; waited += 200) {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await lab.stop();
  }
}

/** The app's entry point in the checkout at `repo` (built), for {@link runFormation}'s `app`. */
export function appOf(repo) {
  return join(repo, 'examples/simple-web-service/dist/main.js');
}

/**
 * 5, 20 and 50 pods (5 only with --quick): formation, then idle CPU per pod over `idleWindowMs` (0: no idle window).
 * `pods` picks other sizes; `app` runs another build's app (its main.js, see {@link appOf}) in this lab; `mixed`
 * runs another build's app in about half of the pods, this one's in the rest, and splits the idle CPU by build;
 * `cpuProfDir` runs every pod under `node --cpu-prof` (profiles in `<dir>/pods<N>`) and adds the idle window's top
 * functions by self time (`idleProfile`).
 */
export async function runFormation({
  quick,
  pods: sizes = [5, 20, 50],
  idleWindowMs = IDLE_WINDOW_MS,
  app,
  mixed,
  cpuProfDir,
}) {
  if (process.getuid?.() !== 0) return { notMeasured: 'the lab needs root (network namespaces)' };
  if (!existsSync(LAB) || !existsSync(APP)) {
    return { notMeasured: 'lab or app not built: run pnpm run build' };
  }
  for (const a of [app, mixed])
    if (a !== undefined && !existsSync(a)) return { notMeasured: `${a} not built` };
  const { Lab } = await import(pathToFileURL(LAB).href);
  const result = {};
  for (const n of sizes) {
    if (quick && n > 5) {
      result[`pods${n}`] = { notMeasured: 'skipped with --quick' };
      continue;
    }
    const t0 = Date.now();
    try {
      const dir = cpuProfDir === undefined ? undefined : join(cpuProfDir, `pods${n}`);
      const { profileWindowUs, ...row } = await formOnce(Lab, n, idleWindowMs, app, mixed, dir);
      // The profiles are written as the pods exit (lab.stop): only the idle window's samples count.
      if (profileWindowUs !== undefined) row.idleProfile = idleProfile(dir, ...profileWindowUs);
      result[`pods${n}`] = { ...row, wallSeconds: Math.round((Date.now() - t0) / 100) / 10 };
    } catch (err) {
      result[`pods${n}`] = { notMeasured: `failed: ${err.message.split('\n')[0]}` };
    }
  }
  return result;
}
