#!/usr/bin/env node
// Fan-out and pg churn across three kindred nodes (issue 18): what presence and pub/sub apps do all day.
//
//   broadcast: one `node.broadcast(group, msg)` to a group of N members spread evenly over 3 nodes, against the
//              same message sent to each member point to point (`node.send(pid, msg)` N times) in the same run;
//   groups:    one broadcast to each of G groups of S members (each group on all 3 nodes), against G * S point to
//              point sends;
//   churn:     joins and leaves at a given total rate, a third on each node, for some seconds; then the time from the
//              last operation (on any node) until every node's view of the scope (a digest of every group's sorted
//              members) has reached the final view, the same on all three.
//
// Delivered-to-all is measured at the receivers: every member counts the messages it gets, and a node reports (a
// kindred message to the sender's node, or directly on the sender's own node) when all its members have one; a
// round ends when all three reports are in. Rounds alternate broadcast and point to point, the figure is the median.
//
// The measuring node (node 0, the sender) runs in this process; nodes 1 and 2 are child processes
// (`bench/fanout.mjs peer ...`), all `startNode()` on 127.0.0.1 with a random cookie, connected in a full mesh.
//
//   node bench/fanout.mjs [--members 10000] [--groups 1000] [--group-size 10] [--rounds 10]
//                         [--churn-rate 100000] [--churn-seconds 2] [--churn-window 1000] [--churn-groups 1000]
//                         [--only broadcast|churn] [--runtime <dir>] [--json]
//
// `--runtime <dir>` loads @kindred/runtime from another checkout's built package (`<dir>/dist/index.js`, e.g.
// /work/main/packages/runtime), for A/B runs of the same bench against other code (bench/pg-churn.mjs does the same).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { message } from './lib/message.mjs';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    members: { type: 'string', default: '10000' },
    groups: { type: 'string', default: '1000' },
    'group-size': { type: 'string', default: '10' },
    rounds: { type: 'string', default: '10' },
    'churn-rate': { type: 'string', default: '100000' },
    'churn-seconds': { type: 'string', default: '2' },
    'churn-window': { type: 'string', default: '1000' },
    'churn-groups': { type: 'string', default: '1000' },
    only: { type: 'string' },
    runtime: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'usage: node bench/fanout.mjs [--members N] [--groups G] [--group-size S] [--rounds R] [--churn-rate OPS]\n' +
      '         [--churn-seconds S] [--churn-window W] [--churn-groups G] [--only broadcast|churn]\n' +
      '         [--runtime <package dir>] [--json]',
  );
  process.exit(0);
}
const runtime = await import(
  opts.runtime ? pathToFileURL(resolve(opts.runtime, 'dist/index.js')).href : '@kindred/runtime'
);
const NODES = 3;
const COLLECTOR = 'fanout_collector';
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wallNow = () => performance.timeOrigin + performance.now();
/** This process's CPU time (user + system) at the start of its churn. */
let cpuAtChurn;
/** CPU ms (user + system) this process used since `from` (a `process.cpuUsage()`). */
const cpuMsSince = (from) => {
  const d = process.cpuUsage(from);
  return Math.round((d.user + d.system) / 1000);
};

/**
 * One node's part, the same on every node: its members (idle processes that count what they receive), its churn
 * and its digest. `report(n)` is called when all local members have got message `n`.
 */
