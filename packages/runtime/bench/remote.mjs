// One-way throughput between two kindred nodes (startNode) in two OS processes over loopback, with the ~100-byte
// message of bench/lib/message.mjs, and the CPU each side spends per message: on a shared machine the wall-clock
// rate moves with the load, the CPU time per message much less, so A/B comparisons of the runtime and transport
// code use the latter. Run after a build: `node packages/runtime/bench/remote.mjs [messages] [runs]`.
// Prints one JSON line per run. A figure for comparison only; no test asserts on it.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startNode } from '../dist/index.js';

const TEXT = 'hello world hello world hello world';
const message = (node, n) => ({ to: { node, id: 1 }, body: { n, text: TEXT, ok: true } });
const [role, arg] = process.argv.slice(2);
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

if (role === 'recv') {
  const node = await startNode({ name: 'recv@127.0.0.1', cookie: 'bench', port: 0, host: '127.0.0.1' });
  let cpu0 = 0;
  node.spawn(
    async (ctx) => {
      let count = 0;
      for (;;) {
        const m = await ctx.receive();
        if (m.body !== undefined) {
          if (count++ === 0) cpu0 = cpuUs();
        } else if (m.t === 'hello') ctx.send(m.from, { t: 'pid', pid: ctx.self });
        else if (m.t === 'done') {
          ctx.send(m.from, { t: 'count', c: count, cpuUs: cpuUs() - cpu0 });
          count = 0;
        }
      }
    },
    { name: 'counter' },
  );
  process.send?.({ port: node.port });
  process.on('message', (m) => m === 'stop' && node.stop().finally(() => process.exit(0)));
} else {
  const total = Number(role ?? 300_000);
  const runs = Number(arg ?? 3);
  // Profile both sides: `node --cpu-prof --cpu-prof-dir D remote.mjs` with KBENCH_CPU_PROF=D profiles the receiver too.
  const prof = process.env.KBENCH_CPU_PROF;
  const child = fork(fileURLToPath(import.meta.url), ['recv'], {
    execArgv: prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [],
  });
  const port = await new Promise((resolve) => child.once('message', (m) => resolve(m.port)));
  const node = await startNode({ name: 'send@127.0.0.1', cookie: 'bench', port: 0, host: '127.0.0.1' });
  await node.connect('recv@127.0.0.1', { port });
  await new Promise((resolve, reject) => {
    node.spawn(async (ctx) => {
      try {
        // Sent to the pid, as the bench does (SEND; a registered name would be REG_SEND with the sender's pid).
        ctx.send({ name: 'counter', node: 'recv@127.0.0.1' }, { t: 'hello', from: ctx.self });
        const { pid: to } = await ctx.receive((m) => m.t === 'pid', 10_000);
        const tick = () => new Promise((r) => setImmediate(r));
        const oneway = async (n) => {
          const t0 = process.hrtime.bigint();
          const c0 = cpuUs();
          let retries = 0;
          for (let i = 0; i < n; i++) {
            const msg = message('recv@127.0.0.1', i);
            for (;;) {
              try {
                ctx.send(to, msg);
                break;
              } catch (err) {
                if (err?.code !== 'KINDRED_ERR_SEND_QUEUE_FULL') throw err;
                retries++;
                await tick();
              }
            }
          }
          ctx.send(to, { t: 'done', from: ctx.self });
          const reply = await ctx.receive((m) => m.t === 'count', 120_000);
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          if (reply.c !== n) throw new Error(`receiver counted ${reply.c}, expected ${n}`);
          return {
            messages: n,
            msgPerSec: Math.round(n / seconds),
            senderCpuNsPerMsg: Math.round(((cpuUs() - c0) * 1000) / n),
            receiverCpuNsPerMsg: Math.round((reply.cpuUs * 1000) / n),
            queueFullRetries: retries,
          };
        };
        await oneway(20_000); // warm-up
        for (let r = 0; r < runs; r++) console.log(JSON.stringify(await oneway(total)));
        resolve();
      } catch (err) {
        reject(err);
      }
    });
  });
  child.send('stop');
  await node.stop();
  process.exit(0);
}
