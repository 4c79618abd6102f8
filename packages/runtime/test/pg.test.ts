import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MemoryNetwork, Pid, RUNTIME_ERRORS } from '../src/index.js';
import { idle, memoryCluster, mesh, recorder, until } from './support.js';

const cluster = memoryCluster();
const mk = cluster.node;

describe('PgScope', () => {
  it('only local, live processes can join; a pid may join several times and leaves once per leave', () => {
    const a = mk('a');
    const p = idle(a);
    expect(() => a.pg.join('g', new Pid('other@mem', 1, 0, 1))).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.NOT_LOCAL }),
    );
    expect(() => a.pg.join('g', new Pid(a.name, 999_999, 0, a.creation))).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.NOPROC }),
    );
    expect(() => a.pg.join('', p)).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.RUNTIME_BAD_OPTION }),
    );
    a.pg.join('g', p);
    a.pg.join('g', p);
    expect(a.pg.members('g')).toHaveLength(2);
    a.pg.leave('g', p);
    expect(a.pg.localMembers('g')).toEqual([p]);
    expect(a.pg.groups()).toEqual(['g']);
  });

  it('scopes are independent across nodes, and a scope started later still syncs', async () => {
    const a = mk('a');
    const b = mk('b');
    const pa = idle(a);
    a.pgScope('chat').join('lobby', pa);
    await a.connect(b.name);
    await until(() => b.nodes().length === 1);
    // b starts the scope after the nodeup: its discover brings a's members.
    await until(() => b.pgScope('chat').members('lobby').length === 1);
    expect(b.pg.members('lobby')).toEqual([]);
    const pb = idle(b);
    b.pgScope('chat').join('lobby', pb);
    await until(() => a.pgScope('chat').members('lobby').length === 2);
  });

  it('ignores malformed scope messages and pids a peer claims for another node', async () => {
    const a = mk('a');
    const evil = cluster.net.endpoint('evil@mem');
    await evil.connect(a.name);
    const sys = new Pid('evil@mem', 0, 0, 1);
    const frame = (msg: unknown) => [[6, sys, '', 'pg'], msg];
    evil.send(a.name, frame({ type: 'discover' }));
    evil.send(a.name, frame({ type: 'sync', groups: 'nope' }));
    evil.send(
      a.name,
      frame({ type: 'sync', groups: [['g', [new Pid(a.name, 1, 0, a.creation)]], [1, 2], null] }),
    );
    evil.send(a.name, frame({ type: 'join', group: 'g', pids: [new Pid('evil@mem', 5, 0, 1), 'x'] }));
    evil.send(a.name, frame({ type: 'leave', group: 7, pids: null }));
    evil.send(a.name, frame(null));
    await until(() => a.pg.members('g').length === 1);
    expect(a.pg.members('g')).toEqual([new Pid('evil@mem', 5, 0, 1)]);
    evil.kill();
    await until(() => a.pg.members('g').length === 0);
  });
});