function nodePart(node, index, report) {
  let members = [];
  let expected = 0;
  let got = 0;
  const hit = (m) => {
    if (++got === expected) {
      got = 0;
      report(m.body.n);
    }
  };
  const part = {
    /** Kills the members of the previous layout (they leave their groups). */
    async clear() {
      for (const pid of members) node.exit(pid, 'kill');
      members = [];
      expected = 0;
      got = 0;
      await tick();
    },
    /**
     * Spawns this node's share of `total` members (member i lives on node i % 3) and joins each to its group:
     * `big` for layout `one`, `g<i / size>` for layout `many`. Returns how many.
     */
    async layout(kind, total, size) {
      await part.clear();
      for (let i = index; i < total; i += NODES) {
        const pid = node.spawn(async (ctx) => {
          for (;;) hit(await ctx.receive());
        });
        node.pg.join(kind === 'one' ? 'big' : `g${Math.floor(i / size)}`, pid);
        members.push(pid);
        if (members.length % 1000 === 0) await tick();
      }
      expected = members.length;
      return members.length;
    },
    /**
     * `rate` joins and leaves per second for `seconds` from wall time `at`: each turn does the operations the
     * elapsed time allows. A pool of `pool` idle processes; an operation joins the next (process, group) pair while
     * fewer than `window` memberships are open, else leaves the oldest open one.
     */
    async churn(rate, seconds, groups, window, at, pool = 1000, prefix = 'c') {
      const procs = Array.from({ length: pool }, () =>
        node.spawn(async (ctx) => {
          await ctx.receive();
        }),
      );
      const open = new Array(window);
      let head = 0;
      let size = 0;
      let joins = 0;
      const total = Math.round(rate * seconds);
      await sleep(Math.max(0, at - wallNow()));
      cpuAtChurn = process.cpuUsage();
      const t0 = performance.now();
      let done = 0;
      let first = 0;
      let last = 0;
      while (done < total) {
        const target = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
        if (done === 0) first = wallNow();
        for (; done < target; done++) {
          if (size < window) {
            const pid = procs[joins % pool];
            const group = `${prefix}${(joins * 7 + index) % groups}`;
            node.pg.join(group, pid);
            open[(head + size) % window] = [group, pid];
            size++;
            joins++;
          } else {
            const [group, pid] = open[head];
            node.pg.leave(group, pid);
            head = (head + 1) % window;
            size--;
          }
        }
        last = wallNow();
        await tick();
      }
      return { ops: done, firstWall: first, lastWall: last, cpuMs: cpuMsSince(cpuAtChurn) };
    },
  };
  return part;
}

/** FNV-1a of a string (32 bits). */
function strHash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
const nodeHashes = new Map();

/**
 * A digest of the default scope's view: every (group, member) pair, once per join, mixed into two 32-bit sums and a
 * count. Order-independent, so no sort and no string per pid: the 10 ms polls must not cost the nodes much CPU while
 * they converge (a sorted SHA-1 of every member's string was ~15% of a node's samples).
 */
function digest(node) {
  let a = 0;
  let b = 0;
  let n = 0;
  for (const g of node.pg.groups()) {
    const hg = strHash(g);
    for (const p of node.pg.members(g)) {
      let hn = nodeHashes.get(p.node);
      if (hn === undefined) {
        hn = strHash(p.node);
        nodeHashes.set(p.node, hn);
      }
      let x = hg ^ Math.imul(p.id + 1, 0x9e3779b1) ^ Math.imul(p.serial + 1, 0x85ebca6b);
      x = Math.imul(x ^ hn ^ Math.imul(p.creation + 1, 0xc2b2ae35), 0x27d4eb2f);
      x ^= x >>> 15;
      a = (a + x) >>> 0;
      b = (b + Math.imul(x ^ (x >>> 13), 0x165667b1)) >>> 0;
      n++;
    }
  }
  return `${n}.${a.toString(16)}.${b.toString(16)}`;
}

/**
 * Polls the digest every 10 ms until `stop()`; `onChange(hash, wall)` on each change (the wall time of the poll
 * that first saw it).
 */
function watchDigest(node, onChange) {
  let current;
  const poll = () => {
    const d = digest(node);
    if (d !== current) {
      current = d;
      onChange(d, wallNow());
    }
  };
  poll();
  const timer = setInterval(poll, 10);
  return {
    stop() {
      clearInterval(timer);
      poll();
      return current;
    },
  };
}

