import { channel, tracingChannel } from 'node:diagnostics_channel';
import { until } from '@kindred/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallMessage,
  type CallTraceContext,
  childTraceparent,
  createNode,
  currentTraceparent,
  DIAGNOSTICS_CHANNELS,
  isCallMessage,
  isTraceparent,
  type NodeupEvent,
  type RpcTraceContext,
  type SendTraceContext,
  type StartedNode,
  startNode,
  traceIdOf,
  withTraceContext,
} from '../src/index.js';

const started: StartedNode[] = [];
const unsubscribe: Array<() => void> = [];
afterEach(async () => {
  for (const u of unsubscribe.splice(0)) u();
  for (const n of started.splice(0)) await n.stop();
});

async function start(name: string): Promise<StartedNode> {
  const n = await startNode({ name: `${name}@127.0.0.1`, cookie: 'diag-cookie', port: 0, host: '127.0.0.1' });
  started.push(n);
  return n;
}

const noop = () => {};
/** Subscribes `start` to a TracingChannel (the other four events as no-ops) until the test ends. */
function onStart<T extends object>(
  name: string,
  start: (ctx: T) => void,
  asyncEnd: (ctx: T) => void = noop,
): void {
  const handlers = { start, end: noop, asyncStart: noop, asyncEnd, error: noop };
  const ch = tracingChannel<string, T>(name);
  ch.subscribe(handlers as never);
  unsubscribe.push(() => ch.unsubscribe(handlers as never));
}

describe('traceparent', () => {
  it('accepts version 00 only, with ids not all zero, and makes children in the same trace', () => {
    const root = childTraceparent();
    expect(isTraceparent(root)).toBe(true);
    const child = childTraceparent(root);
    expect(traceIdOf(child)).toBe(traceIdOf(root));
    expect(child.slice(36, 52)).not.toBe(root.slice(36, 52));
    for (const bad of [
      undefined,
      42,
      '',
      `01-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'a'.repeat(32)}-${'0'.repeat(16)}-01`,
      `00-${'A'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01x`,
    ]) {
      expect(isTraceparent(bad)).toBe(false);
    }
    expect(withTraceContext(root, () => currentTraceparent())).toBe(root);
    expect(withTraceContext('garbage', () => currentTraceparent())).toBeUndefined();
  });
});

