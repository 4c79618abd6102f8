// Local process costs: 1,000,000 idle spawned processes (time and heap) and local send throughput.
// Targets (issue 5): 1,000,000 idle processes in < 2 s and < 1 GiB.
// Run: node --expose-gc packages/runtime/bench/local.mjs [N] [spawn|handler|server]
//   spawn:   each process is `async (ctx) => { await ctx.receive(); }` (parked in receive)
//   handler: each process is `node.spawnHandler(handler)` (gen_server style; nothing suspended while idle)
//   server:  each process is `startServer(node, behaviour, i)` (the server behaviour, idle after init)
import { createNode, startServer } from '../dist/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const kind = process.argv[3] ?? 'spawn';
const node = createNode({ name: 'bench@127.0.0.1' });
globalThis.gc?.();
const heap0 = process.memoryUsage().heapUsed;
const t0 = performance.now();
const idle = async (ctx) => {
  await ctx.receive();
};
const handler = () => {};
const behaviour = {
  init: (n) => ({ state: n }),
  handleCall: (_req, _from, n) => ({ reply: n, state: n }),
};
if (kind === 'handler') for (let i = 0; i < N; i++) node.spawnHandler(handler);
else if (kind === 'server') {
  // Started in batches so the init promises do not all wait at once.
  for (let i = 0; i < N; i += 10_000) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + 10_000); j++) batch.push(startServer(node, behaviour, j));
    await Promise.all(batch);
  }
} else for (let i = 0; i < N; i++) node.spawn(idle);
await new Promise((r) => setImmediate(r));
const spawnMs = performance.now() - t0;
globalThis.gc?.();
const mem = process.memoryUsage();
const perProcess = (mem.heapUsed - heap0) / N;
console.log(
  JSON.stringify({
    kind,
    idleProcesses: node.stats().processes,
    spawnMs: Math.round(spawnMs),
    heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
    rssMiB: Math.round(mem.rss / 2 ** 20),
    bytesPerProcess: Math.round(perProcess),
  }),
);
await node.stop();

const node2 = createNode({ name: 'bench2@127.0.0.1' });
const M = 2_000_000;
let got = 0;
const done = new Promise((resolve) => {
  node2.spawn(
    async (ctx) => {
      for (;;) {
        await ctx.receive();
        if (++got === M) return resolve();
      }
    },
    { maxMailboxSize: M + 1 },
  );
});
const sinkPid = node2.processes().at(-1);
await new Promise((r) => setImmediate(r));
const t1 = performance.now();
for (let i = 0; i < M; i++) node2.send(sinkPid, { i });
await done;
const sendMs = performance.now() - t1;
console.log(JSON.stringify({ localSendPerSec: Math.round(M / (sendMs / 1000)), messages: M }));
await node2.stop();
