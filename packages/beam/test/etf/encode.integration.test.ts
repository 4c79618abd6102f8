// Property tests against a real erl: JS values and exact terms are encoded here, decoded and re-encoded by erl
// (`term_to_binary(binary_to_term(B), [{minor_version, 2}])`), and must come back as the same term; where no map
// with several keys is involved (erts orders map keys its own way), the bytes themselves must be identical.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeTerm,
  ErlMap,
  encodeTerm,
  fromTerm,
  ImproperList,
  type Term,
  Tuple,
  termEquals,
  toTerm,
} from '../../src/index.js';
import { exactTerm, naturalValue } from './arbitraries.js';
import { ErlOracle } from './erl-oracle.js';

let erl: ErlOracle;
beforeAll(() => {
  erl = ErlOracle.start();
});
afterAll(async () => {
  await erl?.stop();
});

function hasMultiKeyMap(t: Term): boolean {
  if (t instanceof ErlMap)
    return t.size > 1 || t.entries.some(([k, v]) => hasMultiKeyMap(k) || hasMultiKeyMap(v));
  if (Array.isArray(t)) return t.some(hasMultiKeyMap);
  if (t instanceof Tuple) return t.elements.some(hasMultiKeyMap);
  if (t instanceof ImproperList) return t.items.some(hasMultiKeyMap) || hasMultiKeyMap(t.tail);
  return false;
}

describe('JS -> erl -> JS', () => {
  it('exact terms come back equal, and byte-identical when no map orders differ', async () => {
    await fc.assert(
      fc.asyncProperty(exactTerm, async (term) => {
        const sent = encodeTerm(term);
        const back = await erl.reencode(sent);
        expect(termEquals(decodeTerm(back), term)).toBe(true);
        if (!hasMultiKeyMap(term)) expect(back.equals(sent)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('natural values come back as the natural mapping says', async () => {
    await fc.assert(
      fc.asyncProperty(naturalValue, async (value) => {
        const back = await erl.reencode(encodeTerm(value));
        expect(termEquals(decodeTerm(back), toTerm(value))).toBe(true);
        expect(fromTerm(decodeTerm(back))).toEqual(fromTerm(toTerm(value)));
      }),
      { numRuns: 400 },
    );
  });
});