/** The child: node `index` that takes commands on stdin (one per line) and answers on stdout. */
async function peer(name, cookie, index) {
  const node = await runtime.startNode({ name, cookie, port: 0, host: '127.0.0.1' });
  let collector;
  const part = nodePart(node, index, (n) => node.send(collector, { done: node.name, n }));
  let watch;
  console.log(`READY ${node.port}`);
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, ...a] = line.split(' ');
    if (cmd === 'connect') {
      collector = { name: COLLECTOR, node: a[0] };
      await node.connect(a[0], { port: Number(a[1]) });
      if (a[2]) await node.connect(a[2], { port: Number(a[3]) });
      console.log('OK');
    } else if (cmd === 'layout') console.log(`OK ${await part.layout(a[0], Number(a[1]), Number(a[2]))}`);
    else if (cmd === 'count') console.log(`OK ${node.pg.members(a[0]).length}`);
    else if (cmd === 'churn' || cmd === 'warm') {
      const r = await part.churn(...a.slice(0, 6).map(Number), a[6]);
      if (cmd === 'churn') watch = watchDigest(node, (d, wall) => console.log(`DIGEST ${d} ${wall}`));
      console.log(`CHURNED ${JSON.stringify(r)}`);
    } else if (cmd === 'unwatch') console.log(`OK ${watch?.stop()} ${cpuMsSince(cpuAtChurn)}`);
    else if (cmd === 'quit') break;
  }
  await part.clear();
  await node.stop();
  process.exit(0);
}

function startPeer(name, cookie, index) {
  const args = [new URL(import.meta.url).pathname, 'peer', name, cookie, String(index)];
  if (opts.runtime) args.push('--runtime', opts.runtime);
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  const listeners = new Set();
  lines.on('line', (l) => {
    for (const f of listeners) if (f(l)) return;
    waiting.shift()?.(l);
  });
  const next = () => new Promise((r) => waiting.push(r));
  return {
    child,
    ready: next(),
    /** Sends a command; resolves with the next answer line. */
    ask(cmd) {
      const answer = next();
      child.stdin.write(`${cmd}\n`);
      return answer;
    },
    /** `f(line)` sees every line first; returning true consumes it. */
    listen(f) {
      listeners.add(f);
      return () => listeners.delete(f);
    },
  };
}

