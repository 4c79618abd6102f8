import { type Socket, connect as tcpConnect } from 'node:net';
import { until as poll } from '@kindred/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Admission, type AdmissionLimits } from '../src/admission.js';
import { TRANSPORT_DEFAULTS } from '../src/defaults.js';
import { SUBPROTOCOL } from '../src/protocol.js';
import { createTransport } from '../src/transport.js';
import type { Transport } from '../src/types.js';
import { captureLogger, closeCode, startNode } from './support.js';

// Linux routes all of 127.0.0.0/8 to lo: binding a socket's local address to 127.0.0.2 makes it a second source.
const OTHER = '127.0.0.2';

const LIMITS: AdmissionLimits = {
  maxRawConnections: 4,
  maxRawConnectionsPerSource: 2,
  maxPendingHandshakes: 3,
  maxPendingHandshakesPerSource: 2,
  upgradeTimeoutMs: 60_000,
  firstMessageTimeoutMs: 60_000,
  edgeLogIntervalMs: 10_000,
};

const open: Transport[] = [];
const sockets: Array<Socket | WebSocket> = [];
async function node(name: string, extra: Parameters<typeof startNode>[1] = {}) {
  const n = await startNode(name, extra);
  open.push(n.t);
  return n;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) {
    if (s instanceof WebSocket) s.terminate();
    else s.destroy();
  }
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** A TCP connection to the listener from `localAddress`; resolves once connected. */
function tcpFrom(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ port, host: '127.0.0.1', localAddress });
    sockets.push(s);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the listener closed `s` (the peer's FIN or RST). */
function closedByListener(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve();
    s.on('error', () => {});
    s.once('close', () => resolve());
    s.resume();
  });
}

