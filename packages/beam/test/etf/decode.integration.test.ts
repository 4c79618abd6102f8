// A corpus of terms made by a real erl (every tag erts emits, boundaries, unicode and 255-character atoms, HAMT maps,
// improper lists, bitstrings, pids/ports/refs of a real node, funs, exports) decodes and re-encodes byte for byte
// against `term_to_binary(T, [{minor_version, 2}])`, from each encoding erts produces (minor versions 2, 1, 0, and
// compressed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeTerm,
  ErlMap,
  encodeTerm,
  Float,
  Fun,
  ImproperList,
  Pid,
  Port,
  Ref,
  TermDecoder,
  Tuple,
} from '../../src/index.js';
import { ErlOracle } from './erl-oracle.js';

let erl: ErlOracle;
let items: { label: string; v2: Buffer; v1: Buffer; v0: Buffer; compressed: Buffer }[] = [];

beforeAll(async () => {
  erl = ErlOracle.start();
  const corpus = decodeTerm(await erl.corpus());
  if (!Array.isArray(corpus)) throw new Error('the corpus is not a list');
  items = corpus.map((t) => {
    if (!(t instanceof Tuple) || t.size !== 5) throw new Error('a corpus item is not a 5-tuple');
    const [label, v2, v1, v0, compressed] = t.elements as Buffer[];
    return { label: label!.toString(), v2: v2!, v1: v1!, v0: v0!, compressed: compressed! };
  });
});

afterAll(async () => {
  await erl?.stop();
});

describe('the erl corpus', () => {
  it('covers every tag erts emits for it', () => {
    expect(items.length).toBeGreaterThan(100);
    const tags = new Set<number>();
    for (const { v2, v0, compressed } of items) {
      tags.add(v2[1]!);
      tags.add(v0[1]!);
      tags.add(compressed[1]!);
      for (const b of v2) tags.add(b);
    }
    // version-2 top-level tags plus FLOAT_EXT (minor 0) and COMPRESSED
    for (const tag of [
      97, 98, 110, 111, 70, 99, 119, 118, 104, 105, 106, 107, 108, 109, 77, 116, 88, 89, 120, 90, 112, 113,
      80,
    ]) {
      expect(tags.has(tag), `tag ${tag}`).toBe(true);
    }
  });

  it('decodes minor_version 2 and re-encodes it byte for byte', () => {
    const decoder = new TermDecoder();
    for (const { label, v2 } of items) {
      const { term, end } = decoder.decode(v2);
      expect(end, label).toBe(v2.length);
      expect(encodeTerm(term).equals(v2), label).toBe(true);
    }
  });

  it('decodes minor_version 1 (Latin-1 ATOM_EXT) and 0 (FLOAT_EXT) into the same terms', async () => {
    let funs = 0;
    for (const { label, v2, v1, v0 } of items) {
      for (const [bytes, name] of [
        [v1, 'v1'],
        [v0, 'v0'],
      ] as const) {
        const again = encodeTerm(decodeTerm(bytes));
        // A fun is opaque: the Latin-1 atoms inside its bytes stay as they came, so erl is the judge of equality.
        if (bytes.includes(112) && !again.equals(v2)) {
          funs++;
          expect((await erl.reencode(again)).equals(v2), `${label} ${name} via erl`).toBe(true);
        } else expect(again.equals(v2), `${label} ${name}`).toBe(true);
      }
    }
    expect(funs).toBeGreaterThan(0);
  });

  it('inflates compressed terms (tag 80)', () => {
    const compressed = items.filter((i) => i.compressed[1] === 80);
    expect(compressed.length).toBeGreaterThan(3);
    for (const { label, v2, compressed: c } of items)
      expect(encodeTerm(decodeTerm(c)).equals(v2), label).toBe(true);
  });

  it('keeps the kinds apart: floats, improper lists, HAMT maps, pids, ports, refs and funs of a real node', () => {
    const kinds = new Set(items.map(({ v2 }) => decodeTerm(v2)?.constructor?.name));
    for (const k of [Float, ImproperList, ErlMap, Pid, Port, Ref, Fun, Tuple])
      expect(kinds.has(k.name), k.name).toBe(true);
    const pid = items
      .map(({ v2 }) => decodeTerm(v2))
      .find((t): t is Pid => t instanceof Pid && t.node.name.startsWith('etf_'));
    expect(pid?.creation).toBeGreaterThan(3);
  });

  it('sends JS re-encodings back to erl, which reads each as the same term', async () => {
    for (const { label, v2 } of items) {
      const back = await erl.reencode(encodeTerm(decodeTerm(v2)));
      expect(back.equals(v2), label).toBe(true);
    }
  });
});
