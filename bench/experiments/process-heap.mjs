// Experiment (not part of run.mjs): what one idle kindred process is made of on the V8 heap. Spawns N idle
// processes (parked in receive()), takes a heap snapshot, and prints self bytes per process by object type for the
// types with (about) one object or more per process. Default N 20,000: at 50,000 the snapshot did not parse here.
//   node --expose-gc bench/experiments/process-heap.mjs [processes]

import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { createNode } from '@kindred/runtime';

const N = Number(process.argv[2] ?? 20_000);
const node = createNode({ name: 'kbench_heap@127.0.0.1' });
const idle = async (ctx) => {
  await ctx.receive();
};
for (let i = 0; i < N; i++) node.spawn(idle);
await new Promise((r) => setImmediate(r));
globalThis.gc?.();
const file = writeHeapSnapshot(join(tmpdir(), `kbench-${process.pid}.heapsnapshot`));
const snap = JSON.parse(readFileSync(file, 'utf8'));
rmSync(file);
const f = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
const agg = new Map();
for (let i = 0; i < snap.nodes.length; i += f.length) {
  const type = types[snap.nodes[i + iType]];
  const name = type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + iName]] : `(${type})`;
  const key = `${type}:${name}`;
  const a = agg.get(key) ?? { count: 0, bytes: 0 };
  a.count++;
  a.bytes += snap.nodes[i + iSize];
  agg.set(key, a);
}
let total = 0;
const rows = [...agg]
  .filter(([, a]) => a.count >= N * 0.9)
  .sort((x, y) => y[1].bytes - x[1].bytes)
  .map(([k, a]) => {
    total += a.bytes;
    return `${(a.bytes / N).toFixed(0).padStart(6)} B/process  ${(a.count / N).toFixed(2).padStart(5)} per process  ${k}`;
  });
console.log(rows.join('\n'));
console.log(`${(total / N).toFixed(0).padStart(6)} B/process  in the types above (${N} processes)`);
