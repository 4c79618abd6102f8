// Experiment (not part of run.mjs): the frame MAC's CPU cost on a round trip, without cross-process scheduling
// noise: two pairs of @kindred/transport in ONE process over loopback, one pair with frameIntegrity off and one
// on; the echo side answers each ping; batches of `rounds` round trips alternate between the pairs `batches` times.
// A round trip here is the CPU of both sides plus the loopback syscalls, so the on/off difference is the MAC path's
// whole cost (hash, copy, checks). Prints the median of the batches' p50 (us).
//   node bench/experiments/mac-inproc.mjs [batches=20] [rounds=2000] [pad=0]
// `pad` adds that many bytes (a string) to each ping and pong, e.g. 40 to take a frame past WebSocket's 125-byte
// short length with the MAC off too.
import { createTransport } from '@kindred/transport';
import { message } from '../lib/message.mjs';

const batches = Number(process.argv[2] ?? 20);
const rounds = Number(process.argv[3] ?? 2000);
const pad = 'x'.repeat(Number(process.argv[4] ?? 0));
const cookie = `kbench-inproc-${process.pid}`;

async function pair(tag, frameIntegrity) {
  const make = (name) =>
    createTransport({
      self: { node: `${name}_${tag}@127.0.0.1` },
      cookie,
      port: 0,
      host: '127.0.0.1',
      frameIntegrity,
    });
  const echo = make('echo');
  const { port } = await echo.listen();
  echo.on('message', (node, m) => echo.send(node, { t: 'pong', m: m.m, pad }));
  const ping = make('ping');
  await ping.listen();
  await ping.connect(echo.node, { port });
  let wake;
  ping.on('message', () => wake());
  const once = () =>
    new Promise((resolve) => {
      wake = resolve;
    });
  const run = async (n) => {
    const samples = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      const reply = once();
      ping.send(echo.node, { t: 'ping', m: message(echo.node, 2, i), pad });
      await reply;
      samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
    }
    samples.sort();
    return samples[Math.floor(n / 2)];
  };
  return { run, close: () => Promise.all([ping.close(), echo.close()]) };
}

const off = await pair('off', false);
const on = await pair('on', true);
await off.run(2000);
await on.run(2000);
const p50 = { off: [], on: [] };
for (let b = 0; b < batches; b++) {
  for (const [k, p] of b % 2 === 0
    ? [
        ['off', off],
        ['on', on],
      ]
    : [
        ['on', on],
        ['off', off],
      ])
    p50[k].push(await p.run(rounds));
}
await off.close();
await on.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [a, b] = [median(p50.off), median(p50.on)];
console.log(
  `in one process, ${batches} alternating batches of ${rounds} round trips: p50 median off ${a.toFixed(2)} us, on ${b.toFixed(2)} us (+${(b - a).toFixed(2)} us, ${((b / a) * 100).toFixed(1)}%)`,
);
