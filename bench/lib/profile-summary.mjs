// Summarise a V8 .cpuprofile (from node --cpu-prof): self time per function and per file, top N.
//   node bench/lib/profile-summary.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function summarise(file, top = 25) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) {
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map();
  const files = new Map();
  for (const [id, us] of self) {
    const { callFrame: cf } = byId.get(id);
    const where = cf.url
      ? cf.url.replace(/^file:\/\//, '').replace(/.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '')
      : '(native)';
    const key = `${cf.functionName || '(anonymous)'} ${where}:${cf.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const shortFile = where.replace(/^\/work\/main\//, '');
    files.set(shortFile, (files.get(shortFile) ?? 0) + us);
  }
  const pct = (us) => `${((100 * us) / total).toFixed(1)}%`;
  const topOf = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `${pct(us).padStart(6)}  ${k}`);
  return { totalMs: total / 1000, functions: topOf(fn), files: topOf(files) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = summarise(process.argv[2], Number(process.argv[3] ?? 25));
  console.log(
    `total sampled ${s.totalMs.toFixed(0)} ms\n-- by function (self)\n${s.functions.join('\n')}\n-- by file (self)\n${s.files.join('\n')}`,
  );
}
