// Experiment (not part of run.mjs): the cost of one frame tag (docs/protocol.md, "Frame integrity") by payload size,
// FrameTagKey.tag() of the built @kindred/transport against node:crypto's createHmac. Alternates the implementations
// `rounds` times and prints the median ns per call.
//   node bench/experiments/mac-tag.mjs [rounds] [extra-module.js ...]
// Each extra module must export FrameTagKey (e.g. a copy of an older dist/hmac.js) and is measured the same way.
import { createHmac, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { FrameTagKey } from '../../packages/transport/dist/frame-tag.js';

const rounds = Number(process.argv[2] ?? 5);
const extra = process.argv.slice(3);
const key = randomBytes(32);
const impls = { current: new FrameTagKey(key) };
for (const path of extra) {
  const m = await import(pathToFileURL(path).href);
  impls[path] = new m.FrameTagKey(key);
}
const seqBuf = Buffer.alloc(8);
impls.createHmac = {
  tag(seq, p) {
    seqBuf.writeUInt32BE(Math.floor(seq / 2 ** 32), 0);
    seqBuf.writeUInt32BE(seq >>> 0, 4);
    return createHmac('sha256', key).update(seqBuf).update(p).digest().subarray(0, 16);
  },
};
const sizes = [0, 100, 120, 200, 239, 240, 300, 1024, 4096, 16384, 65536];
const results = Object.fromEntries(Object.keys(impls).map((k) => [k, {}]));
let sink = 0;
for (let r = 0; r < rounds; r++) {
  for (const n of sizes) {
    const p = randomBytes(n);
    const iters = Math.max(200, Math.floor(2_000_000 / (n + 200)));
    for (const [name, impl] of Object.entries(impls)) {
      for (let i = 0; i < 200; i++) sink ^= impl.tag(i, p)[0];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) sink ^= impl.tag(i, p)[0];
      const ns = Number(process.hrtime.bigint() - t0) / iters;
      results[name][n] = [...(results[name][n] ?? []), ns];
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`ns per tag, median of ${rounds} rounds (sink ${sink & 1})`);
console.log(['bytes'.padStart(7), ...Object.keys(impls).map((k) => k.slice(-14).padStart(14))].join(' '));
for (const n of sizes)
  console.log(
    [
      String(n).padStart(7),
      ...Object.keys(impls).map((k) => median(results[k][n]).toFixed(0).padStart(14)),
    ].join(' '),
  );
