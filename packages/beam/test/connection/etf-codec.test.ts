import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  atom,
  BEAM_ERRORS,
  createEtfCodec,
  encodeTerm,
  isAtom,
  type Tuple,
  termEquals,
  tuple,
} from '../../src/index.js';

describe('createEtfCodec', () => {
  it('decodes a bare term at an offset and encodes without the version byte', () => {
    const codec = createEtfCodec();
    const bytes = codec.encode(tuple(2, atom(''), [1, Buffer.from('x')]));
    expect(bytes[0]).not.toBe(131);
    const framed = Buffer.concat([Buffer.from([112, 131]), bytes]);
    const { term, end } = codec.decode(framed, 2, []);
    expect(end).toBe(framed.length);
    expect(termEquals(term, tuple(2, atom(''), [1, Buffer.from('x')]))).toBe(true);
  });

  it('resolves ATOM_CACHE_REF through the header atoms', () => {
    const codec = createEtfCodec();
    // {82, 0} is atom cache ref 0
    const { term } = codec.decode(Buffer.from([104, 1, 82, 0]), 0, ['hello']);
    expect(isAtom((term as Tuple).elements[0], 'hello')).toBe(true);
  });

  it('inflates a compressed term after the version byte, within maxInflatedBytes', () => {
    const inner = encodeTerm([1, 2, 3]).subarray(1);
    const z = deflateSync(inner);
    const head = Buffer.alloc(6);
    head.writeUInt8(131, 0);
    head.writeUInt8(80, 1);
    head.writeUInt32BE(inner.length, 2);
    const bytes = Buffer.concat([head, z]);
    expect(createEtfCodec().decode(bytes, 1, []).term).toEqual([1, 2, 3]);
    const small = createEtfCodec({ decoder: { maxInflatedBytes: 2 } });
    expect(() => small.decode(bytes, 1, [])).toThrow(
      expect.objectContaining({ code: BEAM_ERRORS.ETF_LIMIT }),
    );
  });

  it('bounds atoms per codec: one codec per connection', () => {
    const a = createEtfCodec({ decoder: { maxAtoms: 2 } });
    const b = createEtfCodec({ decoder: { maxAtoms: 2 } });
    const atomBytes = (name: string) => Buffer.concat([Buffer.from([119, name.length]), Buffer.from(name)]);
    a.decode(atomBytes('one'), 0, []);
    a.decode(atomBytes('two'), 0, []);
    expect(() => a.decode(atomBytes('three'), 0, [])).toThrow(
      expect.objectContaining({ code: BEAM_ERRORS.ETF_LIMIT }),
    );
    expect(isAtom(b.decode(atomBytes('three'), 0, []).term, 'three')).toBe(true);
  });
});
