import { describe, expect, it } from 'vitest';
import {
  Atom,
  atom,
  BEAM_ERRORS,
  BitBinary,
  decodeTerm,
  ErlMap,
  encodeTerm,
  Float,
  fromTerm,
  ImproperList,
  Pid,
  Ref,
  Tuple,
  termEquals,
  toTerm,
} from '../../src/index.js';

const n = atom('n@h');
const pid = new Pid(n, 1, 2, 3);
const ref = new Ref(n, 1, [1, 2, 3]);

describe('fromTerm: Erlang -> JS (README table)', () => {
  it.each([
    ['true', atom('true'), true],
    ['false', atom('false'), false],
    ['undefined', atom('undefined'), undefined],
    ['nil', atom('nil'), null],
    ['other atoms stay Atom', atom('ok'), atom('ok')],
    ['integers', 42, 42],
    ['bigints beyond 2^53', 2n ** 64n, 2n ** 64n],
    ['floats', new Float(1.5), 1.5],
    ['a UTF-8 binary', Buffer.from('héllo'), 'héllo'],
    ['a non-UTF-8 binary', Buffer.from([0xff]), Buffer.from([0xff])],
    ['a charlist stays a list of integers', [104, 105], [104, 105]],
    ['tuples stay Tuple', new Tuple([atom('ok'), Buffer.from('x')]), new Tuple([atom('ok'), 'x' as never])],
    [
      'improper lists',
      new ImproperList([atom('true')], atom('nil')),
      new ImproperList([true as never], null as never),
    ],
    ['pids and refs as they are', [pid, ref], [pid, ref]],
    ['bitstrings as they are', new BitBinary(Buffer.from([0x80]), 1), new BitBinary(Buffer.from([0x80]), 1)],
  ])('%s', (_, term, expected) => {
    expect(fromTerm(term as never)).toEqual(expected);
  });

  it('maps with atom or UTF-8 binary keys become objects, others Maps', () => {
    expect(
      fromTerm(
        new ErlMap([
          [atom('a'), 1],
          [Buffer.from('b'), atom('true')],
        ]),
      ),
    ).toEqual({ a: 1, b: true });
    const m = fromTerm(
      new ErlMap([
        [new Tuple([atom('connection_id'), n]), 5],
        [1, 2],
      ]),
    );
    expect(m).toBeInstanceOf(Map);
    expect([...(m as Map<unknown, unknown>).values()]).toEqual([5, 2]);
    // an atom and a binary of the same text would collide as object keys: a Map keeps both
    expect(
      fromTerm(
        new ErlMap([
          [atom('a'), 1],
          [Buffer.from('a'), 2],
        ]),
      ),
    ).toBeInstanceOf(Map);
    // a non-UTF-8 binary key: a Map
    expect(fromTerm(new ErlMap([[Buffer.from([0xff]), 1]]))).toBeInstanceOf(Map);
  });

  it('a key named __proto__ is an own property, never a prototype', () => {
    const o = fromTerm(new ErlMap([[atom('__proto__'), new ErlMap([[atom('polluted'), 1]])]])) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('options: binaries always Buffers, floats boxed', () => {
    expect(fromTerm(Buffer.from('x'), { binaries: 'buffer' })).toEqual(Buffer.from('x'));
    expect(fromTerm(new ErlMap([[Buffer.from('k'), 1]]), { binaries: 'buffer' })).toBeInstanceOf(Map);
    expect(fromTerm(new Float(1), { floats: 'box' })).toEqual(new Float(1));
  });
});

describe('toTerm: JS -> Erlang (README table)', () => {
  it('each kind of value', () => {
    expect(toTerm(1)).toBe(1);
    expect(toTerm(2 ** 60)).toBe(2n ** 60n);
    expect(toTerm(2n)).toBe(2);
    expect(toTerm(1.5)).toEqual(new Float(1.5));
    expect(toTerm(-0)).toBe(0);
    expect(toTerm('é')).toEqual(Buffer.from('é'));
    expect(toTerm(true)).toEqual(new Atom('true'));
    expect(toTerm(null)).toEqual(new Atom('nil'));
    expect(toTerm(undefined)).toEqual(new Atom('undefined'));
    expect(toTerm([1, 'a'])).toEqual([1, Buffer.from('a')]);
    expect(toTerm(new Tuple([true as never]))).toEqual(new Tuple([new Atom('true')]));
    expect(toTerm(new Map([[1, 'v']]))).toEqual(new ErlMap([[1, Buffer.from('v')]]));
    expect(toTerm({ k: 1 })).toEqual(new ErlMap([[new Atom('k'), 1]]));
    expect(toTerm({ k: 1 }, { objectKeys: 'binary' })).toEqual(new ErlMap([[Buffer.from('k'), 1]]));
    expect(toTerm(pid)).toBe(pid);
  });

  it('refuses what has no Erlang term', () => {
    for (const v of [Number.NaN, Symbol('s'), () => 1, new Date(0)]) {
      expect(() => toTerm(v)).toThrow(expect.objectContaining({ code: BEAM_ERRORS.ETF_ENCODE }));
    }
  });

  it('a cyclic value ends at maxDepth with KINDRED_ERR_ETF_LIMIT', () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    expect(() => toTerm(o)).toThrow(expect.objectContaining({ code: BEAM_ERRORS.ETF_LIMIT }));
  });

  it('encodeTerm(v) and encodeTerm(toTerm(v)) are the same bytes', () => {
    const v = {
      a: [1, 1.5, 'x', true, null, undefined, 2n ** 70n, new Tuple([pid, ref])],
      b: new Map([[1, 2]]),
    };
    expect(encodeTerm(v).equals(encodeTerm(toTerm(v)))).toBe(true);
    expect(termEquals(decodeTerm(encodeTerm(v)), toTerm(v))).toBe(true);
  });
});

describe('fromTerm: the options a distribution decodes with', () => {
  it("adapt: pids and refs become the layer's values in the same pass, at any depth and in map keys", () => {
    const term = decodeTerm(encodeTerm(new Tuple([pid, [ref], new Map([[pid, 1]]) as never])));
    const out = fromTerm(term, {
      adapt: (t) => (t instanceof Pid ? `pid:${t.id}` : `ref:${t.ids.join('.')}`),
    });
    expect(out).toEqual(new Tuple(['pid:1', ['ref:1.2.3'], new Map([['pid:1', 1]])] as never));
  });

  it('copyBuffers: a binary that stays a Buffer is a copy, one that becomes a string is read in place', () => {
    const view = Buffer.from([0xff, 0x00]);
    const out = fromTerm([view, Buffer.from('text')], { copyBuffers: true }) as [Buffer, string];
    expect(out[0]).toEqual(view);
    expect(out[0]).not.toBe(view);
    view[0] = 1;
    expect(out[0][0]).toBe(0xff);
    expect(out[1]).toBe('text');
    const raw = Buffer.from([0xfe]);
    expect((fromTerm([raw]) as Buffer[])[0]).toBe(raw);
  });
});
