// kindred local figures, one node without distribution, each in its own process with --expose-gc:
//   node --expose-gc bench/kindred/local.mjs spawn <processes> [stop]   -> prints "RESULT {json}"
//   node --expose-gc bench/kindred/local.mjs send <messages>            -> prints "RESULT {json}"
// spawn: spawn <processes> idle processes (each parked in receive()): wall time until all are parked, and the heap
//   (V8 heap used + external) they hold after a full gc, divided by their number. With `stop`, also the time
//   node.stop() then takes (otherwise the process just exits: stopping a million processes takes longer than
//   spawning them, see bench/README.md).
// send: one process sends <messages> benchmark messages to another, yielding to the event loop every SEND_CHUNK
//   messages (so the receiver drains its mailbox, as a real sender would); time until the receiver confirms the count.
import { createNode } from '@kindred/runtime';
import { message } from '../lib/message.mjs';

const SEND_CHUNK = 10_000;
const [mode, count, flag] = process.argv.slice(2);
const n = Number(count);
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

async function spawnIdle(processes, measureStop) {
  const node = createNode({ name: 'kbench_local@127.0.0.1' });
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
  // The runtime may keep its own system processes: count only what we spawned, confirmed alive.
  if (live < processes) throw new Error(`only ${live} of ${processes} processes alive`);
  const totalBytes = after.used - before.used;
  const result = {
    processes,
    seconds,
    totalBytes,
    bytesPerProcess: totalBytes / processes,
    rssBytesPerProcess: (after.rss - before.rss) / processes,
  };
  if (measureStop) {
    const s0 = process.hrtime.bigint();
    await node.stop();
    result.stopSeconds = Number(process.hrtime.bigint() - s0) / 1e9;
  }
  return result;
}

async function localSend(messages) {
  const node = createNode({ name: 'kbench_send@127.0.0.1' });
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
  const run = (total) =>
    new Promise((resolve, reject) => {
      node.spawn(async (ctx) => {
        try {
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < total; i++) {
            ctx.send(counter, message(node.name, 1, i));
            if (i % SEND_CHUNK === SEND_CHUNK - 1) await tick();
          }
          ctx.send(counter, { t: 'done', from: ctx.self });
          const reply = await ctx.receive();
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          if (reply.c !== total) throw new Error(`receiver confirmed ${reply.c}, expected ${total}`);
          resolve({
            messages: total,
            confirmed: reply.c,
            seconds,
            msgPerSec: total / seconds,
            yieldEvery: SEND_CHUNK,
          });
        } catch (err) {
          reject(err);
        }
      });
    });
  await run(Math.min(messages, 10_000));
  return run(messages);
}

let result;
if (mode === 'spawn') result = await spawnIdle(n, flag === 'stop');
else if (mode === 'send') result = await localSend(n);
else {
  console.error('usage: local.mjs spawn <processes> [stop] | send <messages>');
  process.exit(2);
}
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);
