import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Atom,
  atom,
  BEAM_ERRORS,
  BitBinary,
  decodeTerm,
  type ErlMap,
  ETF_DEFAULTS,
  Export,
  encodeTerm,
  Float,
  type Fun,
  fromTerm,
  ImproperList,
  Pid,
  Port,
  Ref,
  TermDecoder,
  Tuple,
} from '../../src/index.js';
import { exactTerm } from './arbitraries.js';

type Bytes = number | readonly number[] | Buffer;
const bytes = (...parts: Bytes[]): Buffer =>
  Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(typeof p === 'number' ? [p] : p))));
const u16 = (n: number) => [n >> 8, n & 255];
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const a8 = (name: string) => {
  const s = Buffer.from(name, 'utf8');
  return bytes(119, s.length, s);
};
const v = (...parts: Bytes[]) => decodeTerm(bytes(131, ...parts));

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? `not a KindredError: ${String(e)}`;
  }
  return undefined;
}

describe('every tag decodes', () => {
  it('integers: SMALL_INTEGER, INTEGER, SMALL_BIG, LARGE_BIG', () => {
    expect(v(97, 255)).toBe(255);
    expect(v(98, u32(0xffffffff))).toBe(-1);
    expect(v(110, 4, 0, [0, 0, 0, 128])).toBe(2 ** 31);
    expect(v(110, 4, 1, [1, 0, 0, 128])).toBe(-(2 ** 31) - 1);
    expect(v(110, 8, 0, [0, 0, 0, 0, 0, 0, 0, 128])).toBe(2n ** 63n);
    expect(v(110, 7, 0, [255, 255, 255, 255, 255, 255, 31])).toBe(2 ** 53 - 1);
    expect(v(110, 7, 0, [0, 0, 0, 0, 0, 0, 32])).toBe(2n ** 53n);
    const large = Buffer.alloc(256);
    large[255] = 1;
    expect(v(111, u32(256), 1, large)).toBe(-(2n ** 2040n));
  });

  it('floats: NEW_FLOAT keeps -0.0, FLOAT_EXT (minor version 0) parses', () => {
    const f = Buffer.alloc(8);
    f.writeDoubleBE(-0);
    const neg = v(70, f) as Float;
    expect(neg).toBeInstanceOf(Float);
    expect(Object.is(neg.value, -0)).toBe(true);
    const text = Buffer.alloc(31);
    text.write('1.50000000000000000000e+00');
    expect((v(99, text) as Float).value).toBe(1.5);
  });

  it('atoms: UTF-8, small UTF-8, Latin-1 and small Latin-1, cache refs', () => {
    expect((v(119, 2, Buffer.from('ok')) as Atom).name).toBe('ok');
    const jp = Buffer.from('日本', 'utf8');
    expect((v(118, u16(jp.length), jp) as Atom).name).toBe('日本');
    expect((v(100, u16(1), 0xff) as Atom).name).toBe('ÿ');
    expect((v(115, 1, 0xe9) as Atom).name).toBe('é');
    const d = new TermDecoder();
    expect(d.decode(bytes(131, 82, 1), 0, { atomCache: [atom('a'), atom('b')] }).term).toBe(atom('b'));
    expect(code(() => d.decode(bytes(131, 82, 2), 0, { atomCache: [atom('a')] }))).toBe(
      BEAM_ERRORS.ETF_DECODE,
    );
    expect(code(() => v(82, 0))).toBe(BEAM_ERRORS.ETF_DECODE);
  });

  it('a decoder interns its atoms; atoms the application interned are reused', () => {
    const d = new TermDecoder();
    const x = d.decode(bytes(131, a8('some_new_atom'))).term;
    expect(d.decode(bytes(131, a8('some_new_atom'))).term).toBe(x);
    atom('already_known');
    expect(d.decode(bytes(131, a8('already_known'))).term).toBe(atom('already_known'));
    expect(d.atomCount).toBe(1);
  });

  it('tuples, nil, strings, lists with proper and improper tails', () => {
    expect(v(104, 2, 97, 1, 106)).toEqual(new Tuple([1, []]));
    expect(v(105, u32(1), 97, 1)).toEqual(new Tuple([1]));
    expect(v(106)).toEqual([]);
    expect(v(107, u16(3), [1, 2, 3])).toEqual([1, 2, 3]);
    expect(v(108, u32(2), 97, 1, 97, 2, 106)).toEqual([1, 2]);
    expect(v(108, u32(1), 97, 1, a8('b'))).toEqual(new ImproperList([1], new Atom('b')));
    // non-canonical shapes erts would accept fold into canonical ones
    expect(v(108, u32(1), 97, 1, 107, u16(1), 2)).toEqual([1, 2]);
    expect(v(108, u32(0), a8('t'))).toEqual(new Atom('t'));
    expect(v(108, u32(1), 97, 1, 108, u32(1), 97, 2, 97, 3)).toEqual(new ImproperList([1, 2], 3));
  });

  it('binaries and bitstrings (unused low bits zeroed)', () => {
    expect(v(109, u32(2), [1, 2])).toEqual(Buffer.from([1, 2]));
    expect(v(77, u32(1), 3, 0xff)).toEqual(new BitBinary(Buffer.from([0xe0]), 3));
    expect(v(77, u32(1), 8, 0xff)).toEqual(Buffer.from([0xff]));
    expect(v(77, u32(0), 0)).toEqual(Buffer.alloc(0));
    expect(code(() => v(77, u32(1), 0, 1))).toBe(BEAM_ERRORS.ETF_DECODE);
    expect(code(() => v(77, u32(1), 9, 1))).toBe(BEAM_ERRORS.ETF_DECODE);
    expect(code(() => v(77, u32(0), 1))).toBe(BEAM_ERRORS.ETF_DECODE);
  });

  it('binaries are copies by default, views with copyBinaries: false', () => {
    const input = bytes(131, 109, u32(1), 7);
    const copied = decodeTerm(input) as Buffer;
    const viewed = decodeTerm(input, { copyBinaries: false }) as Buffer;
    input[6] = 8;
    expect(copied[0]).toBe(7);
    expect(viewed[0]).toBe(8);
  });

  it('maps keep their order and any key type', () => {
    const m = v(116, u32(2), 104, 1, a8('k'), 97, 1, 106, 97, 2) as ErlMap;
    expect(m.entries).toEqual([
      [new Tuple([new Atom('k')]), 1],
      [[], 2],
    ]);
  });

  it('pids: NEW_PID with 32-bit fields, old PID with an 8-bit creation', () => {
    expect(v(88, a8('n@h'), u32(0xffffffff), u32(2), u32(0xfffffffe))).toEqual(
      new Pid(new Atom('n@h'), 0xffffffff, 2, 0xfffffffe),
    );
    expect(v(103, a8('n@h'), u32(1), u32(2), 3)).toEqual(new Pid(new Atom('n@h'), 1, 2, 3));
  });

  it('ports: NEW_PORT, V4_PORT (64-bit id), old PORT', () => {
    expect(v(89, a8('n@h'), u32(5), u32(6))).toEqual(new Port(new Atom('n@h'), 5n, 6));
    const id = Buffer.alloc(8);
    id.writeBigUInt64BE(2n ** 64n - 1n);
    expect(v(120, a8('n@h'), id, u32(6))).toEqual(new Port(new Atom('n@h'), 2n ** 64n - 1n, 6));
    expect(v(102, a8('n@h'), u32(5), 1)).toEqual(new Port(new Atom('n@h'), 5n, 1));
  });

  it('references: NEWER (1-5 words), NEW (8-bit creation), old REFERENCE', () => {
    for (let n = 1; n <= 5; n++) {
      const words = Array.from({ length: n }, (_, i) => u32(0xffffff00 + i));
      expect((v(90, u16(n), a8('n@h'), u32(9), ...words) as Ref).ids).toHaveLength(n);
    }
    expect(v(114, u16(3), a8('n@h'), 2, u32(1), u32(2), u32(3))).toEqual(
      new Ref(new Atom('n@h'), 2, [1, 2, 3]),
    );
    expect(v(101, a8('n@h'), u32(7), 2)).toEqual(new Ref(new Atom('n@h'), 2, [7]));
    expect(code(() => v(90, u16(0), a8('n@h'), u32(9)))).toBe(BEAM_ERRORS.ETF_DECODE);
    expect(code(() => v(90, u16(6), a8('n@h'), u32(9), ...Array(6).fill(u32(1))))).toBe(
      BEAM_ERRORS.ETF_DECODE,
    );
  });

  it('exports, opaque funs kept verbatim, the removed FUN_EXT refused', () => {
    expect(v(113, a8('lists'), a8('map'), 97, 2)).toEqual(new Export(new Atom('lists'), new Atom('map'), 2));
    expect(code(() => v(113, a8('lists'), a8('map'), 98, u32(2)))).toBe(BEAM_ERRORS.ETF_DECODE);
    const body = bytes(
      1,
      Buffer.alloc(16, 0xab),
      u32(0),
      u32(0),
      a8('m'),
      97,
      0,
      97,
      0,
      88,
      a8('n@h'),
      u32(1),
      u32(0),
      u32(0),
    );
    const fun = bytes(112, u32(4 + body.length), body);
    expect(code(() => v(117))).toBe(BEAM_ERRORS.ETF_DECODE);
    const decoded = new TermDecoder().decode(bytes(131, fun)).term as Fun;
    expect(decoded.arity).toBe(1);
    expect(Buffer.from(decoded.bytes).equals(fun)).toBe(true);
    expect(encodeTerm(decoded).equals(bytes(131, fun))).toBe(true);
    expect(code(() => v(112, u32(10), Buffer.alloc(6)))).toBe(BEAM_ERRORS.ETF_DECODE);
  });

  it('compressed terms (tag 80) inflate', () => {
    const inner = bytes(107, u16(1000), Buffer.alloc(1000, 7));
    const c = bytes(131, 80, u32(inner.length), deflateSync(inner));
    expect(decodeTerm(c)).toEqual(Array(1000).fill(7));
    expect(code(() => decodeTerm(bytes(131, 80, u32(inner.length + 1), deflateSync(inner))))).toBe(
      BEAM_ERRORS.ETF_DECODE,
    );
    expect(code(() => decodeTerm(bytes(131, 80, u32(inner.length - 1), deflateSync(inner))))).toBe(
      BEAM_ERRORS.ETF_DECODE,
    );
    expect(code(() => decodeTerm(bytes(131, 80, u32(5), [1, 2, 3])))).toBe(BEAM_ERRORS.ETF_DECODE);
    expect(code(() => decodeTerm(bytes(131, 104, 1, 80, u32(1), deflateSync(bytes(106)))))).toBe(
      BEAM_ERRORS.ETF_DECODE,
    );
  });
});

