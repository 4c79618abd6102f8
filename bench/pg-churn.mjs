// pg under churn: how long one node's event loop stalls when
//   exits: N local members of one group exit at once (`node.exit(pid, 'kill')` for each, in one loop: a deploy
//          closing one process per websocket session), with one connected peer that must hear of it;
//   peer:  a connected peer sends one pg `join` of M pids of its own and then one `leave` of the same pids in the
//          reverse order (the pair is ~1.2 MB on the wire with the defaults), as raw scope messages.
// The measured node runs in this process; the peer is a child process (`bench/pg-churn.mjs peer ...`), both
// `startNode()` on 127.0.0.1 with a random cookie. The stall is the longest gap between two ticks of a 1 ms interval
// timer over the scenario (the longest event-loop block); for `exits` also the time from the first exit until a
// `setImmediate` queued after the loop runs.
//
//   node bench/pg-churn.mjs [--members 20000] [--peer-members 16500] [--runs 3] [--runtime <dir>] [--json]
//
// `--runtime <dir>` loads @kindred/runtime from another checkout's built package (`<dir>/dist/index.js`, e.g.
// /work/main/packages/runtime), for A/B runs of the same bench against other code.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    members: { type: 'string', default: '20000' },
    'peer-members': { type: 'string', default: '16500' },
    runs: { type: 'string', default: '3' },
    runtime: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'usage: node bench/pg-churn.mjs [--members N] [--peer-members M] [--runs R] [--runtime <package dir>] [--json]',
  );
  process.exit(0);
}
const runtime = await import(
  opts.runtime ? pathToFileURL(resolve(opts.runtime, 'dist/index.js')).href : '@kindred/runtime'
);
const tick = () => new Promise((r) => setImmediate(r));
// A full collection before each measured window, so that one scenario's garbage (20,000 killed processes' errors)
// is not collected inside the next one's window: each figure is the cost of its own burst.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The child: a node that answers `count <group>` and sends raw `join`/`leave` scope messages on command. */
async function peer(name, cookie) {
  const node = await runtime.startNode({ name, cookie, port: 0, host: '127.0.0.1' });
  let pids = [];
  console.log(`READY ${node.port}`);
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, arg, target] = line.split(' ');
    if (cmd === 'count') console.log(`COUNT ${node.pg.members(arg).length}`);
    else if (cmd === 'join') {
      const m = Number(arg);
      // Pids of this node that no process has: a peer's claim is all the other node can see.
      pids = Array.from({ length: m }, (_, i) => new runtime.Pid(node.name, 1_000_000 + i, 0, node.creation));
      node.send({ name: 'pg', node: target }, { type: 'join', group: 'big', pids });
      console.log('SENT');
    } else if (cmd === 'leave') {
      node.send({ name: 'pg', node: target }, { type: 'leave', group: 'big', pids: [...pids].reverse() });
      console.log('SENT');
    } else if (cmd === 'quit') break;
  }
  await node.stop();
  process.exit(0);
}

function startPeer(name, cookie) {
  const args = [new URL(import.meta.url).pathname, 'peer', name, cookie];
  if (opts.runtime) args.push('--runtime', opts.runtime);
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise((r) => waiting.push(r));
  return {
    child,
    ready: next(),
    async ask(cmd) {
      const answer = next();
      child.stdin.write(`${cmd}\n`);
      return answer;
    },
  };
}

async function until(what, f, ms) {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Runs `f` while a 1 ms interval timer watches the event loop; returns f's result and the longest gap between two
 * of its ticks in ms (a block of the loop shows as a gap; `monitorEventLoopDelay` missed 50 ms busy loops in Node 20).
 */
async function withStallMonitor(f) {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > max) max = now - last;
    last = now;
  }, 1);
  collect();
  await sleep(20);
  max = 0;
  const result = await f();
  await sleep(5);
  clearInterval(timer);
  max = Math.max(max, performance.now() - last);
  return { ...result, maxLoopBlockMs: round(max) };
}

const round = (x) => Math.round(x * 10) / 10;

/**
 * N processes (members of `group` when `group` is set) exit at once: `trigger` 'return' sends each a message on which
 * it returns (a session ending), 'kill' sends each `exit(pid, 'kill')`; both in one synchronous loop.
 */
async function exitsRun(node, peerProc, n, group, trigger) {
  const pids = [];
  for (let i = 0; i < n; i++) {
    const pid = node.spawn(async (ctx) => {
      await ctx.receive();
    });
    if (group) node.pg.join(group, pid);
    pids.push(pid);
    if (i % 1000 === 999) await tick();
  }
  if (group) {
    await until(
      'the peer to see every member',
      async () => (await peerProc.ask(`count ${group}`)) === `COUNT ${n}`,
      120_000,
    );
  }
  await sleep(50);
  return withStallMonitor(async () => {
    const t0 = performance.now();
    if (trigger === 'kill') for (const pid of pids) node.exit(pid, 'kill');
    else for (const pid of pids) node.send(pid, 'bye');
    const triggerLoopMs = performance.now() - t0;
    await tick();
    const untilImmediateMs = performance.now() - t0;
    const alive = pids.filter((p) => node.isAlive(p)).length;
    if (alive !== 0) throw new Error(`${alive} processes still alive`);
    if (group) {
      const left = node.pg.localMembers(group).length;
      if (left !== 0) throw new Error(`${left} members left after their exit`);
      await until(
        'the peer to see no member',
        async () => (await peerProc.ask(`count ${group}`)) === 'COUNT 0',
        300_000,
      );
    }
    return {
      triggerLoopMs: round(triggerLoopMs),
      untilImmediateMs: round(untilImmediateMs),
      peerConvergedMs: group ? Math.round(performance.now() - t0) : null,
    };
  });
}

