// Idle processes against the bare async-function floor (issue 18), one measurement per fresh process:
//   node --expose-gc bench/kindred/idle.mjs floor  <n>               -> prints "RESULT {json}"
//   node --expose-gc bench/kindred/idle.mjs spawn  <n> [runtimeDir]  -> prints "RESULT {json}"
//   node --expose-gc bench/kindred/idle.mjs server <n> [runtimeDir]  -> prints "RESULT {json}"
// floor:  n calls of `async () => { await new Promise((resolve) => { wake.push(resolve); }); }`: a parked async
//         function that can still be woken (its resolve is kept), the least a process needs. No runtime is loaded.
// spawn:  n `node.spawn(async (ctx) => { await ctx.receive(); })`, time until every one is parked in receive().
// server: n `startServer(node, behaviour, i)` (init returns its state at once, no traffic), time until every start
//         promise resolved.
// Each reports seconds (wall), cpuSeconds (user + system of this process over the same span, GC helper threads
// included: less moved by other load on the machine than wall time, so A/B runs on a busy machine compare it) and (V8 heap used + external) after a full gc, before vs after, divided by n. `runtimeDir`
// (default: this checkout's @kindred/runtime) is a built runtime's dist directory, for A/B runs of two builds.
import { pathToFileURL } from 'node:url';

const [mode, count, runtimeDir] = process.argv.slice(2);
const n = Number(count);
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
if (!['floor', 'spawn', 'server'].includes(mode) || !Number.isInteger(n) || n < 1) {
  console.error('usage: idle.mjs floor|spawn|server <n> [runtimeDir]');
  process.exit(2);
}
const tick = () => new Promise((resolve) => setImmediate(resolve));
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
const settle = async () => {
  await tick();
  globalThis.gc();
  await tick();
  globalThis.gc();
};
const runtime =
  mode === 'floor'
    ? undefined
    : await import(
        runtimeDir === undefined ? '@kindred/runtime' : pathToFileURL(`${runtimeDir}/index.js`).href
      );
const node = runtime?.createNode({ name: 'kbench_idle@127.0.0.1' });

await settle();
const before = used();
/** Kept until the measurement ends, so the floor's functions stay parked (and reachable) like processes. */
let wake = [];
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
if (mode === 'floor') {
  const parked = async () => {
    await new Promise((resolve) => {
      wake.push(resolve);
    });
  };
  for (let i = 0; i < n; i++) parked();
  // One macrotask, as for the processes (they start after the spawning task).
  await tick();
} else if (mode === 'spawn') {
  const idle = async (ctx) => {
    await ctx.receive();
  };
  for (let i = 0; i < n; i++) node.spawn(idle);
  await tick();
} else {
  const behaviour = { init: (i) => ({ state: i }), handleCall: (_req, _from, s) => ({ reply: s, state: s }) };
  let starts = new Array(n);
  for (let i = 0; i < n; i++) starts[i] = runtime.startServer(node, behaviour, i);
  await Promise.all(starts);
  // Dropped before the measurement: what stays is what the servers themselves hold.
  starts = undefined;
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
await settle();
const totalBytes = used() - before;
if (mode === 'floor') {
  if (wake.length !== n) throw new Error(`only ${wake.length} of ${n} functions parked`);
} else {
  const live = node.stats().processes;
  if (live < n) throw new Error(`only ${live} of ${n} processes alive`);
}
const result = {
  mode,
  processes: n,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  totalBytes,
  bytesPerProcess: totalBytes / n,
};
console.log(`RESULT ${JSON.stringify(result)}`);
wake = undefined;
process.exit(0);