describe('offsets and framing', () => {
  it('reads a control message and its payload from one buffer', () => {
    const d = new TermDecoder();
    const frame = bytes(112, 131, 104, 2, 97, 2, a8(''), 131, a8('hello'));
    const control = d.decode(frame, 1);
    expect(control.term).toEqual(new Tuple([2, new Atom('')]));
    const payload = d.decode(frame, control.end);
    expect(payload.term).toEqual(new Atom('hello'));
    expect(payload.end).toBe(frame.length);
  });

  it('reads bare terms after a distribution header (versioned: false)', () => {
    const d = new TermDecoder();
    const r = d.decode(bytes(97, 1, 97, 2), 0, { versioned: false });
    expect(r).toEqual({ term: 1, end: 2 });
    expect(d.decode(bytes(97, 1, 97, 2), r.end, { versioned: false }).term).toBe(2);
  });

  it('reads plain Uint8Arrays and views at an offset into a larger buffer', () => {
    expect(decodeTerm(new Uint8Array([131, 97, 1]))).toBe(1);
    const backing = new Uint8Array([9, 9, 131, 109, 0, 0, 0, 1, 5, 9]);
    expect(decodeTerm(backing.subarray(2, 9))).toEqual(Buffer.from([5]));
  });

  it('decodeTerm refuses bytes after the term and a missing version', () => {
    expect(code(() => decodeTerm(bytes(131, 106, 0)))).toBe(BEAM_ERRORS.ETF_DECODE);
    expect(code(() => decodeTerm(bytes(106)))).toBe(BEAM_ERRORS.ETF_DECODE);
    expect(code(() => decodeTerm(bytes()))).toBe(BEAM_ERRORS.ETF_DECODE);
    expect(code(() => new TermDecoder().decode(bytes(131, 106), 3))).toBe(BEAM_ERRORS.ETF_BAD_OPTION);
  });
});

