// A kindred node on Erlang's wire (@kindred/beam) against a real erl running bench/erlang/kbench.erl: the same
// measurements as kbench's erl <-> erl, with Erlang's message shapes ({done, From}, {count, C}, {ping, From, Msg},
// {pong, Msg}). The epmd is the one on ERL_EPMD_PORT (bench/lib/beam.mjs starts a private one).
//   node bench/kindred/beam-peer.mjs sender <id> <cookie> <erlNode> <messages> <rounds>  -> "RESULT {json}"
//       kindred sends to erl's kbench:sink() (it asks kbench_pids for the counter's and echo's pids)
//   node bench/kindred/beam-peer.mjs receiver <id> <cookie>                             -> "READY <node>"
//       what erl's kbench:run/3 sends to: kbench_counter, kbench_echo, and `erlang:whereis/1` for its rpc:call
import { atom, isAtom, Tuple, tuple } from '@kindred/beam';
import { startNode } from '@kindred/runtime';
import { message, rttSummary } from '../lib/message.mjs';

const [role, id, cookie, ...rest] = process.argv.slice(2);
const WARMUP_MESSAGES = 10_000;
const WARMUP_ROUNDS = 1_000;
const QUEUE_FULL = 'KINDRED_ERR_BEAM_SEND_QUEUE_FULL';
const tick = () => new Promise((resolve) => setImmediate(resolve));
/** True for an Erlang tuple whose first element is the atom `tag`. */
const tagged = (m, tag) => m instanceof Tuple && isAtom(m.elements[0], tag);

async function makeNode(name) {
  return startNode({ name, cookie, distribution: 'erlang', host: '127.0.0.1', env: process.env });
}

if (role === 'receiver') {
  const node = await makeNode(`kbk_${id}@127.0.0.1`);
  const counter = node.spawn(async (ctx) => {
    let count = 0;
    for (;;) {
      const m = await ctx.receive();
      if (m?.body?.n !== undefined) count++;
      else if (tagged(m, 'done')) {
        ctx.send(m.elements[1], tuple(atom('count'), count));
        count = 0;
      }
    }
  });
  const echo = node.spawn(async (ctx) => {
    for (;;) {
      const m = await ctx.receive();
      if (tagged(m, 'ping')) ctx.send(m.elements[1], tuple(atom('pong'), m.elements[2]));
    }
  });
  node.register('kbench_counter', counter);
  node.register('kbench_echo', echo);
  // kbench:run/3 finds the two with rpc:call(Peer, erlang, whereis, [Name]).
  node.expose('erlang:whereis', (name) => node.whereis(String(name)) ?? atom('undefined'));
  process.once('SIGTERM', () => {
    node.stop().finally(() => process.exit(0));
  });
  console.log(`READY ${node.name}`);
} else if (role === 'sender') {
  const [erlNode, messages, rounds] = [rest[0], Number(rest[1]), Number(rest[2])];
  const node = await makeNode(`kbj_${id}@127.0.0.1`);
  await node.connect(erlNode);
  let queueFullRetries = 0;
  const result = await new Promise((resolve, reject) => {
    node.spawn(async (ctx) => {
      try {
        ctx.send({ name: 'kbench_pids', node: erlNode }, tuple(atom('pids'), ctx.self));
        const pids = await ctx.receive((m) => tagged(m, 'pids'), 10_000);
        if (!(pids instanceof Tuple)) throw new Error('erl did not answer {pids, From} within 10 s');
        const [, counter, echo] = pids.elements;
        const send = async (to, msg) => {
          for (;;) {
            try {
              ctx.send(to, msg);
              return;
            } catch (err) {
              // The connection's bounded queue is full: poll the event loop until it drains (as peer.mjs).
              if (err?.code !== QUEUE_FULL) throw err;
              queueFullRetries++;
              await tick();
            }
          }
        };
        const oneway = async (n) => {
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < n; i++) {
            const msg = message(erlNode, 1, i);
            try {
              ctx.send(counter, msg);
            } catch (err) {
              if (err?.code !== QUEUE_FULL) throw err;
              await send(counter, msg);
            }
          }
          await send(counter, tuple(atom('done'), ctx.self));
          const reply = await ctx.receive((m) => tagged(m, 'count'), 120_000);
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          const c = reply instanceof Tuple ? reply.elements[1] : undefined;
          if (c !== n) throw new Error(`erl confirmed ${String(c)}, expected ${n}`);
          return { messages: n, confirmed: c, seconds, msgPerSec: n / seconds };
        };
        const pingpong = async (r) => {
          const samples = [];
          for (let i = 0; i < r; i++) {
            const t0 = process.hrtime.bigint();
            ctx.send(echo, tuple(atom('ping'), ctx.self, message(erlNode, 2, i)));
            const reply = await ctx.receive(undefined, 10_000);
            samples.push(process.hrtime.bigint() - t0);
            if (!tagged(reply, 'pong') || reply.elements[1]?.body?.n !== i) {
              throw new Error(`bad pong ${String(reply)}`);
            }
          }
          return samples;
        };
        await oneway(Math.min(messages, WARMUP_MESSAGES));
        await pingpong(Math.min(rounds, WARMUP_ROUNDS));
        const retriesBefore = queueFullRetries;
        const ow = await oneway(messages);
        ow.queueFullRetries = queueFullRetries - retriesBefore;
        resolve({
          how: 'startNode, Erlang wire, to erl',
          oneway: ow,
          rtt: rttSummary(await pingpong(rounds)),
        });
      } catch (err) {
        reject(err);
      }
    });
  });
  console.log(`RESULT ${JSON.stringify(result)}`);
  await node.stop();
  process.exit(0);
} else {
  console.error(
    'usage: beam-peer.mjs sender <id> <cookie> <erlNode> <messages> <rounds> | receiver <id> <cookie>',
  );
  process.exit(2);
}
