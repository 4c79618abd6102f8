/**
 * The cross-node semantics every {@link Distribution} must give a node (send, links, exits, monitors, nodedown,
 * call/rpc, pg, spawnOn), written once and run over each implementation: the in-memory network
 * (compliance/memory.test.ts) and the real transport on loopback (compliance/transport.test.ts); Erlang's wire will
 * be the third. The model is libp2p's interface-compliance-tests.
 */
import { settle, until } from '@kindred/test-support';
import { describe, expect, it } from 'vitest';
import {
  type DownMessage,
  type ExitMessage,
  isCallMessage,
  isDownMessage,
  type KNode,
  Pid,
  pidEquals,
  RUNTIME_ERRORS,
} from '../../src/index.js';
import { recorder } from '../support.js';

/** What the suite needs of a distribution: nodes on it and a way to connect, reach and cut them. */
export interface DistributionHarness {
  /** A started node; `base` is unique within a test (the harness adds the host and cleans it up). */
  node(base: string): Promise<KNode>;
  /** Connects `a` to `b` (awaited: both see nodeup). */
  connect(a: KNode, b: KNode): Promise<void>;
  /** Makes `b` reachable from `a` without connecting (an auto-connect happens on first send). */
  reach(a: KNode, b: KNode): Promise<void>;
  /** Cuts the connection between `a` and `b` without goodbyes; resolves once both saw nodedown. */
  partition(a: KNode, b: KNode): Promise<void>;
  /** A node name `a` cannot reach (a dial to it fails). */
  ghost(a: KNode): Promise<string>;
  /** Polling bounds for this distribution. */
  readonly poll: { timeoutMs: number; intervalMs: number };
}

/**
 * Registers the suite under `label`. `harness()` is called once per test; the caller stops its nodes after each
 * test (an `afterEach` of its own).
 */
export function distributionSuite(label: string, harness: () => DistributionHarness): void {
  describe(`Distribution compliance: ${label}`, () => {
    let h: DistributionHarness;
    let POLL: { timeoutMs: number; intervalMs: number };
    const fresh = (): void => {
      h = harness();
      POLL = h.poll;
    };
    it('delivers pids intact and in order, by pid and by {name, node}', async () => {
      fresh();
      const a = await h.node('a');
      const b = await h.node('b');
      const r = recorder(b);
      b.register('rec', r.pid);
      await h.connect(a, b);
      for (let i = 0; i < 100; i++) a.send(i % 2 ? r.pid : { name: 'rec', node: b.name }, { i, me: r.pid });
      await until(() => r.got.length === 100, POLL);
      expect(r.got.map((m) => (m as { i: number }).i)).toEqual([...Array(100).keys()]);
      const me = (r.got[0] as { me: Pid }).me;
      expect(me).toBeInstanceOf(Pid);
      expect(pidEquals(me, r.pid)).toBe(true);
    });

    it('links across nodes: a crash kills the remote linked process; trapping gets EXIT', async () => {
      fresh();
      const a = await h.node('a');
      const b = await h.node('b');
      await h.connect(a, b);
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
      fresh();
      const a = await h.node('a');
      const b = await h.node('b');
      await h.reach(a, b);
      const t = recorder(b, (ctx) => ctx.trapExit(true));
      a.exit(t.pid, 'please');
      await until(() => t.got.length === 1, POLL);
      expect(t.got[0]).toMatchObject({ type: 'EXIT', reason: 'please' });
      a.exit(t.pid, 'kill');
      await until(() => !b.isAlive(t.pid), POLL);
    });

    it('remote monitors: DOWN with the reason, noproc for a dead pid or unknown name, demonitor stops it', async () => {
      fresh();
      const a = await h.node('a');
      const b = await h.node('b');
      await h.reach(a, b);
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
          const d1 = await ctx.receive(
            (m): m is DownMessage => isDownMessage(m) && m.ref.ids[0] === r1.ids[0],
          );
          const d2 = await ctx.receive(
            (m): m is DownMessage => isDownMessage(m) && m.ref.ids[0] === r2.ids[0],
          );
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

    it('monitoring a node that cannot be reached gives DOWN noconnection', async () => {
      fresh();
      const a = await h.node('a');
      const ghost = new Pid(await h.ghost(a), 1, 0, 1);
      const d = await a.monitor(ghost).down;
      expect(d.reason).toBe('noconnection');
    });

    it('call and rpc across nodes; call to a lost node fails with noconnection', async () => {
      fresh();
      const a = await h.node('a');
      const b = await h.node('b');
      await h.reach(a, b);
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
      // The expectation is attached before the cut: the call may fail while partition() is still waiting.
      const failed = expect(p).rejects.toMatchObject({
        code: RUNTIME_ERRORS.CALL_EXIT,
        details: { reason: 'noconnection' },
      });
      await h.partition(a, b);
      await failed;
    });

    it('pg: membership converges, drops a lost node, resyncs after it returns, and follows deaths', async () => {
      fresh();
      const a = await h.node('a');
      const b = await h.node('b');
      const ra = recorder(a);
      const rb = recorder(b);
      a.pg.join('room', ra.pid);
      await h.connect(a, b);
      b.pg.join('room', rb.pid);
      await until(() => a.pg.members('room').length === 2 && b.pg.members('room').length === 2, POLL);
      expect(b.broadcast('room', 'hello')).toBe(2);
      await until(() => ra.got.length === 1 && rb.got.length === 1, POLL);
      await h.partition(a, b);
      await until(() => a.pg.members('room').length === 1, POLL);
      expect(b.pg.members('room')).toEqual([rb.pid]);
      await h.connect(b, a);
      await until(() => a.pg.members('room').length === 2 && b.pg.members('room').length === 2, POLL);
      b.exit(rb.pid, 'kill');
      await until(() => a.pg.members('room').length === 1, POLL);
      a.pg.leave('room', ra.pid);
      await until(() => b.pg.members('room').length === 0, POLL);
    });

    it('dead processes leave no cross-node links or monitors behind on either node', async () => {
      fresh();
      const a = await h.node('a');
      const b = await h.node('b');
      await h.reach(a, b);
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

    it('spawnOn: SPAWN_REQUEST runs an exposed body on the other node; undef and noconnection fail with a code', async () => {
      fresh();
      const a = await h.node('a');
      const b = await h.node('b');
      await h.reach(a, b);
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
      await expect(a.spawnOn(await h.ghost(a), 'worker')).rejects.toMatchObject({
        code: RUNTIME_ERRORS.SPAWN_FAILED,
        details: { reason: 'noconnection' },
      });
      expect(
        (await a.spawnOn(a.name, 'nope').catch((e: { details: unknown }) => e.details)) as object,
      ).toMatchObject({
        reason: 'undef',
      });
    });
  });
}
