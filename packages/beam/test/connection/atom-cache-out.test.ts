import { describe, expect, it } from 'vitest';
import { OutAtomCache } from '../../src/connection/atom-cache-out.js';
import { readDistHeader } from '../../src/connection/dist-header.js';
import { decodeTerm, TermDecoder } from '../../src/etf/decode.js';
import { encodeTerm, TermEncoder } from '../../src/etf/encode.js';
import { atom, type Term, termEquals, tuple } from '../../src/etf/terms.js';

/** Encodes `terms` as one frame body (`131 68` header + bare terms) with `out`; returns the bytes after `131 68`. */
function frameBody(out: OutAtomCache, encoder: TermEncoder, terms: Term[]): Buffer {
  out.begin();
  const body = encoder.encodeAll(terms, { versioned: false, atomRef: out.ref });
  const head = Buffer.alloc(out.headerLength());
  expect(out.writeHeader(head, 0)).toBe(head.length);
  return Buffer.concat([head, body]);
}

/** Reads a frame body as the receiving side does: the header into `cache`, then the terms. */
function readBody(bytes: Buffer, cache: (string | undefined)[], decoder: TermDecoder, count: number): Term[] {
  const { refs, end } = readDistHeader(bytes, 0, cache);
  const atomCache = refs.map((r) => decoder.atom(r));
  const terms: Term[] = [];
  let o = end;
  for (let i = 0; i < count; i++) {
    const r = decoder.decode(bytes, o, { versioned: false, atomCache });
    terms.push(r.term);
    o = r.end;
  }
  expect(o).toBe(bytes.length);
  return terms;
}

describe('OutAtomCache', () => {
  it('sends each atom as a new entry once, then as a one-byte reference the receiver resolves', () => {
    const out = new OutAtomCache();
    const encoder = new TermEncoder();
    const decoder = new TermDecoder();
    const cache: (string | undefined)[] = new Array(2048);
    const msg = tuple(atom('hello'), { to: atom('node@host'), n: 1 } as never, [atom('hello')]);
    const first = frameBody(out, encoder, [tuple(2, atom(''), atom('x')), msg]);
    const second = frameBody(out, encoder, [tuple(2, atom(''), atom('x')), msg]);
    expect(second.length).toBeLessThan(first.length);
    for (const body of [first, second]) {
      const [ctl, payload] = readBody(body, cache, decoder, 2);
      expect(termEquals(ctl as Term, tuple(2, atom(''), atom('x')))).toBe(true);
      expect(termEquals(payload as Term, decodeTerm(encodeTerm(msg)))).toBe(true);
    }
    // No atom text in the second frame: the receiver holds every one of them.
    expect(second.includes(Buffer.from('hello'))).toBe(false);
  });

  it('changes no slot for a frame whose header is never written (a frame that failed to encode)', () => {
    const out = new OutAtomCache();
    const encoder = new TermEncoder();
    const cache: (string | undefined)[] = new Array(2048);
    out.begin();
    expect(() =>
      encoder.encodeAll([tuple(atom('lost'), Number.NaN)], { versioned: false, atomRef: out.ref }),
    ).toThrow();
    const body = frameBody(out, encoder, [atom('lost')]);
    const [t] = readBody(body, cache, new TermDecoder(), 1);
    expect(t).toEqual(atom('lost'));
  });

  it('writes atoms longer than 255 bytes in full and keeps each slot to one name a frame', () => {
    const out = new OutAtomCache();
    const encoder = new TermEncoder();
    const decoder = new TermDecoder();
    const cache: (string | undefined)[] = new Array(2048);
    const long = atom('é'.repeat(200));
    // 3000 distinct names: some share a slot within the frame (2048 slots), and over 255 refs go in full.
    const many = Array.from({ length: 3000 }, (_, i) => atom(`a${i}`));
    const body = frameBody(out, encoder, [tuple(long, ...many)]);
    const [t] = readBody(body, cache, decoder, 1);
    expect(termEquals(t as Term, tuple(long, ...many))).toBe(true);
    const again = frameBody(out, encoder, [tuple(long, ...many)]);
    const [u] = readBody(again, cache, decoder, 1);
    expect(termEquals(u as Term, tuple(long, ...many))).toBe(true);
  });
});
