// BeamConnection on real loopback sockets between two JS endpoints (epmd-less): messages both ways in both layouts,
// clean close with a reason, bounded sends, and what a hostile peer's bytes after a good handshake do.
import { connect, type Socket } from 'node:net';
import { SILENT_LOGGER } from '@kindred/interface';
import { until } from '@kindred/test-support';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  atom,
  BEAM_NET_ERRORS,
  type BeamConnection,
  DFLAG,
  initiateHandshake,
  KINDRED_DIST_FLAGS,
  MANDATORY_FLAGS_25,
  type Term,
  Tuple,
  tuple,
} from '../../src/index.js';
import type { JsNode } from '../helpers/js-node.js';
import { fixedNode, freePort } from '../helpers/pair.js';

const nodes: JsNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close();
});

async function pair(extra: Parameters<typeof fixedNode>[2] = {}): Promise<[JsNode, JsNode]> {
  const port = await freePort();
  const a = await fixedNode('a', port, extra);
  const b = await fixedNode('b', port, extra);
  nodes.push(a, b);
  return [a, b];
}

/** A raw socket that has finished a real handshake with `to` (as node `x@127.0.0.99`), for writing raw frames. */
async function handshaken(to: JsNode, port: number): Promise<{ socket: Socket; rest: Buffer }> {
  const host = to.name.split('@')[1] as string;
  const socket = connect({ host, port });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const hs = await initiateHandshake(
    socket,
    {
      name: 'x@127.0.0.99',
      cookie: 'pair-cookie',
      creation: 1234,
      flags: KINDRED_DIST_FLAGS | DFLAG.PUBLISHED,
      requiredFlags: MANDATORY_FLAGS_25,
      setupTimeoutMs: 5_000,
      logger: SILENT_LOGGER,
    },
    to.name,
  );
  socket.resume();
  socket.on('error', () => {});
  return { socket, rest: hs.rest };
}

