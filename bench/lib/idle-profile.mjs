// Where an idle pod's CPU goes: the pods' `node --cpu-prof` profiles (bench/mesh.mjs --cpu-prof DIR), samples taken
// inside the idle window only, grouped by function (self time) and summed over every pod. V8 stamps samples on the
// monotonic clock, the one process.hrtime reads, so the window the bench measured maps onto every profile.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The monotonic clock in microseconds, as V8 stamps profile samples. */
export function monotonicUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Self time inside [fromUs, toUs] of every *.cpuprofile in `dir`, per function (`name url:line`), as a share of one
 * core per pod (the window's length times the number of profiles), top `top` first; `(garbage collector)`,
 * `(program)` (V8 and native work outside JS) and `(idle)` are V8's own categories.
 */
export function idleProfile(dir, fromUs, toUs, top = 15) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const self = new Map();
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      const dt = p.timeDeltas[i] ?? 0;
      t += dt;
      if (t < fromUs || t > toUs) continue;
      const n = byId.get(p.samples[i]);
      const cf = n.callFrame;
      const url = cf.url ? cf.url.replace(/^.*\/(packages|examples|node_modules)\//, '$1/') : '';
      const key = `${cf.functionName || '(anonymous)'}${url ? ` ${url}:${cf.lineNumber + 1}` : ''}`;
      // The sample's weight is the time to the next one (the interval it stands for).
      const w = p.timeDeltas[i + 1] ?? dt;
      self.set(key, (self.get(key) ?? 0) + w);
    }
  }
  const windowUs = (toUs - fromUs) * Math.max(1, files.length);
  const rows = [...self.entries()]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .map(([fn, us]) => ({ fn, pctPerPod: Math.round((us / windowUs) * 100 * 10_000) / 10_000 }));
  const busy = rows.reduce((a, r) => a + r.pctPerPod, 0);
  return {
    profiles: files.length,
    windowMs: Math.round((toUs - fromUs) / 1000),
    busyPctPerPod: Math.round(busy * 1000) / 1000,
    top: rows.slice(0, top),
  };
}
