import fc from 'fast-check';
import { Packr, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeMessage,
  FrameBuffer,
  frameLimits,
  joinFrame,
  PrefixedMessage,
  TICK_FRAME,
} from '../src/framing.js';

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

describe('FrameBuffer', () => {
  it('fixes the bytes at commit: a later mutation does not change what is sent', () => {
    const fb = new FrameBuffer(1024);
    const sealed: Buffer[] = [];
    const m = { n: 1 };
    fb.encode(m);
    fb.commit(sealed);
    m.n = 2;
    fb.encode({ other: true });
    fb.commit(sealed);
    expect(sealed).toEqual([]);
    expect(decodeFrame(fb.take())).toEqual([{ n: 1 }, { other: true }]);
    expect(fb.pending).toBe(0);
  });

  it('seals runs at the limit and gives a large message a frame of its own, in order', () => {
    const limit = 1024;
    const fb = new FrameBuffer(limit);
    const sealed: Buffer[] = [];
    const sent: unknown[] = [];
    for (let i = 0; i < 200; i++) {
      const m = i % 50 === 7 ? { i, big: 'x'.repeat(40_000) } : { i, text: 'hello world' };
      sent.push(m);
      fb.encode(m);
      fb.commit(sealed);
    }
    if (fb.pending > 0) sealed.push(fb.take());
    for (const f of sealed) if (f.length > limit) expect(decodeFrame(f)).toHaveLength(1);
    expect(sealed.flatMap((f) => decodeFrame(f))).toEqual(sent);
  });

  it('an encode that throws appends nothing', () => {
    const fb = new FrameBuffer(1024);
    fb.encode({ a: 1 });
    fb.commit([]);
    expect(() => fb.encode({ f: 10n ** 30n })).toThrow();
    expect(decodeFrame(fb.take())).toEqual([{ a: 1 }]);
  });

  it('two connections sharing the encoder, any sizes, refused encodes: every frame holds what was sent, in order', () => {
    const msg = fc.oneof(
      fc.record({ n: fc.nat(), text: fc.string({ maxLength: 40 }) }),
      fc.record({ blob: fc.integer({ min: 1000, max: 300_000 }).map((n) => 'x'.repeat(n)) }),
      fc.constant('bad'),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1), msg, fc.boolean()), { maxLength: 120 }),
        fc.integer({ min: 1024, max: 300_000 }),
        (ops, limit) => {
          const fbs = [new FrameBuffer(limit), new FrameBuffer(limit)];
          const frames: Buffer[][] = [[], []];
          const sent: unknown[][] = [[], []];
          for (const [which, m, flush] of ops) {
            const fb = fbs[which] as FrameBuffer;
            if (m === 'bad') {
              expect(() => fb.encode({ f: 10n ** 30n })).toThrow();
              continue;
            }
            fb.encode(m);
            fb.commit(frames[which] as Buffer[]);
            sent[which]?.push(m);
            if (flush && fb.pending > 0) frames[which]?.push(fb.take());
          }
          for (const w of [0, 1]) {
            const fb = fbs[w] as FrameBuffer;
            if (fb.pending > 0) frames[w]?.push(fb.take());
            const got = (frames[w] as Buffer[]).flatMap((f) => {
              const ms = decodeFrame(f);
              if (f.length > limit) expect(ms).toHaveLength(1);
              return ms;
            });
            expect(got).toEqual(sent[w]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('PrefixedMessage', () => {
  // A 2-array whose first element is already encoded, as the runtime's SEND frames are.
  const prefixed = (first: unknown, msg: unknown): PrefixedMessage => {
    const control = encodeMessage(first);
    const head = new Uint8Array(control.length + 1);
    head[0] = 0x92;
    head.set(control, 1);
    return new PrefixedMessage(head, msg);
  };

  it('packs to its head followed by the message, with any Packr', () => {
    const p = new Packr({ useRecords: false });
    expect(p.pack(prefixed([1, '', 'x'], { n: 1 }))).toEqual(p.pack([[1, '', 'x'], { n: 1 }]));
  });

  it('a FrameBuffer writes the same bytes, across chunk ends and mixed with other messages, in order', () => {
    const msg = fc.oneof(
      fc.record({ n: fc.nat(), text: fc.string({ maxLength: 40 }) }),
      fc.record({ blob: fc.integer({ min: 1000, max: 200_000 }).map((n) => 'x'.repeat(n)) }),
    );
    const first = fc.tuple(fc.nat(), fc.string({ maxLength: 30 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(first), msg, fc.boolean()), { maxLength: 150 }),
        fc.integer({ min: 1024, max: 300_000 }),
        (ops, limit) => {
          const fb = new FrameBuffer(limit);
          const frames: Buffer[] = [];
          const sent: unknown[] = [];
          for (const [head, m, flush] of ops) {
            fb.encode(head === null ? m : prefixed(head, m));
            fb.commit(frames);
            sent.push(head === null ? m : [head, m]);
            if (flush && fb.pending > 0) frames.push(fb.take());
          }
          if (fb.pending > 0) frames.push(fb.take());
          expect(frames.flatMap((f) => decodeFrame(f))).toEqual(sent);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is refused exactly when the same array written in full would be: nesting and value limits', () => {
    const nest = (k: number): unknown => (k === 0 ? 1 : [nest(k - 1)]);
    const refused = (fb: FrameBuffer, m: unknown) => {
      try {
        fb.encode(m);
        fb.commit([]);
        return false;
      } catch {
        return true;
      }
    };
    for (const k of [125, 126, 127, 128, 129]) {
      expect(refused(new FrameBuffer(1 << 20), prefixed([1, 'a'], nest(k)))).toBe(
        refused(new FrameBuffer(1 << 20), [[1, 'a'], nest(k)]),
      );
    }
    expect(refused(new FrameBuffer(1 << 20), prefixed([1], nest(127)))).toBe(false);
    expect(refused(new FrameBuffer(1 << 20), prefixed([1], nest(128)))).toBe(true);
    for (let k = 0; k < 12; k++) {
      const strings = Array.from({ length: k }, (_, i) => `s${i}`);
      const limits = frameLimits(10);
      expect(refused(new FrameBuffer(1 << 20, limits), prefixed([1, 'a'], strings))).toBe(
        refused(new FrameBuffer(1 << 20, limits), [[1, 'a'], strings]),
      );
    }
  });

  it('a message the encoder refuses throws and appends nothing', () => {
    const fb = new FrameBuffer(1024);
    fb.encode({ a: 1 });
    fb.commit([]);
    expect(() => fb.encode(prefixed([1], new Set([1])))).toThrow();
    expect(decodeFrame(fb.take())).toEqual([{ a: 1 }]);
  });
});

describe('the encoder never writes what the strict decoder refuses', () => {
  const refusedValues: Array<[string, unknown]> = [
    ['a Set', new Set([1])],
    ['an Error', new Error('x')],
    ['a RegExp', /a/g],
    ['a Float32Array', new Float32Array(2)],
    ['a BigUint64Array', new BigUint64Array(1)],
    ['an ArrayBuffer', new ArrayBuffer(2)],
    ['a DataView', new DataView(new ArrayBuffer(2))],
    ['a BigInt over 64 bits', 2n ** 70n],
    ['an invalid Date', new Date(Number.NaN)],
    ['a Map with an object key', new Map([[{ a: 1 }, 2]])],
    ['nesting deeper than 128', Array.from({ length: 200 }).reduce<unknown>((inner) => [inner], 1)],
  ];

  it.each(refusedValues)('refuses %s at encode time (FrameBuffer and encodeMessage)', (_what, value) => {
    expect(() => encodeMessage({ value })).toThrow();
    const fb = new FrameBuffer(1024);
    fb.encode('before');
    fb.commit([]);
    expect(() => fb.encode({ value })).toThrow();
    expect(decodeFrame(fb.take())).toEqual(['before']);
  });

  it('carries Uint8Array and Buffer as bin, Dates as timestamps, undefined, and 64-bit BigInts', () => {
    const m = {
      u: new Uint8Array([1, 2]),
      b: Buffer.from([3]),
      d: new Date(1_700_000_000_123),
      n: undefined,
      i: -(2n ** 63n),
      j: 2n ** 64n - 1n,
    };
    const [back] = decodeFrame(encodeMessage(m)) as [typeof m];
    expect([...back.u]).toEqual([1, 2]);
    expect([...back.b]).toEqual([3]);
    expect(back.d).toEqual(m.d);
    expect('n' in back && back.n === undefined).toBe(true);
    expect(back.i).toBe(m.i);
    expect(back.j).toBe(m.j);
  });

  it('leaves other Packrs in the process alone: they still write a Set as an array', () => {
    expect(unpack(new Packr({ useRecords: false }).pack(new Set([1, 2])))).toEqual([1, 2]);
  });

  // Every kind of value the encoder accepts: -0 becomes 0 (msgpack has one zero), '__proto__' keys are renamed.
  const { value: plain } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.integer(),
      fc.double().map((d) => (Object.is(d, -0) ? 0 : d)),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
      fc.string(),
      fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)),
      fc.date({ noInvalidDate: true }),
      fc.array(tie('value'), { maxLength: 5 }),
      fc.dictionary(
        fc.string().filter((k) => k !== '__proto__'),
        tie('value'),
        { maxKeys: 5 },
      ),
    ),
  }));

  it('anything the encoder accepts, the strict decoder accepts and round-trips', () => {
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 10 }), (messages) => {
        const fb = new FrameBuffer(1 << 20);
        for (const m of messages) {
          fb.encode(m);
          fb.commit([]);
        }
        expect(decodeFrame(fb.take())).toEqual(messages);
      }),
      { numRuns: 300 },
    );
  });
});
