// kindred between two nodes in separate OS processes over loopback, the same measurements as the baselines.
//   node bench/kindred/peer.mjs receiver <id> <cookie>                       -> prints "READY <node> <port>"
//   node bench/kindred/peer.mjs sender <id> <cookie> <recvNode> <port> <messages> <rounds>  -> "RESULT {json}"
// KBENCH_WIRE=erlang: both nodes on Erlang's wire (see makeNode). The node is @kindred/runtime's startNode() when the runtime exports it; until then createNode() over
// @kindred/transport's createTransport(), which is what startNode composes (without discovery). The result says which.
import * as runtime from '@kindred/runtime';
import { createTransport } from '@kindred/transport';
import { message, rttSummary } from '../lib/message.mjs';

const [role, id, cookie, ...rest] = process.argv.slice(2);
const WARMUP_MESSAGES = 10_000;
const WARMUP_ROUNDS = 1_000;
// KINDRED_ERR_SEND_QUEUE_FULL on kindred's wire, KINDRED_ERR_BEAM_SEND_QUEUE_FULL on Erlang's.
const QUEUE_FULL = new Set(['KINDRED_ERR_SEND_QUEUE_FULL', 'KINDRED_ERR_BEAM_SEND_QUEUE_FULL']);
const tick = () => new Promise((resolve) => setImmediate(resolve));

// KBENCH_FRAME_INTEGRITY=0 turns the frame MAC off (bench/run.mjs --only mac runs both); unset: the default (on).
const frameIntegrity =
  process.env.KBENCH_FRAME_INTEGRITY === undefined
    ? {}
    : { frameIntegrity: process.env.KBENCH_FRAME_INTEGRITY !== '0' };

// KBENCH_WIRE=erlang puts both nodes on Erlang's distribution protocol (@kindred/beam), registered with the epmd
// on ERL_EPMD_PORT (bench/lib/beam.mjs starts a private one); unset: kindred's own wire.
const erlangWire = process.env.KBENCH_WIRE === 'erlang';

async function makeNode(name) {
  if (erlangWire) {
    const node = await runtime.startNode({ name, cookie, distribution: 'erlang', host: '127.0.0.1' });
    return { node, port: node.port, how: 'startNode, Erlang wire', transport: undefined };
  }
  if (typeof runtime.startNode === 'function') {
    const node = await runtime.startNode({
      name,
      cookie,
      port: 0,
      host: '127.0.0.1',
      transport: frameIntegrity,
    });
    return { node, port: node.port, how: 'startNode', transport: node.transport };
  }
  const transport = createTransport({
    self: { node: name },
    cookie,
    port: 0,
    host: '127.0.0.1',
    ...frameIntegrity,
  });
  const { port } = await transport.listen();
  const node = runtime.createNode({ name, distribution: transport, listenPort: port });
  return { node, port, how: 'createNode+createTransport', transport };
}

