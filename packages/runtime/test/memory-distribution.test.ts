import { until } from '@kindred/test-support';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  type DownMessage,
  type ExitMessage,
  isCallMessage,
  isDownMessage,
  isExitMessage,
  type KNode,
  MEMORY_MESSAGE_OVERHEAD_BYTES,
  MemoryNetwork,
  type NodeEvent,
  OP,
  Pid,
  type ProcessContext,
  pidEquals,
  RUNTIME_ERRORS,
} from '../src/index.js';

const POLL = { timeoutMs: 2_000, intervalMs: 5 };

// Multi-node semantics over the in-memory network (fast, deterministic); cluster.test.ts repeats the key cases
// with three OS processes over the real transport.
let net: MemoryNetwork;
const nodes: KNode[] = [];
function mk(name: string, hidden = false): KNode {
  net ??= new MemoryNetwork();
  const n = createNode({
    name: `${name}@mem`,
    distribution: net.endpoint(`${name}@mem`, { hidden }),
    hidden,
  });
  nodes.push(n);
  return n;
}
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
  net = new MemoryNetwork();
});

const settle = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A process that records what it receives. */
function recorder(node: KNode, setup?: (ctx: ProcessContext) => void): { pid: Pid; got: unknown[] } {
  const got: unknown[] = [];
  const pid = node.spawn(async (ctx) => {
    setup?.(ctx);
    for (;;) got.push(await ctx.receive());
  });
  return { pid, got };
}

