import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECODE_LIMITS, FrameRefusedError, type ScanLimits, scanMessages } from '../src/decoder.js';
import { decodeFrame } from '../src/framing.js';

const LIMITS: ScanLimits = { maxValues: 1_000_000, extensions: true };
const hex = (h: string): Buffer => Buffer.from(h.replaceAll(' ', ''), 'hex');
const scan = (b: Buffer, limits: ScanLimits = LIMITS, costs?: number[]) =>
  scanMessages(b, 0, b.length, limits, costs);

function refused(b: Buffer, limits: ScanLimits = LIMITS): FrameRefusedError {
  try {
    scan(b, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(FrameRefusedError);
    expect((err as FrameRefusedError).code).toBe('KINDRED_ERR_FRAME_REFUSED');
    // decodeFrame refuses it the same way, before msgpackr sees it.
    expect(() => decodeFrame(b, limits)).toThrow(FrameRefusedError);
    return err as FrameRefusedError;
  }
  throw new Error(`accepted ${b.toString('hex')}`);
}

/** An ext of `type` with `body`, in the smallest msgpack form. */
function ext(type: number, body: Buffer): Buffer {
  const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
  const f = fixed[body.length];
  const head =
    f !== undefined ? Buffer.from([f, type & 0xff]) : Buffer.from([0xc7, body.length, type & 0xff]);
  return Buffer.concat([head, body]);
}

describe('the strict scanner refuses what kindred does not define', () => {
  it("refuses the 9-byte frame that sends msgpackr's unpackMultiple into an endless loop", () => {
    const e = refused(hex('a0 a0 d6 62 ff ff ff fc c0'));
    expect(e.offset).toBe(2);
  });

  it('refuses every msgpackr built-in extension and every other ext type but Pid, Ref, timestamp and undefined', () => {
    // bundled strings, BigInt, Error, referenced/ids, structured clone pointer, record definition, Set, typed
    // array, RegExp, ArrayBuffer/DataView (moreTypes), 0x69/0x6a.
    for (const type of [
      0x62, 0x42, 0x65, 0x69, 0x6a, 0x70, 0x72, 0x73, 0x74, 0x78, 0x10, 0x11, 0x00, 0x01, 0x7f, 0x80, 0xfe,
    ]) {
      for (const len of [1, 2, 4, 8, 16, 3]) {
        const body = Buffer.alloc(len, 0);
        if (type === 0 && len === 1) continue; // d4 00 00 is undefined
        refused(Buffer.concat([ext(type, body), Buffer.from([0x90])]));
      }
    }
    // A record definition as msgpackr writes it: d4 72 <id> <array of keys>, and its 2-byte form.
    refused(hex('d4 72 40 91 a1 61 01'));
    refused(hex('d5 72 40 00 91 a1 61 01'));
    // structured clone: d6 70 <id>, d4 73 00 <array> (Set), d4 65 00 (Error), d4 78 00 (RegExp)
    refused(hex('d6 70 00 00 00 01'));
    refused(hex('d4 73 00 91 01'));
    refused(hex('d4 65 00 93 a1 45 a1 6d c0'));
    refused(hex('d4 78 00 92 a1 61 a1 67'));
    // timestamps of other lengths (msgpackr writes an invalid Date as a 1-byte timestamp)
    refused(hex('d4 ff ff'));
    refused(ext(0xff, Buffer.alloc(2)));
    refused(ext(0xff, Buffer.alloc(16)));
    // undefined is only d4 00 00
    refused(hex('d4 00 01'));
    refused(hex('d5 00 00 00'));
  });

  it('refuses 0xc1 anywhere', () => {
    refused(hex('c1'));
    refused(hex('91 c1'));
    refused(hex('81 a1 61 c1'));
  });

  it('refuses lying lengths before anything is allocated', () => {
    for (const h of [
      'db ff ff ff ff 61', // str32 of 4 GiB
      'da 00 10 61', // str16 of 16 bytes, 1 there
      'd9 05 61 62', // str8
      'a5 61 62', // fixstr
      'c6 7f ff ff ff 00', // bin32
      'c4 02 00', // bin8
      'dd 3b 9a ca 00 c0', // array32 of 10^9
      'dc ff ff c0', // array16
      '95 c0 c0', // fixarray of 5, 2 items
      'df 00 00 00 02 01 01 01', // map32 of 2 entries (4 items), 3 bytes left
      '82 01 01 01', // fixmap of 2 entries, 3 bytes
      'c9 ff ff ff ff 50 00', // ext32 of 4 GiB
      'c7 10 52 00', // ext8 of 16 bytes
      'cd 01', // truncated uint16
      'cb 00 00 00', // truncated float64
      'd3 00', // truncated int64
      'dd 00 00', // truncated array32 header
      'c7', // truncated ext8 header
    ]) {
      refused(hex(h));
    }
  });

  it(`refuses nesting deeper than ${DECODE_LIMITS.maxDepth}`, () => {
    const nested = (depth: number) => Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]);
    expect(scan(nested(DECODE_LIMITS.maxDepth))).toBe(1);
    refused(nested(DECODE_LIMITS.maxDepth + 1));
    // maps count too
    const maps = (depth: number) =>
      Buffer.concat([
        Buffer.from(Array.from({ length: depth }, () => [0x81, 0x01]).flat()),
        Buffer.from([0xc0]),
      ]);
    expect(scan(maps(DECODE_LIMITS.maxDepth))).toBe(1);
    refused(maps(DECODE_LIMITS.maxDepth + 1));
    // a deep frame of 8 MiB does not recurse: refused at the limit, no stack overflow
    refused(Buffer.alloc(8 * 1024 * 1024, 0x91));
  });

  it('refuses a frame with more allocated values than maxFrameValues (8 MiB of empty maps)', () => {
    const empties = Buffer.alloc(8 * 1024 * 1024, 0x80);
    const e = refused(empties, { maxValues: 1_000_000, extensions: true });
    expect(e.message).toMatch(/maxFrameValues/);
    // at the limit exactly it passes
    expect(scan(Buffer.alloc(100, 0x80), { maxValues: 100, extensions: true })).toBe(100);
    refused(Buffer.alloc(101, 0x80), { maxValues: 100, extensions: true });
    // strings, bins, arrays and exts count; numbers, nil and booleans do not
    expect(scan(hex('93 a1 61 c4 01 00 90'), { maxValues: 4, extensions: true })).toBe(1);
    refused(hex('93 a1 61 c4 01 00 90'), { maxValues: 3, extensions: true });
    expect(scan(Buffer.alloc(1000, 0x01), { maxValues: 0, extensions: true })).toBe(1000);
  });

  it('refuses map keys that msgpackr could not turn into a property name (containers, bins, exts)', () => {
    refused(hex('81 90 01'));
    refused(hex('81 80 01'));
    refused(hex('81 c4 01 00 01'));
    refused(hex('81 d4 00 00 01'));
    // scalars are fine as keys: nil, bool, int, float, str
    expect(decodeFrame(hex('85 c0 01 c3 02 05 03 cb 3f f8 00 00 00 00 00 00 04 a1 61 05'))).toEqual([
      { null: 1, true: 2, 5: 3, '1.5': 4, a: 5 },
    ]);
  });

  it('refuses malformed Pid and Ref bodies (lengths, word count, UTF-8 of the node name)', () => {
    const pid = (node: Buffer) => ext(0x50, Buffer.concat([Buffer.alloc(12, 1), node]));
    expect(scan(pid(Buffer.from('n@h')))).toBe(1);
    refused(pid(Buffer.alloc(0)));
    refused(pid(Buffer.from([0xff, 0x40])));
    refused(pid(Buffer.from([0xed, 0xa0, 0x80]))); // a surrogate
    refused(pid(Buffer.from([0xc0, 0xaf]))); // an overlong
    refused(pid(Buffer.alloc(1024, 0x61)));
    const ref = (words: number, node: Buffer) =>
      ext(0x52, Buffer.concat([Buffer.alloc(4, 0), Buffer.from([words]), Buffer.alloc(4 * words, 7), node]));
    for (let w = 1; w <= 5; w++) expect(scan(ref(w, Buffer.from('n@h')))).toBe(1);
    refused(ref(0, Buffer.from('n@h')));
    refused(ref(6, Buffer.from('n@h')));
    refused(ref(3, Buffer.alloc(0)));
    refused(ref(3, Buffer.from([0xf8, 0x80, 0x80, 0x80])));
  });
});