describe('malformed input', () => {
  it.each([
    ['unknown tag', [131, 1]],
    ['truncated integer', [131, 98, 0, 0]],
    ['truncated atom', [131, 119, 5, 97]],
    ['NaN float', [131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]],
    ['infinite float', [131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]],
    ['bad FLOAT_EXT text', [131, 99, ...Buffer.alloc(31, 0x41)]],
    ['invalid UTF-8 atom', [131, 119, 2, 0xc3, 0x28]],
    ['Latin-1 atom over 255', [131, 100, 1, 0, ...Buffer.alloc(256, 97)]],
    ['bad bignum sign', [131, 110, 1, 2, 1]],
    ['pid with a non-atom node', [131, 88, 97, 1, ...Buffer.alloc(12)]],
    ['tuple arity beyond the input', [131, 105, 0xff, 0xff, 0xff, 0xff, 97, 1]],
    ['list length beyond the input', [131, 108, 0xff, 0xff, 0xff, 0xff, 106]],
    ['map arity beyond the input', [131, 116, 0, 0, 0, 2, 97, 1, 97, 1]],
    ['binary length beyond the input', [131, 109, 0xff, 0xff, 0xff, 0xff]],
    ['string length beyond the input', [131, 107, 0xff, 0xff, 1]],
  ])('%s: KINDRED_ERR_ETF_DECODE', (_, input) => {
    expect(code(() => decodeTerm(Buffer.from(input as number[])))).toBe(BEAM_ERRORS.ETF_DECODE);
  });

  it('UTF-8 atoms over 255 characters are refused, 255 accepted', () => {
    const ok = Buffer.from('日'.repeat(255), 'utf8');
    expect((v(118, u16(ok.length), ok) as Atom).name).toHaveLength(255);
    const long = Buffer.from('日'.repeat(256), 'utf8');
    expect(code(() => v(118, u16(long.length), long))).toBe(BEAM_ERRORS.ETF_DECODE);
  });
});

