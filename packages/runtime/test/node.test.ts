import { EventEmitter } from 'node:events';
import { isKindredError, KindredError } from '@kindred/dns';
import { until as poll, settle } from '@kindred/test-support';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  type Distribution,
  type DownMessage,
  type ExitMessage,
  isCallMessage,
  isDownMessage,
  isExitMessage,
  type KNode,
  MEMORY_MESSAGE_OVERHEAD_BYTES,
  MemoryNetwork,
  type NodeOptions,
  OP,
  Pid,
  ProcessExitedError,
  Ref,
  RUNTIME_DEFAULTS,
  RUNTIME_ERRORS,
  type SpawnOptions,
  TIMEOUT,
} from '../src/index.js';

const nodes: KNode[] = [];
function mk(opts: Partial<Parameters<typeof createNode>[0]> = {}): KNode {
  const n = createNode({ name: 'a@127.0.0.1', ...opts });
  nodes.push(n);
  return n;
}
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});

/** Resolves with what a process receives, via a probe process. */
function probe(node: KNode): {
  pid: Pid;
  next: (pattern?: (m: unknown) => boolean, t?: number) => Promise<unknown>;
} {
  const inbox: unknown[] = [];
  const waiters: Array<() => void> = [];
  const pid = node.spawn(async (ctx) => {
    for (;;) {
      inbox.push(await ctx.receive());
      for (const w of waiters.splice(0)) w();
    }
  });
  const next = async (pattern: (m: unknown) => boolean = () => true, t = 2000): Promise<unknown> => {
    const deadline = Date.now() + t;
    for (;;) {
      const i = inbox.findIndex(pattern);
      if (i >= 0) return inbox.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error('probe: nothing matched in time');
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 20);
      });
    }
  };
  return { pid, next };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('options', () => {
  it('rejects bad options naming the option', () => {
    expect(() => createNode({ name: 'nohost' })).toThrow(/name/);
    try {
      createNode({ name: 'a@h', maxMailboxSize: 0 });
      expect.unreachable();
    } catch (e) {
      expect(isKindredError(e, RUNTIME_ERRORS.RUNTIME_BAD_OPTION)).toBe(true);
      expect(String(e)).toMatch(/maxMailboxSize/);
    }
  });
});

describe('spawn, send, receive', () => {
  it('delivers in order and supports selective receive leaving the rest in order', async () => {
    const node = mk();
    const got: unknown[] = [];
    const done = new Promise<void>((resolve) => {
      const pid = node.spawn(async (ctx) => {
        got.push(await ctx.receive((m) => m === 'c'));
        got.push(await ctx.receive());
        got.push(await ctx.receive());
        got.push(await ctx.receive());
        resolve();
      });
      for (const m of ['a', 'b', 'c', 'd']) node.send(pid, m);
    });
    await done;
    expect(got).toEqual(['c', 'a', 'b', 'd']);
  });

  it('times out with TIMEOUT and keeps unmatched messages', async () => {
    const node = mk();
    const r = await new Promise((resolve) => {
      const pid = node.spawn(async (ctx) => {
        const t = await ctx.receive((m) => m === 'never', 30);
        resolve([t, ctx.mailboxSize(), await ctx.receive()]);
      });
      node.send(pid, 'x');
    });
    expect(r).toEqual([TIMEOUT, 1, 'x']);
  });

  it('Infinity is no timeout for receive and call', async () => {
    const node = mk();
    const srv = node.spawn(async (ctx) => {
      const m = await ctx.receive(isCallMessage, Number.POSITIVE_INFINITY);
      if (m !== TIMEOUT) ctx.reply(m.from, 'ok');
    });
    expect(await node.call(srv, 'x', Number.POSITIVE_INFINITY)).toBe('ok');
  });

  it('a receive with timeout 0 polls', async () => {
    const node = mk();
    const r = await new Promise((resolve) => {
      node.spawn(async (ctx) => resolve(await ctx.receive(undefined, 0)));
    });
    expect(r).toBe(TIMEOUT);
  });

  it('refuses a second concurrent receive', async () => {
    const node = mk();
    const err = await new Promise((resolve) => {
      node.spawn(async (ctx) => {
        void ctx.receive();
        await ctx.receive().catch(resolve);
      });
    });
    expect(isKindredError(err, RUNTIME_ERRORS.RECEIVE_PENDING)).toBe(true);
  });

  it('sends to a registered name; unknown names and dead pids drop silently', async () => {
    const node = mk();
    const p = probe(node);
    node.register('svc', p.pid);
    expect(node.whereis('svc')).toEqual(p.pid);
    node.send('svc', 1);
    node.send({ name: 'svc', node: node.name }, 2);
    node.send('nobody', 3);
    expect(await p.next()).toBe(1);
    expect(await p.next()).toBe(2);
    expect(() => node.send(42 as never, 'x')).toThrow(/pid/);
  });

  it('a receive pattern that throws crashes the receiver, never the sender', async () => {
    const node = mk();
    const pid = node.spawn(async (ctx) => {
      await ctx.receive((m) => (m as { x: { y: number } }).x.y === 1);
    });
    const mon = node.monitor(pid);
    await tick();
    expect(() => node.send(pid, 'no x here')).not.toThrow();
    expect((await mon.down).reason).toMatchObject({ error: 'TypeError' });
  });

  it('a process that returns exits normal and leaves nothing behind', async () => {
    const node = mk();
    const pid = node.spawn(async () => {}, { name: 'short' });
    await tick();
    await tick();
    expect(node.isAlive(pid)).toBe(false);
    expect(node.whereis('short')).toBeUndefined();
  });
});

