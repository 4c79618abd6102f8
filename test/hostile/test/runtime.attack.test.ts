import { createServer, type Server } from 'node:net';
import { RUNTIME_DEFAULTS } from '@kindred/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostileSession } from '../src/client.js';
import { MessageBuilder, OP, rawPid } from '../src/messages.js';
import { type Encodable, encode, int, mapHeader, Raw, repeat } from '../src/msgpack.js';
import type { WirePid, WireRef } from '../src/reader.js';
import { controls, NEAR_MAX_FRAME, outcome, probe, sendAll, Victim } from './victim.js';

// Well-formed runtime messages with extreme contents (issue 11, items 3, 6 and 8): the target is the message
// refused or dropped (or the connection closed with 4000), the node alive, a ping within 1 s, memory back near
// where it was. The fixture node (fixtures/victim.mjs) has a `sink` that never reads and an rpc handler `call_me`
// that calls the pid it is given.

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** rpc `call_me(ourPid)`: the node's worker calls us; resolves with the worker's pid and the call's ref. */
async function callMe(s: HostileSession, b: MessageBuilder, word: number) {
  const me = b.pid(9);
  await s.send(b.call('rex', { handler: 'call_me', args: [me] }, me, b.ref([word, 0, 0])));
  const call = (await s.waitFor((m) => Array.isArray(m) && isObj(m[1]) && m[1].type === '$gen_call', 5000)) as
    | [unknown, { from: { pid: WirePid; ref: WireRef } }]
    | undefined;
  if (!call) throw new Error('the node never called us');
  const monitor = controls(s).find((c) => c[0] === OP.MONITOR_P) as [number, WirePid, unknown, WireRef];
  return { worker: call[1].from.pid, ref: call[1].from.ref, monitorRef: monitor[3], me };
}

/** The rex reply to our `call_me` (its result), or undefined. */
async function rpcResult(s: HostileSession, word: number): Promise<unknown> {
  const r = await s.waitFor((m) => {
    const p = Array.isArray(m) ? m[1] : undefined;
    return isObj(p) && p.type === '$gen_reply' && (p.ref as WireRef).words[0] === word;
  }, 5000);
  return r === undefined ? undefined : ((r as unknown[])[1] as { reply: unknown }).reply;
}

const asPid = (p: WirePid): Raw => rawPid(p.node, p.id, p.serial, p.creation);