describe('limits (KINDRED_ERR_ETF_LIMIT, details.limit names it)', () => {
  function limit(f: () => unknown): unknown {
    try {
      f();
    } catch (e) {
      const err = e as { code?: string; details?: { limit?: string } };
      return err.code === BEAM_ERRORS.ETF_LIMIT ? err.details?.limit : err.code;
    }
    return undefined;
  }

  it('defaults are frozen', () => {
    expect(Object.isFrozen(ETF_DEFAULTS)).toBe(true);
  });

  it('maxDepth', () => {
    const deep = (n: number) => bytes(131, ...Array(n).fill([104, 1]).flat(), 106);
    expect(limit(() => decodeTerm(deep(10), { maxDepth: 10 }))).toBeUndefined();
    expect(limit(() => decodeTerm(deep(11), { maxDepth: 10 }))).toBe('maxDepth');
    expect(limit(() => decodeTerm(deep(ETF_DEFAULTS.maxDepth + 1)))).toBe('maxDepth');
    const deepLists = bytes(131, ...Array(11).fill([108, 0, 0, 0, 1]).flat(), 106, ...Array(11).fill(106));
    expect(limit(() => decodeTerm(deepLists, { maxDepth: 10 }))).toBe('maxDepth');
    const deepMaps = bytes(131, ...Array(11).fill([116, 0, 0, 0, 1, 97, 1]).flat(), 106);
    expect(limit(() => decodeTerm(deepMaps, { maxDepth: 10 }))).toBe('maxDepth');
  });

  it('maxTermsPerByte', () => {
    const list = bytes(131, 107, u16(100), Buffer.alloc(100));
    expect(limit(() => decodeTerm(bytes(131, 104, 2, 106, 106), { maxTermsPerByte: 0.6 }))).toBeUndefined();
    expect(limit(() => decodeTerm(bytes(131, 104, 3, 106, 106, 106), { maxTermsPerByte: 0.6 }))).toBe(
      'maxTermsPerByte',
    );
    expect(limit(() => decodeTerm(list))).toBeUndefined();
  });

  it('maxAtoms: a flood of distinct atoms ends with an error, known atoms still decode', () => {
    const d = new TermDecoder({ maxAtoms: 100 });
    for (let i = 0; i < 100; i++) d.decode(bytes(131, a8(`flood_${i}`)));
    expect(limit(() => d.decode(bytes(131, a8('flood_100'))))).toBe('maxAtoms');
    expect((d.decode(bytes(131, a8('flood_7'))).term as Atom).name).toBe('flood_7');
    expect(d.atomCount).toBe(100);
    // atom text from outside a term (a distribution header's cache entries) counts against the same cap
    expect(d.atom('flood_3').name).toBe('flood_3');
    expect(limit(() => d.atom('header_atom'))).toBe('maxAtoms');
    expect(code(() => new TermDecoder().atom('x'.repeat(256)))).toBe(BEAM_ERRORS.ETF_DECODE);
    expect(new TermDecoder().atom('日'.repeat(255)).name).toHaveLength(255);
  });

  it('maxBigIntBytes', () => {
    const big = Buffer.alloc(20, 1);
    expect(limit(() => decodeTerm(bytes(131, 110, 20, 0, big), { maxBigIntBytes: 20 }))).toBeUndefined();
    expect(limit(() => decodeTerm(bytes(131, 110, 20, 0, big), { maxBigIntBytes: 19 }))).toBe(
      'maxBigIntBytes',
    );
    expect(limit(() => decodeTerm(bytes(131, 111, u32(0xffffffff), 0)))).toBe('maxBigIntBytes');
  });

  it('maxInflatedBytes: checked on the declared size and enforced while inflating', () => {
    const inner = bytes(109, u32(10_000), Buffer.alloc(10_000));
    const c = bytes(131, 80, u32(inner.length), deflateSync(inner));
    expect(limit(() => decodeTerm(c, { maxInflatedBytes: inner.length }))).toBeUndefined();
    expect(limit(() => decodeTerm(c, { maxInflatedBytes: inner.length - 1 }))).toBe('maxInflatedBytes');
    // a bomb that lies about its size: zlib stops at the declared size
    const bomb = bytes(131, 80, u32(100), deflateSync(Buffer.alloc(5_000_000)));
    expect(code(() => decodeTerm(bomb))).toBe(BEAM_ERRORS.ETF_DECODE);
  });

  it('bad options: KINDRED_ERR_ETF_BAD_OPTION', () => {
    for (const o of [
      { maxDepth: 0 },
      { maxAtoms: -1 },
      { maxTermsPerByte: 0 },
      { maxBigIntBytes: 1 },
      { copyBinaries: 1 },
    ]) {
      expect(code(() => new TermDecoder(o as never))).toBe(BEAM_ERRORS.ETF_BAD_OPTION);
    }
  });
});