describe('PgScope indexes (a reference model)', () => {
  type Cmd =
    | { t: 'join' | 'leave'; g: number; slots: number[] }
    | { t: 'exit'; slots: number[] }
    | { t: 'yield' };
  const slots = fc.array(fc.nat(3), { minLength: 1, maxLength: 4 });
  const cmd: fc.Arbitrary<Cmd> = fc.oneof(
    fc.record({ t: fc.constant('join' as const), g: fc.nat(2), slots }),
    fc.record({ t: fc.constant('leave' as const), g: fc.nat(2), slots }),
    fc.record({ t: fc.constant('exit' as const), slots }),
    fc.constant({ t: 'yield' as const }),
  );
  const bag = (pids: readonly Pid[]) => pids.map(String).sort();

  it('joins, leaves and exits match a list-per-group model, here and on a peer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { maxLength: 40 }), async (cmds) => {
        await cluster.stop();
        const a = mk('a');
        const b = mk('b');
        await a.connect(b.name);
        const pool = [idle(a), idle(a), idle(a), idle(a)];
        // The reference: Erlang pg's own representation, a list per group with a pid once per join.
        const model = new Map<string, Pid[]>();
        const removeOnce = (g: string, p: Pid): boolean => {
          const list = model.get(g) ?? [];
          const i = list.findIndex((x) => String(x) === String(p));
          if (i < 0) return false;
          list.splice(i, 1);
          if (list.length === 0) model.delete(g);
          return true;
        };
        for (const c of cmds) {
          if (c.t === 'yield') {
            await new Promise((r) => setImmediate(r));
            continue;
          }
          if (c.t === 'exit') {
            // In one synchronous loop, as a burst of exits comes.
            for (const s of c.slots) {
              const p = pool[s]!;
              if (!a.isAlive(p)) continue;
              a.exit(p, 'kill');
              for (const [g, list] of model) {
                const kept = list.filter((x) => String(x) !== String(p));
                if (kept.length === 0) model.delete(g);
                else model.set(g, kept);
              }
              pool[s] = idle(a);
            }
            continue;
          }
          const g = `g${c.g}`;
          const pids = c.slots.map((s) => pool[s]!);
          if (c.t === 'join') {
            a.pg.join(g, pids);
            model.set(g, [...(model.get(g) ?? []), ...pids]);
          } else {
            let any = false;
            for (const p of pids) any = removeOnce(g, p) || any;
            expect(a.pg.leave(g, pids)).toBe(any);
          }
          for (const name of ['g0', 'g1', 'g2']) {
            expect(bag(a.pg.localMembers(name))).toEqual(bag(model.get(name) ?? []));
            expect(bag(a.pg.members(name))).toEqual(bag(model.get(name) ?? []));
          }
          expect(a.pg.groups().sort()).toEqual([...model.keys()].sort());
        }
        // The peer's copy converges to the same multisets (joins, leaves and batched exit leaves, in order).
        const same = () =>
          ['g0', 'g1', 'g2'].every(
            (name) => bag(b.pg.members(name)).join() === bag(model.get(name) ?? []).join(),
          ) && b.pg.groups().sort().join() === [...model.keys()].sort().join();
        await until(same);
        expect(b.pg.stats()).toEqual({ droppedMessages: 0, droppedEntries: 0 });
        await cluster.stop();
      }),
      { numRuns: 40 },
    );
  });
});

