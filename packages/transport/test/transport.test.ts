import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame } from '../src/framing.js';
import {
  CLOSE,
  computeDigest,
  decodeHandshake,
  encodeHandshake,
  FLAGS,
  newChallenge,
  PROTOCOL_VERSION,
} from '../src/protocol.js';
import { createTransport } from '../src/transport.js';
import type { Transport } from '../src/types.js';
import {
  captureLogger,
  closeCode,
  nextMessage,
  once,
  rawHandshake,
  rawMac,
  rawSocket,
  startNode,
} from './support.js';

const open: Transport[] = [];
async function node(name: string, extra: Parameters<typeof startNode>[1] = {}) {
  const n = await startNode(name, extra);
  open.push(n.t);
  return n;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('createTransport options', () => {
  it('names the bad option', () => {
    expect(() => createTransport({ self: { node: 'a@127.0.0.1' }, cookie: '' })).toThrow(/cookie/);
    expect(() => createTransport({ self: { node: 'a@127.0.0.1' }, cookie: 'c', ticktimeMs: 0 })).toThrow(
      /ticktimeMs/,
    );
    expect(() =>
      createTransport({ self: { node: 'a@127.0.0.1' }, cookie: 'c', env: { KINDRED_PORT: 'x' } }),
    ).toThrow(/KINDRED_PORT/);
    expect(() => createTransport({ self: { node: 'nope' }, cookie: 'c' })).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_NODE_NAME_NO_AT' }),
    );
  });
});

describe('connect and send', () => {
  it('connects, emits nodeup on both sides, and delivers messages in order', async () => {
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    const upB = once<[string, { direction: string }]>(b.t, 'nodeup');
    const upA = once<[string, { direction: string }]>(a.t, 'nodeup');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    expect((await upA)[0]).toBe('b@127.0.0.1');
    expect((await upA)[1].direction).toBe('out');
    expect((await upB)[0]).toBe('a@127.0.0.1');
    expect((await upB)[1].direction).toBe('in');
    expect(a.t.nodes()).toEqual(['b@127.0.0.1']);

    const got: unknown[] = [];
    const n = 20_000;
    const done = new Promise<void>((resolve) =>
      b.t.on('message', (from, m) => {
        expect(from).toBe('a@127.0.0.1');
        got.push(m);
        if (got.length === n) resolve();
      }),
    );
    for (let i = 0; i < n; i++) a.t.send('b@127.0.0.1', { i, body: 'x'.repeat(i % 50) });
    await done;
    expect(got.map((m) => (m as { i: number }).i)).toEqual(Array.from({ length: n }, (_, i) => i));
    const sa = a.t.stats().peers['b@127.0.0.1'];
    const sb = b.t.stats().peers['a@127.0.0.1'];
    expect(sa?.messagesOut).toBe(n);
    expect(sb?.messagesIn).toBe(n);
    expect(sa?.framesOut).toBeLessThan(n / 10); // batched
    expect(sb?.bytesIn).toBe(sa?.bytesOut);
  });

  it('carries messages with random masking keys too (maskFrames)', async () => {
    const a = await node('a@127.0.0.1', { maskFrames: true });
    const b = await node('b@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    const got = once<[string, unknown]>(b.t, 'message');
    a.t.send('b@127.0.0.1', { masked: true });
    expect((await got)[1]).toEqual({ masked: true });
  });

  it('refuses a message over maxMessageBytes with a clear error and keeps the connection', async () => {
    const a = await node('a@127.0.0.1', { maxMessageBytes: 4096 });
    const b = await node('b@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    expect(() => a.t.send('b@127.0.0.1', 'x'.repeat(10_000))).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_MESSAGE_TOO_LARGE' }),
    );
    const got = once<[string, unknown]>(b.t, 'message');
    a.t.send('b@127.0.0.1', 'small');
    expect((await got)[1]).toBe('small');
  });

  it('throws KINDRED_ERR_NOT_CONNECTED when sending to an unknown node', async () => {
    const a = await node('a@127.0.0.1');
    expect(() => a.t.send('zz@127.0.0.1', 1)).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_NOT_CONNECTED' }),
    );
  });

  it('reports a refused port as KINDRED_ERR_CONNECT_FAILED', async () => {
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    const port = b.port;
    await b.t.close();
    await expect(a.t.connect('b@127.0.0.1', { port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_CONNECT_FAILED',
    });
  });
});