describe('registry', () => {
  it('enforces Erlang register rules', () => {
    const node = mk();
    const a = node.spawn(async (c) => c.receive());
    const b = node.spawn(async (c) => c.receive());
    node.register('x', a);
    expect(() => node.register('x', b)).toThrow(expect.objectContaining({ code: RUNTIME_ERRORS.NAME_TAKEN }));
    expect(() => node.register('y', a)).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.ALREADY_REGISTERED }),
    );
    expect(() => node.register('rex', b)).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.NAME_TAKEN }),
    );
    expect(() => node.register('kindred_net', b)).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.BAD_NAME }),
    );
    expect(node.unregister('x')).toBe(true);
    expect(node.unregister('x')).toBe(false);
    node.register('y', a);
    expect(node.registered()).toContain('y');
  });
});

describe('links and exit signals', () => {
  it('a crash kills linked processes; a trapping process gets an EXIT message', async () => {
    const node = mk();
    const got = new Promise<ExitMessage>((resolve) => {
      node.spawn(async (ctx) => {
        ctx.trapExit(true);
        const middle = ctx.spawn(
          async (c2) => {
            c2.spawn(
              async () => {
                throw new Error('boom');
              },
              { link: true },
            );
            await c2.receive();
          },
          { link: true },
        );
        const m = await ctx.receive(isExitMessage);
        expect(m.from).toEqual(middle);
        resolve(m);
      });
    });
    const m = await got;
    expect(m.reason).toEqual({ error: 'Error', message: 'boom' });
  });

  it("'normal' exits do not kill links; kill is untrappable and propagates 'killed'", async () => {
    const node = mk();
    const watcher = probe(node);
    const a = node.spawn(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(watcher.pid);
      for (;;) await ctx.receive();
    });
    const b = node.spawn(async (ctx) => {
      ctx.link(a);
      await ctx.receive();
    });
    await tick();
    node.exit(b, 'normal');
    await tick();
    expect(node.isAlive(b)).toBe(true);
    node.exit(a, 'kill');
    await tick();
    expect(node.isAlive(a)).toBe(false);
    // b was linked to a: it dies with 'killed' (not trapping).
    expect(node.isAlive(b)).toBe(false);
    expect(node.isAlive(watcher.pid)).toBe(false);
  });

  it("a linked process exiting with reason 'kill' is a trappable signal; others die with 'kill' (as erl does)", async () => {
    const node = mk();
    const trapper = await new Promise<ExitMessage>((resolve) => {
      node.spawn(async (ctx) => {
        ctx.trapExit(true);
        ctx.spawn((c) => c.exit('kill'), { link: true });
        resolve(await ctx.receive(isExitMessage));
      });
    });
    expect(trapper.reason).toBe('kill');
    const victim = node.spawn(async (ctx) => {
      ctx.spawn(
        async (c) => {
          await c.receive();
          c.exit('kill');
        },
        { link: true, name: 'killer' },
      );
      await ctx.receive();
    });
    const mon = node.monitor(victim);
    await tick();
    node.send('killer', 'go');
    expect((await mon.down).reason).toBe('kill');
  });

  it('exit(pid, reason) is converted to a message when trapping', async () => {
    const node = mk();
    const m = await new Promise<ExitMessage>((resolve) => {
      const pid = node.spawn(async (ctx) => {
        ctx.trapExit(true);
        resolve(await ctx.receive(isExitMessage));
      });
      setImmediate(() => node.exit(pid, 'shutdown'));
    });
    expect(m.reason).toBe('shutdown');
  });

  it('ctx.exit(reason) ends the process with that reason, seen by monitors', async () => {
    const node = mk();
    const pid = node.spawn(async (ctx) => {
      await ctx.receive();
      ctx.exit('bye');
    });
    const mon = node.monitor(pid);
    node.send(pid, 'go');
    expect((await mon.down).reason).toBe('bye');
  });

  it('link to a dead process: exit signal noproc (dies, or an EXIT message when trapping), as erl does', async () => {
    const node = mk();
    const dead = node.spawn(() => {});
    await tick();
    const linker = node.spawn(async (ctx) => {
      ctx.link(dead);
      await ctx.receive();
    });
    const mon = node.monitor(linker);
    expect((await mon.down).reason).toBe('noproc');
    const r = await new Promise((resolve) => {
      node.spawn(async (ctx) => {
        ctx.trapExit(true);
        ctx.link(dead);
        resolve(await ctx.receive(isExitMessage));
      });
    });
    expect(r).toEqual({ type: 'EXIT', from: dead, reason: 'noproc' });
  });

  it('unlink removes the link both ways', async () => {
    const node = mk();
    const a = node.spawn(async (ctx) => ctx.receive());
    const b = node.spawn(async (ctx) => {
      ctx.link(a);
      ctx.unlink(a);
      await ctx.receive();
    });
    await tick();
    node.exit(a, 'crash');
    await tick();
    expect(node.isAlive(b)).toBe(true);
  });

  it('a long chain of linked processes dies without overflowing the stack', async () => {
    const node = mk();
    const first = node.spawn(async (ctx) => ctx.receive());
    let prev = first;
    const pids = [first];
    for (let i = 0; i < 50_000; i++) {
      const p = node.spawn(async (ctx) => ctx.receive());
      node.link(p, prev);
      pids.push(p);
      prev = p;
    }
    await tick();
    node.exit(first, 'crash');
    expect(pids.every((p) => !node.isAlive(p))).toBe(true);
    expect(node.stats().processes).toBe(1); // rex
  });
});

