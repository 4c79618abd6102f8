// One-way throughput of @kindred/transport between two OS processes over loopback, with the ~100-byte message of
// bench/lib/message.mjs. Run after a build: `node packages/transport/bench/throughput.mjs [messages] [--mask]`
// (--mask: random masking keys on the dialer's frames, RFC 6455's default; without it the transport's zero key).
// Prints one JSON line. A figure for comparison only; no test asserts on it.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTransport } from '../dist/index.js';

const TEXT = 'hello world hello world hello world';
const message = (n) => ({ to: { node: 'recv@127.0.0.1', id: 1 }, body: { n, text: TEXT, ok: true } });
const mask = process.argv.includes('--mask');
const [role, arg] = process.argv.slice(2).filter((a) => a !== '--mask');

if (role === 'recv') {
  const total = Number(arg);
  const t = createTransport({
    self: { node: 'recv@127.0.0.1' },
    cookie: 'bench',
    port: 0,
    host: '127.0.0.1',
  });
  const { port } = await t.listen();
  let count = 0;
  t.on('message', (from) => {
    if (++count === total) t.send(from, 'done');
  });
  t.on('nodedown', () => process.exit(0));
  process.send?.({ port });
} else {
  const total = Number(role ?? 1_000_000);
  const child = fork(fileURLToPath(import.meta.url), ['recv', String(total)]);
  const port = await new Promise((resolve) => child.once('message', (m) => resolve(m.port)));
  const t = createTransport({
    self: { node: 'send@127.0.0.1' },
    cookie: 'bench',
    port: 0,
    host: '127.0.0.1',
    maskFrames: mask,
  });
  await t.connect('recv@127.0.0.1', { port });
  const done = new Promise((resolve) => t.on('message', (_from, m) => m === 'done' && resolve()));
  const start = process.hrtime.bigint();
  let i = 0;
  await new Promise((resolve) => {
    const pump = () => {
      try {
        for (let k = 0; k < 2000 && i < total; k++, i++) t.send('recv@127.0.0.1', message(i));
      } catch (err) {
        if (err.code !== 'KINDRED_ERR_SEND_QUEUE_FULL') throw err;
        t.once('drain', pump);
        return;
      }
      if (i < total) setImmediate(pump);
      else resolve();
    };
    pump();
  });
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    JSON.stringify({
      maskFrames: mask,
      messages: total,
      seconds: Math.round(seconds * 1000) / 1000,
      msgPerSec: Math.round(total / seconds),
    }),
  );
  await t.close();
  child.kill();
}
