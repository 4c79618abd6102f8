import { describe, expect, it } from 'vitest';
import {
  Atom,
  atom,
  BEAM_ERRORS,
  BitBinary,
  charlist,
  decodeTerm,
  ErlMap,
  Export,
  encodeTerm,
  Float,
  ImproperList,
  Pid,
  Port,
  Ref,
  TermEncoder,
  Tuple,
} from '../../src/index.js';

const hex = (v: unknown, o?: Parameters<typeof encodeTerm>[1]) => encodeTerm(v, o).toString('hex');
function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? `not a KindredError: ${String(e)}`;
  }
  return undefined;
}

describe('integers take the smallest tag erts would', () => {
  it.each([
    [0, '836100'],
    [255, '8361ff'],
    [256, '836200000100'],
    [-1, '8362ffffffff'],
    [2 ** 31 - 1, '83627fffffff'],
    [-(2 ** 31), '836280000000'],
    [2 ** 31, '836e040000000080'],
    [-(2 ** 31) - 1, '836e040101000080'],
    [2 ** 53, '836e070000000000000020'],
    [2n ** 64n, '836e0900000000000000000001'],
    [5n, '836105'],
    [-(2n ** 32n), '836e05010000000001'],
  ])('%s', (v, expected) => {
    expect(hex(v)).toBe(expected);
  });

  it('LARGE_BIG past 255 bytes', () => {
    const b = encodeTerm(2n ** 2040n);
    expect(b[1]).toBe(111);
    expect(b.readUInt32BE(2)).toBe(256);
    expect(encodeTerm(2n ** 2040n - 1n)[1]).toBe(110);
  });
});

describe('floats', () => {
  it('NEW_FLOAT for Float boxes (keeping -0.0) and non-integral numbers', () => {
    expect(hex(new Float(-0))).toBe('83468000000000000000');
    expect(hex(new Float(1))).toBe('83463ff0000000000000');
    expect(hex(1.5)).toBe('83463ff8000000000000');
    expect(hex(-0)).toBe('836100');
  });
  it('no NaN or infinities', () => {
    for (const x of [Number.NaN, Number.POSITIVE_INFINITY, new Float(Number.NaN)]) {
      expect(code(() => encodeTerm(x))).toBe(BEAM_ERRORS.ETF_ENCODE);
    }
  });
});

describe('atoms', () => {
  it('SMALL_ATOM_UTF8 up to 255 bytes, ATOM_UTF8 beyond, at most 255 characters', () => {
    expect(hex(atom('ok'))).toBe('8377026f6b');
    expect(encodeTerm(atom('x'.repeat(255)))[1]).toBe(119);
    const jp = encodeTerm(atom('日'.repeat(255)));
    expect([jp[1], jp.readUInt16BE(2)]).toEqual([118, 765]);
    expect(code(() => encodeTerm(new Atom('x'.repeat(256))))).toBe(BEAM_ERRORS.ETF_ENCODE);
    expect(code(() => encodeTerm({ ['日'.repeat(256)]: 1 }))).toBe(BEAM_ERRORS.ETF_ENCODE);
  });
  it('booleans, null and undefined are atoms', () => {
    expect(hex(true)).toBe(hex(atom('true')));
    expect(hex(false)).toBe(hex(atom('false')));
    expect(hex(null)).toBe(hex(atom('nil')));
    expect(hex(undefined)).toBe(hex(atom('undefined')));
  });
});

describe('lists follow erts STRING_EXT rule', () => {
  it('[] is NIL, a byte list of up to 65535 is STRING_EXT, anything else LIST_EXT', () => {
    expect(hex([])).toBe('836a');
    expect(hex([1, 2, 3])).toBe('836b0003010203');
    expect(hex(charlist('hi'))).toBe('836b00026869');
    expect(encodeTerm(Array(65535).fill(1))[1]).toBe(107);
    expect(encodeTerm(Array(65536).fill(1))[1]).toBe(108);
    expect(encodeTerm([256])[1]).toBe(108);
    expect(encodeTerm([1.5])[1]).toBe(108);
    expect(encodeTerm([new Float(1)])[1]).toBe(108);
    expect(encodeTerm([1n, 2n])[1]).toBe(107);
  });
  it('improper lists, with list tails folded in', () => {
    expect(hex(new ImproperList([1], atom('b')))).toBe('836c000000016101770162');
    expect(hex(new ImproperList([1], new ImproperList([2], 3)))).toBe(
      hex(decodeTerm(Buffer.from('836c00000002610161026103', 'hex'))),
    );
    expect(hex(new ImproperList([1], [2]))).toBe(hex([1, 2]));
  });
});