describe('what msgpackr makes of bytes the scanner accepts', () => {
  it('fixints 0x40-0x7f are integers, not record ids', () => {
    expect(decodeFrame(hex('40 7f 5a 91 40'))).toEqual([0x40, 0x7f, 0x5a, [0x40]]);
  });

  it('64-bit integers decode as BigInt, beyond 2^53 exactly', () => {
    expect(decodeFrame(hex('cf 00 20 00 00 00 00 00 01 d3 ff ff ff ff ff ff ff ff'))).toEqual([
      2n ** 53n + 1n,
      -1n,
    ]);
  });

  it("a '__proto__' key becomes '__proto_' (no prototype pollution)", () => {
    const [o] = decodeFrame(hex('81 a9 5f 5f 70 72 6f 74 6f 5f 5f 81 a1 78 01')) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(o.__proto_).toEqual({ x: 1 });
  });

  it('undefined and timestamps decode', () => {
    const [u, d] = decodeFrame(hex('d4 00 00 d6 ff 00 00 00 01'));
    expect(u).toBeUndefined();
    expect(d).toEqual(new Date(1000));
  });
});

describe('cost estimates', () => {
  it('are wire bytes + 64 per allocated value + 8 per element or entry, one per message', () => {
    const costs: number[] = [];
    // {a: [1, 'xy']} then 5 then 'z'
    const frame = hex('81 a1 61 92 01 a2 78 79 05 a1 7a');
    expect(scan(frame, LIMITS, costs)).toBe(3);
    const V = DECODE_LIMITS.valueOverheadBytes;
    const S = DECODE_LIMITS.slotBytes;
    // map, key 'a', array, 'xy': 4 values; 1 entry + 2 elements
    expect(costs).toEqual([8 + 4 * V + 3 * S, 1, 2 + V]);
  });
});

describe('robustness', () => {
  it('random bytes never hang the scanner or decodeFrame and throw only FrameRefusedError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (u) => {
        const b = Buffer.from(u);
        try {
          decodeFrame(b);
        } catch (err) {
          expect(err).toBeInstanceOf(FrameRefusedError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('mutated valid frames never hang and throw only FrameRefusedError', () => {
    const seed = hex(
      // (Pid and Ref bodies are mutated in the runtime's terms tests: their msgpackr extensions live there.)
      '84 a1 61 92 01 cb 3f f8 00 00 00 00 00 00 a1 62 c4 03 01 02 03 a1 63 d6 ff 00 00 00 01 ' +
        'a1 64 dc 00 03 d4 00 00 d0 80 de 00 01 a2 78 79 cd 01 00 a5 68 65 6c 6c 6f',
    );
    expect(() => decodeFrame(seed)).not.toThrow();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(seed.length),
        (edits, cut) => {
          const b = Buffer.from(seed.subarray(0, Math.max(1, cut)));
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          try {
            decodeFrame(b);
          } catch (err) {
            expect(err).toBeInstanceOf(FrameRefusedError);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
