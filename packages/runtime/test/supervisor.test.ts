import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChildSpec,
  countChildren,
  createNode,
  deleteChild,
  isExitMessage,
  isNormalExit,
  type KNode,
  MemoryNetwork,
  Pid,
  type ProcessContext,
  pidEquals,
  RUNTIME_ERRORS,
  restartChild,
  type ServerBehaviour,
  startChild,
  startServer,
  startSupervisor,
  stopServer,
  terminateChild,
  whichChildren,
} from '../src/index.js';
import { loggingWorker, runKindred, SCENARIOS } from './supervisor-scenarios.js';

const nodes: KNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});
function mk(): KNode {
  const n = createNode({ name: 'sup@127.0.0.1' });
  nodes.push(n);
  return n;
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await tick();
  expect(cond()).toBe(true);
}

/** A child that runs until told otherwise. */
const idle = (id: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id,
  start: (ctx) => ctx.spawn(async (w) => void (await w.receive()), { link: true }),
  ...extra,
});

/** What OTP printed for each scenario (supervisor.integration.test.ts checks these against erl live). */
const OTP_EVENTS: Record<string, string[]> = {
  'one_for_one restarts the child alone': ['start:a', 'start:b', 'start:c', 'start:b', 'final:a,b,c'],
  'one_for_all stops the others in reverse order, starts all in order': [
    'start:a',
    'start:b',
    'start:c',
    'stop:c:shutdown',
    'stop:a:shutdown',
    'start:a',
    'start:b',
    'start:c',
    'final:a,b,c',
  ],
  'rest_for_one stops those after, starts them again in order': [
    'start:a',
    'start:b',
    'start:c',
    'stop:c:shutdown',
    'start:b',
    'start:c',
    'stop:c:shutdown',
    'stop:b:shutdown',
    'start:a',
    'start:b',
    'start:c',
    'final:a,b,c',
  ],
  'transient: normal, shutdown and {shutdown, _} are not restarted; a crash is': [
    'start:a',
    'start:b',
    'start:c',
    'start:d',
    'start:d',
    'final:d',
  ],
  'permanent restarts after a normal exit; temporary never, and leaves the children': [
    'start:p',
    'start:t',
    'start:p',
    'final:p',
  ],
  'one_for_all drops a temporary sibling it stopped': [
    'start:a',
    'start:t',
    'start:c',
    'stop:t:shutdown',
    'stop:a:shutdown',
    'start:a',
    'start:c',
    'final:a,c',
  ],
  'past the intensity the supervisor stops its children in reverse order and exits shutdown': [
    'start:a',
    'start:b',
    'start:c',
    'start:a',
    'start:c',
    'stop:c:shutdown',
    'stop:b:shutdown',
    'sup_exit:shutdown',
  ],
  'intensity 0: the first crash ends the supervisor; brutal_kill children are killed': [
    'start:a',
    'start:b',
    'start:c',
    'stop:b:shutdown',
    'sup_exit:shutdown',
  ],
  'rest_for_one starts again a transient child after it that had exited normally': [
    'start:a',
    'start:b',
    'start:c',
    'stop:c:shutdown',
    'start:a',
    'start:b',
    'start:c',
    'final:a,b,c',
  ],
  'a child that ignores shutdown is killed after its timeout, then restarted with the others': [
    'start:a',
    'start:b',
    'ignore:a:shutdown',
    'start:a',
    'start:b',
    'final:a,b',
  ],
};

describe('supervisor: the scenarios OTP was run on', () => {
  for (const s of SCENARIOS) {
    it(s.name, async () => {
      expect(await runKindred(s)).toEqual(OTP_EVENTS[s.name]);
    });
  }
});