/** A WebSocket speaking the kindred subprotocol from `localAddress`; resolves once upgraded. */
function wsFrom(port: number, localAddress: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/kindred`, [SUBPROTOCOL], { localAddress });
    sockets.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Polls `fn` until it returns true (the listener sees a close a little after the client does). */
function until(what: string, fn: () => boolean): Promise<boolean> {
  return poll(fn, { what, timeoutMs: 5_000 });
}

describe('Admission', () => {
  it('counts handshakes per source (IPv4-mapped IPv6 being the same source) and listener-wide', () => {
    const admission = new Admission(LIMITS, captureLogger().logger);
    const a1 = admission.admitHandshake('10.0.0.1');
    const a2 = admission.admitHandshake('::ffff:10.0.0.1');
    expect(a1).toBeTypeOf('function');
    expect(a2).toBeTypeOf('function');
    expect(admission.admitHandshake('10.0.0.1')).toBeUndefined();
    const b1 = admission.admitHandshake('10.0.0.2');
    expect(b1).toBeTypeOf('function');
    expect(admission.admitHandshake('10.0.0.3')).toBeUndefined();
    expect(admission.stats()).toEqual({
      rawConnections: 0,
      pendingHandshakes: 3,
      refusals: { handshakes_per_source: 1, handshakes_total: 1 },
    });
    a1?.();
    a1?.(); // idempotent
    expect(admission.stats().pendingHandshakes).toBe(2);
    expect(admission.admitHandshake('10.0.0.1')).toBeTypeOf('function');
  });

  it('logs each kind of refusal once per interval, under fixed keys, with the count held back', () => {
    let now = 0;
    const log = captureLogger();
    const admission = new Admission(LIMITS, log.logger, () => now);
    admission.admitHandshake('10.0.0.1');
    admission.admitHandshake('10.0.0.1');
    for (let i = 0; i < 5; i++) admission.admitHandshake('10.0.0.1');
    expect(log.lines()).toHaveLength(1);
    expect(log.lines()[0]).toMatchObject({
      level: 40,
      peer: { address: '10.0.0.1' },
      limit: { option: 'maxPendingHandshakesPerSource', value: 2 },
      suppressed: 0,
      reason: 'handshakes_per_source',
    });
    now += LIMITS.edgeLogIntervalMs;
    admission.admitHandshake('10.0.0.1');
    expect(log.lines()).toHaveLength(2);
    expect(log.lines()[1]).toMatchObject({ suppressed: 4 });
  });

  it('counts a failed accept (EMFILE) and logs it once per interval', () => {
    const log = captureLogger();
    const admission = new Admission(LIMITS, log.logger, () => 0);
    const emfile = () =>
      Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', errno: -24, syscall: 'accept' });
    for (let i = 0; i < 3; i++) admission.listenerError(emfile());
    expect(admission.stats().refusals).toEqual({ accept_error: 3 });
    const lines = log.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50 });
    expect(lines[0]?.msg).toMatch(/EMFILE.*ulimit -n/);
  });
});

describe('the listener edge on real sockets', () => {
  it('destroys connections over maxRawConnectionsPerSource at once, and another source still connects', async () => {
    const b = await node('b@127.0.0.1', { maxRawConnectionsPerSource: 3 });
    const held = await Promise.all([1, 2, 3].map(() => tcpFrom(b.port, OTHER)));
    const over = await tcpFrom(b.port, OTHER);
    await closedByListener(over);
    expect(held.every((s) => !s.destroyed)).toBe(true);
    expect(b.t.stats().edge).toMatchObject({ rawConnections: 3, refusals: { raw_per_source: 1 } });
    const a = await node('a@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    expect(b.t.nodes()).toEqual(['a@127.0.0.1']);
    // The connection that upgraded gave its slot back; only the three idle ones hold theirs.
    expect(b.t.stats().edge).toMatchObject({ rawConnections: 3, pendingHandshakes: 0 });
  });

  it('destroys connections over maxRawConnections whatever their source', async () => {
    const b = await node('b@127.0.0.1', { maxRawConnections: 2 });
    await tcpFrom(b.port, OTHER);
    await tcpFrom(b.port, '127.0.0.3');
    await closedByListener(await tcpFrom(b.port, '127.0.0.4'));
    expect(b.t.stats().edge.refusals).toEqual({ raw_total: 1 });
  });

  it('drops a connection that sends no upgrade request within upgradeTimeoutMs, and gives its slot back', async () => {
    const log = captureLogger();
    const b = await node('b@127.0.0.1', { upgradeTimeoutMs: 100, logger: log.logger });
    const idle = await tcpFrom(b.port, OTHER);
    const half = await tcpFrom(b.port, OTHER);
    half.write('GET /kindred HTTP/1.1\r\nHost: x\r\n');
    await Promise.all([closedByListener(idle), closedByListener(half)]);
    await until('slots given back', () => b.t.stats().edge.rawConnections === 0);
    expect(b.t.stats().edge).toMatchObject({ rawConnections: 0, refusals: { upgrade_timeout: 2 } });
    expect(log.lines().filter((l) => l.msg.includes('upgradeTimeoutMs'))).toHaveLength(1);
  });

  it('answers a plain HTTP request with 426 and closes it', async () => {
    const b = await node('b@127.0.0.1');
    const s = await tcpFrom(b.port, OTHER);
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await closedByListener(s);
    expect(got).toMatch(/^HTTP\/1\.1 426 /);
    await until('the slot given back', () => b.t.stats().edge.rawConnections === 0);
  });

  it('closes handshakes over maxPendingHandshakesPerSource with 4008, and another source still connects', async () => {
    const b = await node('b@127.0.0.1', { maxPendingHandshakesPerSource: 2, setupTimeoutMs: 5_000 });
    await wsFrom(b.port, OTHER);
    await wsFrom(b.port, OTHER);
    const third = await wsFrom(b.port, OTHER);
    expect(await closeCode(third)).toBe(4008);
    const a = await node('a@127.0.0.1');
    await a.t.connect('b@127.0.0.1', { port: b.port });
    expect(b.t.stats().edge).toMatchObject({ pendingHandshakes: 2, refusals: { handshakes_per_source: 1 } });
    expect(b.t.stats().handshakeFailures.overloaded).toBe(1);
  });

  it('closes an upgraded connection that sends nothing within firstMessageTimeoutMs with 4007', async () => {
    const b = await node('b@127.0.0.1', { firstMessageTimeoutMs: 100, setupTimeoutMs: 60_000 });
    const ws = await wsFrom(b.port, OTHER);
    expect(await closeCode(ws)).toBe(4007);
    await until('the handshake slot given back', () => b.t.stats().edge.pendingHandshakes === 0);
    const stats = b.t.stats();
    expect(stats.handshakeFailures.first_message_timeout).toBe(1);
    expect(stats.edge).toMatchObject({ pendingHandshakes: 0, refusals: { first_message_timeout: 1 } });
  });

  it('validates the new limits like the other options', () => {
    const base = { self: { node: 'a@127.0.0.1' }, cookie: 'c' };
    for (const option of [
      'maxPendingHandshakesPerSource',
      'maxRawConnections',
      'maxRawConnectionsPerSource',
      'upgradeTimeoutMs',
      'firstMessageTimeoutMs',
      'hostCheckCacheMaxEntries',
    ] as const) {
      expect(() => createTransport({ ...base, [option]: 0 })).toThrow(
        expect.objectContaining({ code: 'KINDRED_ERR_TRANSPORT_OPTION', details: { option } }),
      );
      expect(() => createTransport({ ...base, [option]: 1.5 })).toThrow(new RegExp(option));
    }
    for (const option of ['hostCheckCacheTtlMs', 'edgeLogIntervalMs'] as const) {
      expect(() => createTransport({ ...base, [option]: -1 })).toThrow(new RegExp(option));
      expect(() => createTransport({ ...base, [option]: 0 })).not.toThrow();
    }
    expect(TRANSPORT_DEFAULTS.maxRawConnectionsPerSource).toBeLessThan(TRANSPORT_DEFAULTS.maxRawConnections);
  });
});
