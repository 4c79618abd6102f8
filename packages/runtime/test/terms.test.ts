import fc from 'fast-check';
import { Packr, pack, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { isPid, isRef, Pid, pidEquals, Ref, refEquals, toPid, toRef } from '../src/index.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const pidArb = fc
  .tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 2 ** 28 - 1 }), u32, u32)
  .map(([n, id, s, c]) => new Pid(`${n}@h`, id, s, c));
const refArb = fc
  .tuple(fc.string({ minLength: 1, maxLength: 40 }), u32, u32, u32, u32)
  .map(([n, c, a, b, d]) => new Ref(`${n}@h`, c, [a, b, d]));

describe('Pid and Ref', () => {
  // The transport's Packr options (packages/transport/src/framing.ts) and msgpackr's defaults.
  const packrs = [new Packr({ useRecords: false, mapsAsObjects: true }), { pack, unpack }];

  it('survive msgpackr round trips as classes, nested anywhere', () => {
    for (const p of packrs) {
      fc.assert(
        fc.property(pidArb, refArb, (pid, ref) => {
          const back = p.unpack(p.pack([[22, pid, pid], { ref, list: [pid, { deep: ref }] }])) as [
            unknown[],
            { ref: Ref; list: [Pid, { deep: Ref }] },
          ];
          expect(back[0][1]).toBeInstanceOf(Pid);
          expect(pidEquals(back[0][1] as Pid, pid)).toBe(true);
          expect(back[1].ref).toBeInstanceOf(Ref);
          expect(refEquals(back[1].ref, ref)).toBe(true);
          expect(refEquals(back[1].list[1].deep, ref)).toBe(true);
          expect(back[1].list[0].toString()).toBe(pid.toString());
        }),
        { numRuns: 200 },
      );
    }
  });

  it('plain pid-shaped objects (JSON) are accepted by toPid/toRef and rejected when malformed', () => {
    const pid = new Pid('a@h', 1, 2, 3);
    const json = JSON.parse(JSON.stringify(pid)) as unknown;
    expect(isPid(json)).toBe(true);
    expect(pidEquals(toPid(json)!, pid)).toBe(true);
    expect(toPid({ node: 'a@h', id: -1, serial: 0, creation: 0 })).toBeUndefined();
    expect(toPid({ node: 1, id: 1, serial: 0, creation: 0 })).toBeUndefined();
    const ref = new Ref('a@h', 9, [1, 2, 3]);
    expect(refEquals(toRef(JSON.parse(JSON.stringify(ref)))!, ref)).toBe(true);
    expect(isRef({ node: 'a@h', creation: 1, ids: [1, 2] })).toBe(true);
    expect(isRef({ node: 'a@h', creation: 1, ids: [] })).toBe(false);
    expect(isRef({ node: 'a@h', creation: 1, ids: [1, 2, 3, 4, 5, 6] })).toBe(false);
    expect(isRef({ node: 'a@h', creation: 1, ids: [1, 2, 2 ** 32] })).toBe(false);
  });

  it('a malformed extension payload does not throw', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(() => toPid(v)).not.toThrow();
        expect(() => toRef(v)).not.toThrow();
      }),
    );
  });

  it('a pid is written as NEW_PID_EXT fields (big-endian id, serial, creation, node); malformed bodies decode to null', () => {
    const pid = new Pid('n1@h', 0x01020304, 5, 0xfffffffe);
    const packed = pack(pid);
    // fixext/ext header, then type 0x50, then the body
    const body = packed.subarray(packed.indexOf(0x50) + 1);
    expect([...body.subarray(0, 12)]).toEqual([1, 2, 3, 4, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xfe]);
    expect(body.subarray(12).toString()).toBe('n1@h');
    for (const bad of [Buffer.alloc(0), Buffer.alloc(5), Buffer.alloc(12)]) {
      const ext = Buffer.concat([Buffer.from([0xc7, bad.length, 0x50]), bad]); // ext 8
      expect(() => unpack(ext)).not.toThrow();
      expect(unpack(ext)).toBeNull();
    }
  });
});

describe('pid decoding', () => {
  it('decodes each pid of a stream right, whether it repeats the last one or not', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}@[a-zé0-9.-]{1,12}$/);
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const pid = fc.tuple(name, fc.integer({ min: 0, max: 2 ** 28 - 1 }), u32, u32);
    fc.assert(
      fc.property(fc.array(pid, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(29)), (pids, picks) => {
        const stream = [...pids, ...picks.map((i) => pids[i % pids.length] as (typeof pids)[number])];
        for (const [node, id, serial, creation] of stream) {
          const back = unpack(pack(new Pid(node, id, serial, creation))) as Pid;
          expect(back).toBeInstanceOf(Pid);
          expect([back.node, back.id, back.serial, back.creation]).toEqual([node, id, serial, creation]);
        }
      }),
    );
  });
});