describe('memory network', () => {
  it('delivers pids intact and in order, by pid and by {name, node}', async () => {
    const a = mk('a');
    const b = mk('b');
    const r = recorder(b);
    b.register('rec', r.pid);
    await a.connect(b.name);
    for (let i = 0; i < 100; i++) a.send(i % 2 ? r.pid : { name: 'rec', node: b.name }, { i, me: r.pid });
    await until(() => r.got.length === 100, POLL);
    expect(r.got.map((m) => (m as { i: number }).i)).toEqual([...Array(100).keys()]);
    const me = (r.got[0] as { me: Pid }).me;
    expect(me).toBeInstanceOf(Pid);
    expect(pidEquals(me, r.pid)).toBe(true);
  });

  it('auto-connects on first send, like Erlang', async () => {
    const a = mk('a');
    const b = mk('b');
    const r = recorder(b);
    a.send(r.pid, 'hello');
    await until(() => r.got.length === 1, POLL);
    expect(a.nodes()).toEqual([b.name]);
  });

  it('links across nodes: a crash kills the remote linked process; trapping gets EXIT', async () => {
    const a = mk('a');
    const b = mk('b');
    await a.connect(b.name);
    const trapper = recorder(a, (ctx) => ctx.trapExit(true));
    const victim = a.spawn(async (ctx) => ctx.receive());
    const crasher = b.spawn(async (ctx) => {
      ctx.link(trapper.pid);
      ctx.link(victim);
      await ctx.receive();
      throw new Error('remote boom');
    });
    await settle();
    b.send(crasher, 'go');
    await until(() => trapper.got.length === 1, POLL);
    expect(trapper.got[0]).toMatchObject({
      type: 'EXIT',
      reason: { error: 'Error', message: 'remote boom' },
    });
    expect(pidEquals((trapper.got[0] as ExitMessage).from, crasher)).toBe(true);
    await until(() => !a.isAlive(victim), POLL);
  });

  it('exit/2 across nodes, kill is untrappable', async () => {
    const a = mk('a');
    const b = mk('b');
    const t = recorder(b, (ctx) => ctx.trapExit(true));
    a.exit(t.pid, 'please');
    await until(() => t.got.length === 1, POLL);
    expect(t.got[0]).toMatchObject({ type: 'EXIT', reason: 'please' });
    a.exit(t.pid, 'kill');
    await until(() => !b.isAlive(t.pid), POLL);
  });

  it('remote monitors: DOWN with the reason, noproc for a dead pid or unknown name, demonitor stops it', async () => {
    const a = mk('a');
    const b = mk('b');
    const target = b.spawn(async (ctx) => {
      await ctx.receive();
      ctx.exit('done');
    });
    const w = recorder(a);
    const results = await new Promise<DownMessage[]>((resolve) => {
      a.spawn(async (ctx) => {
        const r1 = ctx.monitor(target);
        const r2 = ctx.monitor({ name: 'nobody', node: b.name });
        const r3 = ctx.monitor(target);
        ctx.demonitor(r3);
        ctx.send(target, 'go');
        const d1 = await ctx.receive((m): m is DownMessage => isDownMessage(m) && m.ref.ids[0] === r1.ids[0]);
        const d2 = await ctx.receive((m): m is DownMessage => isDownMessage(m) && m.ref.ids[0] === r2.ids[0]);
        ctx.monitor(target);
        const d3 = await ctx.receive(isDownMessage);
        await ctx.receive(() => false, 30);
        expect(ctx.mailboxSize()).toBe(0);
        resolve([d1, d2, d3]);
      });
    });
    expect(results.map((d) => d.reason)).toEqual(['done', 'noproc', 'noproc']);
    expect(results[1]!.item).toEqual({ name: 'nobody', node: b.name });
    void w;
  });

  it('a lost node gives DOWN noconnection, EXIT noconnection and nodedown with its reason', async () => {
    const a = mk('a');
    const b = mk('b');
    await a.connect(b.name);
    const remote = b.spawn(async (ctx) => ctx.receive());
    const events: NodeEvent[] = [];
    a.monitorNodes((e) => events.push(e));
    const w = recorder(a, (ctx) => {
      ctx.trapExit(true);
      ctx.monitor(remote);
      ctx.link(remote);
      ctx.monitorNodes(true);
    });
    await settle();
    // The connection is lost without goodbyes (as when b's OS process dies or the network fails).
    net.partition(a.name, b.name, 'net_tick_timeout');
    await until(() => w.got.length >= 3, POLL);
    const down = w.got.find(isDownMessage)!;
    const exit = w.got.find(isExitMessage)!;
    const nd = w.got.find((m) => (m as NodeEvent).type === 'nodedown');
    expect(down.reason).toBe('noconnection');
    expect(exit.reason).toBe('noconnection');
    expect(nd).toEqual({ type: 'nodedown', node: b.name, reason: 'net_tick_timeout' });
    expect(events, JSON.stringify(events)).toEqual([
      { type: 'nodedown', node: b.name, reason: 'net_tick_timeout' },
    ]);
  });

  it('monitoring a node that cannot be reached gives DOWN noconnection', async () => {
    const a = mk('a');
    const ghost = new Pid('ghost@mem', 1, 0, 1);
    const d = await a.monitor(ghost).down;
    expect(d.reason).toBe('noconnection');
  });

  it('call and rpc across nodes; call to a lost node fails with noconnection', async () => {
    const a = mk('a');
    const b = mk('b');
    b.expose('mul', (x: number, y: number) => x * y);
    expect(await a.rpc(b.name, 'mul', [6, 7])).toBe(42);
    await expect(a.rpc(b.name, 'nope', [])).rejects.toMatchObject({
      code: RUNTIME_ERRORS.RPC_UNKNOWN_HANDLER,
    });
    const silent = b.spawn(async (ctx) => {
      await ctx.receive(isCallMessage);
      await ctx.receive();
    });
    const p = a.call(silent, 'x', 5_000);
    await settle(10);
    net.partition(a.name, b.name);
    await expect(p).rejects.toMatchObject({
      code: RUNTIME_ERRORS.CALL_EXIT,
      details: { reason: 'noconnection' },
    });
  });

  it('connect_all: connecting to one node connects to all it knows; hidden nodes stay out', async () => {
    const a = mk('a');
    const b = mk('b');
    const c = mk('c');
    const h = mk('h', true);
    await a.connect(b.name);
    await c.connect(a.name);
    await until(() => c.nodes().length === 2 && b.nodes().length === 2, POLL);
    expect(b.nodes().sort()).toEqual([a.name, c.name]);
    await h.connect(a.name);
    await settle(10);
    expect(a.nodes()).not.toContain(h.name);
    expect(a.hiddenNodes()).toEqual([h.name]);
    expect(h.nodes()).toEqual([]);
    expect(h.hiddenNodes()).toEqual([a.name]);
    expect(b.hiddenNodes()).toEqual([]);
  });

  it('pg: membership converges, drops a lost node, resyncs after it returns, and follows deaths', async () => {
    const a = mk('a');
    const b = mk('b');
    const ra = recorder(a);
    const rb = recorder(b);
    a.pg.join('room', ra.pid);
    await a.connect(b.name);
    b.pg.join('room', rb.pid);
    await until(() => a.pg.members('room').length === 2 && b.pg.members('room').length === 2, POLL);
    expect(b.broadcast('room', 'hello')).toBe(2);
    await until(() => ra.got.length === 1 && rb.got.length === 1, POLL);
    net.partition(a.name, b.name);
    await until(() => a.pg.members('room').length === 1, POLL);
    expect(b.pg.members('room')).toEqual([rb.pid]);
    await b.connect(a.name);
    await until(() => a.pg.members('room').length === 2 && b.pg.members('room').length === 2, POLL);
    b.exit(rb.pid, 'kill');
    await until(() => a.pg.members('room').length === 1, POLL);
    a.pg.leave('room', ra.pid);
    await until(() => b.pg.members('room').length === 0, POLL);
  });

  it('dead processes leave no cross-node links or monitors behind on either node', async () => {
    const a = mk('a');
    const b = mk('b');
    const remote = Array.from({ length: 20 }, () => b.spawn(async (ctx) => ctx.receive()));
    const locals = remote.map((r) =>
      a.spawn(async (ctx) => {
        ctx.trapExit(true);
        ctx.link(r);
        ctx.monitor(r);
        await ctx.receive(() => false);
      }),
    );
    // b's processes also monitor a's.
    b.spawn(async (ctx) => {
      for (const l of locals) ctx.monitor(l);
      await ctx.receive(() => false);
    });
    await until(() => a.stats().remoteLinks === 20 && b.stats().remoteMonitors === 40, POLL);
    for (const l of locals) a.exit(l, 'kill');
    await until(() => b.stats().remoteLinks === 0 && b.stats().remoteMonitors === 0, POLL);
    expect(a.stats()).toMatchObject({ remoteLinks: 0, remoteMonitors: 0 });
    expect(remote.filter((r) => b.isAlive(r))).toEqual([]);
  });

  it('a restarted node has a new creation: pids of the old incarnation reach nothing (DOWN noproc)', async () => {
    const a = mk('a');
    const ep1 = net.endpoint('b@mem');
    const b1 = createNode({ name: 'b@mem', distribution: ep1 });
    const old = b1.spawn(async (ctx) => ctx.receive());
    await a.connect('b@mem');
    await b1.stop();
    ep1.kill();
    await until(() => a.nodes().length === 0, POLL);
    const b2 = createNode({ name: 'b@mem', distribution: net.endpoint('b@mem') });
    nodes.push(b2);
    const got: unknown[] = [];
    const fresh = b2.spawn(async (ctx) => {
      for (;;) got.push(await ctx.receive());
    });
    expect(fresh.id).toBe(old.id); // same number, different incarnation
    expect(b2.creation).not.toBe(b1.creation);
    a.send(old, 'for the old one');
    a.send(fresh, 'for the new one');
    expect((await a.monitor(old).down).reason).toBe('noproc');
    await until(() => got.length === 1, POLL);
    expect(got).toEqual(['for the new one']);
  });

  it('spawnOn: SPAWN_REQUEST runs an exposed body on the other node; undef and noconnection fail with a code', async () => {
    const a = mk('a');
    const b = mk('b');
    b.exposeSpawn('worker', async (ctx, tag: string) => {
      const m = (await ctx.receive()) as { from: Pid; x: number };
      ctx.send(m.from, { tag, x: m.x * 2, on: ctx.self.node });
    });
    const got = new Promise((resolve) => {
      a.spawn(async (ctx) => {
        const pid = await ctx.node.spawnOn(b.name, 'worker', ['t1']);
        ctx.send(pid, { from: ctx.self, x: 21 });
        resolve(await ctx.receive());
      });
    });
    expect(await got).toEqual({ tag: 't1', x: 42, on: b.name });
    await expect(a.spawnOn(b.name, 'nope')).rejects.toMatchObject({
      code: RUNTIME_ERRORS.SPAWN_FAILED,
      details: { reason: 'undef' },
    });
    await expect(a.spawnOn('ghost@mem', 'worker')).rejects.toMatchObject({
      code: RUNTIME_ERRORS.SPAWN_FAILED,
      details: { reason: 'noconnection' },
    });
    expect(
      (await a.spawnOn(a.name, 'nope').catch((e: { details: unknown }) => e.details)) as object,
    ).toMatchObject({
      reason: 'undef',
    });
  });

  it('malformed frames from a peer are counted and ignored; the node keeps working', async () => {
    const a = mk('a');
    const evil = net.endpoint('evil@mem');
    await evil.connect(a.name);
    const r = recorder(a);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc
            .tuple(fc.constantFrom(...Object.values(OP)), fc.anything(), fc.anything(), fc.anything())
            .map((c) => [c]),
        ),
        async (frame) => {
          evil.send(a.name, frame);
          await settle(1);
        },
      ),
      { numRuns: 300 },
    );
    a.send(r.pid, 'still alive');
    await until(() => r.got.includes('still alive'), POLL);
    expect(a.stats().badControl).toBeGreaterThan(0);
  });

  it("passes each message's packed size plus a fixed overhead as the 'message' event's byte estimate", async () => {
    const a = net.endpoint('x@mem');
    const b = net.endpoint('y@mem');
    await a.connect('y@mem');
    const got: Array<[unknown, number]> = [];
    b.on('message', (_node: string, m: unknown, bytes: number) => got.push([m, bytes]));
    const msgs = [[[OP.SEND, '', 'x']], [[OP.SEND, '', 'x'], 'y'.repeat(5000)], [[OP.SEND, '', 'x'], {}]];
    for (const m of msgs) a.send('y@mem', m);
    await until(() => got.length === msgs.length, POLL);
    expect(got.map(([m]) => m)).toEqual(msgs);
    expect(got.map(([, n]) => n)).toEqual(msgs.map((m) => pack(m).length + MEMORY_MESSAGE_OVERHEAD_BYTES));
  });
});
