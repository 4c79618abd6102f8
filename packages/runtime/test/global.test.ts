import { until as poll } from '@kindred/test-support';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  globalNameConflict,
  type KNode,
  MemoryNetwork,
  OP,
  Pid,
  pidEquals,
  RUNTIME_ERRORS,
} from '../src/index.js';

let net = new MemoryNetwork();
const nodes: KNode[] = [];
function mk(name: string): KNode {
  const n = createNode({ name: `${name}@mem`, distribution: net.endpoint(`${name}@mem`) });
  nodes.push(n);
  return n;
}
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
  net = new MemoryNetwork();
});
const idle = (n: KNode) => n.spawn(async (ctx) => ctx.receive());
function until(f: () => boolean, ms = 5000): Promise<boolean> {
  return poll(f, { timeoutMs: ms, intervalMs: 5 });
}
async function mesh(...ns: KNode[]): Promise<void> {
  for (const n of ns.slice(1)) await ns[0]!.connect(n.name);
  await until(() => ns.every((n) => n.nodes().length === ns.length - 1));
}
/** Every node sees `name` registered to `pid` (or free). */
const agree = (ns: KNode[], name: string, pid: Pid | undefined) =>
  ns.every((n) => {
    const w = n.global.whereisName(name);
    return pid === undefined ? w === undefined : w !== undefined && pidEquals(w, pid);
  });

