// Baseline: raw ws + msgpackr between two Node processes, no actor runtime in between.
//   node bench/raw/ws-peer.mjs receiver                      -> prints "READY <port>"
//   node bench/raw/ws-peer.mjs sender <port> <batch> <messages> <rounds> [zero-mask]
//        zero-mask (experiments only): the client masks frames with 0000, which ws then skips on both ends.
//   Experiments only: KBENCH_DEFER_SEND=1 in both processes sends pings and pongs on the next setImmediate instead of
//   at once, as a transport that batches on setImmediate does.
//        batch 1 = one frame per message; batch 256 = 256 messages packed as one array per frame.
//        prints "RESULT {json}" and exits.
import { pack, unpack } from 'msgpackr';
import { WebSocket, WebSocketServer } from 'ws';
import { message, rttSummary } from '../lib/message.mjs';

const [role, ...args] = process.argv.slice(2);
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const WARMUP_MESSAGES = 10_000;
const WARMUP_ROUNDS = 1_000;

const DEFER = process.env.KBENCH_DEFER_SEND === '1';
const sendNow = (ws, data) => (DEFER ? setImmediate(() => ws.send(data)) : ws.send(data));

if (role === 'receiver') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('listening', () => console.log(`READY ${wss.address().port}`));
  wss.on('connection', (ws) => {
    let count = 0;
    ws.on('message', (data) => {
      const v = unpack(data);
      if (Array.isArray(v)) {
        for (const m of v) if (m.body !== undefined) count++;
      } else if (v.body !== undefined && v.t === undefined) {
        count++;
      } else if (v.t === 'ping') {
        sendNow(ws, pack({ t: 'pong', m: v.m }));
      } else if (v.t === 'done') {
        ws.send(pack({ t: 'count', c: count }));
        count = 0;
      }
    });
  });
} else if (role === 'sender') {
  const [port, batch, messages, rounds] = args.slice(0, 4).map(Number);
  const zeroMask = args[4] === 'zero-mask';
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, {
    perMessageDeflate: false,
    ...(zeroMask ? { generateMask: (mask) => mask.fill(0) } : {}),
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const replies = [];
  let wake = null;
  ws.on('message', (data) => {
    replies.push(unpack(data));
    if (wake) wake();
  });
  const nextReply = () =>
    replies.length > 0
      ? Promise.resolve(replies.shift())
      : new Promise((resolve) => {
          wake = () => {
            wake = null;
            resolve(replies.shift());
          };
        });

  async function oneway(n) {
    const t0 = process.hrtime.bigint();
    let pending = [];
    for (let i = 0; i < n; i++) {
      if (batch === 1) {
        ws.send(pack(message('recv', 1, i)));
      } else {
        pending.push(message('recv', 1, i));
        if (pending.length === batch) {
          ws.send(pack(pending));
          pending = [];
        }
      }
      if ((i & 1023) === 1023 && ws.bufferedAmount > HIGH_WATER_BYTES) {
        // Backpressure: wait until what is queued so far has reached the kernel.
        await new Promise((resolve) => ws.send(pack({ t: 'flush' }), resolve));
      }
    }
    if (pending.length > 0) ws.send(pack(pending));
    ws.send(pack({ t: 'done' }));
    const reply = await nextReply();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (reply.t !== 'count' || reply.c !== n) throw new Error(`receiver confirmed ${reply.c}, expected ${n}`);
    return { messages: n, confirmed: reply.c, seconds, msgPerSec: n / seconds };
  }

  async function pingpong(r) {
    const samples = [];
    for (let i = 0; i < r; i++) {
      const t0 = process.hrtime.bigint();
      sendNow(ws, pack({ t: 'ping', m: message('recv', 2, i) }));
      const reply = await nextReply();
      samples.push(process.hrtime.bigint() - t0);
      if (reply.t !== 'pong' || reply.m.body.n !== i) throw new Error(`bad pong ${JSON.stringify(reply)}`);
    }
    return samples;
  }

  await oneway(Math.min(messages, WARMUP_MESSAGES));
  await pingpong(Math.min(rounds, WARMUP_ROUNDS));
  const result = { oneway: await oneway(messages), rtt: rttSummary(await pingpong(rounds)) };
  console.log(`RESULT ${JSON.stringify(result)}`);
  ws.close();
  process.exit(0);
} else {
  console.error('usage: ws-peer.mjs receiver | sender <port> <batch> <messages> <rounds>');
  process.exit(2);
}
