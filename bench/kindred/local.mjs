// kindred local figures, one node without distribution, run in its own process with --expose-gc:
//   node --expose-gc bench/kindred/local.mjs <processes> <messages>   -> prints "RESULT {json}"
// 1. spawn <processes> idle processes (each parked in receive()): wall time until all are parked, and the heap
//    (V8 heap used + external) they hold after a full gc, divided by their number.
// 2. local send: one process sends <messages> benchmark messages to another, yielding to the event loop every
//    SEND_CHUNK messages (so the receiver drains its mailbox, as a real sender would); time until the receiver
//    confirms the count.
import { createNode } from '@kindred/runtime';
import { message } from '../lib/message.mjs';

const SEND_CHUNK = 10_000;
const [processes, messages] = process.argv.slice(2).map(Number);
// `spawn-only` as third argument: skip the send test (used for the run with a V8 flag, see lib/kindred.mjs).
const spawnOnly = process.argv[4] === 'spawn-only';
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const tick = () => new Promise((resolve) => setImmediate(resolve));
const heap = () => {
  const m = process.memoryUsage();
  return { used: m.heapUsed + m.external, rss: m.rss };
};
const settle = async () => {
  await tick();
  globalThis.gc();
  await tick();
  globalThis.gc();
};

async function spawnIdle() {
  const node = createNode({ name: `kbench_local@127.0.0.1` });
  await settle();
  const before = heap();
  const t0 = process.hrtime.bigint();
  const idle = async (ctx) => {
    await ctx.receive();
  };
  for (let i = 0; i < processes; i++) node.spawn(idle);
  // Processes start after the current task; one macrotask later every one of them is parked in receive().
  await tick();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const live = node.stats().processes;
  await settle();
  const after = heap();
  await node.stop();
  // The runtime may keep its own system processes: count only what we spawned, confirmed alive.
  if (live < processes) throw new Error(`only ${live} of ${processes} processes alive`);
  const totalBytes = after.used - before.used;
  return {
    processes,
    seconds,
    totalBytes,
    bytesPerProcess: totalBytes / processes,
    rssBytesPerProcess: (after.rss - before.rss) / processes,
  };
}

async function localSend() {
  const node = createNode({ name: `kbench_send@127.0.0.1` });
  const counter = node.spawn(async (ctx) => {
    let count = 0;
    for (;;) {
      const m = await ctx.receive();
      if (m.body !== undefined) count++;
      else if (m.t === 'done') {
        ctx.send(m.from, { t: 'count', c: count });
        count = 0;
      }
    }
  });
  const run = (n) =>
    new Promise((resolve, reject) => {
      node.spawn(async (ctx) => {
        try {
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < n; i++) {
            ctx.send(counter, message(node.name, 1, i));
            if (i % SEND_CHUNK === SEND_CHUNK - 1) await tick();
          }
          ctx.send(counter, { t: 'done', from: ctx.self });
          const reply = await ctx.receive();
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          if (reply.c !== n) throw new Error(`receiver confirmed ${reply.c}, expected ${n}`);
          resolve({
            messages: n,
            confirmed: reply.c,
            seconds,
            msgPerSec: n / seconds,
            yieldEvery: SEND_CHUNK,
          });
        } catch (err) {
          reject(err);
        }
      });
    });
  await run(Math.min(messages, 10_000));
  const r = await run(messages);
  await node.stop();
  return r;
}

const spawn = await spawnIdle();
const send = spawnOnly ? undefined : await localSend();
console.log(`RESULT ${JSON.stringify({ spawn, send })}`);
process.exit(0);
