// The mesh-scale group (issue 18): formation time and idle CPU per pod for 5, 20 and 50 pods in the pod lab, as
// rows with their targets, optionally A/B against another checkout's build in the same command. Used by
// `node bench/mesh.mjs` and `node bench/run.mjs --only mesh`. See bench/README.md, "Mesh scale".
import { loadavg } from 'node:os';
import { appOf, IDLE_WINDOW_MS, runFormation } from './formation.mjs';
import { meshRows } from './targets.mjs';

const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? null
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x) => (x == null ? null : Math.round(x * 1000) / 1000);

/**
 * Runs each size `rounds` times; with `base` (another checkout, built), each round runs this build and the base's
 * app in the same lab one after the other, order alternating between rounds. The row of a size is its median run;
 * `vsBase` is the median over rounds of the pair's ratio this / base (formation time, idle CPU per pod). With `mixed`,
 * each round is one lab running the base's app in about half of the pods and this build's in the others: idle CPU
 * per pod of both builds over the same window (formation is then not compared).
 * @param {{ pods: number[], idleWindowMs?: number, rounds?: number, base?: string, progress?: (s: string) => void }} o
 */
export async function runMesh({
  pods,
  idleWindowMs = IDLE_WINDOW_MS,
  rounds = 1,
  base,
  mixed = false,
  cpuProfDir,
  progress = () => {},
}) {
  if (mixed && base === undefined) throw new Error('mixed needs base');
  const t0 = Date.now();
  const out = { date: new Date(t0).toISOString(), loadavgStart: load(), rounds, ...(base ? { base } : {}) };
  const formation = {};
  const baseFormation = {};
  const pairs = {};
  for (const n of pods) {
    const key = `pods${n}`;
    const mine = [];
    const theirs = [];
    pairs[key] = [];
    for (let round = 0; round < rounds; round++) {
      const order =
        base === undefined || mixed ? ['this'] : round % 2 === 0 ? ['base', 'this'] : ['this', 'base'];
      const pair = {};
      for (const which of order) {
        progress(
          `${n} pods, ${which === 'base' ? `base (${base})` : 'this build'}, round ${round + 1} of ${rounds}`,
        );
        const r = await runFormation({
          quick: false,
          pods: [n],
          idleWindowMs,
          ...(which === 'base' ? { app: appOf(base) } : {}),
          ...(mixed ? { mixed: appOf(base) } : {}),
          ...(cpuProfDir !== undefined && which === 'this' ? { cpuProfDir } : {}),
        });
        const row = r.notMeasured ? r : r[key];
        pair[which] = row;
        (which === 'base' ? theirs : mine).push(row);
      }
      pairs[key].push(pair);
    }
    formation[key] = pick(mine);
    if (base !== undefined && !mixed) baseFormation[key] = pick(theirs);
  }
  const vsBase = {};
  if (mixed) {
    for (const [key, list] of Object.entries(pairs)) {
      const ratios = list.map((p) => p.this?.idle?.mixed?.ratio).filter((x) => x != null);
      vsBase[key] = { formation: null, idleCpu: r3(median(ratios)), pairs: ratios.length, mixedLab: true };
    }
  } else if (base !== undefined) {
    for (const [key, list] of Object.entries(pairs)) {
      const good = list.filter((p) => !p.this?.notMeasured && !p.base?.notMeasured);
      vsBase[key] = {
        formation: r3(median(good.map((p) => p.this.ms / p.base.ms))),
        idleCpu: r3(
          median(
            good.filter((p) => p.this.idle).map((p) => p.this.idle.meanPctPerPod / p.base.idle.meanPctPerPod),
          ),
        ),
        pairs: good.length,
      };
    }
  }
  return {
    ...out,
    loadavgEnd: load(),
    wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
    formation,
    ...(base === undefined ? {} : { baseFormation, vsBase }),
    mesh: meshRows(formation, base === undefined ? undefined : { formation: baseFormation, vsBase }),
  };
}

