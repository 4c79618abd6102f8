import { settle, until } from '@kindred/test-support';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  isDownMessage,
  isExitMessage,
  type KNode,
  MEMORY_MESSAGE_OVERHEAD_BYTES,
  MemoryNetwork,
  type NodeEvent,
  OP,
} from '../src/index.js';
import { recorder } from './support.js';

const POLL = { timeoutMs: 2_000, intervalMs: 5 };

// The peer table (peers.ts) and the inbound dispatcher (dispatch.ts) over the in-memory network: auto-connect,
// nodedown and its reasons, connect_all, incarnations, malformed frames. The semantics every distribution must give
// (send, links, monitors, pg, ...) are in compliance/; cluster.test.ts runs three OS processes over the real transport.
let net: MemoryNetwork;
const nodes: KNode[] = [];
function mk(name: string, hidden = false): KNode {
  net ??= new MemoryNetwork();
  const n = createNode({
    name: `${name}@mem`,
    distribution: net.endpoint(`${name}@mem`, { hidden }),
    hidden,
  });
  nodes.push(n);
  return n;
}
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
  net = new MemoryNetwork();
});

describe('peers and dispatch over the memory network', () => {
  it('auto-connects on first send, like Erlang', async () => {
    const a = mk('a');
    const b = mk('b');
    const r = recorder(b);
    a.send(r.pid, 'hello');
    await until(() => r.got.length === 1, POLL);
    expect(a.nodes()).toEqual([b.name]);
  });

  it('a lost node gives DOWN noconnection, EXIT noconnection and nodedown with its reason', async () => {
    const a = mk('a');
    const b = mk('b');
    await a.connect(b.name);
    const remote = b.spawn(async (ctx) => ctx.receive());
    const events: NodeEvent[] = [];
    a.monitorNodes((e) => events.push(e));
    const w = recorder(a, (ctx) => {
      ctx.trapExit(true);
      ctx.monitor(remote);
      ctx.link(remote);
      ctx.monitorNodes(true);
    });
    await settle();
    // The connection is lost without goodbyes (as when b's OS process dies or the network fails).
    net.partition(a.name, b.name, 'net_tick_timeout');
    await until(() => w.got.length >= 3, POLL);
    const down = w.got.find(isDownMessage)!;
    const exit = w.got.find(isExitMessage)!;
    const nd = w.got.find((m) => (m as NodeEvent).type === 'nodedown');
    expect(down.reason).toBe('noconnection');
    expect(exit.reason).toBe('noconnection');
    expect(nd).toEqual({ type: 'nodedown', node: b.name, reason: 'net_tick_timeout' });
    expect(events, JSON.stringify(events)).toEqual([
      { type: 'nodedown', node: b.name, reason: 'net_tick_timeout' },
    ]);
  });

  it('connect_all: connecting to one node connects to all it knows; hidden nodes stay out', async () => {
    const a = mk('a');
    const b = mk('b');
    const c = mk('c');
    const h = mk('h', true);
    await a.connect(b.name);
    await c.connect(a.name);
    await until(() => c.nodes().length === 2 && b.nodes().length === 2, POLL);
    expect(b.nodes().sort()).toEqual([a.name, c.name]);
    await h.connect(a.name);
    await settle(10);
    expect(a.nodes()).not.toContain(h.name);
    expect(a.hiddenNodes()).toEqual([h.name]);
    expect(h.nodes()).toEqual([]);
    expect(h.hiddenNodes()).toEqual([a.name]);
    expect(b.hiddenNodes()).toEqual([]);
  });

  it('a restarted node has a new creation: pids of the old incarnation reach nothing (DOWN noproc)', async () => {
    const a = mk('a');
    const ep1 = net.endpoint('b@mem');
    const b1 = createNode({ name: 'b@mem', distribution: ep1 });
    const old = b1.spawn(async (ctx) => ctx.receive());
    await a.connect('b@mem');
    await b1.stop();
    ep1.kill();
    await until(() => a.nodes().length === 0, POLL);
    const b2 = createNode({ name: 'b@mem', distribution: net.endpoint('b@mem') });
    nodes.push(b2);
    const got: unknown[] = [];
    const fresh = b2.spawn(async (ctx) => {
      for (;;) got.push(await ctx.receive());
    });
    expect(fresh.id).toBe(old.id); // same number, different incarnation
    expect(b2.creation).not.toBe(b1.creation);
    a.send(old, 'for the old one');
    a.send(fresh, 'for the new one');
    expect((await a.monitor(old).down).reason).toBe('noproc');
    await until(() => got.length === 1, POLL);
    expect(got).toEqual(['for the new one']);
  });

  it('malformed frames from a peer are counted and ignored; the node keeps working', async () => {
    const a = mk('a');
    const evil = net.endpoint('evil@mem');
    await evil.connect(a.name);
    const r = recorder(a);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc
            .tuple(fc.constantFrom(...Object.values(OP)), fc.anything(), fc.anything(), fc.anything())
            .map((c) => [c]),
        ),
        async (frame) => {
          evil.send(a.name, frame);
          await settle(1);
        },
      ),
      { numRuns: 300 },
    );
    a.send(r.pid, 'still alive');
    await until(() => r.got.includes('still alive'), POLL);
    expect(a.stats().badControl).toBeGreaterThan(0);
  });

  it("passes each message's packed size plus a fixed overhead as the 'message' event's byte estimate", async () => {
    const a = net.endpoint('x@mem');
    const b = net.endpoint('y@mem');
    await a.connect('y@mem');
    const got: Array<[unknown, number]> = [];
    b.on('message', (_node: string, m: unknown, bytes: number) => got.push([m, bytes]));
    const msgs = [[[OP.SEND, '', 'x']], [[OP.SEND, '', 'x'], 'y'.repeat(5000)], [[OP.SEND, '', 'x'], {}]];
    for (const m of msgs) a.send('y@mem', m);
    await until(() => got.length === msgs.length, POLL);
    expect(got.map(([m]) => m)).toEqual(msgs);
    expect(got.map(([, n]) => n)).toEqual(msgs.map((m) => pack(m).length + MEMORY_MESSAGE_OVERHEAD_BYTES));
  });
});
