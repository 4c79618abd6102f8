import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostileSession } from '../src/client.js';
import { MessageBuilder } from '../src/messages.js';
import { versionFromEnv, wireProfile } from '../src/wire.js';
import { outcome, probe, Victim } from './victim.js';

// Random and mutated frames on real sockets (issue 11, item 9): 200 each, tagged so they reach the decoder. A frame
// may be dropped (the connection stays and still works) or close the connection with 4000; then the next frame
// goes on a fresh connection. After the run the node must be alive, answer a ping within 1 s, memory near baseline.

const FRAMES = 200;

describe('fuzzing frames after the handshake', () => {
  let v: Victim;
  beforeAll(async () => {
    v = await Victim.start('cli');
  });
  afterAll(async () => {
    await v.stop();
  });

  async function run(frames: readonly Uint8Array[]): Promise<void> {
    let s: HostileSession = await v.session();
    const codes = new Map<number, number>();
    for (const [i, f] of frames.entries()) {
      await s.send(f);
      if (i % 20 === 19 && s.open) {
        const answered = await probe(s);
        // A frame already in flight may have closed it meanwhile; an open connection must work.
        if (s.open) expect(answered, `rex answers after frame ${i}`).toBe(true);
      }
      if (!s.open || (await outcome(s, 0)) !== 'open') {
        const code = (await s.closed).code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        s = await v.session();
      }
    }
    s.terminate();
    await v.expectHealthy();
    expect(
      [...codes.keys()].filter((c) => c !== 4000),
      'close codes other than 4000',
    ).toEqual([]);
  }

  it(`${FRAMES} random frames`, async () => {
    const frames = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 512 }), { numRuns: FRAMES, seed: 11 });
    await run(frames);
  });

  it(`${FRAMES} mutated well-formed frames`, async () => {
    const b = new MessageBuilder(wireProfile(versionFromEnv()), 'seed@127.0.0.1');
    const corpus = [
      b.call('rex', { handler: 'x', args: [1, 'a', null] }, b.pid(1), b.ref()),
      b.pg({ type: 'join', group: 'g', pids: [b.pid(2), b.pid(3)] }),
      b.peers(
        [
          ['a@127.0.0.1', 1],
          ['b@127.0.0.1', null],
        ],
        4370,
      ),
      b.send(b.pid(4), { a: [1.5, true, new Uint8Array(3)] }),
      b.frame([19, b.pid(5), 'rex', b.ref()]),
    ];
    const mutation = fc.tuple(
      fc.constantFrom(...corpus),
      fc.array(fc.tuple(fc.constantFrom('flip', 'set', 'cut', 'dup'), fc.nat(), fc.nat(255)), {
        minLength: 1,
        maxLength: 4,
      }),
    );
    const frames = fc.sample(mutation, { numRuns: FRAMES, seed: 12 }).map(([base, ops]) => {
      let f = Buffer.from(base);
      for (const [op, at, byte] of ops) {
        const i = at % f.length;
        if (op === 'flip') f[i] = (f[i] as number) ^ (1 << (byte % 8));
        else if (op === 'set') f[i] = byte;
        else if (op === 'cut') f = f.subarray(0, Math.max(1, i));
        else f = Buffer.concat([f.subarray(0, i), Buffer.of(byte), f.subarray(i)]);
      }
      return f;
    });
    await run(frames);
  });
});