describe('supervisor: restart intensity', () => {
  it('a child crashing 1,000 times within intensity 1000 is restarted each time; one more and the parent sees shutdown', async () => {
    const a = mk();
    let starts = 0;
    const crasher: ChildSpec = {
      id: 'crasher',
      start: (ctx) => {
        starts++;
        return ctx.spawn(async (w) => void (await w.receive()), { link: true });
      },
    };
    const exits: unknown[] = [];
    let sup: Pid | undefined;
    a.spawn(
      async (ctx) => {
        sup = await startSupervisor(ctx, { intensity: 1000, periodMs: 3_600_000, children: [crasher] });
        exits.push(await ctx.receive(isExitMessage));
      },
      { trapExit: true },
    );
    await until(() => sup !== undefined);
    for (let i = 1; i <= 1000; i++) {
      const [row] = await whichChildren(a, sup!);
      expect(row!.pid).toBeInstanceOf(Pid);
      a.exit(row!.pid as Pid, 'kill');
    }
    const [row] = await whichChildren(a, sup!);
    expect(starts).toBe(1001);
    expect(a.isAlive(row!.pid as Pid)).toBe(true);
    a.exit(row!.pid as Pid, 'kill');
    await until(() => exits.length === 1);
    expect(exits[0]).toMatchObject({ type: 'EXIT', reason: 'shutdown' });
    expect(pidEquals((exits[0] as { from: Pid }).from, sup!)).toBe(true);
    expect(starts).toBe(1001);
    expect(a.stats().processes).toBe(1); // rex: the supervisor, its child and the parent are gone
  });

  it('restarts older than periodMs do not count', async () => {
    const a = mk();
    const sup = await startSupervisor(a, { intensity: 1, periodMs: 1, children: [idle('w')] });
    for (let i = 0; i < 5; i++) {
      const [row] = await whichChildren(a, sup);
      a.exit(row!.pid as Pid, 'kill');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(a.isAlive(sup)).toBe(true);
  });

  it('a tree: an inner supervisor that gives up is restarted by the outer one, its children with it', async () => {
    const a = mk();
    let innerStarts = 0;
    const inner: ChildSpec = {
      id: 'inner',
      type: 'supervisor',
      start: (ctx) => {
        innerStarts++;
        return startSupervisor(ctx, { intensity: 0, children: [idle('leaf')] });
      },
    };
    const outer = await startSupervisor(a, { intensity: 5, children: [inner, idle('sibling')] });
    const [innerRow, siblingRow] = await whichChildren(a, outer);
    expect(innerRow).toMatchObject({ id: 'inner', type: 'supervisor' });
    const [leaf] = await whichChildren(a, innerRow!.pid as Pid);
    a.exit(leaf!.pid as Pid, 'kill'); // intensity 0: the inner supervisor exits shutdown
    await until(() => innerStarts === 2);
    const rows = await whichChildren(a, outer);
    expect(a.isAlive(innerRow!.pid as Pid)).toBe(false);
    expect(a.isAlive(rows[0]!.pid as Pid)).toBe(true);
    expect(rows[1]!.pid).toEqual(siblingRow!.pid); // one_for_one: the sibling is untouched
    expect(await countChildren(a, rows[0]!.pid as Pid)).toEqual({
      specs: 1,
      active: 1,
      supervisors: 0,
      workers: 1,
    });
  });
});

describe('supervisor: shutdown', () => {
  it('a child that ignores shutdown is killed after its timeout; brutal_kill kills at once; order is reverse', async () => {
    const a = mk();
    const log: string[] = [];
    const stubborn: ChildSpec = {
      id: 'stubborn',
      shutdown: 10,
      start: (ctx) => {
        const pid = ctx.spawn(
          async (w) => {
            for (;;) log.push(`stubborn got ${(await w.receive(isExitMessage)).reason}`);
          },
          { link: true, trapExit: true },
        );
        a.monitor(pid).down.then((d) => log.push(`stubborn down ${d.reason}`));
        return pid;
      },
    };
    const brutal: ChildSpec = {
      id: 'brutal',
      shutdown: 'brutal_kill',
      start: (ctx) => {
        const pid = ctx.spawn(async (w) => void (await w.receive()), { link: true, trapExit: true });
        a.monitor(pid).down.then((d) => log.push(`brutal down ${d.reason}`));
        return pid;
      },
    };
    const sup = await startSupervisor(a, {
      children: [stubborn, loggingWorker(log, 'polite', 'permanent', 1000), brutal],
    });
    const { down } = a.monitor(sup);
    a.exit(sup, 'shutdown');
    expect((await down).reason).toBe('shutdown');
    await tick();
    expect(log).toEqual([
      'start:polite',
      'brutal down killed',
      'stop:polite:shutdown',
      'stubborn got shutdown',
      'stubborn down killed',
    ]);
  });

  it('a supervised server that traps exits runs terminate when its supervisor shuts down', async () => {
    const a = mk();
    const seen: unknown[] = [];
    const srv: ServerBehaviour<string, string> = {
      init: (s) => ({ state: s }),
      terminate: (reason, state) => void seen.push([reason, state]),
    };
    const sup = await startSupervisor(a, {
      children: [
        { id: 'srv', start: (ctx: ProcessContext) => startServer(ctx, srv, 'st', { trapExit: true }) },
      ],
    });
    const { down } = a.monitor(sup);
    a.exit(sup, 'shutdown');
    await down;
    expect(seen).toEqual([['shutdown', 'st']]);
  });
});

describe('supervisor: start and the child calls', () => {
  it('a failing child start fails the supervisor start with a coded error and stops the started ones in reverse', async () => {
    const a = mk();
    const log: string[] = [];
    const bad: ChildSpec = {
      id: 'bad',
      start: () => {
        throw new Error('no database');
      },
    };
    const start = startSupervisor(a, {
      children: [loggingWorker(log, 'x', 'permanent', 1000), loggingWorker(log, 'y', 'permanent', 1000), bad],
    });
    await expect(start).rejects.toMatchObject({
      code: RUNTIME_ERRORS.CHILD_START_FAILED,
      details: { id: 'bad', reason: { error: 'Error', message: 'no database' } },
    });
    await tick();
    expect(log).toEqual(['start:x', 'start:y', 'stop:y:shutdown', 'stop:x:shutdown']);
    const failingServer: ChildSpec = {
      id: 'srv',
      start: (ctx) => startServer(ctx, { init: () => ({ stop: 'no_config' }) }, undefined),
    };
    await expect(startSupervisor(a, { children: [failingServer] })).rejects.toMatchObject({
      code: RUNTIME_ERRORS.CHILD_START_FAILED,
      details: { id: 'srv', reason: 'no_config' },
    });
    const notAPid: ChildSpec = { id: 'n', start: () => 42 };
    await expect(startSupervisor(a, { children: [notAPid] })).rejects.toMatchObject({
      code: RUNTIME_ERRORS.CHILD_START_FAILED,
    });
  });

  it('a malformed spec is refused with KINDRED_ERR_SUPERVISOR_BAD_SPEC', async () => {
    const a = mk();
    const bad = [
      { strategy: 'one_for_none', children: [] },
      { intensity: -1, children: [] },
      { periodMs: 0, children: [] },
      { children: [idle('a'), idle('a')] },
      { children: [idle('a', { restart: 'sometimes' as never })] },
      { children: [idle('a', { shutdown: -5 })] },
      { strategy: 'simple_one_for_one', children: [idle('a'), idle('b')] },
      { children: [{ id: 'a' }] },
    ];
    for (const spec of bad) {
      await expect(startSupervisor(a, spec as never)).rejects.toMatchObject({
        code: RUNTIME_ERRORS.SUPERVISOR_BAD_SPEC,
      });
    }
  });

  it('whichChildren, countChildren, terminateChild, restartChild, deleteChild, startChild (OTP errors as codes)', async () => {
    const a = mk();
    const sup = await startSupervisor(a, {
      children: [idle('w1'), idle('s1', { type: 'supervisor' }), { id: 'ign', start: () => undefined }],
    });
    expect((await whichChildren(a, sup)).map((r) => [r.id, r.pid instanceof Pid, r.type])).toEqual([
      ['w1', true, 'worker'],
      ['s1', true, 'supervisor'],
      ['ign', false, 'worker'],
    ]);
    expect(await countChildren(a, sup)).toEqual({ specs: 3, active: 2, supervisors: 1, workers: 2 });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code: string }) => e.code,
      );
    expect(await code(restartChild(a, sup, 'w1'))).toBe(RUNTIME_ERRORS.CHILD_RUNNING);
    expect(await code(deleteChild(a, sup, 'w1'))).toBe(RUNTIME_ERRORS.CHILD_RUNNING);
    expect(await code(terminateChild(a, sup, 'nope'))).toBe(RUNTIME_ERRORS.CHILD_NOT_FOUND);
    expect(await code(startChild(a, sup, idle('w1')))).toBe(RUNTIME_ERRORS.CHILD_EXISTS);
    const old = (await whichChildren(a, sup))[0]!.pid as Pid;
    await terminateChild(a, sup, 'w1');
    expect(a.isAlive(old)).toBe(false);
    expect((await whichChildren(a, sup))[0]).toEqual({ id: 'w1', pid: undefined, type: 'worker' });
    const again = await restartChild(a, sup, 'w1');
    expect(again).toBeInstanceOf(Pid);
    await terminateChild(a, sup, 'w1');
    await deleteChild(a, sup, 'w1');
    expect((await whichChildren(a, sup)).map((r) => r.id)).toEqual(['s1', 'ign']);
    const added = await startChild(a, sup, idle('w2', { restart: 'temporary' }));
    expect(a.isAlive(added!)).toBe(true);
    await terminateChild(a, sup, added!); // by pid; a temporary child's spec goes with it
    expect((await whichChildren(a, sup)).map((r) => r.id)).toEqual(['s1', 'ign']);
  });

  it('simple_one_for_one: children from a template with extra args, restarted with the same args, stopped together', async () => {
    const a = mk();
    const started: unknown[] = [];
    const template: ChildSpec = {
      id: 'conn',
      restart: 'transient',
      start: ((ctx: ProcessContext, name: string, port: number) => {
        started.push([name, port]);
        return ctx.spawn(async (w) => void (await w.receive()), { link: true });
      }) as ChildSpec['start'],
    };
    const sup = await startSupervisor(a, {
      strategy: 'simple_one_for_one',
      intensity: 10,
      children: [template],
    });
    const p1 = (await startChild(a, sup, ['one', 1]))!;
    const p2 = (await startChild(a, sup, ['two', 2]))!;
    expect(started).toEqual([
      ['one', 1],
      ['two', 2],
    ]);
    expect(await countChildren(a, sup)).toEqual({ specs: 1, active: 2, supervisors: 0, workers: 2 });
    a.exit(p1, 'kill');
    await whichChildren(a, sup);
    expect(started).toEqual([
      ['one', 1],
      ['two', 2],
      ['one', 1],
    ]);
    a.send(p2, 'bye'); // exits normal: a transient child is not restarted, and is forgotten
    await tick();
    const rows = await whichChildren(a, sup);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe('conn');
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code: string }) => e.code,
      );
    expect(await code(restartChild(a, sup, 'conn'))).toBe(RUNTIME_ERRORS.SUPERVISOR_BAD_OPERATION);
    await terminateChild(a, sup, rows[0]!.pid as Pid);
    expect(await countChildren(a, sup)).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 0 });
    const p3 = (await startChild(a, sup, ['three', 3]))!;
    const p4 = (await startChild(a, sup, ['four', 4]))!;
    const { down } = a.monitor(sup);
    a.exit(sup, 'shutdown');
    await down;
    expect([a.isAlive(p3), a.isAlive(p4)]).toEqual([false, false]);
  });

  it('answers from another node; stopServer stops it with the reason after its children', async () => {
    const net = new MemoryNetwork();
    const a = createNode({ name: 'a@h', distribution: net.endpoint('a@h') });
    const b = createNode({ name: 'b@h', distribution: net.endpoint('b@h') });
    nodes.push(a, b);
    const log: string[] = [];
    const template: ChildSpec = {
      id: 'conn',
      start: ((ctx: ProcessContext, n: number) => {
        log.push(`start:${n}`);
        return ctx.spawn(async (w) => void (await w.receive()), { link: true });
      }) as ChildSpec['start'],
    };
    const sup = await startSupervisor(
      b,
      { strategy: 'simple_one_for_one', children: [template] },
      { name: 'conns' },
    );
    await a.connect(b.name);
    const remote = { name: 'conns', node: b.name };
    const pid = await startChild(a, remote, [7]);
    expect(pid?.node).toBe(b.name);
    expect(await countChildren(a, remote)).toEqual({ specs: 1, active: 1, supervisors: 0, workers: 1 });
    expect(log).toEqual(['start:7']);
    await stopServer(a, remote, 'shutdown');
    expect([b.isAlive(sup), b.isAlive(pid!)]).toEqual([false, false]);
  });

  it("isNormalExit: normal, shutdown and { shutdown: _ } (OTP's rule)", () => {
    expect(['normal', 'shutdown', { shutdown: 'x' }].map(isNormalExit)).toEqual([true, true, true]);
    expect(['killed', 'kill', { error: 'Error' }, { shutdown: 1, other: 2 }, null].map(isNormalExit)).toEqual(
      [false, false, false, false, false],
    );
  });
});