describe('PgScope and a hostile peer', () => {
  const frame = (msg: unknown) => [[6, new Pid('evil@mem', 0, 0, 1), '', 'pg'], msg];
  const evilPid = (id: number) => new Pid('evil@mem', id, 0, 1);

  it('takes a huge join and leave in any order, keeping only pids of the sender and counting the rest', async () => {
    const a = mk('a');
    const evil = cluster.net.endpoint('evil@mem');
    await evil.connect(a.name);
    evil.send(a.name, frame({ type: 'discover' }));
    const junk = ['x', 7, null, {}, [1, 2], new Pid(a.name, 1, 0, a.creation), new Pid('third@mem', 1, 0, 1)];
    const n = 30_000;
    const entries: unknown[] = [];
    for (let i = 1; i <= n; i++) {
      entries.push(evilPid(i));
      if (i % 1000 === 0) entries.push(...junk);
    }
    const junkCount = (n / 1000) * junk.length;
    // A pid joins as many times as it is listed, and must leave as many times.
    entries.push(evilPid(1), evilPid(1));
    evil.send(a.name, frame({ type: 'join', group: 'big', pids: entries }));
    await until(() => a.pg.members('big').length === n + 2);
    expect(a.pg.stats()).toEqual({ droppedMessages: 0, droppedEntries: junkCount });
    evil.send(
      a.name,
      frame({ type: 'leave', group: 'big', pids: [evilPid(1), ...entries.slice(0, -2).reverse()] }),
    );
    await until(() => a.pg.members('big').length === 1);
    expect(a.pg.members('big')).toEqual([evilPid(1)]);
    expect(a.pg.stats()).toEqual({ droppedMessages: 0, droppedEntries: 2 * junkCount });
    // The node still works.
    const p = idle(a);
    a.pg.join('big', p);
    expect(a.pg.members('big')).toHaveLength(2);
  });

  it('keeps pids of the peer that differ only in creation, or in ids and serials beyond 28 and 25 bits, apart', async () => {
    const a = mk('a');
    const evil = cluster.net.endpoint('evil@mem');
    await evil.connect(a.name);
    evil.send(a.name, frame({ type: 'discover' }));
    const max = 0xffffffff;
    const pids = [
      new Pid('evil@mem', 5, 0, 1),
      new Pid('evil@mem', 5, 0, 2),
      new Pid('evil@mem', 2 ** 28, 0, 1),
      new Pid('evil@mem', 0, 1, 1),
      new Pid('evil@mem', 5, 2 ** 25, 1),
      new Pid('evil@mem', 5, 2 ** 25 + 1, 1),
      new Pid('evil@mem', max, max, 1),
      new Pid('evil@mem', max, max, max),
    ];
    evil.send(a.name, frame({ type: 'join', group: 'g', pids }));
    await until(() => a.pg.members('g').length === pids.length);
    for (const [i, p] of pids.entries()) {
      evil.send(a.name, frame({ type: 'leave', group: 'g', pids: [p] }));
      await until(() => a.pg.members('g').length === pids.length - i - 1);
      expect(a.pg.members('g')).toEqual(pids.slice(i + 1));
    }
  });

  it('counts malformed messages and a join from a peer that has not discovered the scope', async () => {
    const a = mk('a');
    const evil = cluster.net.endpoint('evil@mem');
    await evil.connect(a.name);
    evil.send(a.name, frame({ type: 'join', group: 'g', pids: [evilPid(1)] }));
    evil.send(a.name, frame(null));
    evil.send(a.name, frame('discover'));
    evil.send(a.name, frame({ type: 'nope' }));
    evil.send(a.name, frame({ type: 'leave', group: 'g', pids: 'all' }));
    evil.send(a.name, frame({ type: 'sync', groups: [['g', [evilPid(2), 'y']], 'z', ['h', 5], ['', []]] }));
    await until(() => a.pg.members('g').length === 1);
    expect(a.pg.members('g')).toEqual([evilPid(2)]);
    expect(a.pg.groups()).toEqual(['g']);
    expect(a.pg.stats()).toEqual({ droppedMessages: 5, droppedEntries: 3 });
  });
});

describe('PgScope leaves on the wire', () => {
  const frame = (msg: unknown) => [[6, new Pid('evil@mem', 0, 0, 1), '', 'pg'], msg];
  /** The pg messages a peer endpoint receives from `a`. */
  function listen(evil: ReturnType<MemoryNetwork['endpoint']>): unknown[] {
    const got: unknown[] = [];
    evil.on('message', (_from: string, f: unknown) => {
      const [ctl, msg] = f as [unknown[], unknown];
      if (ctl[3] === 'pg') got.push(msg);
    });
    return got;
  }

  it('members exiting in one turn leave in one message per group, each pid once per join', async () => {
    const a = mk('a');
    const evil = cluster.net.endpoint('evil@mem');
    const got = listen(evil);
    await evil.connect(a.name);
    evil.send(a.name, frame({ type: 'discover' }));
    await until(() => got.some((m) => (m as { type: string }).type === 'sync'));
    const [p, q, r] = [idle(a), idle(a), idle(a)];
    a.pg.join('g', p);
    a.pg.join('g', [q, q]);
    a.pg.join('h', q);
    a.pg.join('h', r);
    await until(() => got.some((m) => isDeepStrictEqual(m, { type: 'join', group: 'h', pids: [r] })));
    got.length = 0;
    a.exit(p, 'kill');
    a.exit(q, 'kill');
    await until(() => got.length === 2);
    expect(got).toEqual([
      { type: 'leave', group: 'g', pids: [p, q, q] },
      { type: 'leave', group: 'h', pids: [q] },
    ]);
    expect(a.pg.members('g')).toEqual([]);
    expect(a.pg.members('h')).toEqual([r]);
    // A join after exits goes out after their leaves.
    const s = idle(a);
    got.length = 0;
    a.exit(r, 'kill');
    a.pg.join('h', s);
    await until(() => got.length === 2);
    expect(got).toEqual([
      { type: 'leave', group: 'h', pids: [r] },
      { type: 'join', group: 'h', pids: [s] },
    ]);
  });

  it('splits a burst of exits into leaves of at most 2,000 pids, and stop() still tells peers', async () => {
    const a = mk('a');
    const evil = cluster.net.endpoint('evil@mem');
    const got = listen(evil);
    await evil.connect(a.name);
    evil.send(a.name, frame({ type: 'discover' }));
    await until(() => got.length > 0);
    const pids = Array.from({ length: 10_001 }, () => idle(a));
    a.pg.join('g', pids);
    const q = idle(a);
    a.pg.join('h', q);
    await until(() => got.some((m) => isDeepStrictEqual(m, { type: 'join', group: 'h', pids: [q] })));
    got.length = 0;
    for (const p of pids) a.exit(p, 'kill');
    await until(() => got.length === 6);
    const sizes = got.map((m) => (m as { pids: unknown[] }).pids.length);
    expect(sizes).toEqual([2000, 2000, 2000, 2000, 2000, 1]);
    expect(got.flatMap((m) => (m as { pids: Pid[] }).pids)).toEqual(pids);
    got.length = 0;
    await a.stop();
    await until(() => got.length === 1);
    expect(got).toEqual([{ type: 'leave', group: 'h', pids: [q] }]);
  });
});