describe('fuzz: untrusted bytes only ever raise KindredError', () => {
  const codes = new Set<string>(Object.values(BEAM_ERRORS));
  const only = (input: Uint8Array) => {
    const d = new TermDecoder({ maxAtoms: 1000 });
    for (const versioned of [true, false]) {
      try {
        d.decode(input, 0, { versioned });
      } catch (e) {
        if (!codes.has((e as { code?: string }).code ?? '')) throw e;
      }
    }
  };

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => only(Buffer.concat([Buffer.from([131]), b]))),
      {
        numRuns: 3000,
      },
    );
  });

  it('mutated and truncated valid terms', () => {
    fc.assert(
      fc.property(
        exactTerm,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (t, edits, cut) => {
          const b = Buffer.from(encodeTerm(t));
          for (const [at, x] of edits) b[at % b.length] = x;
          only(b);
          only(b.subarray(0, cut % (b.length + 1)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('valid terms decode to what was encoded', () => {
    fc.assert(
      fc.property(exactTerm, (t) => {
        const b = encodeTerm(t);
        expect(encodeTerm(decodeTerm(b)).equals(b)).toBe(true);
        // the natural view of any decoded term exists and encodes back to an equal term where JS can tell
        expect(() => fromTerm(decodeTerm(b))).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
