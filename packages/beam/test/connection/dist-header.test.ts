import { describe, expect, it } from 'vitest';
import { readDistHeader } from '../../src/connection/dist-header.js';

/** A header for refs `[segment, index, text?]` (text = a new entry), after `131 68`. */
function header(refs: [number, number, string?][], long = false): Buffer {
  const n = refs.length;
  const flags = Buffer.alloc((n >> 1) + 1);
  const set = (i: number, half: number): void => {
    flags[i >> 1] = (flags[i >> 1] as number) | (half << ((i & 1) * 4));
  };
  refs.forEach(([seg, , text], i) => {
    set(i, seg | (text === undefined ? 0 : 8));
  });
  set(n, long ? 1 : 0);
  const body: Buffer[] = [];
  for (const [, idx, text] of refs) {
    body.push(Buffer.from([idx]));
    if (text !== undefined) {
      const t = Buffer.from(text, 'utf8');
      body.push(long ? Buffer.from([t.length >> 8, t.length & 255]) : Buffer.from([t.length]), t);
    }
  }
  return Buffer.concat([Buffer.from([n]), flags, ...body]);
}

describe('readDistHeader', () => {
  it('reads new entries into the cache and resolves references to them later', () => {
    const cache: (string | undefined)[] = new Array(2048);
    const h1 = header([
      [0, 5, 'hello'],
      [7, 255, 'högre'],
      [3, 1, 'x'],
    ]);
    expect(readDistHeader(h1, 0, cache)).toEqual({ refs: ['hello', 'högre', 'x'], end: h1.length });
    expect(cache[5]).toBe('hello');
    expect(cache[7 * 256 + 255]).toBe('högre');
    const h2 = header([
      [7, 255],
      [0, 5],
    ]);
    expect(readDistHeader(h2, 0, cache).refs).toEqual(['högre', 'hello']);
  });

  it('reads long atoms (2-byte lengths) and an empty header', () => {
    const cache: (string | undefined)[] = new Array(2048);
    const long = 'a'.repeat(300);
    expect(readDistHeader(header([[1, 2, long]], true), 0, cache).refs).toEqual([long]);
    expect(readDistHeader(Buffer.from([0, 99]), 0, cache)).toEqual({ refs: [], end: 1 });
  });

  it('refuses references to empty slots and truncated headers', () => {
    const cache: (string | undefined)[] = new Array(2048);
    expect(() => readDistHeader(header([[0, 1]]), 0, cache)).toThrow(/before it was set/);
    const h = header([[0, 1, 'abc']]);
    for (let cut = 0; cut < h.length; cut++)
      expect(() => readDistHeader(h.subarray(0, cut), 0, cache)).toThrow();
  });
});