async function peerPairRun(node, peerName, peerProc, m) {
  const bytesIn = () => node.transport?.stats().peers[peerName]?.bytesIn ?? Number.NaN;
  return withStallMonitor(async () => {
    const b0 = bytesIn();
    const t0 = performance.now();
    await peerProc.ask(`join ${m} ${node.name}`);
    await until('the join to arrive', () => node.pg.members('big').length === m, 300_000);
    const joinedMs = performance.now() - t0;
    await peerProc.ask(`leave ${m} ${node.name}`);
    await until('the leave to arrive', () => node.pg.members('big').length === 0, 300_000);
    return {
      pairBytes: bytesIn() - b0,
      joinArrivedMs: Math.round(joinedMs),
      pairDoneMs: Math.round(performance.now() - t0),
    };
  });
}

async function main() {
  const id = randomBytes(3).toString('hex');
  const cookie = randomBytes(16).toString('hex');
  const n = Number(opts.members);
  const m = Number(opts['peer-members']);
  const runs = Number(opts.runs);
  const log = (s) => {
    if (!opts.json) console.log(s);
  };
  const peerName = `kpgb_${id}@127.0.0.1`;
  const peerProc = startPeer(peerName, cookie);
  try {
    const port = Number((await peerProc.ready).split(' ')[1]);
    const node = await runtime.startNode({
      name: `kpga_${id}@127.0.0.1`,
      cookie,
      port: 0,
      host: '127.0.0.1',
    });
    await node.connect(peerName, { port });
    // Both scopes have discovered each other once a join is visible on the peer.
    const probe = node.spawn(async (ctx) => ctx.receive());
    node.pg.join('probe', probe);
    await until('pg discovery', async () => (await peerProc.ask('count probe')) === 'COUNT 1', 10_000);
    log(
      `runtime: ${opts.runtime ?? '@kindred/runtime (this checkout)'}; ${n} exiting members, ${m} peer pids`,
    );
    const results = {
      runtime: opts.runtime ?? 'this checkout',
      members: n,
      peerMembers: m,
      exitsReturn: [],
      exitsReturnNoPg: [],
      exitsKill: [],
      exitsKillNoPg: [],
      peerPair: [],
    };
    const show = (e) =>
      `stall ${e.maxLoopBlockMs} ms (trigger loop ${e.triggerLoopMs} ms, until setImmediate ${e.untilImmediateMs} ms)` +
      (e.peerConvergedMs === null ? '' : `, peer converged after ${e.peerConvergedMs} ms`);
    const scenarios = [
      [
        'exits (return), members',
        'exitsReturn',
        () => exitsRun(node, peerProc, n, `r${results.exitsReturn.length}`, 'return'),
      ],
      ['exits (return), no pg', 'exitsReturnNoPg', () => exitsRun(node, peerProc, n, undefined, 'return')],
      [
        'exits (kill), members',
        'exitsKill',
        () => exitsRun(node, peerProc, n, `k${results.exitsKill.length}`, 'kill'),
      ],
      ['exits (kill), no pg', 'exitsKillNoPg', () => exitsRun(node, peerProc, n, undefined, 'kill')],
    ];
    // A warm-up at a tenth of the sizes, not measured, so the first measured run does not pay for compiling.
    const w = Math.max(1, Math.round(n / 10));
    await exitsRun(node, peerProc, w, 'warm-r', 'return');
    await exitsRun(node, peerProc, w, undefined, 'return');
    await exitsRun(node, peerProc, w, 'warm-k', 'kill');
    await exitsRun(node, peerProc, w, undefined, 'kill');
    await peerPairRun(node, peerName, peerProc, Math.max(1, Math.round(m / 10)));
    for (let r = 0; r < runs; r++) {
      for (const [label, key, run] of scenarios) {
        const e = await run();
        results[key].push(e);
        log(`#${r + 1} ${label}: ${show(e)}`);
      }
      const p = await peerPairRun(node, peerName, peerProc, m);
      results.peerPair.push(p);
      log(
        `#${r + 1} peer join/leave pair: stall ${p.maxLoopBlockMs} ms, ${p.pairBytes} bytes in, join arrived after ${p.joinArrivedMs} ms, done after ${p.pairDoneMs} ms`,
      );
    }
    if (opts.json) console.log(JSON.stringify(results));
    peerProc.child.stdin.write('quit\n');
    await node.stop();
  } finally {
    peerProc.child.kill();
  }
  process.exit(0);
}

if (positionals[0] === 'peer') await peer(positionals[1], positionals[2]);
else await main();