describe('BeamConnection', () => {
  it('carries control messages and payloads both ways in the pass-through layout', async () => {
    const [a, b] = await pair();
    const conn = await a.endpoint.connect(b.name);
    expect(conn.flags & DFLAG.DIST_HDR_ATOM_CACHE).toBe(0n);
    const from = a.pid();
    a.regSend(b.name, from, 'inbox', tuple(atom('hi'), 1, [2, 3]));
    const got = await until(() => b.messagesTo('inbox')[0]);
    expect(got.msg).toEqual(tuple(atom('hi'), 1, [2, 3]));
    b.send(a.name, from, atom('back'));
    const back = await until(() =>
      a.received.find((r) => r.msg instanceof Object && 'name' in (r.msg as object)),
    );
    expect(back.msg).toEqual(atom('back'));
  });

  it('carries them in the 131 68 layout when DIST_HDR_ATOM_CACHE is negotiated', async () => {
    const [a, b] = await pair({ flags: KINDRED_DIST_FLAGS | DFLAG.DIST_HDR_ATOM_CACHE });
    const conn = await a.endpoint.connect(b.name);
    expect(conn.flags & DFLAG.DIST_HDR_ATOM_CACHE).toBe(DFLAG.DIST_HDR_ATOM_CACHE);
    a.regSend(b.name, a.pid(), 'inbox', atom('x'));
    await until(() => b.messagesTo('inbox').length === 1);
  });

  it('frames sent in one turn arrive in order, also when the connection is closed in that turn', async () => {
    for (const flags of [KINDRED_DIST_FLAGS, KINDRED_DIST_FLAGS | DFLAG.DIST_HDR_ATOM_CACHE]) {
      const [a, b] = await pair({ flags });
      const conn = (await a.endpoint.connect(b.name)) as BeamConnection<Term>;
      const from = a.pid();
      for (let i = 0; i < 500; i++) conn.send(tuple(6, from, atom(''), atom('inbox')), tuple(atom('n'), i));
      expect(conn.queuedBytes).toBeGreaterThan(0);
      conn.close('normal');
      const got = await until(() =>
        b.messagesTo('inbox').length === 500 ? b.messagesTo('inbox') : undefined,
      );
      expect(got.map((r) => (r.msg as Tuple).elements[1])).toEqual(Array.from({ length: 500 }, (_, i) => i));
    }
  });

  it('a control message without payload arrives without one', async () => {
    const [a, b] = await pair();
    const conn = (await a.endpoint.connect(b.name)) as BeamConnection<Term>;
    conn.send(tuple(1, a.pid(), b.pid()));
    const c = await until(() =>
      b.controls.find((x) => x.control instanceof Tuple && x.control.elements[0] === 1),
    );
    expect(c.payload).toBeUndefined();
  });

  it('close(reason) closes both ends: the peer sees connection_closed', async () => {
    const [a, b] = await pair();
    const conn = await a.endpoint.connect(b.name);
    await until(() => b.endpoint.nodes().length === 1);
    conn.close('normal');
    await until(() => b.nodedowns.length === 1);
    expect(b.nodedowns[0]).toMatchObject({ node: a.name, reason: 'connection_closed' });
    expect(a.nodedowns[0]).toMatchObject({ node: b.name, reason: 'normal' });
    expect(() => conn.send(atom('late'))).toThrow(
      expect.objectContaining({ code: BEAM_NET_ERRORS.BEAM_CLOSED }),
    );
  });

  it('refuses a message over maxFrameBytes and keeps the connection', async () => {
    const [a, b] = await pair({ maxFrameBytes: 1_000 });
    const conn = (await a.endpoint.connect(b.name)) as BeamConnection<Term>;
    expect(() => conn.send(tuple(2, atom(''), b.pid()), Buffer.alloc(2_000))).toThrow(
      expect.objectContaining({ code: BEAM_NET_ERRORS.BEAM_MESSAGE_TOO_LARGE }),
    );
    expect(conn.open).toBe(true);
  });

  it('refuses sends past maxQueueBytes with SEND_QUEUE_FULL', async () => {
    const [a, b] = await pair({ maxQueueBytes: 64 * 1024, maxFrameBytes: 1024 * 1024 });
    const conn = (await a.endpoint.connect(b.name)) as BeamConnection<Term>;
    const big = Buffer.alloc(32 * 1024);
    let refused: unknown;
    for (let i = 0; i < 10_000 && refused === undefined; i++) {
      try {
        conn.send(tuple(2, atom(''), b.pid()), big);
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toMatchObject({ code: BEAM_NET_ERRORS.BEAM_SEND_QUEUE_FULL });
  });

  it("a refused send is followed by 'drain', also with a queue smaller than a write batch", async () => {
    const [a, b] = await pair({ maxQueueBytes: 16 * 1024, maxFrameBytes: 1024 * 1024 });
    const conn = (await a.endpoint.connect(b.name)) as BeamConnection<Term>;
    const drained = new Promise<void>((resolve) => conn.once('drain', () => resolve()));
    const chunk = Buffer.alloc(10 * 1024);
    let refused: unknown;
    for (let i = 0; i < 100_000 && refused === undefined; i++) {
      try {
        conn.send(tuple(2, atom(''), b.pid()), chunk);
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toMatchObject({ code: BEAM_NET_ERRORS.BEAM_SEND_QUEUE_FULL });
    await drained;
    expect(() => conn.send(tuple(2, atom(''), b.pid()), chunk)).not.toThrow();
  });

  it('a declared length over maxFrameBytes closes that connection with too_large; the listener keeps serving', async () => {
    const port = await freePort();
    const b = await fixedNode('b', port, { maxFrameBytes: 4096 });
    nodes.push(b);
    const { socket } = await handshaken(b, port);
    await until(() => b.endpoint.nodes().length === 1);
    socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await until(() => b.nodedowns.length === 1);
    expect(b.nodedowns[0]).toEqual({
      node: 'x@127.0.0.99',
      reason: 'too_large',
      code: BEAM_NET_ERRORS.BEAM_FRAME,
    });
    socket.destroy();
    const a = await fixedNode('a', port);
    nodes.push(a);
    await a.endpoint.connect(b.name);
  });

  it('random frames after a good handshake close only that connection with a coded reason (fuzz)', async () => {
    const port = await freePort();
    const b = await fixedNode('b', port);
    nodes.push(b);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.boolean(),
        async (bytes, framed) => {
          const downs = b.nodedowns.length;
          const { socket } = await handshaken(b, port);
          await until(() => b.endpoint.nodes().includes('x@127.0.0.99'));
          const body = Buffer.from(bytes);
          // Either a well-framed garbage body or raw garbage (its first 4 bytes taken as a length).
          const len = Buffer.alloc(4);
          len.writeUInt32BE(body.length);
          socket.write(framed ? Buffer.concat([len, body]) : body);
          socket.end();
          await until(() => b.nodedowns.length > downs, { timeoutMs: 10_000 });
          const down = b.nodedowns[b.nodedowns.length - 1];
          // A frame that happens to decode is delivered, then the end closes it normally; anything else is coded.
          expect(['frame_error', 'too_large', 'connection_closed']).toContain(down?.reason);
          if (down?.reason !== 'connection_closed') expect(down?.code).toBe(BEAM_NET_ERRORS.BEAM_FRAME);
          // A whole frame that is not 'p' (112) is refused as such, before the peer's close is seen.
          if (framed && bytes[0] !== 112) expect(down?.reason).toBe('frame_error');
          socket.destroy();
        },
      ),
      { numRuns: 40 },
    );
    const a = await fixedNode('a', port);
    nodes.push(a);
    await a.endpoint.connect(b.name);
    expect(b.endpoint.nodes()).toContain(a.name);
  });

  it('a truncated frame followed by a close is connection_closed, nothing is delivered', async () => {
    const port = await freePort();
    const b = await fixedNode('b', port);
    nodes.push(b);
    const { socket } = await handshaken(b, port);
    await until(() => b.endpoint.nodes().length === 1);
    socket.end(Buffer.from([0, 0, 0, 50, 112, 131]));
    await until(() => b.nodedowns.length === 1);
    expect(b.nodedowns[0]?.reason).toBe('connection_closed');
    expect(b.received).toEqual([]);
  });
});
