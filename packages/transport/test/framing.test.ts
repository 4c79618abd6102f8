import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeMessage, joinFrame, TICK_FRAME } from '../src/framing.js';

describe('frames', () => {
  it('a frame is messages laid end to end, decoded in order', () => {
    const parts = [encodeMessage({ a: 1 }), encodeMessage([1, 'two']), encodeMessage(null)];
    const frame = joinFrame(
      parts,
      parts.reduce((n, p) => n + p.length, 0),
    );
    expect(decodeFrame(frame)).toEqual([{ a: 1 }, [1, 'two'], null]);
  });

  // msgpackr renames a `__proto__` key (prototype-pollution guard), so such objects are left out here.
  const json = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"'));

  it('round-trips any JSON-like values, in order, however they are batched', () => {
    fc.assert(
      fc.property(fc.array(json, { minLength: 1, maxLength: 20 }), (messages) => {
        const parts = messages.map(encodeMessage);
        const frame = joinFrame(
          parts,
          parts.reduce((n, p) => n + p.length, 0),
        );
        // msgpack has no negative zero: -0 arrives as 0, as JSON would carry it.
        expect(decodeFrame(frame)).toEqual(JSON.parse(JSON.stringify(messages)));
      }),
    );
  });

  it('encodes each message once, so a later mutation does not change what was sent', () => {
    const m = { n: 1 };
    const bytes = encodeMessage(m);
    m.n = 2;
    expect(decodeFrame(bytes)).toEqual([{ n: 1 }]);
  });

  it('a tick is the empty frame; a truncated frame throws', () => {
    expect(TICK_FRAME.length).toBe(0);
    const bytes = encodeMessage({ text: 'hello' });
    expect(() => decodeFrame(bytes.subarray(0, bytes.length - 2))).toThrow();
  });
});