describe('monitors', () => {
  it('DOWN carries the reason; noproc for a dead pid and an unknown name', async () => {
    const node = mk();
    const r = await new Promise<DownMessage[]>((resolve) => {
      node.spawn(async (ctx) => {
        const child = ctx.spawn(async (c) => {
          await c.receive();
          throw new Error('bad');
        });
        const ref = ctx.monitor(child);
        ctx.send(child, 'go');
        const d1 = await ctx.receive((m): m is DownMessage => isDownMessage(m) && m.ref === ref);
        ctx.monitor(child);
        const d2 = await ctx.receive(isDownMessage);
        ctx.monitor('nobody');
        const d3 = await ctx.receive(isDownMessage);
        resolve([d1, d2, d3]);
      });
    });
    expect(r[0]!.reason).toEqual({ error: 'Error', message: 'bad' });
    expect(r[1]!.reason).toBe('noproc');
    expect(r[2]).toMatchObject({ item: { name: 'nobody', node: node.name }, reason: 'noproc' });
  });

  it('demonitor with flush removes a DOWN already queued', async () => {
    const node = mk();
    const size = await new Promise((resolve) => {
      node.spawn(async (ctx) => {
        const c = ctx.spawn(() => {});
        const ref = ctx.monitor(c);
        await ctx.receive(() => false, 20);
        const before = ctx.mailboxSize();
        ctx.demonitor(ref, { flush: true });
        resolve([before, ctx.mailboxSize()]);
      });
    });
    expect(size).toEqual([1, 0]);
  });
});

describe('call', () => {
  function server(node: KNode, name?: string): Pid {
    return node.spawn(
      async (ctx) => {
        for (;;) {
          const m = await ctx.receive(isCallMessage);
          const req = m.request as { op: string; x?: number };
          if (req.op === 'double') ctx.reply(m.from, (req.x ?? 0) * 2);
          if (req.op === 'crash') throw new Error('server crash');
          // 'ignore': never replies
        }
      },
      name === undefined ? {} : { name },
    );
  }

  it('replies, times out with a code, and fails with the exit reason when the callee dies', async () => {
    const node = mk();
    const s = server(node, 'srv');
    expect(await node.call(s, { op: 'double', x: 21 })).toBe(42);
    expect(await node.call('srv', { op: 'double', x: 2 })).toBe(4);
    await expect(node.call(s, { op: 'ignore' }, 30)).rejects.toMatchObject({
      code: RUNTIME_ERRORS.CALL_TIMEOUT,
    });
    await expect(node.call(s, { op: 'crash' })).rejects.toMatchObject({
      code: RUNTIME_ERRORS.CALL_EXIT,
      details: { reason: { error: 'Error', message: 'server crash' } },
    });
    await expect(node.call('srv', { op: 'double' })).rejects.toMatchObject({
      code: RUNTIME_ERRORS.CALL_EXIT,
      details: { reason: 'noproc' },
    });
  });

  it('a late reply after a timeout does not stay in the caller mailbox', async () => {
    const node = mk();
    const slow = node.spawn(async (ctx) => {
      const m = await ctx.receive(isCallMessage);
      await new Promise((r) => setTimeout(r, 50));
      ctx.reply(m.from, 'late');
      await ctx.receive();
    });
    const r = await new Promise((resolve) => {
      node.spawn(async (ctx) => {
        const e = await ctx.call(slow, 'x', 10).catch((err: { code: string }) => err.code);
        await ctx.receive(() => false, 100);
        resolve([e, ctx.mailboxSize()]);
      });
    });
    expect(r).toEqual([RUNTIME_ERRORS.CALL_TIMEOUT, 0]);
  });
});

describe('rpc', () => {
  it('calls exposed handlers on the own node; unknown handler and throw have codes', async () => {
    const node = mk();
    node.expose('add', (a: number, b: number) => a + b);
    node.expose('fail', () => {
      throw new Error('nope');
    });
    expect(await node.rpc(node.name, 'add', [2, 3])).toBe(5);
    await expect(node.rpc(node.name, 'missing', [])).rejects.toMatchObject({
      code: RUNTIME_ERRORS.RPC_UNKNOWN_HANDLER,
    });
    await expect(node.rpc(node.name, 'fail', [])).rejects.toMatchObject({ code: RUNTIME_ERRORS.RPC_FAILED });
  });
});

