import { until } from '@kindred/test-support';
import { TRANSPORT_ERRORS } from '@kindred/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCallMessage, type Pid, Ref, type StartedNode, startNode } from '../src/index.js';
import { checkMessage, internalMessage, internalToken, MESSAGE_DEPTH } from '../src/message-check.js';
import { recorder } from './support.js';

// The one message contract (docs/semantics.md, "What a message may hold"): every value of the contract arrives the
// same whether sent to a process of the same node (by reference) or of another node (through msgpack on the real
// transport); everything outside it throws KINDRED_ERR_MESSAGE_ENCODE on both paths, for send, call and reply.

/** `depth` nested arrays around 'leaf'. */
const nested = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

/** Every kind of value in the contract, with edge values of each. */
function contractValues(pid: Pid, ref: Ref): Array<[string, unknown]> {
  const nullProto = Object.create(null) as Record<string, unknown>;
  nullProto.k = 'v';
  return [
    ['undefined', undefined],
    ['null', null],
    ['booleans', [true, false]],
    ['small integers', [0, 1, -1, 127, 128, -32, -33, 255, 65_535, 2 ** 31 - 1, -(2 ** 31)]],
    [
      'large integers as numbers',
      [2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 60],
    ],
    ['floats', [1.5, -0.1, Number.MIN_VALUE, Number.MAX_VALUE, Number.EPSILON]],
    ['non-finite numbers', [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
    ['strings', ['', 'a', 'héllo', '日本語', '😀 emoji', 'x'.repeat(70_000), '\u0000nul']],
    ['BigInts in 64 bits', [0n, 5n, -5n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n]],
    ['arrays', [[], [1, 'two', [3, [4]]], new Array(300).fill(7)]],
    ['objects', [{}, { a: 1, b: { c: 'd', e: [null] } }, { 'with space': 1, '': 2, '0': 3 }]],
    ['undefined inside', { a: undefined, b: [undefined, 1] }],
    ['an object without prototype', nullProto],
    ['Dates', [new Date(0), new Date('2026-11-29T12:34:56.789Z'), new Date(-1), new Date(8.64e15)]],
    ['a pid and a ref', { pid, ref }],
    ['nested as deep as the wire allows', nested(MESSAGE_DEPTH.send)],
    ['many keys', Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]))],
  ];
}

/** What the contract refuses, on both paths. */
const REFUSED: Array<[string, unknown]> = [
  ['a function', () => 1],
  ['a symbol', Symbol('s')],
  ['a Map', new Map([['a', 1]])],
  ['a Set', new Set([1])],
  ['a WeakMap', new WeakMap()],
  ['an Error', new Error('boom')],
  ['a RegExp', /x/g],
  ['a Promise', Promise.resolve(1)],
  ['an Int16Array', new Int16Array(2)],
  ['a Float64Array', new Float64Array(2)],
  ['an ArrayBuffer', new ArrayBuffer(4)],
  ['a DataView', new DataView(new ArrayBuffer(4))],
  [
    'a class instance',
    new (class Point {
      x = 1;
    })(),
  ],
  ['an invalid Date', new Date(Number.NaN)],
  ['a lone surrogate', '\uD800'],
  ['a __proto__ key', JSON.parse('{"__proto__": 1}')],
  ['a BigInt over 64 bits', 2n ** 64n],
  ['a BigInt under 64 bits', -(2n ** 63n) - 1n],
  ['nesting deeper than the wire', nested(MESSAGE_DEPTH.send + 1)],
  ['a function deep inside', { a: [1, { b: () => 1 }] }],
  [
    'a cycle',
    (() => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    })(),
  ],
];