describe('handshake outcomes', () => {
  it('a wrong cookie fails on both sides, and the acceptor logs the peer', async () => {
    const log = captureLogger();
    const logA = captureLogger();
    const a = await node('a@127.0.0.1', { cookie: 'one', logger: logA.logger });
    const b = await node('b@127.0.0.1', { cookie: 'two', logger: log.logger });
    await expect(a.t.connect('b@127.0.0.1', { port: b.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_BAD_COOKIE',
    });
    expect(a.t.stats().handshakeFailures.bad_cookie).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(b.t.stats().handshakeFailures.bad_cookie).toBe(1);
    expect(log.lines().map((l) => l.msg)).toContain(
      "** Connection attempt from node 'a@127.0.0.1' rejected. Invalid challenge reply. **",
    );
    expect(logA.lines().some((l) => l.level === 40 && l.msg.includes("node 'b@127.0.0.1' rejected"))).toBe(
      true,
    );
    expect(a.t.nodes()).toEqual([]);
    expect(b.t.nodes()).toEqual([]);
  });

  it('aborts with name_mismatch when the acceptor is not the dialed node', async () => {
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    await expect(a.t.connect('c@127.0.0.1', { port: b.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_NAME_MISMATCH',
      details: { node: 'c@127.0.0.1', actual: 'b@127.0.0.1' },
    });
  });

  it('refuses an illegal target before dialing, with Erlang wording', async () => {
    const a = await node('a@127.0.0.1');
    await expect(a.t.connect('b@localhost')).rejects.toMatchObject({
      code: 'KINDRED_ERR_ILLEGAL_HOSTNAME',
      message: '** System running to use fully qualified hostnames **\n** Hostname localhost is illegal **',
    });
  });

  it('refuses initiators outside the allow list (net_kernel:allow)', async () => {
    const log = captureLogger();
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1', { allow: ['c@127.0.0.1'], logger: log.logger });
    await expect(a.t.connect('b@127.0.0.1', { port: b.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_NOT_ALLOWED',
    });
    expect(log.lines().map((l) => l.msg)).toContain(
      "** Connection attempt from disallowed node 'a@127.0.0.1' **",
    );
  });

  it('refuses an initiator whose host does not resolve to the connection address', async () => {
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine; the connection comes from 127.0.0.1.
    const a = await node('a@192.0.2.1', { host: '127.0.0.1' });
    const b = await node('b@127.0.0.1');
    await expect(a.t.connect('b@127.0.0.1', { port: b.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_NOT_ALLOWED',
      details: { reason: 'host_mismatch' },
    });
    // verifyPeerHost: false turns the check off.
    const c = await node('c@127.0.0.1', { verifyPeerHost: false });
    await a.t.connect('c@127.0.0.1', { port: c.port });
    expect(c.t.nodes()).toEqual(['a@192.0.2.1']);
  });

  it('uses the resolver for the host check', async () => {
    const resolver = {
      lookupHost: async (name: string) => ({
        addresses: name === 'good.example' ? ['127.0.0.5'] : ['192.0.2.7'],
      }),
    };
    const b = await node('b@127.0.0.1', { resolver });
    const good = await node('g@good.example', { resolver });
    const bad = await node('x@bad.example', { resolver });
    await good.t.connect('b@127.0.0.1', { port: b.port });
    await expect(bad.t.connect('b@127.0.0.1', { port: b.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_NOT_ALLOWED',
    });
  });
});

/** Sends NAME as `self` and sends REPLY with a digest under `cookie`; resolves with the socket after REPLY went. */
async function nameAndReply(port: number, self: string, acceptor: string, cookie: string) {
  const ws = await rawSocket(port);
  const challenge = newChallenge();
  const c = nextMessage(ws);
  ws.send(
    encodeHandshake({ tag: 'n', version: PROTOCOL_VERSION, name: self, challenge, flags: FLAGS.INTEGRITY }),
  );
  const msg = decodeHandshake(await c);
  if (msg.tag !== 'c') throw new Error(`expected CHALLENGE, got ${msg.tag}`);
  const digest = computeDigest(cookie, {
    role: 'reply',
    initiator: self,
    acceptor,
    initiatorChallenge: challenge,
    acceptorChallenge: msg.challenge,
    initiatorFlags: FLAGS.INTEGRITY,
    acceptorFlags: msg.flags,
  });
  ws.send(encodeHandshake({ tag: 'r', digest }));
  return ws;
}

describe('the host check waits for the cookie proof', () => {
  function countingResolver() {
    const calls: string[] = [];
    return {
      calls,
      lookupHost: async (name: string) => {
        calls.push(name);
        return { addresses: name === 'good.example' ? ['127.0.0.5'] : ['192.0.2.7'] };
      },
    };
  }

  it('makes no lookup for a NAME whose REPLY is wrong or never comes', async () => {
    const resolver = countingResolver();
    const b = await node('b@127.0.0.1', { resolver, setupTimeoutMs: 300 });
    const wrong = await nameAndReply(b.port, 'x@bad.example', 'b@127.0.0.1', 'not-the-cookie');
    expect(await closeCode(wrong)).toBe(4003);
    const silent = await rawSocket(b.port);
    silent.send(
      encodeHandshake({
        tag: 'n',
        version: PROTOCOL_VERSION,
        name: 'y@bad.example',
        challenge: newChallenge(),
        flags: FLAGS.INTEGRITY,
      }),
    );
    expect(await closeCode(silent)).toBe(4007);
    const gone = await rawSocket(b.port);
    gone.send(
      encodeHandshake({
        tag: 'n',
        version: PROTOCOL_VERSION,
        name: 'z@bad.example',
        challenge: newChallenge(),
        flags: 0,
      }),
    );
    gone.terminate();
    // A real node with the cookie is checked: one lookup, after its REPLY.
    const good = await node('g@good.example', { resolver });
    await good.t.connect('b@127.0.0.1', { port: b.port });
    expect(resolver.calls).toEqual(['good.example']);
    expect(b.t.stats().hostChecks).toEqual({ lookups: 1, cached: 0 });
  });

  it('refuses after REPLY with STATUS not_allowed; the initiator sees the reason; lookups are cached per host', async () => {
    const resolver = countingResolver();
    const log = captureLogger();
    const b = await node('b@127.0.0.1', { resolver, logger: log.logger });
    const bad = await node('x@bad.example', { resolver: { lookupHost: async () => ({ addresses: [] }) } });
    for (let i = 0; i < 3; i++) {
      await expect(bad.t.connect('b@127.0.0.1', { port: b.port })).rejects.toMatchObject({
        code: 'KINDRED_ERR_NOT_ALLOWED',
        details: { status: 'not_allowed', reason: 'host_mismatch' },
      });
    }
    const good = await node('g@good.example', { resolver });
    for (let i = 0; i < 3; i++) {
      await good.t.connect('b@127.0.0.1', { port: b.port });
      const down = once(b.t, 'nodedown');
      good.t.disconnect('b@127.0.0.1');
      await down;
    }
    expect(resolver.calls).toEqual(['bad.example', 'good.example']);
    expect(b.t.stats().hostChecks).toEqual({ lookups: 2, cached: 4 });
    expect(b.t.stats().handshakeFailures.not_allowed).toBe(3);
    // One refusal line per host per edgeLogIntervalMs.
    const refusals = log
      .lines()
      .filter((l) => l.msg.startsWith("Connection attempt from node 'x@bad.example'"));
    expect(refusals).toHaveLength(1);
  });
});

describe('limits and options', () => {
  it('closes a connection that does not finish its handshake in setupTimeoutMs with 4007', async () => {
    const a = await node('a@127.0.0.1', { setupTimeoutMs: 150 });
    const ws = await rawSocket(a.port);
    expect(await closeCode(ws)).toBe(4007);
    expect(a.t.stats().handshakeFailures.setup_timeout).toBe(1);
  });

  it('closes handshakes beyond maxPendingHandshakes with 4008', async () => {
    const a = await node('a@127.0.0.1', { maxPendingHandshakes: 2, setupTimeoutMs: 2000 });
    const held = [await rawSocket(a.port), await rawSocket(a.port)];
    const third = await rawSocket(a.port);
    expect(await closeCode(third)).toBe(4008);
    for (const ws of held) ws.terminate();
  });

  it('applies the allow list to dialing too, and leaves hidden nodes out of nodes()', async () => {
    const a = await node('a@127.0.0.1', { allow: ['b@127.0.0.1'] });
    await expect(a.t.connect('c@127.0.0.1', { port: 1 })).rejects.toMatchObject({
      code: 'KINDRED_ERR_NOT_ALLOWED',
    });
    const b = await node('b@127.0.0.1', { hidden: true });
    const up = once<[string, { hidden: boolean }]>(a.t, 'nodeup');
    await b.t.connect('a@127.0.0.1', { port: a.port });
    expect((await up)[1].hidden).toBe(true);
    expect(a.t.nodes()).toEqual([]);
    expect(a.t.allNodes()).toEqual(['b@127.0.0.1']);
  });
});

describe('one connection per pair', () => {
  it('simultaneous connects end as exactly one connection, the same on both sides', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await node(`a${round}@127.0.0.1`);
      const b = await node(`b${round}@127.0.0.1`);
      let upsA = 0;
      let upsB = 0;
      a.t.on('nodeup', () => upsA++);
      b.t.on('nodeup', () => upsB++);
      await Promise.all([
        a.t.connect(b.t.node, { port: b.port }),
        b.t.connect(a.t.node, { port: a.port }),
        a.t.connect(b.t.node, { port: b.port }),
      ]);
      await new Promise((r) => setTimeout(r, 50));
      expect(upsA).toBe(1);
      expect(upsB).toBe(1);
      const dirA = a.t.stats().peers[b.t.node]?.direction;
      const dirB = b.t.stats().peers[a.t.node]?.direction;
      expect(dirA).not.toBe(dirB);
      const got = once<[string, unknown]>(b.t, 'message');
      a.t.send(b.t.node, 'hello');
      expect((await got)[1]).toBe('hello');
    }
  });

  it('forgets an initiator that left while its host was being checked', async () => {
    const slow = {
      lookupHost: async () => {
        await new Promise((r) => setTimeout(r, 100));
        return { addresses: ['127.0.0.1'] };
      },
    };
    const b = await node('b@127.0.0.1', { resolver: slow });
    const ws = await nameAndReply(b.port, 'a@x.test', 'b@127.0.0.1', 'secret');
    ws.terminate();
    await new Promise((r) => setTimeout(r, 200));
    const a = await node('a@x.test', { resolver: slow });
    await a.t.connect('b@127.0.0.1', { port: b.port, address: '127.0.0.1' });
    expect(b.t.nodes()).toEqual(['a@x.test']);
  });

  it('delivers nodedown before the nodeup of a replacing connection', async () => {
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    await b.t.connect('a@127.0.0.1', { port: a.port });
    const events: string[] = [];
    a.t.on('nodeup', (n) => events.push(`up ${n}`));
    a.t.on('nodedown', (n, reason) => events.push(`down ${n} ${reason}`));
    // A restarted b dials a while a still holds the old connection: status alive, the new one replaces it.
    const b2 = await node('b@127.0.0.1');
    await b2.t.connect('a@127.0.0.1', { port: a.port });
    expect(events).toEqual(['down b@127.0.0.1 connection_closed', 'up b@127.0.0.1']);
    expect(a.t.nodes()).toEqual(['b@127.0.0.1']);
  });
});

describe('liveness and shutdown', () => {
  it('drops a silent peer with net_tick_timeout', async () => {
    const a = await node('a@127.0.0.1', { ticktimeMs: 200, tickIntensity: 4 });
    const down = once<[string, string]>(a.t, 'nodedown');
    const ws = await rawHandshake(a.port, 'q@127.0.0.1', 'a@127.0.0.1');
    const code = closeCode(ws);
    // The raw peer never answers ticks.
    expect(await down).toEqual(['q@127.0.0.1', 'net_tick_timeout']);
    expect(await code).toBe(4009);
  });

  it('keeps an idle but live connection up through ticks', async () => {
    const a = await node('a@127.0.0.1', { ticktimeMs: 200 });
    const b = await node('b@127.0.0.1', { ticktimeMs: 200 });
    await a.t.connect('b@127.0.0.1', { port: b.port });
    await new Promise((r) => setTimeout(r, 600));
    expect(a.t.nodes()).toEqual(['b@127.0.0.1']);
    expect(a.t.stats().peers['b@127.0.0.1']?.ticksIn).toBeGreaterThan(0);
  });

  it('disconnect gives disconnect here and connection_closed there; close gives net_kernel_terminated', async () => {
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    const c = await node('c@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    await a.t.connect('c@127.0.0.1', { port: c.port });
    const downA = once<[string, string]>(a.t, 'nodedown');
    const downB = once<[string, string]>(b.t, 'nodedown');
    a.t.disconnect('b@127.0.0.1');
    expect(await downA).toEqual(['b@127.0.0.1', 'disconnect']);
    expect(await downB).toEqual(['a@127.0.0.1', 'connection_closed']);
    const downA2 = once<[string, string]>(a.t, 'nodedown');
    const downC = once<[string, string]>(c.t, 'nodedown');
    await a.t.close();
    expect(await downA2).toEqual(['c@127.0.0.1', 'net_kernel_terminated']);
    expect(await downC).toEqual(['a@127.0.0.1', 'connection_closed']);
  });

  it('close({ leave: true }) closes with 4012 and the peers see nodedown shutdown', async () => {
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    const c = await node('c@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    await a.t.connect('c@127.0.0.1', { port: c.port });
    const downA = once<[string, string]>(a.t, 'nodedown');
    const downB = once<[string, string]>(b.t, 'nodedown');
    const downC = once<[string, string]>(c.t, 'nodedown');
    await a.t.close({ leave: true });
    expect(await downA).toEqual([expect.stringMatching(/^[bc]@127\.0\.0\.1$/), 'net_kernel_terminated']);
    expect(await downB).toEqual(['a@127.0.0.1', 'shutdown']);
    expect(await downC).toEqual(['a@127.0.0.1', 'shutdown']);
    expect(CLOSE.LEAVE).toEqual({ code: 4012, reason: 'leave' });
  });
});

describe('a misbehaving authenticated peer', () => {
  it('is closed with 4000 for an undecodable frame or a text message, and the node goes on', async () => {
    const a = await node('a@127.0.0.1');
    for (const bad of [Buffer.from([0xa5, 0x61]), Buffer.from([0x92, 0x01]), 'text']) {
      const down = once<[string, string]>(a.t, 'nodedown');
      const ws = await rawHandshake(a.port, 'q@127.0.0.1', 'a@127.0.0.1');
      const code = closeCode(ws);
      if (typeof bad === 'string') ws.send(bad, { binary: false });
      else ws.send(rawMac(ws).seal(bad), { binary: true });
      expect(await code).toBe(4000);
      expect(await down).toEqual(['q@127.0.0.1', 'connection_closed']);
    }
    const b = await node('b@127.0.0.1');
    await b.t.connect('a@127.0.0.1', { port: a.port });
    expect(a.t.nodes()).toEqual(['b@127.0.0.1']);
  });
});

describe('backpressure', () => {
  it('bounds the send queue to a peer that does not read, then drains', async () => {
    const a = await node('a@127.0.0.1', {
      maxMessageBytes: 64 * 1024,
      maxQueueBytes: 256 * 1024,
      maxInflightBytes: 64 * 1024,
    });
    // The raw peer refuses frames over 64 KiB (1009), as a transport with maxMessageBytes 64 KiB does: frames
    // written after the stall must still respect the limit.
    const ws = await rawHandshake(a.port, 'slow@127.0.0.1', 'a@127.0.0.1', 'secret', 64 * 1024 + 16);
    let closed: number | undefined;
    ws.on('close', (code) => {
      closed = code;
    });
    await new Promise((r) => setTimeout(r, 20));
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const big = 'y'.repeat(3_000);
    let sent = 0;
    let full: unknown;
    for (let i = 0; i < 10_000 && full === undefined; i++) {
      try {
        a.t.send('slow@127.0.0.1', big);
        sent++;
      } catch (err) {
        full = err;
      }
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(full).toMatchObject({ code: 'KINDRED_ERR_SEND_QUEUE_FULL' });
    expect(a.t.stats().peers['slow@127.0.0.1']?.queuedBytes).toBeLessThanOrEqual(256 * 1024);
    expect(a.t.nodes()).toEqual(['slow@127.0.0.1']);
    const drained = once<[string]>(a.t, 'drain');
    let received = 0;
    ws.on('message', (data: Buffer) => {
      const payload = rawMac(ws).open(data);
      if (payload.length > 0) received += decodeFrame(payload).length;
    });
    socket.resume();
    expect(await drained).toEqual(['slow@127.0.0.1']);
    await new Promise<void>((resolve) => {
      const check = () => (received >= sent || closed !== undefined ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(received).toBe(sent);
    expect(closed).toBeUndefined();
    ws.terminate();
  });
});

describe('stats for metrics', () => {
  it('counts a dial refused by the host apart from handshake failures, reason connection_refused', async () => {
    const a = await node('a@127.0.0.1');
    // A port that was just free: nothing listens there, so the dial is refused (ECONNREFUSED).
    const b = await node('b@127.0.0.1');
    const port = b.port;
    await b.t.close();
    const err = await a.t.connect('b@127.0.0.1', { port }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'KINDRED_ERR_CONNECT_FAILED',
      details: { reason: 'connection_refused' },
    });
    expect(a.t.stats().connectionsRefused).toBe(1);
    expect(a.t.stats().handshakeFailures).toEqual({});
  });

  it('gives each peer the time it was last seen alive (lastInAt)', async () => {
    const before = Date.now();
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    const seen = a.t.stats().peers['b@127.0.0.1']?.lastInAt;
    expect(seen).toBeGreaterThanOrEqual(before);
    expect(seen).toBeLessThanOrEqual(Date.now());
  });

  it('keeps the traffic of closed connections in totals', async () => {
    const a = await node('a@127.0.0.1');
    const b = await node('b@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    const got = once(b.t, 'message');
    a.t.send('b@127.0.0.1', 'hello');
    await got;
    const live = a.t.stats();
    expect(live.totals.messagesOut).toBe(1);
    expect(live.totals.bytesOut).toBe(live.peers['b@127.0.0.1']?.bytesOut);
    const down = once(a.t, 'nodedown');
    a.t.disconnect('b@127.0.0.1');
    await down;
    expect(a.t.stats().peers).toEqual({});
    expect(a.t.stats().totals).toEqual(live.totals);
  });
});
