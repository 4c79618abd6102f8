// CPU time per pg join/leave, both sides: two startNode() nodes in this one process over loopback; node A makes N
// joins and leaves (K per event-loop turn, a window of 1,000 open memberships over 1,000 groups, as bench/fanout.mjs's
// churn), and the run ends when node B's view has as many members as A's. Process CPU (user + system) per operation;
// with no cross-process scheduling it holds up on a loaded machine better than wall time.
//   node bench/experiments/pg-churn-cpu.mjs <runtime package dir> [N=200000] [K=200]
// e.g. alternating /work/main/packages/runtime and packages/runtime for an A/B.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [rtDir = 'packages/runtime', N = '200000', K = '200'] = process.argv.slice(2);
const rt = await import(pathToFileURL(resolve(rtDir, 'dist/index.js')).href);
const cookie = 'x'.repeat(32);
const id = Math.random().toString(36).slice(2, 7);
const a = await rt.startNode({ name: `ca_${id}@127.0.0.1`, cookie, port: 0, host: '127.0.0.1' });
const b = await rt.startNode({ name: `cb_${id}@127.0.0.1`, cookie, port: 0, host: '127.0.0.1' });
await a.connect(b.name, { port: b.port });
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const probe = a.spawn(async (ctx) => ctx.receive());
a.pg.join('probe', probe);
while (b.pg.members('probe').length !== 1) await sleep(5);
const pool = Array.from({ length: 1000 }, () => a.spawn(async (ctx) => ctx.receive()));
const W = 1000;
const G = 1000;
const open = [];
let joins = 0;
const total = Number(N);
const k = Number(K);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let done = 0; done < total; ) {
  for (let j = 0; j < k && done < total; j++, done++) {
    if (open.length < W) {
      const p = pool[joins % 1000];
      const g = `c${(joins * 7) % G}`;
      a.pg.join(g, p);
      open.push([g, p]);
      joins++;
    } else {
      const [g, p] = open.shift();
      a.pg.leave(g, p);
    }
  }
  await tick();
}
const count = (n) => n.pg.groups().reduce((s, g) => s + n.pg.members(g).length, 0);
const expected = count(a);
while (count(b) !== expected) await sleep(1);
const d = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    runtime: rtDir,
    ops: total,
    perTurn: k,
    cpuUsPerOp: Math.round(((d.user + d.system) / total) * 100) / 100,
    wallMs: Math.round(performance.now() - t0),
  }),
);
await a.stop();
await b.stop();
process.exit(0);