describe('PgScope broadcast', () => {
  const frame = (msg: unknown) => [[6, new Pid('evil@mem', 0, 0, 1), '', 'pg'], msg];

  it('reaches every member on 3 nodes once per join, with one message per peer node', async () => {
    const [a, b, c] = [mk('a'), mk('b'), mk('c')];
    await mesh(a, b, c);
    const rs = [a, b, c].map((n) => [recorder(n), recorder(n)]);
    for (const [i, n] of [a, b, c].entries()) n.pg.join('room', [rs[i]![0]!.pid, rs[i]![1]!.pid]);
    b.pg.join('room', rs[1]![0]!.pid);
    await until(() => [a, b, c].every((n) => n.pg.members('room').length === 7));
    const sent = [b, c].map((n) => cluster.endpoints.get(n.name)!);
    const frames = sent.map(() => 0);
    // Frames from a that carry the broadcast: sends of it, or a `bcast` with it.
    const carries = (m: unknown) =>
      isDeepStrictEqual(m, { hello: 1 }) || (m as { type?: unknown }).type === 'bcast';
    for (const [i, e] of sent.entries())
      e.on('message', (from: string, f: unknown) => {
        if (from === a.name && carries((f as unknown[])[1])) frames[i]!++;
      });
    expect(a.broadcast('room', { hello: 1 })).toBe(7);
    await until(() => rs.flat().every((r) => r.got.length >= 1) && rs[1]![0]!.got.length === 2);
    expect(rs.flat().map((r) => r.got)).toEqual([
      [{ hello: 1 }],
      [{ hello: 1 }],
      [{ hello: 1 }, { hello: 1 }],
      [{ hello: 1 }],
      [{ hello: 1 }],
      [{ hello: 1 }],
    ]);
    // One frame to each peer for its three and two members.
    expect(frames).toEqual([1, 1]);
  });

  it('sends one message per member to a peer that did not say it fans out (a BEAM node, an older kindred)', async () => {
    const a = mk('a');
    const evil = cluster.net.endpoint('evil@mem');
    const got: unknown[][] = [];
    evil.on('message', (_from: string, f: unknown) => got.push(f as unknown[]));
    // What evil got: sends carrying `msg` (pid, msg), `bcast`s carrying it, and how many syncs so far.
    const sends = (msg: string) =>
      got
        .filter(([ctl, m]) => (ctl as unknown[])[3] !== 'pg' && m === msg)
        .map(([ctl]) => (ctl as unknown[])[2]);
    const bcasts = (msg: string) =>
      got.filter(([, m]) => (m as { msg?: unknown }).msg === msg).map(([, m]) => m);
    const syncs = () => got.filter(([, m]) => (m as { type?: unknown }).type === 'sync').length;
    await evil.connect(a.name);
    const members = [new Pid('evil@mem', 5, 0, 1), new Pid('evil@mem', 6, 0, 1)];
    evil.send(a.name, frame({ type: 'discover' }));
    evil.send(a.name, frame({ type: 'join', group: 'g', pids: members }));
    await until(() => a.pg.members('g').length === 2);
    expect(a.broadcast('g', 'x')).toBe(2);
    await until(() => sends('x').length === 2);
    expect(sends('x')).toEqual(members);
    expect(bcasts('x')).toEqual([]);
    // Once it says it does (its next discover), one `bcast` for both.
    let n = syncs();
    evil.send(a.name, frame({ type: 'discover', bcast: true }));
    await until(() => syncs() > n);
    expect(a.broadcast('g', 'y')).toBe(2);
    await until(() => bcasts('y').length === 1);
    expect(bcasts('y')).toEqual([{ type: 'bcast', group: 'g', msg: 'y' }]);
    expect(sends('y')).toEqual([]);
    // And a discover without the flag (a restarted older node) turns it off again.
    n = syncs();
    evil.send(a.name, frame({ type: 'sync', groups: [['g', members]] }));
    evil.send(a.name, frame({ type: 'discover' }));
    await until(() => syncs() > n);
    expect(a.broadcast('g', 'z')).toBe(2);
    await until(() => sends('z').length === 2);
    expect(bcasts('z')).toEqual([]);
  });

  it('a member that left on its node before the broadcast arrived does not get it', async () => {
    const [a, b] = [mk('a'), mk('b')];
    await mesh(a, b);
    const [x, y] = [recorder(b), recorder(b)];
    b.pg.join('g', [x.pid, y.pid]);
    await until(() => a.pg.members('g').length === 2);
    // In one turn: b's leave has not reached a, so a's view still has x.
    b.pg.leave('g', x.pid);
    expect(a.broadcast('g', 'news')).toBe(2);
    a.send(x.pid, 'after');
    await until(() => y.got.length === 1 && x.got.length === 1);
    expect(y.got).toEqual(['news']);
    expect(x.got).toEqual(['after']);
    await until(() => a.pg.members('g').length === 1);
  });

  it('keeps the order of one sender: broadcasts and sends arrive as made, on every node', async () => {
    const [a, b, c] = [mk('a'), mk('b'), mk('c')];
    await mesh(a, b, c);
    const rs = [recorder(a), recorder(b), recorder(c)];
    for (const [i, n] of [a, b, c].entries()) n.pg.join('g', rs[i]!.pid);
    await until(() => a.pg.members('g').length === 3);
    const expected: number[][] = [[], [], []];
    for (let k = 0; k < 200; k++) {
      if (k % 3 === 0) {
        a.send(rs[k % 2 === 0 ? 1 : 2]!.pid, k);
        expected[k % 2 === 0 ? 1 : 2]!.push(k);
      } else {
        a.broadcast('g', k);
        for (const e of expected) e.push(k);
      }
    }
    await until(() => rs.every((r, i) => r.got.length === expected[i]!.length));
    expect(rs.map((r) => r.got)).toEqual(expected);
  });
});