describe('checkMessage', () => {
  it('names what it found and where', () => {
    expect(() => checkMessage({ a: [1, { 'b c': new Map() }] })).toThrow(
      expect.objectContaining({
        code: TRANSPORT_ERRORS.MESSAGE_ENCODE,
        message: expect.stringMatching(
          /^message\.a\[1\]\["b c"\] is a Map, which a kindred message cannot hold/,
        ),
        details: { path: ['a', 1, 'b c'], found: 'a Map' },
      }),
    );
    expect(() => checkMessage(new (class Point {})())).toThrow(/^the message is an instance of class Point/);
    expect(() => checkMessage(() => 1)).toThrow(/^the message is a function/);
  });

  it('takes the deepest nesting the wire carries and refuses one level more, for send and for call', () => {
    expect(() => checkMessage(nested(127), MESSAGE_DEPTH.send)).not.toThrow();
    expect(() => checkMessage(nested(128), MESSAGE_DEPTH.send)).toThrow(/nested deeper than the wire allows/);
    expect(() => checkMessage(nested(126), MESSAGE_DEPTH.call)).not.toThrow();
    expect(() => checkMessage(nested(127), MESSAGE_DEPTH.call)).toThrow(/nested deeper/);
  });

  it("lets through the runtime's own tokens and marked requests, and nothing like them", () => {
    const token = internalToken('test.token');
    expect(() => checkMessage(token)).not.toThrow();
    expect(() => checkMessage(Symbol('test.token'))).toThrow(/is a symbol/);
    const request = internalMessage({ spec: { start: () => 1 } });
    expect(() => checkMessage(request)).not.toThrow();
    expect(() => checkMessage({ spec: { start: () => 1 } })).toThrow(/message\.spec\.start is a function/);
  });

  it("lets through the wire's own classes (Erlang's term classes on Erlang's wire) only when the node says so", () => {
    class Term {
      constructor(readonly v: number) {}
    }
    const msg = { ok: [new Term(1)] };
    expect(() => checkMessage(msg)).toThrow(/message\.ok\[0\] is an instance of class Term/);
    expect(() => checkMessage(msg, MESSAGE_DEPTH.send, new Set([Term]))).not.toThrow();
    // The set is the check's own: the next check without it refuses again.
    expect(() => checkMessage(msg)).toThrow(/class Term/);
    expect(() => checkMessage({ m: new Map() }, MESSAGE_DEPTH.send, new Set([Term]))).toThrow(/a Map/);
  });

  it('counts values as the transport does and refuses a message over maxFrameValues', () => {
    expect(() => checkMessage(new Array(1_000_001).fill(''))).toThrow(/over 1000000 values/);
  });
});