describe('runtime-message attacks on an authenticated connection', () => {
  let v: Victim;
  let s: HostileSession;
  let b: MessageBuilder;
  beforeEach(async () => {
    v = await Victim.start('fixture');
    s = await v.session();
    b = new MessageBuilder(s.profile, s.self);
  });
  afterEach(async () => {
    s.terminate();
    await v.stop();
  });

  it('pg: sync, join and leave with 100,000 members, and with pids of another node', async () => {
    const many = (node: string) => Array.from({ length: 100_000 }, (_, i) => rawPid(node, i + 1));
    const own = many(s.self);
    await sendAll(s, [
      b.pg({ type: 'discover' }),
      b.pg({ type: 'sync', groups: [['g', own]] }),
      b.pg({ type: 'join', group: 'g', pids: own }),
      b.pg({ type: 'leave', group: 'g', pids: own }),
      b.pg({ type: 'join', group: 'h', pids: many('third@127.0.0.1') }),
      b.pg({ type: 'leave', group: 'g', pids: own }),
    ]);
    const code = await outcome(s, 1000);
    await v.expectHealthy();
    expect(code === 'open' ? await probe(s) : code).toBe(true);
  });

  it('kindred_net: a peers message with 10,000 names makes only a few dials', async () => {
    let dials = 0;
    const trap: Server = createServer((sock) => {
      dials++;
      sock.destroy();
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    const port = (trap.address() as { port: number }).port;
    try {
      const names = Array.from({ length: 10_000 }, (_, i) => [`n${i}@127.0.0.1`, port] as const);
      await s.send(b.peers(names, port));
      await new Promise((r) => setTimeout(r, 3000));
      await v.expectHealthy();
      // At most the runtime's documented cap of names taken from one connect_all message is ever dialled.
      expect(dials, 'dials to the names of one peers message').toBeLessThanOrEqual(
        RUNTIME_DEFAULTS.maxNamesPerNetMessage,
      );
    } finally {
      trap.close();
    }
  });

  it('EXIT and EXIT2 whose from is a pid of a third node are dropped', async () => {
    const { worker, ref } = await callMe(s, b, 41);
    const third = rawPid('third@127.0.0.1', 5);
    await sendAll(s, [
      b.frame([OP.EXIT2, third, asPid(worker), 'kill']),
      b.frame([OP.EXIT, third, asPid(worker), 'kill']),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    await s.send(
      b.send(asPid(worker), {
        type: '$gen_reply',
        ref: new Raw(s.profile.ref(ref.node, ref.words, ref.creation)),
        reply: 'pong',
      }),
    );
    expect(await rpcResult(s, 41)).toEqual({ ok: true, value: { ok: 'pong' } });
    await v.expectHealthy();
  });

  for (const [label, reason] of [
    ['a uint64 beyond 2^53 (a BigInt to msgpackr)', new Raw(int(2n ** 64n - 1n))],
    ['a 4 MiB string', 'x'.repeat(4 * 1024 * 1024)],
  ] as const) {
    it(`call() ends with KINDRED_ERR_CALL_EXIT when the callee exits with ${label}`, async () => {
      const { worker, monitorRef, me } = await callMe(s, b, 42);
      const mref = new Raw(s.profile.ref(monitorRef.node, monitorRef.words, monitorRef.creation));
      await s.send(b.frame([OP.MONITOR_P_EXIT, me, asPid(worker), mref, reason as Encodable]));
      const result = await rpcResult(s, 42);
      await v.expectHealthy();
      expect(result).toEqual({ ok: true, value: { threw: 'KindredError', code: 'KINDRED_ERR_CALL_EXIT' } });
    });
  }

  it('ten 8 MiB frames of empty maps to a process that never reads', async () => {
    // One message per frame: [[REG_SEND, me, '', 'sink'], [ {}, {}, ... ]] filling the frame.
    const head = b.regSend('sink', null).subarray(0, -1); // the frame without its nil payload
    const n = NEAR_MAX_FRAME - head.length - 5;
    const frame = Buffer.concat([
      head,
      Buffer.of(0xdd, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff),
      repeat(mapHeader(0), n),
    ]);
    await sendAll(
      s,
      Array.from({ length: 10 }, () => frame),
      60_000,
    );
    const code = await outcome(s, 2000);
    await v.expectHealthy();
    expect([4000, 'open']).toContain(code);
  });

  it('control messages of every operation with wrong arity and field types are dropped or closed with 4000', async () => {
    const junk: Encodable[] = [
      null,
      'x',
      -1,
      2 ** 40,
      1.5,
      {},
      [],
      new Raw(encode([[[]]])),
      rawPid('other@h', 1),
      true,
    ];
    const ops: Encodable[] = [...Object.values(OP), 0, 4, 99, -1, 'SEND', null, 2 ** 32];
    const frames: Buffer[] = [];
    for (const op of ops) {
      for (let arity = 0; arity <= 6; arity++) {
        for (let j = 0; j < junk.length; j++) {
          const fields = Array.from({ length: arity }, (_, k) => junk[(j + k) % junk.length] as Encodable);
          frames.push(encode([[op, ...fields], junk[j] as Encodable]));
        }
      }
      frames.push(encode([op]), encode(op), encode([[op]]));
    }
    let closes = 0;
    for (const f of frames) {
      if (!s.open) {
        const c = s.closeInfo?.code;
        expect(c, 'close code for a malformed control message').toBe(4000);
        closes++;
        s = await v.session();
        b = new MessageBuilder(s.profile, s.self);
      }
      await s.send(f);
    }
    const code = await outcome(s, 500);
    await v.expectHealthy();
    expect(code === 'open' ? await probe(s) : code).toBe(true);
    expect(closes).toBeLessThan(frames.length);
  });
});
