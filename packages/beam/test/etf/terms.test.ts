import { describe, expect, it } from 'vitest';
import {
  Atom,
  atom,
  BitBinary,
  charlist,
  ErlMap,
  Export,
  Float,
  Fun,
  ImproperList,
  isAtom,
  Pid,
  Port,
  Ref,
  Tuple,
  termEquals,
  tuple,
} from '../../src/index.js';

const node = atom('n@h');

describe('atoms', () => {
  it('atom() interns, decoded-style atoms compare by name', () => {
    expect(atom('ok')).toBe(atom('ok'));
    expect(new Atom('ok')).not.toBe(atom('ok'));
    expect(termEquals(new Atom('ok'), atom('ok'))).toBe(true);
    expect(isAtom(atom('ok'), 'ok')).toBe(true);
    expect(isAtom(atom('ok'), 'error')).toBe(false);
    expect(isAtom('ok')).toBe(false);
  });

  it('prints like Erlang', () => {
    expect(String(atom('ok'))).toBe('ok');
    expect(String(atom('Hello world'))).toBe("'Hello world'");
    expect(String(atom("it's"))).toBe("'it\\'s'");
  });
});

describe('containers', () => {
  it('tuple, charlist, bit sizes, map lookup', () => {
    const t = tuple(atom('ok'), 1);
    expect(t.size).toBe(2);
    expect(t.at(1)).toBe(1);
    expect(charlist('añ日')).toEqual([97, 0xf1, 0x65e5]);
    expect(new BitBinary(Buffer.from([0xff, 0x80]), 1).bitSize).toBe(9);
    expect(new BitBinary(Buffer.alloc(0), 0).bitSize).toBe(0);
    const m = new ErlMap([
      [tuple(atom('connection_id'), node), 5],
      [1, atom('int')],
      [new Float(1), atom('float')],
    ]);
    expect(m.get(tuple(new Atom('connection_id'), new Atom('n@h')))).toBe(5);
    expect(m.get(1)).toEqual(atom('int'));
    expect(m.get(new Float(1))).toEqual(atom('float'));
    expect(m.has(2)).toBe(false);
    expect(m.get(2)).toBeUndefined();
  });

  it('pids, ports and refs print for logs', () => {
    expect(String(new Pid(node, 1, 2, 3))).toBe('<n@h.1.2>');
    expect(String(new Port(node, 7n, 3))).toBe('#Port<n@h.7>');
    expect(String(new Ref(node, 3, [1, 2, 3]))).toBe('#Ref<n@h.1.2.3>');
  });
});

describe('termEquals (=:=)', () => {
  const equal: [unknown, unknown][] = [
    [1, 1n],
    [2n ** 70n, 2n ** 70n],
    [new Float(1.5), new Float(1.5)],
    [
      [1, [2]],
      [1n, [2]],
    ],
    [new ImproperList([1], atom('b')), new ImproperList([1], new Atom('b'))],
    [Buffer.from([1, 2]), new Uint8Array([1, 2])],
    [new BitBinary(Buffer.from([0x80]), 1), new BitBinary(Buffer.from([0x80]), 1)],
    [
      new ErlMap([
        [1, 2],
        [3, 4],
      ]),
      new ErlMap([
        [3, 4],
        [1, 2],
      ]),
    ],
    [new Pid(node, 1, 2, 3), new Pid(new Atom('n@h'), 1, 2, 3)],
    [new Port(node, 1n, 2), new Port(node, 1n, 2)],
    [new Ref(node, 1, [1, 2]), new Ref(node, 1, [1, 2])],
    [new Fun(1, Buffer.from([112, 1])), new Fun(1, Buffer.from([112, 1]))],
    [new Export(atom('m'), atom('f'), 2), new Export(atom('m'), atom('f'), 2)],
  ];
  const unequal: [unknown, unknown][] = [
    [1, new Float(1)],
    [new Float(0), new Float(-0)],
    [[1, 2], new Tuple([1, 2])],
    [atom('a'), Buffer.from('a')],
    [[97], Buffer.from('a')],
    [new ErlMap([[1, 2]]), new ErlMap([[1, 3]])],
    [
      new ErlMap([[1, 2]]),
      new ErlMap([
        [1, 2],
        [2, 2],
      ]),
    ],
    [new BitBinary(Buffer.from([0x80]), 1), new BitBinary(Buffer.from([0x80]), 2)],
    [new Pid(node, 1, 2, 3), new Pid(node, 1, 2, 4)],
    [new Port(node, 1n, 2), new Port(node, 2n, 2)],
    [new Ref(node, 1, [1, 2]), new Ref(node, 1, [1, 2, 3])],
    [new Export(atom('m'), atom('f'), 2), new Export(atom('m'), atom('f'), 3)],
    [new ImproperList([1], 2), [1, 2]],
  ];
  it.each(equal)('%o =:= %o', (a, b) => {
    expect(termEquals(a as never, b as never)).toBe(true);
    expect(termEquals(b as never, a as never)).toBe(true);
  });
  it.each(unequal)('%o =/= %o', (a, b) => {
    expect(termEquals(a as never, b as never)).toBe(false);
    expect(termEquals(b as never, a as never)).toBe(false);
  });
});