describe('local and remote delivery agree', () => {
  const cookie = 'message-contract-cookie';
  let a: StartedNode;
  let b: StartedNode;
  let localInbox: { pid: Pid; got: unknown[] };
  let remoteInbox: { pid: Pid; got: unknown[] };
  let localEcho: Pid;
  let remoteEcho: Pid;

  /** A process answering each call with its request, and with what `reply` names when asked to. */
  const echo = (node: StartedNode) =>
    node.spawn(async (ctx) => {
      for (;;) {
        const m = await ctx.receive(isCallMessage);
        const request = m.request as { replyWith?: unknown } | undefined;
        try {
          ctx.reply(
            m.from,
            request?.replyWith === undefined ? m.request : REFUSED_BY_NAME.get(request.replyWith as string),
          );
        } catch (err) {
          ctx.reply(m.from, { refused: (err as { code?: unknown }).code });
        }
      }
    });

  beforeAll(async () => {
    a = await startNode({ name: 'contract_a@127.0.0.1', cookie, port: 0, host: '127.0.0.1' });
    b = await startNode({ name: 'contract_b@127.0.0.1', cookie, port: 0, host: '127.0.0.1' });
    await a.connect(b.name, { port: b.port });
    localInbox = recorder(a);
    remoteInbox = recorder(b);
    localEcho = echo(a);
    remoteEcho = echo(b);
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('for every value type of the contract: send and call', async () => {
    const values = contractValues(remoteInbox.pid, a.makeRef());
    for (const [, value] of values) {
      a.send(localInbox.pid, value);
      a.send(remoteInbox.pid, value);
    }
    await until(() => (remoteInbox.got.length === values.length ? true : undefined), { timeoutMs: 30_000 });
    expect(localInbox.got).toHaveLength(values.length);
    values.forEach(([label, value], i) => {
      const local = localInbox.got[i];
      const remote = remoteInbox.got[i];
      expect(local, label).toBe(value); // by reference
      expect(remote, label).toStrictEqual(normalize(local));
    });
    // A call's request sits one level deeper in its frame (the call envelope): one level less to nest.
    const callValues = values.map(([label, value]): [string, unknown] =>
      value === values.find(([l]) => l.startsWith('nested'))?.[1]
        ? [label, nested(MESSAGE_DEPTH.call)]
        : [label, value],
    );
    for (const [label, value] of callValues) {
      const local = await a.call(localEcho, value);
      const remote = await a.call(remoteEcho, value);
      expect(remote, label).toStrictEqual(normalize(local));
    }
  });

  it('bytes: a Uint8Array arrives as a Uint8Array with the same bytes (remotely a Buffer, which is one)', async () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    const local = await a.call(localEcho, { bytes });
    const remote = (await a.call(remoteEcho, { bytes })) as { bytes: Uint8Array };
    expect((local as { bytes: Uint8Array }).bytes).toBe(bytes);
    expect(remote.bytes).toBeInstanceOf(Uint8Array);
    expect([...remote.bytes]).toEqual([...bytes]);
  });

  it('-0 arrives as 0 remotely: msgpack has no negative integer zero (documented difference)', async () => {
    expect(Object.is(await a.call(localEcho, -0), -0)).toBe(true);
    expect(Object.is(await a.call(remoteEcho, -0), 0)).toBe(true);
  });

  it('a key with a lone surrogate is not checked, and arrives remotely with U+FFFD (documented difference)', async () => {
    const local = (await a.call(localEcho, { '\uDC00': 1 })) as Record<string, number>;
    const remote = (await a.call(remoteEcho, { '\uDC00': 1 })) as Record<string, number>;
    expect(Object.keys(local)).toEqual(['\uDC00']);
    expect(Object.keys(remote)).toHaveLength(1);
    expect(Object.keys(remote)[0]).toMatch(/^\uFFFD+$/);
  });

  it('everything outside the contract throws KINDRED_ERR_MESSAGE_ENCODE on both paths, for send, call, reply, sendAfter and broadcast', async () => {
    for (const [label, value] of REFUSED) {
      for (const dest of [localInbox.pid, remoteInbox.pid, { name: 'nobody', node: b.name }]) {
        expect(() => a.send(dest, value), `send ${label}`).toThrow(
          expect.objectContaining({ code: TRANSPORT_ERRORS.MESSAGE_ENCODE }),
        );
      }
      for (const echoPid of [localEcho, remoteEcho]) {
        await expect(a.call(echoPid, value), `call ${label}`).rejects.toMatchObject({
          code: TRANSPORT_ERRORS.MESSAGE_ENCODE,
        });
        expect(await a.call(echoPid, { replyWith: label }), `reply ${label}`).toEqual({
          refused: TRANSPORT_ERRORS.MESSAGE_ENCODE,
        });
      }
      expect(() => a.sendAfter(localInbox.pid, value, 0), `sendAfter ${label}`).toThrow(
        expect.objectContaining({ code: TRANSPORT_ERRORS.MESSAGE_ENCODE }),
      );
      expect(() => a.broadcast('nobody-here', value), `broadcast ${label}`).toThrow(
        expect.objectContaining({ code: TRANSPORT_ERRORS.MESSAGE_ENCODE }),
      );
    }
    // Nothing refused was delivered anywhere.
    expect(localInbox.got.length).toBe(remoteInbox.got.length);
  });

  it('rpc arguments and results, and spawnOn arguments, follow the same contract', async () => {
    b.expose('echo', (v: unknown) => v);
    b.expose('makeMap', () => new Map());
    a.expose('makeMap', () => new Map());
    expect(await a.rpc(b.name, 'echo', [{ d: new Date(5) }])).toEqual({ d: new Date(5) });
    for (const node of [a.name, b.name]) {
      await expect(a.rpc(node, 'echo', [new Set()])).rejects.toMatchObject({
        code: TRANSPORT_ERRORS.MESSAGE_ENCODE,
      });
      await expect(a.rpc(node, 'makeMap', [])).rejects.toMatchObject({
        details: { error: expect.objectContaining({ code: TRANSPORT_ERRORS.MESSAGE_ENCODE }) },
      });
      await expect(a.spawnOn(node, 'anything', [() => 1])).rejects.toMatchObject({
        code: TRANSPORT_ERRORS.MESSAGE_ENCODE,
      });
    }
  });
});

const REFUSED_BY_NAME = new Map(REFUSED);

/** What the contract says arrives for `v`: the same value, a Ref/Pid compared by its fields, null-prototype as {}. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Ref || v instanceof Date || v === null || typeof v !== 'object') return v;
  const proto = Object.getPrototypeOf(v);
  if (proto !== null && proto !== Object.prototype) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
}