describe('bounded', () => {
  it("a process over its mailbox cap is killed with 'mailbox_overflow' and counted", async () => {
    const node = mk({ maxMailboxSize: 10 });
    const sleeper = node.spawn(async (ctx) => ctx.receive(() => false));
    const mon = node.monitor(sleeper);
    for (let i = 0; i < 11; i++) node.send(sleeper, i);
    expect((await mon.down).reason).toBe('mailbox_overflow');
    expect(node.stats().mailboxOverflows).toBe(1);
  });

  it('dead processes leave nothing behind: names, links, monitors, groups, pending calls', async () => {
    const node = mk();
    const base = node.stats().processes;
    const pids: Pid[] = [];
    for (let i = 0; i < 100; i++) {
      const p = node.spawn(async (ctx) => {
        ctx.trapExit(true);
        await ctx.receive();
      });
      pids.push(p);
      node.register(`p${i}`, p);
      node.pg.join('g', p);
      if (i > 0) node.link(p, pids[i - 1]!);
    }
    await tick();
    for (const p of pids) node.exit(p, 'kill');
    await tick();
    expect(node.stats().processes).toBe(base);
    expect(node.registered()).toEqual(['rex']);
    expect(node.pg.members('g')).toEqual([]);
    expect(node.pg.groups()).toEqual([]);
  });

  it('stop ends every process with shutdown and refuses new spawns', async () => {
    const node = mk();
    const pid = node.spawn(async (ctx) => ctx.receive());
    const mon = node.monitor(pid);
    await tick();
    await node.stop();
    expect(node.isAlive(pid)).toBe(false);
    expect(() => node.spawn(() => {})).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.NODE_STOPPED }),
    );
    void mon;
  });

  it('stop unwinds every process parked in receive with ProcessExitedError, reason shutdown', async () => {
    const node = mk();
    const seen: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      node.spawn(async (ctx) => {
        try {
          await ctx.receive();
        } catch (e) {
          seen.push(e);
          throw e;
        }
      });
    }
    await tick();
    await node.stop();
    await tick();
    expect(seen).toHaveLength(3);
    for (const e of seen) {
      expect(e).toBeInstanceOf(ProcessExitedError);
      expect((e as ProcessExitedError).reason).toBe('shutdown');
    }
  });

  it('a killed process blocked in receive unwinds with ProcessExitedError', async () => {
    const node = mk();
    const err = await new Promise((resolve) => {
      const pid = node.spawn(async (ctx) => {
        try {
          await ctx.receive();
        } catch (e) {
          resolve(e);
          throw e;
        }
      });
      setImmediate(() => node.exit(pid, 'kill'));
    });
    expect(err).toMatchObject({ code: RUNTIME_ERRORS.PROCESS_EXITED, reason: 'killed' });
  });
});

describe('pg (single node)', () => {
  it('join/leave/members with scopes, and broadcast', async () => {
    const node = mk();
    const a = probe(node);
    const b = probe(node);
    node.pg.join('room', [a.pid, b.pid]);
    node.pgScope('other').join('room', a.pid);
    expect(node.pg.members('room')).toHaveLength(2);
    expect(node.pgScope('other').members('room')).toEqual([a.pid]);
    expect(node.broadcast('room', 'hi')).toBe(2);
    expect(await a.next()).toBe('hi');
    expect(await b.next()).toBe('hi');
    expect(node.pg.leave('room', b.pid)).toBe(true);
    expect(node.pg.leave('room', b.pid)).toBe(false);
    expect(node.pg.members('room')).toEqual([a.pid]);
    node.exit(a.pid, 'kill');
    expect(node.pg.members('room')).toEqual([]);
    expect(node.pgScope('other').members('room')).toEqual([]);
  });
});