if (role === 'receiver') {
  const { node, port } = await makeNode(`kbr_${id}@127.0.0.1`);
  const echo = node.spawn(async (ctx) => {
    for (;;) {
      const m = await ctx.receive();
      ctx.send(m.from, { t: 'pong', m: m.m });
    }
  });
  node.spawn(
    async (ctx) => {
      let count = 0;
      // CPU time (user + system) this process used from the first message of a one-way run to its 'done': a figure
      // that holds up on a loaded machine, where wall-clock throughput does not.
      let cpu0;
      for (;;) {
        const m = await ctx.receive();
        if (m.body !== undefined) {
          if (count++ === 0) cpu0 = process.cpuUsage();
        } else if (m.t === 'done') {
          const cpu = cpu0 === undefined ? undefined : process.cpuUsage(cpu0);
          ctx.send(m.from, { t: 'count', c: count, cpuUs: cpu === undefined ? 0 : cpu.user + cpu.system });
          count = 0;
          cpu0 = undefined;
        } else if (m.t === 'hello') ctx.send(m.from, { t: 'pids', counter: ctx.self, echo });
      }
    },
    { name: 'kbench_counter' },
  );
  // A clean exit on SIGTERM, so that a --cpu-prof receiver writes its profile.
  process.once('SIGTERM', () => {
    node.stop().finally(() => process.exit(0));
  });
  console.log(`READY ${node.name} ${port}`);
} else if (role === 'sender') {
  const [recvNode, recvPort, messages, rounds] = [rest[0], Number(rest[1]), Number(rest[2]), Number(rest[3])];
  const { node, how, transport } = await makeNode(`kbs_${id}@127.0.0.1`);
  await node.connect(recvNode, { port: recvPort });
  let queueFullRetries = 0;
  const result = await new Promise((resolve, reject) => {
    node.spawn(async (ctx) => {
      try {
        ctx.send({ name: 'kbench_counter', node: recvNode }, { t: 'hello', from: ctx.self });
        const { counter, echo } = await ctx.receive((m) => m.t === 'pids', 10_000);
        if (!counter) throw new Error('the receiver did not answer hello within 10 s');

        const send = async (to, msg) => {
          for (;;) {
            try {
              ctx.send(to, msg);
              return;
            } catch (err) {
              // The transport's bounded queue is full: wait for it to drain, as Erlang suspends a sender on a busy
              // distribution port. The runtime exposes no drain signal to a process, so poll the event loop.
              if (!QUEUE_FULL.has(err?.code)) throw err;
              queueFullRetries++;
              await tick();
            }
          }
        };
        const oneway = async (n) => {
          const t0 = process.hrtime.bigint();
          const cpu0 = process.cpuUsage();
          for (let i = 0; i < n; i++) {
            const msg = message(recvNode, 1, i);
            try {
              ctx.send(counter, msg);
            } catch (err) {
              if (!QUEUE_FULL.has(err?.code)) throw err;
              await send(counter, msg);
            }
          }
          await send(counter, { t: 'done', from: ctx.self });
          const reply = await ctx.receive((m) => m.t === 'count', 120_000);
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          const cpu = process.cpuUsage(cpu0);
          if (reply?.c !== n)
            throw new Error(`receiver confirmed ${JSON.stringify(reply?.c ?? String(reply))}, expected ${n}`);
          return {
            messages: n,
            confirmed: reply.c,
            seconds,
            msgPerSec: n / seconds,
            // CPU time per message of each process (user + system, ns), GC and ticks included.
            senderCpuNs: Math.round(((cpu.user + cpu.system) * 1000) / n),
            receiverCpuNs: Math.round(((reply.cpuUs ?? 0) * 1000) / n),
          };
        };
        const pingpong = async (r) => {
          const samples = [];
          const cpu0 = process.cpuUsage();
          for (let i = 0; i < r; i++) {
            const t0 = process.hrtime.bigint();
            ctx.send(echo, { t: 'ping', from: ctx.self, m: message(recvNode, 2, i) });
            const reply = await ctx.receive(undefined, 10_000);
            samples.push(process.hrtime.bigint() - t0);
            if (reply?.t !== 'pong' || reply.m.body.n !== i)
              throw new Error(`bad pong ${JSON.stringify(reply)}`);
          }
          const cpu = process.cpuUsage(cpu0);
          samples.cpuNs = Math.round(((cpu.user + cpu.system) * 1000) / r);
          return samples;
        };
        await oneway(Math.min(messages, WARMUP_MESSAGES));
        await pingpong(Math.min(rounds, WARMUP_ROUNDS));
        const retriesBefore = queueFullRetries;
        const ow = await oneway(messages);
        ow.queueFullRetries = queueFullRetries - retriesBefore;
        const samples = await pingpong(rounds);
        // The sender's CPU time per round trip (ns): its send of the ping and its receipt of the pong.
        resolve({ how, oneway: ow, rtt: { ...rttSummary(samples), senderCpuNs: samples.cpuNs } });
      } catch (err) {
        reject(err);
      }
    });
  });
  if (transport) {
    const peer = transport.stats().peers[recvNode];
    if (peer) result.transport = { messagesOut: peer.messagesOut, framesOut: peer.framesOut };
  }
  console.log(`RESULT ${JSON.stringify(result)}`);
  await node.stop();
  process.exit(0);
} else {
  console.error(
    'usage: peer.mjs receiver <id> <cookie> | sender <id> <cookie> <recvNode> <port> <messages> <rounds>',
  );
  process.exit(2);
}
