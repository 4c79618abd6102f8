import { afterEach, describe, expect, it } from 'vitest';
import { createNode, type KNode, Pid, ProcessExitedError, RUNTIME_ERRORS } from '../src/index.js';
import { isLocalPidShape, LOCAL_PID_IDS, localPidKey } from '../src/terms.js';

const nodes: KNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});
function mk(): KNode {
  const n = createNode({ name: 'p@127.0.0.1', creation: 7 });
  nodes.push(n);
  return n;
}

describe('process table keys', () => {
  it('pids with 32-bit ids and serials (legal on the wire) never name a local process, though their key would collide', () => {
    // (id 2^28, serial 0) and (id 0, serial 1) have the same `serial * 2^28 + id`: only the first shape is a node's.
    expect(localPidKey(new Pid('n@h', LOCAL_PID_IDS, 0, 1))).toBe(localPidKey(new Pid('n@h', 0, 1, 1)));
    expect(isLocalPidShape(new Pid('n@h', 0, 1, 1))).toBe(true);
    expect(isLocalPidShape(new Pid('n@h', LOCAL_PID_IDS, 0, 1))).toBe(false);
    expect(isLocalPidShape(new Pid('n@h', 0xffffffff, 0xffffffff, 1))).toBe(false);
    const a = mk();
    const got: unknown[] = [];
    const real = a.spawn(async (ctx) => {
      for (;;) got.push(await ctx.receive());
    });
    // Same key as `real` in the low 28 bits, with the high id bits set: not `real`.
    for (const id of [real.id + LOCAL_PID_IDS, 0xffffffff]) {
      const fake = new Pid(a.name, id, real.serial, a.creation);
      expect(a.isAlive(fake)).toBe(false);
      expect(a.mailboxSize(fake)).toBeUndefined();
      a.send(fake, 'not for real');
      a.exit(fake, 'kill');
      expect(() => a.pg.join('g', fake)).toThrow();
    }
    a.send(real, 'for real');
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        expect(got).toEqual(['for real']);
        expect(a.isAlive(real)).toBe(true);
        resolve();
      });
    });
  });
});

describe('ending processes', () => {
  it('every receive of a killed process rejects with ProcessExitedError, its code and reason', async () => {
    const a = mk();
    const errors: unknown[] = [];
    const pids = Array.from({ length: 50 }, (_, i) =>
      a.spawn(async (ctx) => {
        try {
          await ctx.receive();
        } catch (err) {
          errors.push(err);
          throw err;
        }
        void i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    for (const p of pids.slice(0, 40)) a.exit(p, 'kill');
    for (const p of pids.slice(40)) a.exit(p, { custom: 'reason' });
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(50);
    for (const [i, e] of errors.entries()) {
      expect(e).toBeInstanceOf(ProcessExitedError);
      expect(e).toMatchObject({
        code: RUNTIME_ERRORS.PROCESS_EXITED,
        reason: i < 40 ? 'killed' : { custom: 'reason' },
        details: { reason: i < 40 ? 'killed' : { custom: 'reason' } },
      });
    }
    expect(pids.filter((p) => a.isAlive(p))).toEqual([]);
  });
});

describe('receive with an AbortSignal', () => {
  it('aborting rejects the pending receive with KINDRED_ERR_ABORTED; the mailbox is kept; later receives work', async () => {
    const a = mk();
    const ac = new AbortController();
    const out: unknown[] = [];
    const pid = a.spawn(async (ctx) => {
      try {
        await ctx.receive((m) => m === 'wanted', { signal: ac.signal });
      } catch (err) {
        out.push(err);
      }
      out.push(await ctx.receive());
      await expect(ctx.receive(undefined, { signal: AbortSignal.abort('early') })).rejects.toMatchObject({
        code: RUNTIME_ERRORS.ABORTED,
        details: { reason: 'early' },
      });
      out.push(await ctx.receive(undefined, { timeoutMs: 1, signal: new AbortController().signal }));
    });
    await new Promise((r) => setImmediate(r));
    a.send(pid, 'other');
    ac.abort('stop waiting');
    while (out.length < 3) await new Promise((r) => setImmediate(r));
    expect(out[0]).toMatchObject({ code: RUNTIME_ERRORS.ABORTED, details: { reason: 'stop waiting' } });
    expect(out[1]).toBe('other');
    expect(typeof out[2]).toBe('symbol'); // TIMEOUT still applies with a signal
  });
});
