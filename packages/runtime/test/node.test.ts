import { isKindredError } from '@kindred/dns';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  type DownMessage,
  type ExitMessage,
  isCallMessage,
  isDownMessage,
  isExitMessage,
  type KNode,
  type Pid,
  ProcessExitedError,
  RUNTIME_ERRORS,
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
      expect(isKindredError(e, RUNTIME_ERRORS.BAD_OPTION)).toBe(true);
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
