// @kindred/transport alone (no runtime, no processes, no envelope): the same measurements, to split kindred's cost
// between the transport and the runtime.
//   node bench/kindred/transport-peer.mjs receiver <id> <cookie>                          -> "READY <node> <port>"
//   node bench/kindred/transport-peer.mjs sender <id> <cookie> <recvNode> <port> <messages> <rounds> -> "RESULT {json}"
import { createTransport } from '@kindred/transport';
import { message, rttSummary } from '../lib/message.mjs';

const [role, id, cookie, ...rest] = process.argv.slice(2);
const WARMUP_MESSAGES = 10_000;
const WARMUP_ROUNDS = 1_000;
const QUEUE_FULL = 'KINDRED_ERR_SEND_QUEUE_FULL';

// KBENCH_FRAME_INTEGRITY=0 turns the frame MAC off (bench/run.mjs --only mac runs both); unset: the default (on).
const frameIntegrity =
  process.env.KBENCH_FRAME_INTEGRITY === undefined
    ? {}
    : { frameIntegrity: process.env.KBENCH_FRAME_INTEGRITY !== '0' };

function make(name) {
  return createTransport({ self: { node: name }, cookie, port: 0, host: '127.0.0.1', ...frameIntegrity });
}

if (role === 'receiver') {
  const t = make(`kbtr_${id}@127.0.0.1`);
  const { port } = await t.listen();
  let count = 0;
  t.on('message', (node, m) => {
    if (m.body !== undefined) count++;
    else if (m.t === 'ping') t.send(node, { t: 'pong', m: m.m });
    else if (m.t === 'done') {
      t.send(node, { t: 'count', c: count });
      count = 0;
    }
  });
  process.once('SIGTERM', () => {
    t.close().finally(() => process.exit(0));
  });
  console.log(`READY ${t.node} ${port}`);
} else if (role === 'sender') {
  const [recvNode, recvPort, messages, rounds] = [rest[0], Number(rest[1]), Number(rest[2]), Number(rest[3])];
  const t = make(`kbts_${id}@127.0.0.1`);
  await t.listen();
  await t.connect(recvNode, { port: recvPort });
  const replies = [];
  let wake;
  t.on('message', (_node, m) => {
    replies.push(m);
    wake?.();
  });
  const next = () =>
    replies.length > 0
      ? Promise.resolve(replies.shift())
      : new Promise((resolve) => {
          wake = () => {
            wake = undefined;
            resolve(replies.shift());
          };
        });
  let queueFullRetries = 0;
  const drained = () => new Promise((resolve) => t.once('drain', resolve));
  const send = async (m) => {
    for (;;) {
      try {
        t.send(recvNode, m);
        return;
      } catch (err) {
        if (err?.code !== QUEUE_FULL) throw err;
        queueFullRetries++;
        await drained(); // the transport's own backpressure signal
      }
    }
  };
  const oneway = async (n) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const m = message(recvNode, 1, i);
      try {
        t.send(recvNode, m);
      } catch (err) {
        if (err?.code !== QUEUE_FULL) throw err;
        await send(m);
      }
    }
    await send({ t: 'done' });
    const reply = await next();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (reply?.c !== n) throw new Error(`receiver confirmed ${JSON.stringify(reply)}, expected ${n}`);
    return { messages: n, confirmed: n, seconds, msgPerSec: n / seconds };
  };
  const pingpong = async (r) => {
    const samples = [];
    for (let i = 0; i < r; i++) {
      const t0 = process.hrtime.bigint();
      t.send(recvNode, { t: 'ping', m: message(recvNode, 2, i) });
      const reply = await next();
      samples.push(process.hrtime.bigint() - t0);
      if (reply?.t !== 'pong' || reply.m.body.n !== i) throw new Error(`bad pong ${JSON.stringify(reply)}`);
    }
    return samples;
  };
  await oneway(Math.min(messages, WARMUP_MESSAGES));
  await pingpong(Math.min(rounds, WARMUP_ROUNDS));
  const before = queueFullRetries;
  const ow = await oneway(messages);
  ow.queueFullRetries = queueFullRetries - before;
  const peer = t.stats().peers[recvNode];
  const result = { oneway: ow, rtt: rttSummary(await pingpong(rounds)) };
  if (peer) result.transport = { messagesOut: peer.messagesOut, framesOut: peer.framesOut };
  console.log(`RESULT ${JSON.stringify(result)}`);
  await t.close();
  process.exit(0);
} else {
  console.error(
    'usage: transport-peer.mjs receiver <id> <cookie> | sender <id> <cookie> <node> <port> <messages> <rounds>',
  );
  process.exit(2);
}
