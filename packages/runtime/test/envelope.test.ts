import fc from 'fast-check';
import { pack, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { OP } from '../src/control.js';
import { SendFrame, sendFrame } from '../src/envelope.js';
import { Pid } from '../src/terms.js';

describe('SendFrame', () => {
  const json = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"'));
  const pid = fc
    .tuple(fc.integer({ min: 0, max: 2 ** 28 - 1 }), fc.nat(), fc.integer({ min: 1, max: 0xffffffff }))
    .map(([id, serial, creation]) => new Pid(`n${id % 3}@host`, id, serial, creation));

  it('packs to exactly the bytes of [[SEND, "", to], msg], whichever pid came before', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(pid, json), { minLength: 1, maxLength: 20 }), (sends) => {
        const pids = sends.map(([p]) => p);
        // The same Pid objects again, so the per-pid cache is hit too.
        for (const [p, msg] of [...sends, ...sends.map(([, m], i) => [pids[i] as Pid, m] as const)]) {
          const f = sendFrame(p, msg);
          expect(f).toBeInstanceOf(SendFrame);
          const bytes = pack(f);
          expect(bytes).toEqual(pack([[OP.SEND, '', p], msg]));
          const [control, back] = unpack(bytes) as [unknown[], unknown];
          expect(control[0]).toBe(OP.SEND);
          expect(control[2]).toEqual(p);
          expect(back).toEqual(unpack(pack(msg)));
        }
      }),
    );
  });

  it('is encoded when packed, so what a SendFrame carries is fixed by the send that packs it', () => {
    const to = new Pid('n@host', 1, 0, 7);
    const msg = { n: 1 };
    const bytes = pack(sendFrame(to, msg));
    msg.n = 2;
    expect((unpack(bytes) as unknown[])[1]).toEqual({ n: 1 });
  });
});
