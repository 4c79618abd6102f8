import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  cast,
  createNode,
  type From,
  isDownMessage,
  isExitMessage,
  type KNode,
  MemoryNetwork,
  type ProcessContext,
  RUNTIME_ERRORS,
  type ServerBehaviour,
  type ServerRef,
  serverRef,
  startServer,
  stopServer,
} from '../src/index.js';

const nodes: KNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});
function mk(name = 's@127.0.0.1', net?: MemoryNetwork): KNode {
  const n = createNode({ name, distribution: net?.endpoint(name) });
  nodes.push(n);
  return n;
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

type CounterCalls =
  | { request: { op: 'get' }; reply: number }
  | { request: { op: 'add'; n: number }; reply: number }
  | { request: { op: 'name' }; reply: string }
  | { request: { op: 'later' }; reply: 'late' }
  | { request: { op: 'stop' }; reply: 'bye' };
type CounterCasts = { op: 'reset' } | { op: 'crash' };

const events: string[] = [];
const counter: ServerBehaviour<number, { n: number; waiting?: From }, CounterCalls, CounterCasts> = {
  init: (start) => ({ state: { n: start } }),
  handleCall(req, from, s, ctx) {
    switch (req.op) {
      case 'get':
        return { reply: s.n, state: s };
      case 'add':
        return { reply: s.n + req.n, state: { n: s.n + req.n } };
      case 'name':
        return { reply: ctx.node.name, state: s };
      case 'later':
        ctx.send(ctx.self, 'answer-later');
        return { noreply: true, state: { ...s, waiting: from } };
      case 'stop':
        return { stop: 'normal', reply: 'bye', state: s };
    }
  },
  handleCast(msg) {
    if (msg.op === 'crash') throw new Error('cast crash');
    return { state: { n: 0 } };
  },
  handleInfo(msg, s, ctx) {
    if (msg === 'answer-later' && s.waiting) {
      ctx.reply(s.waiting, 'late');
      return { state: { n: s.n } };
    }
    events.push(`info:${String(msg)}`);
    return { state: s };
  },
  terminate(reason) {
    events.push(`terminate:${typeof reason === 'string' ? reason : JSON.stringify(reason)}`);
  },
};

describe('server (gen_server)', () => {
  it('init, typed calls, casts, info, a reply given later, stop with a reply after terminate', async () => {
    events.length = 0;
    const a = mk();
    const ref = await startServer(a, counter, 5);
    expectTypeOf(ref).toEqualTypeOf<ServerRef<CounterCalls, CounterCasts>>();
    const got = await a.call(ref, { op: 'add', n: 2 });
    expectTypeOf(got).toEqualTypeOf<number>();
    expect(got).toBe(7);
    // A request the server does not declare is a type error, not an untyped call (checked by the test typecheck).
    const undeclared = () =>
      // @ts-expect-error: { op: 'nope' } is not a request of CounterCalls
      a.call(ref, { op: 'nope' });
    expect(typeof undeclared).toBe('function');
    const name = await a.call(ref, { op: 'name' });
    expectTypeOf(name).toEqualTypeOf<string>();
    expect(name).toBe(a.name);
    cast(a, ref, { op: 'reset' });
    expect(await a.call(ref, { op: 'get' })).toBe(0);
    a.send(ref, 'hello');
    expect(await a.call(ref, { op: 'later' })).toBe('late');
    expect(events).toEqual(['info:hello']);
    const { down } = a.monitor(ref);
    expect(await a.call(ref, { op: 'stop' })).toBe('bye');
    expect((await down).reason).toBe('normal');
    expect(events).toEqual(['info:hello', 'terminate:normal']);
  });

  it('a callback that throws runs terminate with the crash reason and exits with it', async () => {
    events.length = 0;
    const a = mk();
    const ref = await startServer(a, counter, 0);
    const { down } = a.monitor(ref);
    cast(a, ref, { op: 'crash' });
    const reason = (await down).reason as { message: string };
    expect(reason.message).toBe('cast crash');
    expect(events).toEqual([`terminate:${JSON.stringify({ error: 'Error', message: 'cast crash' })}`]);
  });

  it('init returning { stop } or throwing fails the start with a coded error; the process exits with the reason', async () => {
    const a = mk();
    const stopping: ServerBehaviour<void, never> = { init: () => ({ stop: 'no_config' }) };
    await expect(startServer(a, stopping, undefined)).rejects.toMatchObject({
      code: RUNTIME_ERRORS.SERVER_START_FAILED,
      details: { reason: 'no_config' },
    });
    const throwing: ServerBehaviour<void, never> = {
      init: async () => {
        throw new Error('boom');
      },
    };
    await expect(startServer(a, throwing, undefined)).rejects.toMatchObject({
      code: RUNTIME_ERRORS.SERVER_START_FAILED,
      details: { reason: { message: 'boom' } },
    });
    await tick();
    expect(a.stats().processes).toBe(1); // rex only
  });

  it("started from a trapping process it is linked: the parent's exit runs terminate with the parent's reason", async () => {
    events.length = 0;
    const a = mk();
    let server: ServerRef<CounterCalls, CounterCasts> | undefined;
    const parent = a.spawn(async (ctx) => {
      server = await startServer(ctx, counter, 1, { trapExit: true });
      await ctx.receive();
    });
    while (server === undefined) await tick();
    const { down } = a.monitor(server);
    a.exit(parent, 'shutdown');
    expect((await down).reason).toBe('shutdown');
    expect(events).toEqual(['terminate:shutdown']);
  });

  it('a linked starter that does not trap dies with an init failure; one that traps gets the EXIT', async () => {
    const a = mk();
    const bad: ServerBehaviour<void, never> = { init: () => ({ stop: 'bad' }) };
    const seen: unknown[] = [];
    const trapping = a.spawn(
      async (ctx) => {
        await startServer(ctx, bad, undefined).catch((e) => seen.push(e.code));
        seen.push(await ctx.receive(isExitMessage));
      },
      { trapExit: true },
    );
    const { down } = a.monitor(
      a.spawn(async (ctx) => void (await startServer(ctx, bad, undefined).catch(() => ctx.receive()))),
    );
    expect((await down).reason).toBe('bad');
    while (seen.length < 2) await tick();
    expect(seen[0]).toBe(RUNTIME_ERRORS.SERVER_START_FAILED);
    expect(seen[1]).toMatchObject({ type: 'EXIT', reason: 'bad' });
    expect(a.isAlive(trapping)).toBe(false); // returned normally after the EXIT
  });

  it('stopServer runs terminate with the reason and resolves when the server is gone', async () => {
    events.length = 0;
    const a = mk();
    const ref = await startServer(a, counter, 1, { name: 'counter' });
    await stopServer(a, 'counter', 'shutdown');
    expect(a.isAlive(ref as never)).toBe(false);
    expect(events).toEqual(['terminate:shutdown']);
  });

  it('is called across nodes through $gen_call; a reference by name keeps its types', async () => {
    const net = new MemoryNetwork();
    const a = mk('a@h', net);
    const b = mk('b@h', net);
    await startServer(b, counter, 40, { name: 'counter' });
    const ref = serverRef<CounterCalls, CounterCasts>({ name: 'counter', node: b.name });
    await a.connect(b.name);
    const r = await new Promise((resolve) => {
      a.spawn(async (ctx: ProcessContext) => resolve(await ctx.call(ref, { op: 'add', n: 2 })));
    });
    expect(r).toBe(42);
    expect(await a.call(ref, { op: 'name' })).toBe(b.name);
  });

  it('a callee learns that a caller with an AbortSignal gave up: its monitor on from.pid fires', async () => {
    const a = mk();
    const seen: unknown[] = [];
    const slow: ServerBehaviour<void, Map<string, From>, { request: 'work'; reply: string }> = {
      init: () => ({ state: new Map() }),
      handleCall(_req, from, s, ctx) {
        ctx.monitor(from.pid);
        return { noreply: true, state: s };
      },
      handleInfo(msg, s) {
        if (isDownMessage(msg)) seen.push(msg.reason);
        return { state: s };
      },
    };
    const ref = await startServer(a, slow, undefined);
    const ac = new AbortController();
    const p = a.call(ref, 'work', { signal: ac.signal, timeoutMs: Number.POSITIVE_INFINITY });
    await tick();
    ac.abort(new Error('user left'));
    await expect(p).rejects.toMatchObject({ code: RUNTIME_ERRORS.ABORTED });
    while (seen.length === 0) await tick();
    expect(seen).toEqual([{ callAbandoned: 'aborted' }]);
    const q = a.call(ref, 'work', { timeoutMs: 5 });
    await expect(q).rejects.toMatchObject({ code: RUNTIME_ERRORS.CALL_TIMEOUT });
    while (seen.length === 1) await tick();
    expect(seen[1]).toEqual({ callAbandoned: 'timeout' });
  });

  it('an idle server is a handler process: no timer, no pending receive', async () => {
    const a = mk();
    const before = process.getActiveResourcesInfo().length;
    for (let i = 0; i < 100; i++) await startServer(a, counter, i);
    expect(process.getActiveResourcesInfo().length).toBe(before);
    expect(a.stats().processes).toBe(101);
  });
});
