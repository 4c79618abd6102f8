import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, frame, TICK } from '../../src/connection/framing.js';

describe('FrameDecoder', () => {
  it('gives back the frames whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1 }),
        (bodies, cuts) => {
          const stream = Buffer.concat(bodies.map((b) => frame([Buffer.from(b)])));
          const d = new FrameDecoder(1_000);
          const out: Buffer[] = [];
          let o = 0;
          let i = 0;
          while (o < stream.length) {
            const n = cuts[i++ % cuts.length] as number;
            out.push(...d.push(stream.subarray(o, o + n)));
            o += n;
          }
          expect(out.map((b) => [...b])).toEqual(bodies.map((b) => [...b]));
          expect(d.buffered).toBe(0);
        },
      ),
    );
  });

  it('a tick is an empty frame; a declared length over the limit throws before buffering', () => {
    const d = new FrameDecoder(10);
    expect(d.push(TICK)).toEqual([Buffer.alloc(0)]);
    expect(() => d.push(Buffer.from([0, 0, 0, 11]))).toThrow(RangeError);
  });
});