describe('PgScope joins and leaves batched per turn for peers that fan out', () => {
  const frame = (msg: unknown) => [[6, new Pid('evil@mem', 0, 0, 1), '', 'pg'], msg];
  const key = (p: Pid) => p.serial * 2 ** 28 + p.id;

  it('sends one turn’s joins and leaves as one ops message, in order, pids as keys; exit leaves keep their place', async () => {
    const a = mk('a');
    const evil = cluster.net.endpoint('evil@mem');
    // The membership changes a sends (not its discover and sync).
    const got: unknown[] = [];
    let synced = false;
    evil.on('message', (_from: string, f: unknown) => {
      const [ctl, msg] = f as [unknown[], { type?: unknown }];
      if (ctl[3] !== 'pg') return;
      if (msg.type === 'sync') synced = true;
      if (['ops', 'join', 'leave'].includes(msg.type as string)) got.push(msg);
    });
    await evil.connect(a.name);
    evil.send(a.name, frame({ type: 'discover', bcast: true }));
    await until(() => synced);
    const [p, q, r] = [idle(a), idle(a), idle(a)];
    a.pg.join('g', p);
    a.pg.join('g', [q, q]);
    a.pg.leave('g', q);
    a.pg.join('h', r);
    await until(() => got.length === 1);
    expect(got).toEqual([
      {
        type: 'ops',
        creation: a.creation,
        ops: ['join', 'g', [key(p), key(q), key(q)], 'leave', 'g', [key(q)], 'join', 'h', [key(r)]],
      },
    ]);
    got.length = 0;
    // A join, an exit and a join in one turn: the batch goes before the exit's leave, the next join after it.
    const s = idle(a);
    a.pg.join('h', s);
    a.exit(r, 'kill');
    a.pg.join('g', s);
    await until(() => got.length === 3);
    expect(got).toEqual([
      { type: 'ops', creation: a.creation, ops: ['join', 'h', [key(s)]] },
      { type: 'leave', group: 'h', pids: [r] },
      { type: 'ops', creation: a.creation, ops: ['join', 'g', [key(s)]] },
    ]);
  });

  it('applies a peer’s ops in order and counts what is malformed', async () => {
    const a = mk('a');
    const evil = cluster.net.endpoint('evil@mem');
    await evil.connect(a.name);
    const pid = (id: number) => new Pid('evil@mem', id, 0, 7);
    evil.send(a.name, frame({ type: 'ops', creation: 7, ops: ['join', 'g', [5]] }));
    evil.send(a.name, frame({ type: 'discover', bcast: true }));
    evil.send(
      a.name,
      frame({
        type: 'ops',
        creation: 7,
        ops: [
          'join',
          'g',
          [5, 6, 2 ** 28 + 1, -1, 'x'],
          'leave',
          'g',
          [6],
          'nope',
          'g',
          [5],
          'join',
          1,
          [5],
          'join',
        ],
      }),
    );
    evil.send(a.name, frame({ type: 'ops', creation: -1, ops: [] }));
    await until(() => a.pg.stats().droppedMessages === 2);
    expect(new Set(a.pg.members('g').map(String))).toEqual(
      new Set([pid(5), new Pid('evil@mem', 1, 1, 7)].map(String)),
    );
    expect(a.pg.stats()).toEqual({ droppedMessages: 2, droppedEntries: 5 });
  });

  it('three nodes converge under interleaved joins, leaves and exits', async () => {
    const ns = [mk('a'), mk('b'), mk('c')];
    await mesh(...ns);
    const pools = ns.map((n) => Array.from({ length: 20 }, () => idle(n)));
    for (let turn = 0; turn < 30; turn++) {
      for (const [i, n] of ns.entries()) {
        const pool = pools[i]!;
        for (let k = 0; k < 10; k++) {
          const p = pool[(turn * 7 + k) % pool.length]!;
          const g = `g${(turn + k) % 4}`;
          if ((turn + k) % 3 === 2) n.pg.leave(g, p);
          else n.pg.join(g, p);
        }
        if (turn % 10 === 9) {
          n.exit(pool[turn % pool.length]!, 'kill');
          pool[turn % pool.length] = idle(n);
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    const view = (n: (typeof ns)[0]) =>
      n.pg
        .groups()
        .sort()
        .map((g) => `${g}:${n.pg.members(g).map(String).sort().join(',')}`)
        .join(';');
    // The truth: every node's own members, which no message can get wrong.
    const truth = () => {
      const groups = [...new Set(ns.flatMap((n) => n.pg.groups()))].sort();
      return groups
        .map((g) => [
          g,
          ns
            .flatMap((n) => n.pg.localMembers(g))
            .map(String)
            .sort()
            .join(','),
        ])
        .filter(([, m]) => m !== '')
        .map(([g, m]) => `${g}:${m}`)
        .join(';');
    };
    expect(truth()).not.toBe('');
    await until(() => ns.every((n) => view(n) === truth()));
  });
});