describe('binaries, bitstrings, strings', () => {
  it('Uint8Array and Buffer are binaries, strings are UTF-8 binaries', () => {
    expect(hex(new Uint8Array([1, 2]))).toBe('836d000000020102');
    expect(hex('é')).toBe('836d00000002c3a9');
    expect(hex('')).toBe('836d00000000');
  });
  it('bitstrings: BIT_BINARY, or BINARY when whole bytes', () => {
    expect(hex(new BitBinary(Buffer.from([0xe0]), 3))).toBe('834d0000000103e0');
    expect(hex(new BitBinary(Buffer.from([0xff]), 8))).toBe('836d00000001ff');
    expect(code(() => encodeTerm(new BitBinary(Buffer.from([1]), 0)))).toBe(BEAM_ERRORS.ETF_ENCODE);
  });
});

describe('tuples, maps, objects', () => {
  it('SMALL_TUPLE up to 255, LARGE_TUPLE beyond', () => {
    expect(hex(new Tuple([]))).toBe('836800');
    expect(encodeTerm(new Tuple(Array(255).fill(1)))[1]).toBe(104);
    expect(encodeTerm(new Tuple(Array(256).fill(1)))[1]).toBe(105);
  });
  it('ErlMap and Map in their order; objects with atom keys, or binary keys on request', () => {
    expect(
      hex(
        new ErlMap([
          [2, 1],
          [1, 2],
        ]),
      ),
    ).toBe('8374000000026102610161016102');
    expect(
      hex(
        new Map([
          [2, 1],
          [1, 2],
        ]),
      ),
    ).toBe(
      hex(
        new ErlMap([
          [2, 1],
          [1, 2],
        ]),
      ),
    );
    expect(hex({ a: 1 })).toBe('8374000000017701616101');
    expect(new TermEncoder({ objectKeys: 'binary' }).encode({ a: 1 }).toString('hex')).toBe(
      '8374000000016d00000001616101',
    );
    expect(hex(Object.assign(Object.create(null), { a: 1 }))).toBe(hex({ a: 1 }));
  });
});

describe('pids, ports, refs, exports', () => {
  const n = atom('n@h');
  it('NEW_PID, NEWER_REFERENCE, EXPORT', () => {
    expect(hex(new Pid(n, 1, 2, 3))).toBe('835877036e4068000000010000000200000003');
    expect(hex(new Ref(n, 3, [1]))).toBe('835a000177036e40680000000300000001');
    expect(hex(new Export(atom('m'), atom('f'), 2))).toBe('837177016d7701666102');
    expect(code(() => encodeTerm(new Ref(n, 3, [])))).toBe(BEAM_ERRORS.ETF_ENCODE);
  });
  it('NEW_PORT up to 28-bit ids, V4_PORT beyond (as erts)', () => {
    expect(encodeTerm(new Port(n, 0x0fff_ffffn, 1))[1]).toBe(89);
    expect(encodeTerm(new Port(n, 0x1000_0000n, 1))[1]).toBe(120);
    expect(code(() => encodeTerm(new Port(n, 2n ** 64n, 1)))).toBe(BEAM_ERRORS.ETF_ENCODE);
  });
});

describe('framing helpers', () => {
  it('encodeAll writes terms back to back, with headroom and with or without version bytes', () => {
    const enc = new TermEncoder();
    expect(enc.encodeAll([1, atom('a')], { headroom: 5 }).toString('hex')).toBe('000000000083610183770161');
    expect(enc.encodeAll([1, 2], { versioned: false }).toString('hex')).toBe('61016102');
    expect(enc.encode(1, { versioned: false }).toString('hex')).toBe('6101');
    expect(code(() => enc.encodeAll([1], { headroom: -1 }))).toBe(BEAM_ERRORS.ETF_BAD_OPTION);
  });
  it('results are copies: the encoder reuses its buffer', () => {
    const enc = new TermEncoder();
    const a = enc.encode(Buffer.alloc(300_000, 1));
    const b = enc.encode(Buffer.alloc(10, 2));
    expect(a.length).toBe(300_006);
    expect(a[10]).toBe(1);
    expect(b.length).toBe(16);
  });
  it('a getter that encodes while encoding gets its own encoder', () => {
    const v = {
      get inner() {
        return encodeTerm(7);
      },
    };
    expect(hex(v)).toBe(hex({ inner: Buffer.from('836107', 'hex') }));
  });
});