describe('GlobalNames', () => {
  it('registers a name on every node, refuses it while taken, sends and calls by it, and unregisters everywhere', async () => {
    const [a, b, c] = [mk('a'), mk('b'), mk('c')];
    await mesh(a, b, c);
    const server = b.spawnHandler((msg, ctx) => {
      const m = msg as { type?: string; from?: never };
      if (m.type === '$gen_call') ctx.reply(m.from!, 'pong');
    });
    expect(await b.global.registerName('svc', server)).toBe(true);
    await until(() => agree([a, b, c], 'svc', server));
    expect(await a.global.registerName('svc', idle(a))).toBe(false);
    expect(await b.global.registerName('svc', idle(b))).toBe(false);
    expect(await c.global.call('svc', 'ping')).toBe('pong');
    expect(pidEquals(a.global.sendName('svc', 'hello'), server)).toBe(true);
    expect(c.global.registeredNames()).toEqual(['svc']);
    // Unregistered from a node that does not own it: the owner drops it everywhere.
    expect(c.global.unregisterName('svc')).toBe(true);
    await until(() => agree([a, b, c], 'svc', undefined));
    expect(c.global.unregisterName('svc')).toBe(false);
    expect(() => a.global.sendName('svc', 'x')).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.GLOBAL_NOT_REGISTERED }),
    );
    await expect(a.global.call('svc', 'x')).rejects.toMatchObject({
      code: RUNTIME_ERRORS.GLOBAL_NOT_REGISTERED,
    });
    expect(await c.global.registerName('svc', idle(c))).toBe(true);
  });

  it('checks its arguments', async () => {
    const a = mk('a');
    await expect(a.global.registerName('', idle(a))).rejects.toMatchObject({
      code: RUNTIME_ERRORS.RUNTIME_BAD_OPTION,
    });
    await expect(a.global.registerName('x', new Pid('b@mem', 1, 0, 1))).rejects.toMatchObject({
      code: RUNTIME_ERRORS.NOT_LOCAL,
    });
    await expect(a.global.registerName('x', new Pid(a.name, 99_999, 0, a.creation))).rejects.toMatchObject({
      code: RUNTIME_ERRORS.NOPROC,
    });
    await expect(a.global.registerName('x', idle(a), { resolve: 1 as never })).rejects.toMatchObject({
      code: RUNTIME_ERRORS.RUNTIME_BAD_OPTION,
    });
    expect(() => a.register('kindred_global', idle(a))).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.BAD_NAME }),
    );
  });

  it('of many nodes registering the same name at once, exactly one wins', async () => {
    const ns = ['a', 'b', 'c', 'd', 'e'].map(mk);
    await mesh(...ns);
    for (let round = 0; round < 5; round++) {
      const name = `race-${round}`;
      const pids = ns.map(idle);
      const won = await Promise.all(ns.map((n, i) => n.global.registerName(name, pids[i]!)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = pids[won.indexOf(true)]!;
      await until(() => agree(ns, name, winner));
      expect(agree(ns, name, winner)).toBe(true);
    }
  });

  it('registerNameWith starts one instance under the lock', async () => {
    const ns = ['a', 'b', 'c'].map(mk);
    await mesh(...ns);
    let started = 0;
    const got = await Promise.all(
      ns.map((n) =>
        n.global.registerNameWith('one', () => {
          started++;
          return idle(n);
        }),
      ),
    );
    expect(started).toBe(1);
    expect(got.filter((p) => p !== undefined)).toHaveLength(1);
  });

  it('frees a name everywhere when its owner exits', async () => {
    const [a, b, c] = [mk('a'), mk('b'), mk('c')];
    await mesh(a, b, c);
    const p = idle(c);
    expect(await c.global.registerName('x', p)).toBe(true);
    await until(() => agree([a, b, c], 'x', p));
    c.exit(p, 'kill');
    await until(() => agree([a, b, c], 'x', undefined));
    expect(agree([a, b, c], 'x', undefined)).toBe(true);
  });

  it('a nodedown frees the names of that node’s processes; a clean stop frees them at once', async () => {
    const [a, b, c] = [mk('a'), mk('b'), mk('c')];
    await mesh(a, b, c);
    const p = idle(c);
    const q = idle(b);
    await c.global.registerName('x', p);
    await b.global.registerName('y', q);
    await until(() => agree([a, b, c], 'x', p) && agree([a, b, c], 'y', q));
    net.partition(a.name, c.name);
    expect(a.global.whereisName('x')).toBeUndefined();
    expect(pidEquals(b.global.whereisName('x')!, p)).toBe(true);
    await b.stop();
    await until(() => agree([a, c], 'y', undefined));
  });

  it('a name registered on both sides of a partition is resolved on heal: one owner, the other exited', async () => {
    const [a, b, c] = [mk('a'), mk('b'), mk('c')];
    await a.connect(c.name);
    await until(() => a.nodes().length === 1);
    const pa = idle(a);
    const pb = idle(b);
    expect(await a.global.registerName('leader', pa)).toBe(true);
    expect(await b.global.registerName('leader', pb)).toBe(true);
    const downA = a.monitor(pa).down;
    const downB = b.monitor(pb).down;
    await b.connect(c.name);
    await until(() => [a, b, c].every((n) => n.nodes().length === 2));
    await until(() => a.isAlive(pa) !== b.isAlive(pb));
    const winner = a.isAlive(pa) ? pa : pb;
    await until(() => agree([a, b, c], 'leader', winner));
    const lost = await (winner === pa ? downB : downA);
    expect(lost.reason).toEqual(globalNameConflict('leader'));
    expect(a.global.stats().conflicts).toBe(1);
    expect(b.global.stats().conflicts + c.global.stats().conflicts).toBe(0);
  });

  it('a resolve function decides a conflict on the resolving node; keeping neither frees the name', async () => {
    const [a, b] = [mk('a'), mk('b')];
    const pa = idle(a);
    const pb = idle(b);
    const seen: [string, Pid, Pid][] = [];
    await a.global.registerName('n1', pa, {
      resolve: (name, x, y) => {
        seen.push([name, x, y]);
        return pb;
      },
    });
    await b.global.registerName('n1', pb);
    const qa = idle(a);
    const qb = idle(b);
    await a.global.registerName('n2', qa, { resolve: () => undefined });
    await b.global.registerName('n2', qb);
    await a.connect(b.name);
    await until(() => agree([a, b], 'n1', pb) && agree([a, b], 'n2', undefined));
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toBe('n1');
    // A custom resolve does not exit anyone: the losers keep running, unregistered.
    expect(a.isAlive(pa) && a.isAlive(qa) && b.isAlive(qb)).toBe(true);
  });

  it('drops and counts malformed messages and entries for other nodes’ pids', async () => {
    const a = mk('a');
    const evil = net.endpoint('evil@mem');
    await evil.connect(a.name);
    await until(() => a.nodes().length === 1);
    const send = (msg: unknown) => evil.send(a.name, [[OP.REG_SEND, '', '', 'kindred_global'], msg]);
    const stranger = new Pid('c@mem', 1, 0, 1);
    const mine = new Pid('evil@mem', 1, 0, 1);
    send(null);
    send({ type: 'nope' });
    send({ type: 'lock', name: 5, id: 1 });
    send({ type: 'register', name: 'x', pid: stranger });
    send({ type: 'sync', names: [['y', stranger], 'junk', ['z', mine]] });
    send({ type: 'resolve', name: 'z', pid: new Pid(a.name, 1, 0, a.creation) });
    send({ type: 'lock_reply', id: 12345, granted: true });
    await until(() => a.global.whereisName('z') !== undefined);
    expect(a.global.registeredNames()).toEqual(['z']);
    expect(a.global.stats()).toMatchObject({ droppedMessages: 3, droppedEntries: 5 });
    expect(a.stats().badControl).toBe(0);
  });

  it('survives any message a peer sends to kindred_global, and registers only that peer’s own pids', async () => {
    const a = mk('a');
    const evil = net.endpoint('evil@mem');
    await evil.connect(a.name);
    await until(() => a.nodes().length === 1);
    const pid = fc.oneof(
      fc.constant(new Pid('evil@mem', 1, 0, 1)),
      fc.constant(new Pid('c@mem', 1, 0, 1)),
      fc.constant(new Pid(a.name, 1, 0, a.creation)),
      fc.anything(),
    );
    const msg = fc.oneof(
      fc.anything(),
      fc.record({
        type: fc.constantFrom(
          'lock',
          'lock_reply',
          'unlock',
          'register',
          'unregister',
          'sync',
          'resolve',
          'release',
        ),
        name: fc.oneof(fc.string({ maxLength: 3 }), fc.anything()),
        id: fc.oneof(fc.integer(), fc.anything()),
        pid,
        names: fc.oneof(
          fc.array(fc.tuple(fc.string({ maxLength: 3 }), pid), { maxLength: 4 }),
          fc.anything(),
        ),
        granted: fc.anything(),
        taken: fc.anything(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(msg, { maxLength: 20 }), async (batch) => {
        for (const m of batch) evil.send(a.name, [[OP.REG_SEND, '', '', 'kindred_global'], m]);
        await new Promise((r) => setImmediate(r));
        for (const n of a.global.registeredNames()) expect(a.global.whereisName(n)!.node).toBe('evil@mem');
      }),
      { numRuns: 200 },
    );
    expect(a.stats().badControl).toBe(0);
    // Still works once the peer (which answers no lock request: it runs no name service) is gone, and what it
    // registered went with it.
    net.partition(a.name, evil.node);
    expect(a.global.registeredNames()).toEqual([]);
    expect(await a.global.registerName('after', idle(a))).toBe(true);
  });
});
