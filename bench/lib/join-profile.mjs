// Where a joiner's CPU goes (bench/join.mjs --cpu-prof): every sample of one or more .cpuprofile files put in one
// category. Module loading wins when any frame of the stack is the module loader (so a dependency's top-level code
// counts as loading it); otherwise the innermost frame that names a category: the frame MAC (frame-tag, blake2s),
// the handshake, the runtime (nodeup work: global, pg, monitors), the rest of the transport, ws and node's
// http/net, logging (pino), the garbage collector; anything else is "other".
//   node bench/lib/join-profile.mjs FILE.cpuprofile...
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LOADING = /node:internal\/modules\/|^evaluate |^compileForInternalLoader |^requireBuiltin /;
const INNER = [
  ['frame MAC', /transport\/dist\/(frame-tag|blake2s)\.js/],
  ['handshake', /transport\/dist\/(handshake|protocol|host-check)\.js/],
  ['runtime', /runtime\/dist\//],
  ['transport (other)', /transport\/dist\//],
  ['discovery, dns', /(discovery|dns)\/dist\//],
  ['ws, http, net', /ws@|node:_http|node:net|node:internal\/(stream_base|net)|node:internal\/streams/],
  ['logging', /pino|sonic-boom/],
  ['GC', /^\(garbage collector\)/],
];

/** CPU ms per category over `files`, and the total. */
export function categorise(files) {
  const totals = new Map();
  let total = 0;
  for (const file of files) {
    const prof = JSON.parse(readFileSync(file, 'utf8'));
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    for (let i = 0; i < prof.samples.length; i++) {
      const us = prof.timeDeltas[i] ?? 0;
      const stack = [];
      for (let id = prof.samples[i]; id !== undefined; id = parent.get(id)) {
        const f = byId.get(id).callFrame;
        stack.push(`${f.functionName || '(anonymous)'} ${f.url}`);
      }
      if (stack[0].startsWith('(idle)') || stack[0].startsWith('(program)')) continue;
      let cat = stack.some((s) => LOADING.test(s)) ? 'module loading' : undefined;
      for (let j = 0; cat === undefined && j < stack.length; j++) {
        cat = INNER.find(([, re]) => re.test(stack[j]))?.[0];
      }
      cat ??= 'other';
      totals.set(cat, (totals.get(cat) ?? 0) + us / 1000);
      total += us / 1000;
    }
  }
  return { total, categories: [...totals].sort((a, b) => b[1] - a[1]) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  const { total, categories } = categorise(files);
  const per = (ms) => (ms / files.length).toFixed(0).padStart(5);
  console.log(`${files.length} profile(s), CPU ms per profile (mean):`);
  for (const [cat, ms] of categories)
    console.log(`${per(ms)}  ${((100 * ms) / total).toFixed(0).padStart(3)}%  ${cat}`);
  console.log(`${per(total)}  total`);
}