describe('tracing channels', () => {
  it('sees one trace id across a call from A to B and B’s rpc to C', async () => {
    const a = await start('ta');
    const b = await start('tb');
    const c = await start('tc');
    await a.connect(b.name, { port: b.port });
    await b.connect(c.name, { port: c.port });
    c.expose('double', (x: number) => ({ doubled: x * 2, trace: currentTraceparent() }));
    // B: a gen_server-like handler process that answers a call with an rpc to C.
    b.spawnHandler(
      async (msg, ctx) => {
        if (!isCallMessage(msg)) return;
        const r = await ctx.node.rpc<{ doubled: number }>(c.name, 'double', [msg.request as number]);
        ctx.reply(msg.from, r.doubled);
      },
      { name: 'svc' },
    );
    const calls: CallTraceContext[] = [];
    const rpcs: RpcTraceContext[] = [];
    onStart<CallTraceContext>(DIAGNOSTICS_CHANNELS.call, (ctx) => calls.push(ctx));
    onStart<RpcTraceContext>(DIAGNOSTICS_CHANNELS.rpc, (ctx) => rpcs.push(ctx));

    expect(await a.call({ name: 'svc', node: b.name }, 21)).toBe(42);

    const first = calls.find((x) => x.node === a.name);
    const rpc = rpcs.find((x) => x.node === b.name);
    const second = calls.find((x) => x.node === b.name);
    expect(first && rpc && second).toBeTruthy();
    const trace = traceIdOf(first!.traceparent!);
    expect(first!.parent).toBeUndefined(); // A's call started the trace
    expect(rpc!.target).toBe(c.name);
    expect(rpc!.parent).toBe(first!.traceparent); // B's rpc runs in the context A's call carried
    expect(traceIdOf(rpc!.traceparent!)).toBe(trace);
    expect(traceIdOf(second!.traceparent!)).toBe(trace); // the rpc's call to C's rex
    expect(second!.parent).toBe(rpc!.traceparent);
  });

  it('carries no traceparent when nobody subscribed and no trace is current, and one when a trace is', async () => {
    const node = createNode({ name: 'plain@mem' });
    const seen: CallMessage[] = [];
    const svc = node.spawnHandler((msg, ctx) => {
      if (!isCallMessage(msg)) return;
      seen.push(msg);
      ctx.reply(msg.from, currentTraceparent() ?? null);
    });
    expect(await node.call(svc, 'x')).toBeNull();
    expect('traceparent' in seen[0]!).toBe(false);
    const root = childTraceparent();
    const inside = await withTraceContext(root, () => node.call<string>(svc, 'y'));
    expect(traceIdOf(seen[1]!.traceparent!)).toBe(traceIdOf(root));
    expect(inside).toBe(seen[1]!.traceparent); // the handler ran in the context the call carried
    await node.stop();
  });

  it('sends the traceparent a start subscriber set, and ignores a peer’s invalid one', async () => {
    const node = createNode({ name: 'set@mem' });
    const got: Array<{ carried: unknown; current: string | undefined }> = [];
    const svc = node.spawnHandler((msg, ctx) => {
      if (!isCallMessage(msg)) return;
      got.push({ carried: msg.traceparent, current: currentTraceparent() });
      ctx.reply(msg.from, null);
    });
    const mine = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    onStart<CallTraceContext>(DIAGNOSTICS_CHANNELS.call, (ctx) => {
      ctx.traceparent = mine;
    });
    await node.call(svc, 'x');
    expect(got[0]).toEqual({ carried: mine, current: mine });
    // A message shaped like a call with garbage in traceparent: the handler runs with no context.
    node.spawn((ctx) => {
      ctx.send(svc, {
        type: '$gen_call',
        from: { pid: ctx.self, ref: ctx.makeRef() },
        request: 1,
        traceparent: 'nope',
      });
    });
    await until(() => got.length === 2, { timeoutMs: 5_000, intervalMs: 10 });
    expect(got[1]).toEqual({ carried: 'nope', current: undefined });
    await node.stop();
  });

  it('publishes send, spawnOn, nodeup and nodedown', async () => {
    const a = await start('pa');
    const b = await start('pb');
    b.exposeSpawn('idle', async (ctx) => {
      await ctx.receive();
    });
    const sends: SendTraceContext[] = [];
    const spawns: unknown[] = [];
    onStart<SendTraceContext>(DIAGNOSTICS_CHANNELS.send, (ctx) => sends.push(ctx));
    onStart<{ target: string; result?: unknown }>(DIAGNOSTICS_CHANNELS.spawnOn, noop, (ctx) =>
      spawns.push(ctx),
    );
    const ups: NodeupEvent[] = [];
    const downs: unknown[] = [];
    const up = (m: unknown) => ups.push(m as NodeupEvent);
    const down = (m: unknown) => downs.push(m);
    channel(DIAGNOSTICS_CHANNELS.nodeup).subscribe(up);
    channel(DIAGNOSTICS_CHANNELS.nodedown).subscribe(down);
    unsubscribe.push(() => {
      channel(DIAGNOSTICS_CHANNELS.nodeup).unsubscribe(up);
      channel(DIAGNOSTICS_CHANNELS.nodedown).unsubscribe(down);
    });
    await a.connect(b.name, { port: b.port });
    const pid = await a.spawnOn(b.name, 'idle');
    a.send(pid, 'wake');
    expect(sends.some((s) => s.node === a.name && s.message === 'wake')).toBe(true);
    expect(spawns).toEqual([expect.objectContaining({ target: b.name, result: pid })]);
    expect(ups).toContainEqual({ node: a.name, peer: b.name, hidden: false });
    a.disconnect(b.name);
    await until(() => downs.length >= 2, { timeoutMs: 5_000, intervalMs: 10 });
    expect(downs).toContainEqual({ node: a.name, peer: b.name, reason: 'disconnect' });
  });
});