describe('values with no Erlang term', () => {
  it.each([
    ['a symbol', Symbol('x')],
    ['a function', () => 1],
    ['a class instance', new Date(0)],
    ['a nested one', [1, { a: Symbol('x') }]],
  ])('%s: KINDRED_ERR_ETF_ENCODE', (_, v) => {
    expect(code(() => encodeTerm(v))).toBe(BEAM_ERRORS.ETF_ENCODE);
  });
  it('hand-built terms with fields out of range: KINDRED_ERR_ETF_ENCODE', () => {
    const n = atom('n@h');
    for (const t of [
      new Pid(n, -1, 0, 0),
      new Pid(n, 0, 0, 2 ** 32),
      new Ref(n, 0, [1.5]),
      new Export(n, n, 256),
      new Port(n, 1n, -1),
    ]) {
      expect(code(() => encodeTerm(t))).toBe(BEAM_ERRORS.ETF_ENCODE);
    }
  });
  it('a cycle ends at maxDepth with KINDRED_ERR_ETF_LIMIT', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(code(() => encodeTerm(a))).toBe(BEAM_ERRORS.ETF_LIMIT);
    expect(code(() => new TermEncoder({ maxDepth: 2 }).encode([[[1]]]))).toBe(BEAM_ERRORS.ETF_LIMIT);
    expect(code(() => new TermEncoder({ maxDepth: 3 }).encode([[[1]]]))).toBeUndefined();
  });
  it('bad options: KINDRED_ERR_ETF_BAD_OPTION', () => {
    expect(code(() => new TermEncoder({ maxDepth: 0 }))).toBe(BEAM_ERRORS.ETF_BAD_OPTION);
    expect(code(() => new TermEncoder({ objectKeys: 'string' as never }))).toBe(BEAM_ERRORS.ETF_BAD_OPTION);
  });
});

describe('the options a distribution encodes with', () => {
  class LayerPid {
    constructor(readonly id: number) {}
  }
  const adapt = (v: object) => (v instanceof LayerPid ? new Pid(atom('n@h'), v.id, 0, 1) : undefined);

  it('adapt: a class instance at any depth is written as the term it stands for; undefined refuses it', () => {
    const enc = new TermEncoder({ adapt });
    const value = {
      from: new LayerPid(7),
      list: [new LayerPid(8)],
      t: new Tuple([new LayerPid(9) as never]),
    };
    const expected = {
      from: new Pid(atom('n@h'), 7, 0, 1),
      list: [new Pid(atom('n@h'), 8, 0, 1)],
      t: new Tuple([new Pid(atom('n@h'), 9, 0, 1)]),
    };
    expect(enc.encode(value).equals(encodeTerm(expected))).toBe(true);
    expect(code(() => enc.encode({ d: new Date() }))).toBe(BEAM_ERRORS.ETF_ENCODE);
    expect(code(() => new TermEncoder().encode(new LayerPid(1)))).toBe(BEAM_ERRORS.ETF_ENCODE);
    expect(code(() => new TermEncoder({ adapt: 1 as never }))).toBe(BEAM_ERRORS.ETF_BAD_OPTION);
  });

  it('atomRef: an atom given an index is ATOM_CACHE_REF (82, i); -1 writes it in full', () => {
    const enc = new TermEncoder();
    const bytes = enc.encodeAll([new Tuple([atom('a'), atom('b')])], {
      versioned: false,
      atomRef: (name) => (name === 'a' ? 3 : -1),
    });
    expect(bytes.toString('hex')).toBe('6802' + '5203' + '770162');
    // Without it, the same encoder writes atoms in full again.
    expect(enc.encode(atom('a'), { versioned: false }).toString('hex')).toBe('770161');
  });
});
