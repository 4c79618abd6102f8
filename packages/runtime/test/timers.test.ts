import { afterEach, describe, expect, it } from 'vitest';
import { createNode, isKindredError, type KNode, type Ref, RUNTIME_ERRORS } from '../src/index.js';

const nodes: KNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});
function mk(): KNode {
  const n = createNode({ name: 't@127.0.0.1' });
  nodes.push(n);
  return n;
}
const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('sendAfter / cancelTimer (erlang:send_after/3, cancel_timer/1)', () => {
  it('delivers the message after the delay, in the order of the timers that fired', async () => {
    const a = mk();
    const got = await new Promise<unknown[]>((resolve) => {
      a.spawn(async (ctx) => {
        ctx.sendAfter(ctx.self, 'second', 20);
        ctx.sendAfter(ctx.self, 'first', 1);
        resolve([await ctx.receive(), await ctx.receive()]);
      });
    });
    expect(got).toEqual(['first', 'second']);
  });

  it('cancelTimer returns the ms left, then false; false for a timer that fired', async () => {
    const a = mk();
    const out = await new Promise<unknown[]>((resolve) => {
      a.spawn(async (ctx) => {
        const long = ctx.sendAfter(ctx.self, 'never', 60_000);
        const left = ctx.cancelTimer(long);
        const again = ctx.cancelTimer(long);
        const short = ctx.sendAfter(ctx.self, 'fired', 0);
        const m = await ctx.receive();
        resolve([left, again, m, ctx.cancelTimer(short), await ctx.receive(undefined, 30)]);
      });
    });
    expect(typeof out[0]).toBe('number');
    expect(out[0] as number).toBeGreaterThan(50_000);
    expect(out[0] as number).toBeLessThanOrEqual(60_000);
    expect(out.slice(1, 4)).toEqual([false, 'fired', false]);
    expect(typeof out[4]).toBe('symbol'); // TIMEOUT: the cancelled timer never sent
  });

  it("a process's timers die with it: cancelTimer finds none, no Node.js timer is left", async () => {
    const a = mk();
    const before = timeouts();
    const sink = a.spawn(async (ctx) => {
      await ctx.receive();
    });
    const ref = await new Promise<Ref>((resolve) => {
      a.spawn(async (ctx) => {
        resolve(ctx.sendAfter(sink, 'late', 60_000));
        ctx.exit('done');
      });
    });
    await new Promise((r) => setImmediate(r));
    expect(a.cancelTimer(ref)).toBe(false);
    expect(timeouts()).toBe(before);
    expect(a.mailboxSize(sink)).toBe(0);
  });

  it('a node timer to a local pid dies with that pid; every timer dies with the node', async () => {
    const a = mk();
    const before = timeouts();
    const target = a.spawn(async (ctx) => {
      await ctx.receive();
    });
    const toPid = a.sendAfter(target, 'x', 60_000);
    const toName = a.sendAfter('nobody', 'x', 60_000);
    expect(timeouts()).toBe(before + 2);
    a.exit(target, 'kill');
    expect(a.cancelTimer(toPid)).toBe(false);
    await a.stop();
    expect(a.cancelTimer(toName)).toBe(false);
    expect(timeouts()).toBe(before);
  });

  it('a process that has exited (its code running on) sets no timer', async () => {
    const a = mk();
    const before = timeouts();
    let go: (() => void) | undefined;
    const out = new Promise<unknown>((resolve) => {
      const pid = a.spawn(async (ctx) => {
        await new Promise<void>((r) => (go = r)); // awaiting something other than receive
        resolve(ctx.cancelTimer(ctx.sendAfter(ctx.self, 'x', 60_000)));
      });
      void pid;
    });
    while (go === undefined) await new Promise((r) => setImmediate(r));
    a.exit(a.processes().at(-1)!, 'kill');
    go();
    expect(await out).toBe(false);
    expect(timeouts()).toBe(before);
  });

  it('refuses a bad delay or destination with a coded error', () => {
    const a = mk();
    for (const ms of [-1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => a.sendAfter('x', 'm', ms)).toThrowError(
        expect.objectContaining({ code: RUNTIME_ERRORS.RUNTIME_BAD_OPTION }),
      );
    }
    try {
      a.sendAfter(42 as never, 'm', 1);
      expect.unreachable();
    } catch (err) {
      expect(isKindredError(err) && err.code).toBe(RUNTIME_ERRORS.BAD_DEST);
    }
  });
});