describe('spawnHandler', () => {
  it('handles messages one at a time in order, awaiting async handlers; answers calls', async () => {
    const node = mk();
    const seen: unknown[] = [];
    const pid = node.spawnHandler(async (msg, ctx) => {
      if (isCallMessage(msg)) {
        ctx.reply(msg.from, [...seen]);
        return;
      }
      seen.push(`start ${msg}`);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(`end ${msg}`);
    });
    node.send(pid, 1);
    node.send(pid, 2);
    expect(await node.call(pid, 'list')).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('crashes on a throw (DOWN with the reason), exits with ctx.exit', async () => {
    const node = mk();
    const a = node.spawnHandler(() => {
      throw new Error('handler boom');
    });
    const b = node.spawnHandler((_m, ctx) => ctx.exit('done'));
    const [ma, mb] = [node.monitor(a), node.monitor(b)];
    node.send(a, 'x');
    node.send(b, 'x');
    expect((await ma.down).reason).toEqual({ error: 'Error', message: 'handler boom' });
    expect((await mb.down).reason).toBe('done');
  });

  it('a handler can call another server (selective receive inside the handler); other messages wait', async () => {
    const node = mk();
    const doubler = node.spawnHandler((m, ctx) => {
      if (isCallMessage(m)) ctx.reply(m.from, (m.request as number) * 2);
    });
    const out: unknown[] = [];
    const front = node.spawnHandler(async (m, ctx) => {
      if (isCallMessage(m)) return ctx.reply(m.from, out);
      out.push(await ctx.call(doubler, m));
    });
    node.send(front, 1);
    node.send(front, 2);
    node.send(front, 3);
    expect(await node.call(front, 'results')).toEqual([2, 4, 6]);
  });

  it('trapped exit signals arrive as messages; a ring of 100,000 handlers passes a token without deep stacks', async () => {
    const node = mk();
    const exits: unknown[] = [];
    const trapper = node.spawnHandler((m) => void exits.push(m), { trapExit: true });
    node.link(
      trapper,
      node.spawn(() => {}),
    );
    await tick();
    await tick();
    expect(exits).toMatchObject([{ type: 'EXIT', reason: 'normal' }]);

    const done = new Promise((resolve) => {
      let next: Pid = node.spawnHandler((m) => resolve(m));
      for (let i = 0; i < 100_000; i++) {
        const to = next;
        next = node.spawnHandler((m, ctx) => ctx.send(to, (m as number) + 1));
      }
      node.send(next, 0);
    });
    expect(await done).toBe(100_000);
  });
});

// ---------------------------------------------------------------- hardening: what a peer can make a node do

describe('a peer cannot exhaust memory, dial storms, rex, spoofed signals, unprintable data', () => {
  let net = new MemoryNetwork();
  afterEach(() => {
    net = new MemoryNetwork();
  });
  /** A node on the memory network (which passes each message's packed size as its byte estimate). */
  function mkm(name: string, opts: Partial<NodeOptions> = {}): KNode {
    return mk({ name: `${name}@mem`, distribution: net.endpoint(`${name}@mem`), ...opts });
  }
  /** A node whose endpoint records every connect() it is asked for. */
  function mkSpied(
    name: string,
    opts: Partial<NodeOptions> = {},
  ): { node: KNode; dials: string[]; sent: unknown[] } {
    const ep = net.endpoint(`${name}@mem`);
    const dials: string[] = [];
    const sent: unknown[] = [];
    const connect = ep.connect.bind(ep);
    ep.connect = (node: string) => {
      dials.push(node);
      return connect(node);
    };
    const send = ep.send.bind(ep);
    ep.send = (node: string, message: unknown) => {
      sent.push(message);
      send(node, message);
    };
    return { node: mk({ name: `${name}@mem`, distribution: ep, ...opts }), dials, sent };
  }
  /** A process that never reads: everything sent to it stays in its mailbox. */
  const sink = (node: KNode, opts: SpawnOptions = {}): Pid =>
    node.spawn(async (ctx) => {
      await ctx.receive((m) => m === 'never');
    }, opts);
  const until = (f: () => boolean): Promise<boolean> => poll(f, { timeoutMs: 3000, intervalMs: 5 });
  const BIG = 'x'.repeat(1000);
  /** What the memory network charges for `msg` sent to `to`: the packed SEND frame plus its fixed overhead. */
  const cost = (to: Pid, msg: unknown) =>
    pack([[OP.SEND, '', to], msg]).length + MEMORY_MESSAGE_OVERHEAD_BYTES;

  it('a mailbox over maxMailboxBytes of remote messages kills its process with mailbox_overflow', async () => {
    const a = mkm('a');
    const b = mkm('b');
    await a.connect(b.name);
    const s = sink(b, { maxMailboxBytes: 20_000 });
    const { down } = b.monitor(s);
    for (let i = 0; i < 100; i++) a.send(s, BIG);
    expect((await down).reason).toBe('mailbox_overflow');
    expect(b.stats().mailboxOverflows).toBe(1);
    await settle();
    expect(b.stats().queuedBytes).toBe(0);
    expect(() => b.spawn(() => {}, { maxMailboxBytes: 0 })).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.RUNTIME_BAD_OPTION }),
    );
  });

  it('bytes are given back when a message leaves the mailbox: receive, selective receive, process end', async () => {
    const a = mkm('a');
    const b = mkm('b');
    await a.connect(b.name);
    let taken: unknown;
    const p = b.spawn(async (ctx) => {
      await ctx.receive((m) => m === 'start');
      taken = await ctx.receive((m) => m === 'go');
      await ctx.receive((m) => m === 'one');
      await ctx.receive((m) => m === 'never');
    });
    await settle();
    a.send(p, BIG);
    a.send(p, 'go');
    a.send(p, 'one');
    a.send(p, BIG);
    const all = 2 * cost(p, BIG) + cost(p, 'go') + cost(p, 'one');
    await until(() => b.stats().queuedBytes === all);
    b.send(p, 'start'); // local: not measured
    await until(() => taken === 'go');
    await until(() => b.stats().queuedBytes === all - cost(p, 'go') - cost(p, 'one'));
    expect(b.mailboxSize(p)).toBe(2);
    b.exit(p, 'kill');
    expect(b.stats().queuedBytes).toBe(0);
  });

  it('local sends are passed by reference and not measured', async () => {
    const b = mkm('b');
    const s = sink(b, { maxMailboxBytes: 10 });
    for (let i = 0; i < 100; i++) b.send(s, BIG);
    expect(b.isAlive(s)).toBe(true);
    expect(b.stats().queuedBytes).toBe(0);
  });

  it('many processes each under their cap: the peer goes over maxQueuedBytesPerPeer and is disconnected', async () => {
    // Without connect_all, so that nothing dials the cut connection again behind the test's back.
    const a = mkm('a', { connectAll: false });
    const c = mkm('c', { connectAll: false });
    const b = mkm('b', { maxQueuedBytesPerPeer: 30_000, connectAll: false });
    const downs: string[] = [];
    b.monitorNodes((e) => e.type === 'nodedown' && downs.push(e.node));
    await a.connect(b.name);
    await c.connect(b.name);
    const sinks = Array.from({ length: 10 }, () => sink(b));
    for (let i = 0; i < 10; i++) for (const s of sinks) a.send(s, BIG);
    await until(() => downs.includes(a.name));
    expect(b.stats().peerOverflows).toBe(1);
    expect(b.stats().queuedBytes).toBeLessThanOrEqual(30_000);
    expect(sinks.every((s) => b.isAlive(s))).toBe(true);
    // Another peer is not affected.
    const r = b.spawn(async (ctx) => ctx.receive((m) => m === 'from c'));
    const { down } = b.monitor(r);
    c.send(r, 'from c');
    expect((await down).reason).toBe('normal');
    // Reconnecting does not reset what the peer still holds here: its next big message cuts it again.
    await a.connect(b.name);
    for (let i = 0; i < 10; i++) a.send(sinks[0]!, BIG);
    await until(() => b.stats().peerOverflows === 2);
    for (const s of sinks) b.exit(s, 'kill');
    expect(b.stats().queuedBytes).toBe(0);
  });

  it('peers together over maxQueuedBytes: the one whose message crosses it is disconnected', async () => {
    const a = mkm('a', { connectAll: false });
    const c = mkm('c', { connectAll: false });
    const b = mkm('b', { maxQueuedBytes: 30_000, connectAll: false });
    await a.connect(b.name);
    await c.connect(b.name);
    const s = sink(b);
    for (let i = 0; i < 14; i++) a.send(s, BIG);
    await until(() => b.stats().queuedBytes >= 14 * 1000);
    for (let i = 0; i < 30; i++) c.send(s, BIG);
    await until(() => !b.nodes().includes(c.name));
    expect(b.nodes()).toEqual([a.name]);
    expect(b.stats().peerOverflows).toBe(1);
    expect(b.stats().queuedBytes).toBeLessThanOrEqual(30_000);
  });

  it('frames a cut peer had in flight stay dropped until it connects again', () => {
    const fake = new FakeDistribution();
    const b = mk({ name: 'b@fake', distribution: fake, maxQueuedBytes: 1000 });
    fake.emit('nodeup', 'p@fake');
    const s = sink(b);
    fake.emit('message', 'p@fake', [[OP.SEND, '', s], 'huge'], 5000);
    expect(b.stats().peerOverflows).toBe(1);
    expect(b.nodes()).toEqual([]);
    for (let i = 0; i < 10; i++) fake.emit('message', 'p@fake', [[OP.SEND, '', s], i], 10);
    expect(b.mailboxSize(s)).toBe(0);
    fake.emit('nodeup', 'p@fake');
    fake.emit('message', 'p@fake', [[OP.SEND, '', s], 'small'], 10);
    expect(b.mailboxSize(s)).toBe(1);
    expect(b.stats().queuedBytes).toBe(10);
  });

  it('a distribution that passes no byte estimate is not measured', async () => {
    const fake = new FakeDistribution();
    const b = mk({ name: 'b@fake', distribution: fake, maxMailboxBytes: 10 });
    fake.emit('nodeup', 'p@fake');
    const s = sink(b);
    for (let i = 0; i < 10; i++) fake.emit('message', 'p@fake', [[OP.SEND, '', s], BIG]);
    expect(b.isAlive(s)).toBe(true);
    expect(b.mailboxSize(s)).toBe(10);
  });

  it('connect_all takes at most maxNamesPerNetMessage legal names per message, at the dial rate', async () => {
    const { node: b, dials } = mkSpied('b');
    const evil = net.endpoint('evil@mem');
    await evil.connect(b.name);
    const nodes: unknown[] = Array.from({ length: 10_000 }, (_, i) => [`n${i}@10.0.0.${i % 250}`, 4000 + i]);
    nodes.unshift(['not a name', 1], ['x@h', 70_000], ['y@h', 'port'], 42, ['', null]);
    evil.send(b.name, [[OP.REG_SEND, '', '', 'kindred_net'], { type: 'peers', port: 1234, nodes }]);
    await until(() => b.stats().dialFailures === dials.length && dials.length > 0);
    expect(dials.length).toBeLessThanOrEqual(RUNTIME_DEFAULTS.maxDialsPerSecond);
    expect(dials.length + b.stats().dialsSkipped).toBe(RUNTIME_DEFAULTS.maxNamesPerNetMessage - 5);
    expect(b.stats().netNamesDropped).toBe(nodes.length - RUNTIME_DEFAULTS.maxNamesPerNetMessage + 5);
    expect(b.stats().rememberedNodes).toBe(RUNTIME_DEFAULTS.maxNamesPerNetMessage - 5);
    // The same list again: a name that failed is in backoff, not dialled again.
    evil.send(b.name, [[OP.REG_SEND, '', '', 'kindred_net'], { type: 'peers', port: 1234, nodes }]);
    await settle();
    expect(new Set(dials).size).toBe(dials.length);
    expect(dials.length).toBeLessThanOrEqual(RUNTIME_DEFAULTS.maxNamesPerNetMessage - 5);
  });

  it('what gossip and failed dials leave behind is bounded by maxRememberedNodes', async () => {
    const { node: b } = mkSpied('b', { maxRememberedNodes: 10, maxDialsPerSecond: 1000 });
    const evil = net.endpoint('evil@mem');
    await evil.connect(b.name);
    for (let round = 0; round < 5; round++) {
      const nodes = Array.from({ length: 32 }, (_, i) => [`r${round}n${i}@h`, 5000 + i]);
      evil.send(b.name, [[OP.REG_SEND, '', '', 'kindred_net'], { type: 'peers', port: null, nodes }]);
      await until(() => b.stats().dialFailures === 32 * (round + 1));
      expect(b.stats().rememberedNodes).toBeLessThanOrEqual(10);
    }
  });

  it('auto-connect to a node that does not answer backs off: sends in backoff are dropped and counted', async () => {
    const { node: a, dials } = mkSpied('a', { dialBackoffInitialMs: 60_000, dialBackoffMaxMs: 60_000 });
    const ghost = { name: 'x', node: 'ghost@mem' };
    a.send(ghost, 0);
    await until(() => a.stats().dialFailures === 1);
    for (let i = 1; i <= 1000; i++) a.send(ghost, i);
    expect(dials).toEqual(['ghost@mem']);
    expect(a.stats().droppedRemote).toBe(1001);
    expect(a.stats().dialsSkipped).toBe(1000);
    // A link to a process of a node in backoff breaks at once with noconnection, like an unreachable node's.
    const t = probe(a);
    const linker = a.spawn(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(new Pid('ghost@mem', 1, 0, 1));
      ctx.send(t.pid, await ctx.receive(isExitMessage));
    });
    expect(((await t.next()) as ExitMessage).reason).toBe('noconnection');
    expect(a.isAlive(linker)).toBe(false);
    // An explicit connect (net_adm:ping) is made despite the backoff, and its failure is counted.
    await expect(a.connect('ghost@mem')).rejects.toMatchObject({ code: 'KINDRED_ERR_CONNECT_FAILED' });
    expect(dials).toHaveLength(2);
    expect(a.stats().dialFailures).toBe(2);
    // The node comes up: a nodeup ends the backoff, sends go through again.
    const g = mkm('ghost');
    const got = probe(g);
    g.register('x', got.pid);
    await a.connect(g.name);
    a.send(ghost, 'after');
    expect(await got.next()).toBe('after');
    expect(a.stats().rememberedNodes).toBe(0);
  });

  it('after the backoff a send dials again', async () => {
    const { node: a, dials } = mkSpied('a', { dialBackoffInitialMs: 1, dialBackoffMaxMs: 2 });
    a.send({ name: 'x', node: 'ghost@mem' }, 1);
    await until(() => a.stats().dialFailures === 1);
    await new Promise((r) => setTimeout(r, 10));
    a.send({ name: 'x', node: 'ghost@mem' }, 2);
    await until(() => a.stats().dialFailures === 2);
    expect(dials).toEqual(['ghost@mem', 'ghost@mem']);
  });

  it("rex is restarted after a peer's exit(rex, kill) and after bad calls; rpc works again", async () => {
    const a = mkm('a');
    const b = mkm('b');
    b.expose('twice', (x: number) => 2 * x);
    expect(await a.rpc(b.name, 'twice', [2])).toBe(4);
    const rex = b.whereis('rex')!;
    a.exit(rex, 'kill');
    await until(() => !b.isAlive(rex));
    expect(b.stats().rexRestarts).toBe(1);
    expect(await a.rpc(b.name, 'twice', [3])).toBe(6);
    // Calls without a pid and ref to answer do not crash it.
    for (const from of [undefined, 1, { pid: 'x' }, { pid: rex, ref: null }]) {
      a.send(
        { name: 'rex', node: b.name },
        { type: '$gen_call', from, request: { handler: 'twice', args: [1] } },
      );
    }
    expect(await a.rpc(b.name, 'twice', [4])).toBe(8);
    expect(b.stats().rexRestarts).toBe(1);
  });

  it('signals naming a sender of another node than the peer that sent them are dropped and counted', async () => {
    const { node: a, sent } = mkSpied('a');
    const c = mkm('c');
    const evil = net.endpoint('evil@mem');
    await evil.connect(a.name);
    await a.connect(c.name);
    const third = c.spawn(async (ctx) => ctx.receive());
    const victim = a.spawn(async (ctx) => {
      ctx.link(third);
      await ctx.receive((m) => m === 'never');
    });
    const trapper = probe(a);
    a.link(trapper.pid, third);
    // A monitor a holds on c's process, and a spawn request a made on c: only c may end them.
    let ref!: Ref;
    const holder = a.spawn(async (ctx) => {
      ref = ctx.monitor(third);
      await ctx.receive((m) => m === 'never');
    });
    c.exposeSpawn('slow', async (ctx) => ctx.receive());
    await settle(10);
    const ref2 = a.makeRef();
    const frames: unknown[][] = [
      [[OP.EXIT, third, victim, 'spoofed']],
      [[OP.EXIT2, third, victim, 'kill']],
      [[OP.LINK, third, victim]],
      [[OP.UNLINK_ID, 1, third, trapper.pid]],
      [[OP.MONITOR_P, third, victim, ref2]],
      [[OP.DEMONITOR_P, third, victim, ref2]],
      [[OP.MONITOR_P_EXIT, third, holder, ref, 'spoofed']],
      [[OP.SEND_SENDER, third, trapper.pid], 'spoofed'],
      [[OP.REG_SEND, third, '', 'rex'], 'spoofed'],
      [[OP.SPAWN_REQUEST, ref2, third, third, ['kindred', 'slow', 0], []], []],
    ];
    for (const f of frames) evil.send(a.name, f);
    await until(() => a.stats().spoofedSignals === frames.length);
    expect(a.isAlive(victim)).toBe(true);
    expect(a.stats().remoteLinks).toBe(2);
    expect(a.stats().remoteMonitors).toBe(1);
    // MONITOR_P_EXIT for a monitor on c's process from a non-c peer (evil's own pid as FromProc): still refused.
    evil.send(a.name, [[OP.MONITOR_P_EXIT, new Pid('evil@mem', 1, 0, 1), holder, ref, 'spoofed']]);
    const spawned = a.spawnOn(c.name, 'slow');
    const request = sent.find((f) => (f as unknown[][])[0]?.[0] === OP.SPAWN_REQUEST) as unknown[][];
    evil.send(a.name, [[OP.SPAWN_REPLY, request[0]![1], a.whereis('rex'), 0, 'undef']]);
    await until(() => a.stats().spoofedSignals === frames.length + 2);
    expect(a.mailboxSize(holder)).toBe(0);
    expect(a.stats().remoteMonitors).toBe(1);
    expect(await spawned).toBeInstanceOf(Pid);
    expect(a.stats().badControl).toBe(0);
  });

  it('a peer exit reason that is a BigInt or unprintable still gives a KindredError from call()', async () => {
    const fake = new FakeDistribution();
    const b = mk({ name: 'b@fake', distribution: fake });
    fake.emit('nodeup', 'p@fake');
    const remote = new Pid('p@fake', 1, 0, 1);
    const throwing = {
      toString() {
        throw new Error('no');
      },
    };
    for (const reason of [2n ** 64n, { toString: 1 }, throwing, { deep: nest(5000) }, 'r'.repeat(1e6)]) {
      const call = b.call(remote, 'hi', 5000);
      await until(() => fake.sent.some((f) => (f as unknown[][])[0]?.[0] === OP.MONITOR_P));
      const mon = fake.sent.find((f) => (f as unknown[][])[0]?.[0] === OP.MONITOR_P) as unknown[][];
      fake.sent.length = 0;
      const [, watcher, , ref] = mon[0]!;
      fake.emit('message', 'p@fake', [[OP.MONITOR_P_EXIT, remote, watcher, ref, reason]]);
      const err = await call.catch((e: unknown) => e);
      expect(isKindredError(err, RUNTIME_ERRORS.CALL_EXIT)).toBe(true);
      expect((err as Error).message.length).toBeLessThan(400);
    }
  });

  it('API calls with garbage arguments throw KindredErrors, not TypeErrors', async () => {
    const b = mk();
    const errs: unknown[] = [];
    const ref = b.makeRef();
    const p = b.spawn(async (ctx) => {
      for (const from of [undefined, null, 1, { pid: 1 }, { ref: 1 }, { pid: 1, ref }]) {
        try {
          ctx.reply(from as never, 1);
        } catch (e) {
          errs.push(e);
        }
      }
    });
    const { down } = b.monitor(p);
    expect((await down).reason).toBe('normal');
    expect(errs).toHaveLength(6);
    expect(errs.every((e) => isKindredError(e, RUNTIME_ERRORS.BAD_DEST))).toBe(true);
    expect(b.isAlive(undefined as never)).toBe(false);
    expect(b.mailboxSize(null as never)).toBeUndefined();
    expect(() => b.register('x', null as never)).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.BAD_DEST }),
    );
    expect(() => b.link(null as never, p)).toThrow(expect.objectContaining({ code: RUNTIME_ERRORS.NOPROC }));
  });

  it('fuzz: any msgpack-shaped frame of any operation never throws out of the dispatcher nor stops the node', async () => {
    const fake = new FakeDistribution();
    const b = mk({ name: 'b@fake', distribution: fake });
    fake.emit('nodeup', 'p@fake');
    b.expose('echo', (x: unknown) => x);
    b.exposeSpawn('idle', async (ctx) => ctx.receive());
    const locals = [b.spawn(async (ctx) => ctx.receive((m) => m === 'never')), b.whereis('rex')!];
    const pidArb = fc.oneof(
      fc.constantFrom(...locals),
      fc
        .tuple(fc.constantFrom('p@fake', 'q@fake', 'b@fake'), fc.nat(5), fc.nat(2), fc.nat(3))
        .map(([node, id, serial, creation]) => new Pid(node, id, serial, creation)),
    );
    const refArb = fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([x, y, z]) => new Ref('p@fake', 1, [x, y, z]));
    const field = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.anything({ withBigInt: true, withNullPrototype: true, withMap: true, withSet: true }),
      },
      { weight: 2, arbitrary: pidArb },
      { weight: 1, arbitrary: refArb },
      { weight: 1, arbitrary: fc.constantFrom('rex', 'pg', 'kindred_net', 'idle', '', 'echo') },
    );
    const frame = fc.oneof(
      fc.anything({ withBigInt: true }),
      fc
        .tuple(
          fc.oneof(fc.constantFrom(...Object.values(OP)), fc.anything()),
          fc.array(field, { maxLength: 6 }),
          field,
        )
        .map(([op, rest, payload]) => [[op, ...rest], payload]),
    );
    let malformed = 0;
    fc.assert(
      fc.property(frame, (f) => {
        const before = b.stats();
        expect(() => fake.emit('message', 'p@fake', f, 100)).not.toThrow();
        if (!Array.isArray(f) || !Array.isArray(f[0])) {
          malformed++;
          expect(b.stats().badControl).toBe(before.badControl + 1);
        }
      }),
      { numRuns: 3000 },
    );
    expect(malformed).toBeGreaterThan(0);
    await settle(20);
    expect(b.stopped).toBe(false);
    const r = b.spawn(async (ctx) => ctx.receive());
    expect(
      await b.call(
        b.spawnHandler((m, ctx) => isCallMessage(m) && ctx.reply(m.from, 'pong')),
        'ping',
      ),
    ).toBe('pong');
    expect(b.isAlive(r)).toBe(true);
  });
});

/** A Distribution whose peer is the test itself: it emits whatever JavaScript value the test wants. */
class FakeDistribution extends EventEmitter implements Distribution {
  readonly sent: unknown[] = [];
  send(_node: string, message: unknown): void {
    this.sent.push(message);
  }
  async connect(): Promise<void> {
    throw new KindredError('KINDRED_ERR_CONNECT_FAILED', 'fake: no dialling');
  }
  disconnect(node: string): void {
    this.emit('nodedown', node, 'disconnect');
  }
  nodes(): string[] {
    return [];
  }
  async close(): Promise<void> {}
}

function nest(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