async function until(what, f, ms) {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r2 = (x) => Math.round(x * 100) / 100;

async function main() {
  const id = randomBytes(3).toString('hex');
  const cookie = randomBytes(16).toString('hex');
  const log = (s) => {
    if (!opts.json) console.error(s);
  };
  const names = Array.from({ length: NODES }, (_, i) => `kfan${i}_${id}@127.0.0.1`);
  const peers = [1, 2].map((i) => startPeer(names[i], cookie, i));
  const results = { runtime: opts.runtime ?? 'this checkout', nodes: NODES };
  try {
    const ports = [0];
    for (const p of peers) ports.push(Number((await p.ready).split(' ')[1]));
    const node = await runtime.startNode({ name: names[0], cookie, port: 0, host: '127.0.0.1' });
    ports[0] = node.port;
    // Round n is delivered to all when every node has reported n.
    const reports = new Map();
    let waiter;
    const onReport = (n) => {
      const c = (reports.get(n) ?? 0) + 1;
      reports.set(n, c);
      if (c === NODES && waiter?.n === n) waiter.resolve(performance.now());
    };
    node.spawn(
      async (ctx) => {
        for (;;) onReport((await ctx.receive()).n);
      },
      { name: COLLECTOR },
    );
    const part = nodePart(node, 0, onReport);
    await peers[0].ask(`connect ${names[0]} ${ports[0]}`);
    await peers[1].ask(`connect ${names[0]} ${ports[0]} ${names[1]} ${ports[1]}`);
    await until('a full mesh', () => node.nodes().length === 2, 10_000);
    let n = 0;
    let retries = 0;

    /** Sends round n by `how` and resolves with the ms until every node's members had it. */
    async function round(how, group, pids) {
      n++;
      const done = new Promise((resolve) => {
        waiter = { n, resolve };
      });
      if (reports.get(n) === NODES) waiter.resolve(performance.now());
      const msg = message(names[0], 0, n);
      const t0 = performance.now();
      if (how === 'broadcast') for (const g of group) node.broadcast(g, msg);
      else
        for (let i = 0; i < pids.length; ) {
          try {
            node.send(pids[i], msg);
            i++;
          } catch (err) {
            if (err.code !== 'KINDRED_ERR_SEND_QUEUE_FULL') throw err;
            retries++;
            await tick();
          }
        }
      const t1 = await done;
      reports.delete(n);
      return t1 - t0;
    }

    /** `rounds` alternating broadcast / point-to-point rounds (after 2 warm-up rounds each). */
    async function compare(label, groups, total) {
      const pids = groups.flatMap((g) => node.pg.members(g));
      if (pids.length !== total) throw new Error(`${label}: ${pids.length} members seen, ${total} expected`);
      const rounds = Number(opts.rounds);
      const bc = [];
      const p2p = [];
      for (let i = 0; i < 2; i++) {
        await round('broadcast', groups, pids);
        await round('p2p', groups, pids);
      }
      for (let i = 0; i < rounds; i++) {
        const order = i % 2 === 0 ? ['broadcast', 'p2p'] : ['p2p', 'broadcast'];
        for (const how of order) (how === 'broadcast' ? bc : p2p).push(await round(how, groups, pids));
      }
      const out = {
        members: total,
        groups: groups.length,
        rounds,
        broadcastMs: r2(median(bc)),
        pointToPointMs: r2(median(p2p)),
        ratio: r2(median(bc) / median(p2p)),
        broadcastRunsMs: bc.map(r2),
        pointToPointRunsMs: p2p.map(r2),
      };
      log(
        `${label}: broadcast ${out.broadcastMs} ms, point to point ${out.pointToPointMs} ms (median of ${rounds}): ratio ${out.ratio}`,
      );
      return out;
    }

    async function layout(kind, total, size, groups) {
      const counts = [await part.layout(kind, total, size)];
      for (const p of peers)
        counts.push(Number((await p.ask(`layout ${kind} ${total} ${size}`)).split(' ')[1]));
      if (counts.reduce((a, b) => a + b) !== total) throw new Error(`layout ${kind}: ${counts} members`);
      await until(
        `every member of the ${kind} layout in node 0's view`,
        () => groups.reduce((a, g) => a + node.pg.members(g).length, 0) === total,
        60_000,
      );
    }

    if (opts.only !== 'churn') {
      const total = Number(opts.members);
      await layout('one', total, total, ['big']);
      results.broadcast = await compare(`one group of ${total} on 3 nodes`, ['big'], total);
      const g = Number(opts.groups);
      const s = Number(opts['group-size']);
      const groups = Array.from({ length: g }, (_, i) => `g${i}`);
      await layout('many', g * s, s, groups);
      results.groups = await compare(`${g} groups of ${s} on 3 nodes`, groups, g * s);
      results.sendQueueFullRetries = retries;
      await part.clear();
      for (const p of peers) await p.ask('layout one 0 1');
    }

    if (opts.only !== 'broadcast') {
      const rate = Number(opts['churn-rate']);
      const seconds = Number(opts['churn-seconds']);
      const groups = Number(opts['churn-groups']);
      const window = Number(opts['churn-window']);
      // A warm-up churn at the same rate for a quarter of the time, not measured (its memberships stay open, in
      // groups the measured churn does not use), so the measured one does not pay for compiling.
      const warmAt = Math.round(wallNow() + 300);
      const warm = [rate / NODES, seconds / 4, groups, window, warmAt, 1000, 'w'];
      const warmed = peers.map((p) => p.ask(`warm ${warm.join(' ')}`));
      await part.churn(...warm);
      await Promise.all(warmed);
      await sleep(500);
      const at = Math.round(wallNow() + 300);
      const args = [rate / NODES, seconds, groups, window, at];
      // Every digest change on every node, with its wall time: [node] -> [[hash, wall], ...].
      const changes = [[], [], []];
      const churned = [];
      const unlisten = peers.map((p, i) =>
        p.listen((l) => {
          const m = /^DIGEST (\S+) (\S+)$/.exec(l);
          if (m) changes[i + 1].push([m[1], Number(m[2])]);
          return m !== null;
        }),
      );
      const asked = peers.map((p) => p.ask(`churn ${args.join(' ')}`));
      churned.push(await part.churn(...args));
      const watch = watchDigest(node, (d, wall) => changes[0].push([d, wall]));
      for (const a of asked) churned.push(JSON.parse((await a).slice('CHURNED '.length)));
      const lastOp = Math.max(...churned.map((c) => c.lastWall));
      const firstOp = Math.min(...churned.map((c) => c.firstWall));
      const ops = churned.reduce((a, c) => a + c.ops, 0);
      // Converged: all three digests equal, and stable for 1 s (or 30 s pass).
      const finals = () => changes.map((c) => c.at(-1)?.[0]);
      const limit = Date.now() + 30_000;
      let stableSince = 0;
      let agreed;
      while (Date.now() < limit) {
        const f = finals();
        const same = f.every((d) => d !== undefined && d === f[0]);
        if (same && agreed === f[0]) {
          if (Date.now() - stableSince >= 1000) break;
        } else {
          agreed = same ? f[0] : undefined;
          stableSince = Date.now();
        }
        await sleep(20);
      }
      const unwatched = (await Promise.all(peers.map((p) => p.ask('unwatch')))).map((l) => l.split(' '));
      const finalDigests = [watch.stop(), ...unwatched.map((l) => l[1])];
      const cpuMsToEnd = [cpuMsSince(cpuAtChurn), ...unwatched.map((l) => Number(l[2]))];
      for (const u of unlisten) u();
      const converged = finalDigests.every((d) => d === finalDigests[0]);
      // Each node reached the final view at the wall time of its last digest change (polled every 10 ms).
      const reachedAt = changes.map((c) => c.at(-1)?.[1] ?? lastOp);
      results.churn = {
        targetOpsPerSec: rate,
        seconds,
        groups,
        window,
        ops,
        achievedOpsPerSec: Math.round(ops / ((lastOp - firstOp) / 1000)),
        // Each node's own rate, over its own first to last operation (the span above also holds the start skew).
        perNodeOpsPerSec: churned.map((c) => Math.round(c.ops / ((c.lastWall - c.firstWall) / 1000))),
        startSkewMs: Math.round(Math.max(...churned.map((c) => c.firstWall)) - firstOp),
        converged,
        convergeAfterLastOpMs: converged
          ? Math.round(Math.max(0, ...reachedAt.map((t) => t - lastOp)))
          : null,
        perNodeAfterLastOpMs: reachedAt.map((t) => Math.round(t - lastOp)),
        // CPU time (user + system) of the three node processes: from the start of the churn to its last op on
        // that node, and to the end of the run (1 s of agreement after convergence, with the 10 ms digest polls).
        cpuMsDuringChurn: churned.reduce((a, c) => a + c.cpuMs, 0),
        cpuMsToEnd: cpuMsToEnd.reduce((a, b) => a + b, 0),
        finalDigests,
      };
      log(
        `churn: ${ops} ops at ${results.churn.achievedOpsPerSec} ops/s achieved (target ${rate}; per node ${results.churn.perNodeOpsPerSec.join(', ')}, start skew ${results.churn.startSkewMs} ms); ` +
          `CPU ${results.churn.cpuMsDuringChurn} ms during the churn, ${results.churn.cpuMsToEnd} ms to the end (3 nodes); ` +
          (converged
            ? `converged ${results.churn.convergeAfterLastOpMs} ms after the last op (per node ${results.churn.perNodeAfterLastOpMs.join(', ')} ms)`
            : `NOT converged (digests ${finalDigests.join(' ')})`),
      );
    }
    if (opts.json) console.log(JSON.stringify(results));
    for (const p of peers) p.child.stdin.write('quit\n');
    await part.clear();
    await node.stop();
  } finally {
    await sleep(200);
    for (const p of peers) p.child.kill();
  }
  process.exit(0);
}

if (positionals[0] === 'peer') await peer(positionals[1], positionals[2], Number(positionals[3]));
else await main();
