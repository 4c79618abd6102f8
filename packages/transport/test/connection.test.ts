import { afterEach, describe, expect, it } from 'vitest';
import { DECODE_LIMITS } from '../src/decoder.js';
import { decodeFrame, encodeMessage } from '../src/framing.js';
import type { Transport } from '../src/types.js';
import { closeCode, nextMessage, once, rawHandshake, rawMac, startNode } from './support.js';

const open: Transport[] = [];
async function node(name: string, extra: Parameters<typeof startNode>[1] = {}) {
  const n = await startNode(name, extra);
  open.push(n.t);
  return n;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('frame integrity (protocol v2)', () => {
  it('is on by default: every frame and tick on the wire is payload || 16-byte tag, in sequence', async () => {
    const a = await node('a@127.0.0.1', { ticktimeMs: 400 });
    const ws = await rawHandshake(a.port, 'q@127.0.0.1', 'a@127.0.0.1');
    const mac = rawMac(ws);
    const got: Buffer[] = [];
    ws.on('message', (data: Buffer) => got.push(mac.open(data)));
    a.t.send('q@127.0.0.1', { hello: 1 });
    await new Promise((r) => setTimeout(r, 250));
    // open() checked every tag with the next sequence number; a tick is an empty payload.
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(decodeFrame(got[0] as Buffer)).toEqual([{ hello: 1 }]);
    expect(got.slice(1).every((p) => p.length === 0)).toBe(true);
    // and the node accepts the raw peer's sealed frames
    const msg = once<[string, unknown, number]>(a.t, 'message');
    ws.send(mac.seal(encodeMessage(['from', 'q'])), { binary: true });
    expect((await msg).slice(0, 2)).toEqual(['q@127.0.0.1', ['from', 'q']]);
  });

  it('closes with 4011 bad_mac and counts it for a wrong tag, a short message, a replay, or injected bytes', async () => {
    const a = await node('a@127.0.0.1');
    const cases: Array<(seal: (p: Buffer) => Buffer) => Buffer> = [
      // a flipped bit in the payload
      (seal) => {
        const m = seal(encodeMessage('x'));
        m[0] = (m[0] as number) ^ 1;
        return m;
      },
      // shorter than a tag
      () => Buffer.alloc(15),
      // a plain v1 frame with no tag (the 9-byte msgpackr loop frame, injected on the path)
      () => Buffer.from('a0a0d662fffffffcc0', 'hex'),
      // a tick sealed with the wrong sequence number: seal twice, send the second
      (seal) => {
        seal(Buffer.alloc(0));
        return seal(Buffer.alloc(0));
      },
    ];
    let failures = 0;
    for (const make of cases) {
      const down = once<[string, string]>(a.t, 'nodedown');
      const ws = await rawHandshake(a.port, 'q@127.0.0.1', 'a@127.0.0.1');
      const code = closeCode(ws);
      ws.send(make(rawMac(ws).seal), { binary: true });
      expect(await code).toBe(4011);
      expect(await down).toEqual(['q@127.0.0.1', 'connection_closed']);
      expect(a.t.stats().macFailures).toBe(++failures);
    }
  });

  it('a replayed frame (same bytes again) fails: the sequence number moved on', async () => {
    const a = await node('a@127.0.0.1');
    const ws = await rawHandshake(a.port, 'q@127.0.0.1', 'a@127.0.0.1');
    const frame = rawMac(ws).seal(encodeMessage('once'));
    const msg = once<[string, unknown, number]>(a.t, 'message');
    const code = closeCode(ws);
    ws.send(frame, { binary: true });
    expect((await msg)[1]).toBe('once');
    ws.send(frame, { binary: true });
    expect(await code).toBe(4011);
  });

  it('both sides off: frames carry no tag, as in v1', async () => {
    const a = await node('a@127.0.0.1', { frameIntegrity: false });
    const ws = await rawHandshake(a.port, 'q@127.0.0.1', 'a@127.0.0.1', 'secret', undefined, false);
    const got = nextMessage(ws);
    a.t.send('q@127.0.0.1', 'plain');
    expect(decodeFrame(await got)).toEqual(['plain']);
    const b = await node('b@127.0.0.1', { frameIntegrity: false });
    await b.t.connect('a@127.0.0.1', { port: a.port });
    const msg = once<[string, unknown, number]>(a.t, 'message');
    b.t.send('a@127.0.0.1', { off: true });
    expect((await msg)[1]).toEqual({ off: true });
  });

  it('nodes that disagree do not connect: pang with KINDRED_ERR_INTEGRITY_MISMATCH, whichever side dials', async () => {
    const on = await node('on@127.0.0.1');
    const off = await node('off@127.0.0.1', { frameIntegrity: false });
    await expect(off.t.connect('on@127.0.0.1', { port: on.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_INTEGRITY_MISMATCH',
      message: expect.stringMatching(/frameIntegrity the same on every node/),
    });
    await expect(on.t.connect('off@127.0.0.1', { port: off.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_INTEGRITY_MISMATCH',
    });
    // A raw initiator without the flag gets STATUS not_allowed / integrity_mismatch and close 4004.
    await expect(
      rawHandshake(on.port, 'q@127.0.0.1', 'on@127.0.0.1', 'secret', undefined, false),
    ).rejects.toThrow(/integrity_mismatch/);
    expect(on.t.nodes()).toEqual([]);
  });

  it('carries messages up to maxMessageBytes (the tag does not count against the limit)', async () => {
    const a = await node('a@127.0.0.1', { maxMessageBytes: 64 * 1024 });
    const b = await node('b@127.0.0.1', { maxMessageBytes: 64 * 1024 });
    await a.t.connect('b@127.0.0.1', { port: b.port });
    const big = 'z'.repeat(64 * 1024 - 8);
    const msg = once<[string, unknown, number]>(b.t, 'message');
    a.t.send('b@127.0.0.1', big);
    expect((await msg)[1]).toBe(big);
  });
});

describe('received messages', () => {
  it("carry their decoded-size estimate as the 'message' event's third argument", async () => {
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    const msg = once<[string, unknown, number]>(b.t, 'message');
    a.t.send('b@127.0.0.1', { list: [1, 2, 3] });
    const [, m, bytes] = await msg;
    expect(m).toEqual({ list: [1, 2, 3] });
    const wire = encodeMessage({ list: [1, 2, 3] }).length;
    // map, key, array: 3 values; 1 entry + 3 elements
    expect(bytes).toBe(wire + 3 * DECODE_LIMITS.valueOverheadBytes + 4 * DECODE_LIMITS.slotBytes);
  });

  it('a frame over maxFrameValues closes with 4000, counted values not allocated', async () => {
    const a = await node('a@127.0.0.1', { maxFrameValues: 1000 });
    const ws = await rawHandshake(a.port, 'q@127.0.0.1', 'a@127.0.0.1');
    const code = closeCode(ws);
    ws.send(rawMac(ws).seal(Buffer.alloc(1001, 0x80)), { binary: true });
    expect(await code).toBe(4000);
  });

  it('a message the peer would refuse is refused at send time (KINDRED_ERR_MESSAGE_ENCODE); the connection stays', async () => {
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    for (const bad of [new Set([1]), new Error('e'), /re/, new Float64Array(1), new Date(Number.NaN)]) {
      expect(() => a.t.send('b@127.0.0.1', { bad })).toThrow(
        expect.objectContaining({ code: 'KINDRED_ERR_MESSAGE_ENCODE' }),
      );
    }
    const msg = once<[string, unknown, number]>(b.t, 'message');
    a.t.send('b@127.0.0.1', 'still here');
    expect((await msg)[1]).toBe('still here');
    expect(a.t.nodes()).toEqual(['b@127.0.0.1']);
  });
});

describe('tick timeout', () => {
  it("drops a silent peer between ticktime * (1 - 1/intensity) and ticktime after its last message (Erlang's rule)", async () => {
    // Long enough that timer slack is small next to the difference with the old rule (ticktime to 1.25 ticktime).
    const ticktimeMs = 2000;
    const intensity = 4;
    const a = await node('a@127.0.0.1', { ticktimeMs, tickIntensity: intensity });
    const windows: number[] = [];
    for (let i = 0; i < 3; i++) {
      const ws = await rawHandshake(a.port, 'q@127.0.0.1', 'a@127.0.0.1');
      // Answer for a while at a random phase, then go silent: the window is measured from the last message.
      const mac = rawMac(ws);
      ws.on('message', (data: Buffer) => mac.open(data));
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 500));
      ws.send(mac.seal(Buffer.alloc(0)), { binary: true });
      const last = performance.now();
      const down = await once<[string, string]>(a.t, 'nodedown');
      expect(down).toEqual(['q@127.0.0.1', 'net_tick_timeout']);
      windows.push(performance.now() - last);
    }
    // Timer slack only ever makes the drop later: the lower bound is exact, the upper one gets a tolerance.
    for (const w of windows) {
      expect(w).toBeGreaterThanOrEqual(ticktimeMs * (1 - 1 / intensity) - 5);
      expect(w).toBeLessThanOrEqual(ticktimeMs + 150);
    }
  });
});

describe('writes', () => {
  // Small frames are written to the socket with their WebSocket header by the connection itself: 7- and 16-bit
  // lengths, the dialer's zero masking key, with and without the MAC; larger ones and random keys go through ws.
  it('every frame size arrives intact both ways, with and without the MAC, with zero and random masking keys', async () => {
    const sizes = [1, 90, 100, 106, 107, 108, 109, 110, 125, 126, 127, 200, 16_300, 16_370, 16_400, 70_000];
    for (const frameIntegrity of [true, false]) {
      for (const maskFrames of [false, true]) {
        const a = await node('a@127.0.0.1', { frameIntegrity, maskFrames });
        const b = await node('b@127.0.0.1', { frameIntegrity, maskFrames });
        await a.t.connect('b@127.0.0.1', { port: b.port });
        for (const [from, to, toName] of [
          [a, b, 'b@127.0.0.1'],
          [b, a, 'a@127.0.0.1'],
        ] as const) {
          const sent = sizes.map((n) => 'x'.repeat(n));
          const got: unknown[] = [];
          const all = new Promise<void>((resolve) => {
            const on = (_node: string, m: unknown) => {
              got.push(m);
              if (got.length === sent.length) {
                to.t.off('message', on);
                resolve();
              }
            };
            to.t.on('message', on);
          });
          // One at a time, so each goes alone in its own frame.
          for (const m of sent) {
            const one = once<[string, unknown]>(to.t, 'message');
            from.t.send(toName, m);
            await one;
          }
          await all;
          expect(got).toEqual(sent);
        }
        await Promise.all(open.splice(0).map((t) => t.close()));
      }
    }
  });
});
