// fast-check arbitraries for the codec's property tests: natural JS values (what an application sends) and exact
// terms (every class of the exact model), both shaped like real traffic and biased to the encoders' boundaries.
import fc from 'fast-check';
import {
  Atom,
  BitBinary,
  ErlMap,
  Export,
  Float,
  ImproperList,
  Pid,
  Port,
  Ref,
  type Term,
  Tuple,
} from '../../src/index.js';

const atomName = fc.oneof(
  fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,12}$/),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', 'ok', 'error', 'true', 'false', 'nil', 'undefined', 'x'.repeat(255), '日'.repeat(255)),
);
const atomArb = atomName.map((n) => new Atom(n));
const nodeArb = fc.constantFrom('kindred@127.0.0.1', 'a@b', 'élixir@host.example').map((n) => new Atom(n));
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

const intArb = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.integer(),
  fc.constantFrom(
    255,
    256,
    -1,
    2 ** 27,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    -(2 ** 31) - 1,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
  ),
  fc.bigInt({ min: -(2n ** 2100n), max: 2n ** 2100n }),
  fc.constantFrom(2n ** 64n, 2n ** 64n - 1n, -(2n ** 64n), 2n ** 63n),
);

const pidArb = fc.tuple(nodeArb, u32, u32, u32).map(([n, a, b, c]) => new Pid(n, a, b, c));
const portArb = fc
  .tuple(nodeArb, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), u32)
  .map(([n, id, c]) => new Port(n, id, c));
const refArb = fc
  .tuple(nodeArb, u32, fc.array(u32, { minLength: 1, maxLength: 5 }))
  .map(([n, c, ids]) => new Ref(n, c, ids));
const exportArb = fc
  .tuple(atomArb, atomArb, fc.integer({ min: 0, max: 255 }))
  .map(([m, f, a]) => new Export(m, f, a));
const bitArb = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 7 }))
  .map(([bytes, bits]) => {
    const b = Buffer.from(bytes);
    b[b.length - 1]! &= (0xff << (8 - bits)) & 0xff;
    return new BitBinary(b, bits);
  });
const floatArb = fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => new Float(v));

/** Exact-model terms: every class, nested. */
export const exactTerm: fc.Arbitrary<Term> = fc.letrec<{ term: Term }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    intArb,
    floatArb,
    atomArb,
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    bitArb,
    pidArb,
    portArb,
    refArb,
    exportArb,
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 20 }),
    fc.array(tie('term'), { maxLength: 5 }),
    fc.array(tie('term'), { maxLength: 5 }).map((xs) => new Tuple(xs)),
    fc
      .tuple(
        fc.array(tie('term'), { minLength: 1, maxLength: 4 }),
        fc.oneof(atomArb, intArb, fc.constant(Buffer.from([3]))),
      )
      .map(([items, tail]) => new ImproperList(items, tail)),
    fc
      .uniqueArray(fc.tuple(tie('term'), tie('term')), {
        maxLength: 5,
        selector: ([k]) => k,
        comparator: 'SameValueZero',
      })
      .map((entries) => new ErlMap(entries)),
  ),
})).term;

/** Natural JS values an application would send. */
export const naturalValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)),
    atomArb,
    pidArb,
    refArb,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(tie('value'), { maxLength: 4 }).map((xs) => new Tuple(xs as Term[])),
    fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), tie('value'), { maxKeys: 4 }),
  ),
})).value;
