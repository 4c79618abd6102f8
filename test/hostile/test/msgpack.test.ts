import fc from 'fast-check';
import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  type Encodable,
  encode,
  ext,
  extHeader,
  int,
  mapHeader,
  pid,
  repeat,
  str,
  strHeader,
} from '../src/msgpack.js';
import { readAll, readOne } from '../src/reader.js';

const plain = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
    fc.double({ noNaN: true }).filter((x) => !Number.isInteger(x)),
    fc.string(),
    fc.array(tie('v'), { maxLength: 20 }),
    fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      tie('v'),
      { maxKeys: 20 },
    ),
  ),
})).v;

describe('msgpack builders', () => {
  it('encode() writes standard msgpack: a reference decoder and the client reader read it back', () => {
    fc.assert(
      fc.property(plain, (v) => {
        const bytes = encode(v as Encodable);
        expect(unpack(bytes)).toEqual(v);
        expect(readOne(bytes)).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('writes every integer width and lies about lengths when asked', () => {
    expect(int(-1).toString('hex')).toBe('ff');
    expect(int(200).toString('hex')).toBe('ccc8');
    expect(int(-200).toString('hex')).toBe('d1ff38');
    expect(int(2n ** 63n).toString('hex')).toBe('cf8000000000000000');
    expect(strHeader(0xffffffff, 32).toString('hex')).toBe('dbffffffff');
    expect(mapHeader(0xffffffff).toString('hex')).toBe('dfffffffff');
    expect(str('a', 16).toString('hex')).toBe('da000161');
    expect(extHeader(0x62, 4).toString('hex')).toBe('d662');
    expect(extHeader(-1, 0xffffffff, 32).toString('hex')).toBe('c9ffffffffff');
    expect(ext(0x65, Buffer.alloc(3)).toString('hex')).toBe('c70365000000');
  });

  it('repeat() fills by doubling, any count', () => {
    for (const n of [0, 1, 2, 3, 7, 1000])
      expect(repeat(Buffer.from('abc'), n).toString()).toBe('abc'.repeat(n));
  });

  it('pids read back field for field; values laid end to end read in order', () => {
    const bytes = Buffer.concat([pid('a@h', 5, 6, 7), encode([1, 'x'])]);
    expect(readAll(bytes)).toEqual([{ kind: 'pid', node: 'a@h', id: 5, serial: 6, creation: 7 }, [1, 'x']]);
    expect(() => readAll(Buffer.from('dbffffffff', 'hex'))).toThrow(/truncated/);
  });
});
