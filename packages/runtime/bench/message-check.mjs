// What the one message contract (src/message-check.ts) costs a local send: the check alone on the benchmark
// message, a bare for...in walk of the same message for scale, and a whole local send (node.send to a handler
// process, which now includes the check; the send only, not the receiver's work). Best of ROUNDS in one process, alternating, so load on a shared machine
// hits all three alike; compare the figures with each other, not across runs.
// Run: node packages/runtime/bench/message-check.mjs [N]      (pnpm run build first)
import { createNode } from '../dist/index.js';
import { checkMessage } from '../dist/message-check.js';

const N = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = 7;
const CHUNK = 10_000;
const message = {
  to: { node: 'a@127.0.0.1', id: 1 },
  body: { n: 1, text: 'hello world hello world hello world', ok: true },
};

function walk(v) {
  let c = 0;
  for (const k in v) {
    const x = v[k];
    c += typeof x === 'object' && x !== null ? walk(x) : 1;
  }
  return c;
}

const node = createNode({ name: 'bench@127.0.0.1' });
let received = 0;
const sink = node.spawnHandler(() => {
  received++;
});
const perMessage = (fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / N;
};
const best = { check: Infinity, number: Infinity, walk: Infinity, send: Infinity };
for (let r = 0; r < ROUNDS; r++) {
  best.check = Math.min(
    best.check,
    perMessage(() => {
      for (let i = 0; i < N; i++) checkMessage(message);
    }),
  );
  best.number = Math.min(
    best.number,
    perMessage(() => {
      for (let i = 0; i < N; i++) checkMessage(i);
    }),
  );
  best.walk = Math.min(
    best.walk,
    perMessage(() => {
      for (let i = 0; i < N; i++) walk(message);
    }),
  );
  // 10,000 at a time, then the receiver drains (a mailbox has a bound), as bench/kindred/local.mjs does; only the
  // sends are timed.
  let sendNs = 0;
  for (let sent = 0; sent < N; sent += CHUNK) {
    const before = received;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CHUNK; i++) node.send(sink, message);
    sendNs += Number(process.hrtime.bigint() - t0);
    while (received < before + CHUNK) await new Promise((r) => setImmediate(r));
  }
  best.send = Math.min(best.send, sendNs / N);
}
const ns = (x) => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    messages: N,
    rounds: ROUNDS,
    checkNs: ns(best.check),
    checkNumberNs: ns(best.number),
    forInWalkNs: ns(best.walk),
    localSendNs: ns(best.send),
  }),
);
await node.stop();