/** The median run by formation time (its idle figure with it), the others listed in `runs`. */
function pick(list) {
  const good = list.filter((r) => !r.notMeasured);
  if (good.length === 0) return list[0];
  const sorted = [...good].sort((a, b) => a.ms - b.ms);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  if (list.length === 1) return mid;
  const idle = median(good.filter((r) => r.idle).map((r) => r.idle.meanPctPerPod));
  return {
    ...mid,
    ms: median(good.map((r) => r.ms)),
    ...(mid.idle ? { idle: { ...mid.idle, meanPctPerPod: r3(idle) } } : {}),
    runs: list.map((r) =>
      r.notMeasured ? r : { ms: r.ms, idleMeanPctPerPod: r.idle?.meanPctPerPod ?? null },
    ),
  };
}

/** The group as text lines. */
export function renderMesh(result) {
  const lines = [
    `${result.command}  (load average ${result.loadavgStart.join(' ')} -> ${result.loadavgEnd.join(' ')}; ${result.wallSeconds} s)`,
  ];
  for (const row of result.mesh) {
    if (row.notMeasured) {
      lines.push(`${row.pods} pods: not measured: ${row.notMeasured}`);
      continue;
    }
    const idle =
      row.idleMeanPct == null
        ? ''
        : `; idle CPU per pod mean ${row.idleMeanPct}% median ${row.idleMedianPct}% max ${row.idleMaxPct}% of a core (target < ${row.idleTargetPct}%: ${row.idleMet ? 'met' : 'MISSED'}, ${row.idleVsTarget}x)${row.meshIntact === false ? ' MESH BROKE' : ''}`;
    lines.push(
      `${row.pods} pods: formed in ${row.formationMs} ms after the last start (target <= ${row.limitMs} ms: ${row.formationMet ? 'met' : 'MISSED'}, ${row.formationVsLimit}x; start spread ${row.startSpreadMs} ms)${idle}`,
    );
    const f = result.formation[`pods${row.pods}`];
    if (f?.idleLate) {
      const m = f.idleLate.mixed;
      lines.push(
        `  next ${f.idleLate.windowMs} ms: idle CPU per pod mean ${f.idleLate.meanPctPerPod}% median ${f.idleLate.medianPctPerPod}% max ${f.idleLate.maxPctPerPod}% (${row.idleLateVsTarget}x the target)${m ? `; this ${m.thisMeanPctPerPod}% vs base ${m.baseMeanPctPerPod}%: ${m.ratio}x` : ''}`,
      );
    }
    if (f?.cpuSecondsPerPodAtFormation) {
      const l = f.lastLink;
      lines.push(
        `  CPU per pod by formation (boot + forming): mean ${f.cpuSecondsPerPodAtFormation.mean} s, max ${f.cpuSecondsPerPodAtFormation.max} s${f.cpuSecondsPerPodAtFormation.mixed ? ` (this ${f.cpuSecondsPerPodAtFormation.mixed.this} s, base ${f.cpuSecondsPerPodAtFormation.mixed.base} s: ${f.cpuSecondsPerPodAtFormation.mixed.ratio}x)` : ''}${l ? `; last link up: ${l.seenBy} (started ${l.seenByStartedMs} ms) saw ${l.peer} (started ${l.peerStartedMs} ms), relative to the last start` : ''}`,
      );
    }
    const prof = f?.idleProfile;
    if (prof) {
      lines.push(
        `  idle profile (${prof.profiles} pods under --cpu-prof, ${prof.windowMs} ms): JS-sampled busy ${prof.busyPctPerPod}% per pod; top self time:`,
      );
      for (const t of prof.top.slice(0, 12)) lines.push(`    ${String(t.pctPerPod).padStart(7)}%  ${t.fn}`);
    }
    if (row.vsBase?.mixedLab) {
      lines.push(
        `  mixed lab with ${result.base}: idle CPU this / base ${row.vsBase.idleCpu ?? '-'}x (median of ${row.vsBase.pairs} lab(s); last: ${JSON.stringify(result.formation[`pods${row.pods}`]?.idle?.mixed ?? null)})`,
      );
    } else if (row.base) {
      const b = row.base;
      lines.push(
        `  base ${result.base}: ${b.notMeasured ? `not measured: ${b.notMeasured}` : `formed in ${b.formationMs} ms, idle ${b.idleMeanPct}% per pod`}; this / base: formation ${row.vsBase?.formation ?? '-'}x, idle CPU ${row.vsBase?.idleCpu ?? '-'}x (median of ${row.vsBase?.pairs ?? 0} pair(s))`,
      );
    }
  }
  return lines.join('\n');
}
