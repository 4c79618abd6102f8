import fc from 'fast-check';
import { Packr, pack, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { isPid, isRef, Pid, pidEquals, Ref, refEquals, refKey, toPid, toRef } from '../src/index.js';

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

/**
 * A plain msgpack decoder written from the msgpack spec alone (no msgpackr): an ext is `{ ext: type, body }`. If
 * kindred's ext bodies were not self-contained, the values after them would come out wrong here.
 */
function plainDecode(b: Uint8Array): unknown[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  const take = (n: number) => {
    const bytes = b.subarray(p, p + n);
    p += n;
    return bytes;
  };
  const str = (n: number) => new TextDecoder().decode(take(n));
  const ext = (n: number) => {
    const type = v.getInt8(p++);
    return { ext: type, body: Buffer.from(take(n)) };
  };
  const arr = (n: number): unknown[] => Array.from({ length: n }, () => one());
  const map = (n: number) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) o[String(one())] = one();
    return o;
  };
  const one = (): unknown => {
    const t = b[p++] as number;
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t >= 0xa0 && t <= 0xbf) return str(t - 0xa0);
    if (t >= 0x90 && t <= 0x9f) return arr(t - 0x90);
    if (t >= 0x80 && t <= 0x8f) return map(t - 0x80);
    const r = (n: number) => {
      const x = n === 1 ? v.getUint8(p) : n === 2 ? v.getUint16(p) : v.getUint32(p);
      p += n;
      return x;
    };
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xcc:
        return r(1);
      case 0xcd:
        return r(2);
      case 0xce:
        return r(4);
      case 0xd9:
        return str(r(1));
      case 0xda:
        return str(r(2));
      case 0xdc:
        return arr(r(2));
      case 0xde:
        return map(r(2));
      case 0xd4:
        return ext(1);
      case 0xd5:
        return ext(2);
      case 0xd6:
        return ext(4);
      case 0xd7:
        return ext(8);
      case 0xd8:
        return ext(16);
      case 0xc7:
        return ext(r(1));
      case 0xc8:
        return ext(r(2));
      default:
        throw new Error(`plainDecode: byte 0x${t.toString(16)} not needed by this test`);
    }
  };
  const out: unknown[] = [];
  while (p < b.length) out.push(one());
  return out;
}

describe('ext bodies on the wire (docs/protocol.md, "Pid and Ref bodies")', () => {
  it('a frame of pids and refs decodes with a plain msgpack decoder, each body byte for byte as documented', () => {
    const pid = new Pid('n1@h.example', 0x01020304, 5, 0xfffffffe);
    const ref = new Ref('n1@h.example', 0x0a0b0c0d, [1, 0x10000, 0xffffffff]);
    const frame = Buffer.concat([pack({ to: pid, ref, after: 'x' }), pack([ref, pid, 7]), pack('tail')]);
    const [m1, m2, m3] = plainDecode(frame) as [Record<string, unknown>, unknown[], unknown];
    const pidBody = Buffer.concat([
      Buffer.from([1, 2, 3, 4, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xfe]),
      Buffer.from('n1@h.example'),
    ]);
    const refBody = Buffer.concat([
      Buffer.from([0x0a, 0x0b, 0x0c, 0x0d, 3, 0, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from('n1@h.example'),
    ]);
    expect(m1).toEqual({ to: { ext: 0x50, body: pidBody }, ref: { ext: 0x52, body: refBody }, after: 'x' });
    expect(m2).toEqual([{ ext: 0x52, body: refBody }, { ext: 0x50, body: pidBody }, 7]);
    expect(m3).toBe('tail');
  });

  it('refs of 1 to 5 words round-trip; other word counts, empty or non-UTF-8 node names decode to null', () => {
    fc.assert(
      fc.property(fc.array(u32, { minLength: 1, maxLength: 5 }), u32, (ids, creation) => {
        const r = new Ref('a@h', creation, ids);
        const back = unpack(pack(r)) as Ref;
        expect(back).toBeInstanceOf(Ref);
        expect(refEquals(back, r)).toBe(true);
        expect(refKey(back)).toBe(refKey(r));
      }),
    );
    const body = (words: number, node: Buffer) =>
      Buffer.concat([Buffer.alloc(4), Buffer.from([words]), Buffer.alloc(4 * words, 1), node]);
    for (const bad of [
      body(0, Buffer.from('a@h')),
      body(6, Buffer.from('a@h')),
      body(3, Buffer.alloc(0)),
      body(3, Buffer.from([0xff])),
    ]) {
      expect(unpack(Buffer.concat([Buffer.from([0xc7, bad.length, 0x52]), bad]))).toBeNull();
    }
    // refs of different lengths are different refs, with different keys
    expect(refEquals(new Ref('a@h', 1, [1, 2, 3]), new Ref('a@h', 1, [1, 2, 3, 0]))).toBe(false);
    expect(refKey(new Ref('a@h', 1, [1, 2, 3]))).not.toBe(refKey(new Ref('a@h', 1, [1, 2, 3, 0])));
    expect(String(new Ref('a@h', 1, [0, 1, 2]))).toBe('#Ref<a@h.2.1.0>');
  });

  it('a pid body whose node name is not UTF-8 decodes to null', () => {
    const bad = Buffer.concat([Buffer.alloc(12, 1), Buffer.from([0xc0, 0x80])]);
    expect(unpack(Buffer.concat([Buffer.from([0xc7, bad.length, 0x50]), bad]))).toBeNull();
  });
});
