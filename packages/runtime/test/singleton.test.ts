import { until as poll } from '@kindred/test-support';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createNode,
  isCallMessage,
  type KNode,
  type MemoryEndpoint,
  MemoryNetwork,
  type Pid,
  RUNTIME_ERRORS,
  type SingletonSpec,
} from '../src/index.js';

let net = new MemoryNetwork();
const nodes: KNode[] = [];
const endpoints = new Map<string, MemoryEndpoint>();
/** A node whose stop() closes its endpoint, as startNode closes its transport (peers see nodedown at once). */
function mk(name: string): KNode {
  const endpoint = net.endpoint(`${name}@mem`);
  endpoints.set(endpoint.node, endpoint);
  const n = createNode({ name: endpoint.node, distribution: endpoint, onStop: () => endpoint.close() });
  nodes.push(n);
  return n;
}
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
  net = new MemoryNetwork();
});
function until(f: () => boolean, ms = 5000): Promise<boolean> {
  return poll(f, { timeoutMs: ms, intervalMs: 5 });
}
async function mesh(...ns: KNode[]): Promise<void> {
  for (const n of ns.slice(1)) await ns[0]!.connect(n.name);
  await until(() => ns.every((n) => n.nodes().length === ns.length - 1));
}

/** Instances started on any node; a spec that starts a server answering `where` with its node. */
function counter(): { spec: (n: KNode, extra?: Partial<SingletonSpec>) => SingletonSpec; live: () => Pid[] } {
  const started: { node: KNode; pid: Pid }[] = [];
  return {
    spec: (n, extra) => ({
      start: () => {
        const pid = n.spawnHandler((msg, ctx) => {
          if (isCallMessage(msg)) ctx.reply(msg.from, n.name);
        });
        started.push({ node: n, pid });
        return pid;
      },
      ...extra,
    }),
    live: () => started.filter((s) => !s.node.stopped && s.node.isAlive(s.pid)).map((s) => s.pid),
  };
}

describe('Singleton', () => {
  it('runs exactly one instance among connected nodes, reachable by name from every node', async () => {
    const ns = ['a', 'b', 'c'].map(mk);
    await mesh(...ns);
    const c = counter();
    const handles = ns.map((n) => n.singleton('cron', c.spec(n)));
    await until(() => c.live().length === 1 && ns.every((n) => n.global.whereisName('cron') !== undefined));
    expect(c.live()).toHaveLength(1);
    const where = c.live()[0]!.node;
    for (const n of ns) expect(await n.global.call('cron', 'where')).toBe(where);
    expect(handles.filter((h) => h.local)).toHaveLength(1);
    expect(() => ns[0]!.singleton('cron', c.spec(ns[0]!))).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.NAME_TAKEN }),
    );
  });

  it('starts again elsewhere when its node stops, and restarts when the instance exits', async () => {
    const ns = ['a', 'b', 'c'].map(mk);
    await mesh(...ns);
    const c = counter();
    for (const n of ns) n.singleton('cron', c.spec(n));
    await until(() => c.live().length === 1);
    const first = c.live()[0]!;
    await ns.find((n) => n.name === first.node)!.stop();
    const rest = ns.filter((n) => !n.stopped);
    await until(() => c.live().length === 1 && rest.every((n) => n.global.whereisName('cron') !== undefined));
    const second = c.live()[0]!;
    expect(second.node).not.toBe(first.node);
    const owner = rest.find((n) => n.name === second.node)!;
    owner.exit(second, 'kill');
    await until(() => c.live().length === 1 && c.live()[0] !== second);
    expect(c.live()).toHaveLength(1);
  });

  it('a nodedown (not a clean stop) lets another node start it', async () => {
    const ns = ['a', 'b', 'c'].map(mk);
    await mesh(...ns);
    const c = counter();
    for (const n of ns) n.singleton('cron', c.spec(n));
    await until(() => c.live().length === 1);
    const owner = c.live()[0]!.node;
    // The owner's node drops off the network without a word, as a SIGKILLed node does (the processes of this
    // in-process stand-in keep running).
    endpoints.get(owner)!.kill();
    await until(() => c.live().length === 2);
    const elsewhere = c.live().filter((p) => p.node !== owner);
    expect(elsewhere).toHaveLength(1);
  });

  it('two sides that each started one keep one after they meet', async () => {
    const [a, b] = [mk('a'), mk('b')];
    const c = counter();
    a.singleton('cron', c.spec(a));
    b.singleton('cron', c.spec(b));
    await until(() => c.live().length === 2);
    await a.connect(b.name);
    await until(() => c.live().length === 1);
    const kept = c.live()[0]!;
    await until(() => [a, b].every((n) => n.global.whereisName('cron')?.toString() === kept.toString()));
  });

  it('stop() hands the instance over to another node', async () => {
    const [a, b] = [mk('a'), mk('b')];
    await mesh(a, b);
    const c = counter();
    const ha = a.singleton('cron', c.spec(a));
    const hb = b.singleton('cron', c.spec(b));
    await until(() => c.live().length === 1);
    const [from, to] = ha.local ? [ha, hb] : [hb, ha];
    from.stop();
    await until(() => to.local);
    expect(c.live()).toHaveLength(1);
  });

  it('with the majority guard, only a side that sees a majority of the known members runs it', async () => {
    const ns = ['a', 'b', 'c'].map(mk);
    await mesh(...ns);
    const c = counter();
    for (const n of ns) n.singleton('cron', c.spec(n, { majority: true }));
    await until(() => c.live().length === 1);
    // Stop the node running it: two of three remain, a majority, and one of them starts it.
    const first = c.live()[0]!.node;
    await ns.find((n) => n.name === first)!.stop();
    await until(() => c.live().length === 1 && c.live()[0]!.node !== first);
    // Stop the next one: the last node sees one of three members, so the instance stops and none starts.
    const second = c.live()[0]!.node;
    const last = ns.find((n) => !n.stopped && n.name !== second)!;
    await ns.find((n) => n.name === second)!.stop();
    await until(() => last.nodes().length === 0);
    const probe = last.spawn(async (ctx) => ctx.receive());
    // A registration that goes through proves the singleton's own lock attempts have had their turn.
    expect(await last.global.registerName('probe', probe)).toBe(true);
    expect(c.live()).toHaveLength(0);
    expect(last.global.whereisName('cron')).toBeUndefined();
  });

  it('checks its spec', () => {
    const a = mk('a');
    expect(() => a.singleton('x', {} as SingletonSpec)).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.RUNTIME_BAD_OPTION }),
    );
    expect(() => a.singleton('x', { start: () => a.spawn(() => {}), majority: 1 as never })).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.RUNTIME_BAD_OPTION }),
    );
  });

  it('an instance that ends at once is started again after a doubling wait, not in a loop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const a = mk('a');
      let starts = 0;
      a.singleton('flaky', {
        start: () => {
          starts++;
          return a.spawn(() => {});
        },
      });
      const settle = async () => {
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      };
      await vi.advanceTimersByTimeAsync(0);
      await settle();
      expect(starts).toBe(1);
      await vi.advanceTimersByTimeAsync(999);
      await settle();
      expect(starts).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      await settle();
      expect(starts).toBe(2);
      // The second quick end doubles the wait to 2 s.
      await vi.advanceTimersByTimeAsync(1_999);
      await settle();
      expect(starts).toBe(2);
      await vi.advanceTimersByTimeAsync(1);
      await settle();
      expect(starts).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
