import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  isCallMessage,
  isDownMessage,
  isExitMessage,
  type KNode,
  MemoryNetwork,
  type Pid,
  RUNTIME_ERRORS,
} from '../src/index.js';

const nodes: KNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});
function mk(name = 'r@h', net?: MemoryNetwork): KNode {
  const n = createNode({ name, distribution: net?.endpoint(name) });
  nodes.push(n);
  return n;
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A process that takes calls and never answers, telling `seen` the DOWN of each caller it monitors. */
function silentCallee(node: KNode, seen: unknown[]): Pid {
  return node.spawn(async (ctx) => {
    for (;;) {
      const m = await ctx.receive();
      if (isCallMessage(m)) ctx.monitor(m.from.pid);
      else if (isDownMessage(m)) seen.push(m.reason);
    }
  });
}

describe('call and rpc with an AbortSignal', () => {
  it('a call from a process rejects with KINDRED_ERR_ABORTED and the reason; the callee sees the call process exit', async () => {
    const a = mk();
    const seen: unknown[] = [];
    const callee = silentCallee(a, seen);
    const ac = new AbortController();
    const reason = new Error('client went away');
    const out: unknown[] = [];
    const caller = a.spawn(
      async (ctx) => {
        try {
          await ctx.call(callee, 'work', { signal: ac.signal });
        } catch (err) {
          out.push(err);
        }
        // No EXIT from the call's process reaches a trapping caller, and no late reply.
        out.push(await ctx.receive(undefined, 20));
      },
      { trapExit: true },
    );
    await tick();
    ac.abort(reason);
    while (out.length < 2) await tick();
    expect(out[0]).toMatchObject({ code: RUNTIME_ERRORS.ABORTED, details: { reason } });
    expect((out[0] as Error).cause).toBe(reason);
    expect(typeof out[1]).toBe('symbol'); // TIMEOUT
    expect(seen).toEqual([{ callAbandoned: 'aborted' }]);
    expect(a.isAlive(caller)).toBe(false);
  });

  it('an already aborted signal rejects at once; nothing is sent', async () => {
    const a = mk();
    const seen: unknown[] = [];
    const callee = silentCallee(a, seen);
    await expect(a.call(callee, 'x', { signal: AbortSignal.abort('no') })).rejects.toMatchObject({
      code: RUNTIME_ERRORS.ABORTED,
      details: { reason: 'no' },
    });
    expect(a.mailboxSize(callee)).toBe(0);
  });

  it('when the caller dies during a call with a signal, the callee sees its exit reason', async () => {
    const a = mk();
    const seen: unknown[] = [];
    const callee = silentCallee(a, seen);
    const caller = a.spawn(async (ctx) => {
      await ctx.call(callee, 'work', {
        signal: new AbortController().signal,
        timeoutMs: Number.POSITIVE_INFINITY,
      });
    });
    await tick();
    await tick();
    a.exit(caller, 'gone');
    while (seen.length === 0) await tick();
    expect(seen).toEqual(['gone']);
  });

  it('rpc to another node takes a signal', async () => {
    const net = new MemoryNetwork();
    const a = mk('a@h', net);
    const b = mk('b@h', net);
    let release: (() => void) | undefined;
    b.expose('slow', () => new Promise<void>((r) => (release = r)));
    await a.connect(b.name);
    const ac = new AbortController();
    const p = a.rpc(a.nodes()[0]!, 'slow', [], { signal: ac.signal, timeoutMs: 60_000 });
    while (release === undefined) await tick();
    ac.abort('enough');
    await expect(p).rejects.toMatchObject({ code: RUNTIME_ERRORS.ABORTED, details: { reason: 'enough' } });
    release();
    expect(await a.rpc(b.name, 'slow', [], 1).catch((e) => e.code)).toBe(RUNTIME_ERRORS.CALL_TIMEOUT);
    release();
  });

  it('a call with a signal that gets its reply resolves, and its process leaves no EXIT behind', async () => {
    const a = mk();
    const echo = a.spawn(async (ctx) => {
      for (;;) {
        const m = await ctx.receive(isCallMessage);
        ctx.reply(m.from, m.request);
      }
    });
    const out = await new Promise<unknown[]>((resolve) => {
      a.spawn(
        async (ctx) => {
          const r = await ctx.call(echo, 'hi', { signal: new AbortController().signal });
          resolve([r, await ctx.receive(isExitMessage, 20)]);
        },
        { trapExit: true },
      );
    });
    expect(out[0]).toBe('hi');
    expect(typeof out[1]).toBe('symbol');
  });
});
