import { isCallMessage, type StartedNode, startNode } from '@kindred/runtime';
import { until } from '@kindred/test-support';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createKindredMetrics, type KindredMetrics } from '../src/index.js';

const POLL = { timeoutMs: 10_000, intervalMs: 20 };
const started: StartedNode[] = [];
const collectors: KindredMetrics[] = [];
afterEach(async () => {
  for (const c of collectors.splice(0)) c.close();
  for (const n of started.splice(0)) await n.stop();
});

async function start(name: string, extra: Parameters<typeof startNode>[0] = {}): Promise<StartedNode> {
  const n = await startNode({
    name: `${name}@127.0.0.1`,
    cookie: 'metrics-cookie',
    port: 0,
    host: '127.0.0.1',
    ...extra,
  });
  started.push(n);
  return n;
}

/** The value of the sample `name{labels}` in a registry's text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('createKindredMetrics', () => {
  it('validates its options with a code that names them', () => {
    expect(() => createKindredMetrics({ node: {} as never })).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_METRICS_BAD_OPTION', details: { option: 'node' } }),
    );
  });

  it('exports node, peer, handshake, event and latency metrics into the app’s registry', async () => {
    const a = await start('ma');
    const b = await start('mb');
    const registry = new Registry();
    const m = createKindredMetrics({ node: a, registry });
    collectors.push(m);
    b.expose('echo', (x: unknown) => x);
    const svc = b.spawnHandler(
      (msg, ctx) => {
        if (isCallMessage(msg)) ctx.reply(msg.from, msg.request);
      },
      { name: 'svc' },
    );
    await a.connect(b.name, { port: b.port });
    expect(await a.call({ name: 'svc', node: b.name }, 'hi')).toBe('hi');
    expect(await a.rpc(b.name, 'echo', [1])).toBe(1);
    await expect(a.call({ name: 'nobody', node: b.name }, 'x')).rejects.toMatchObject({
      code: 'KINDRED_ERR_CALL_EXIT',
    });
    // A mailbox overflow, and a dial refused by a host where nothing listens (not a handshake failure).
    const tiny = a.spawn((ctx) => ctx.receive((x) => x === 'never'), { maxMailboxSize: 1 });
    a.send(tiny, 1);
    a.send(tiny, 2);
    const gone = await start('mgone');
    const port = gone.port;
    await gone.stop();
    await a.connect(gone.name, { port }).catch(() => {});
    b.exit(svc, 'kill');
    await b.stop();
    await until(() => a.nodes().length === 0, POLL);

    const text = await registry.metrics();
    const self = { node: a.name };
    expect(sample(text, 'kindred_processes', self)).toBe(a.stats().processes);
    expect(sample(text, 'kindred_mailbox_overflows_total', self)).toBe(1);
    expect(sample(text, 'kindred_connections_refused_total', self)).toBe(1);
    expect(sample(text, 'kindred_handshake_failures_total', { reason: 'connection_closed' })).toBeUndefined();
    expect(sample(text, 'kindred_nodeup_total', { ...self, hidden: 'false' })).toBe(1);
    expect(sample(text, 'kindred_nodedown_total', { ...self, reason: 'connection_closed' })).toBe(1);
    expect(sample(text, 'kindred_call_duration_seconds_count', { ...self, outcome: 'ok' })).toBe(2); // the rpc's call too
    expect(
      sample(text, 'kindred_call_duration_seconds_count', { ...self, outcome: 'KINDRED_ERR_CALL_EXIT' }),
    ).toBe(1);
    expect(sample(text, 'kindred_rpc_duration_seconds_count', { ...self, outcome: 'ok' })).toBe(1);
    // The peer is gone: its traffic stays in the totals.
    expect(sample(text, 'kindred_messages_out_total', self)).toBeGreaterThan(0);
    expect(sample(text, 'kindred_bytes_in_total', self)).toBeGreaterThan(0);
    expect(sample(text, 'kindred_cluster_nodes', self)).toBe(1);
    // b's events are not a's.
    expect(text).not.toContain(`node="${b.name}"`);
  });

  it('exports per-peer figures while connected, and discovery figures', async () => {
    const b = await start('pb');
    const a = await start('pa', {
      discovery: `static:${b.name}:${b.port}`,
      discoveryOptions: { pollIntervalMs: 100 },
    });
    const registry = new Registry();
    collectors.push(createKindredMetrics({ node: a, registry, prefix: 'app_kindred_' }));
    await until(() => a.nodes().includes(b.name), POLL);
    a.send({ name: 'nobody', node: b.name }, 'x');
    await until(
      async () => (sample(await registry.metrics(), 'app_kindred_discovery_runs_total') ?? 0) > 0,
      POLL,
    );
    const text = await registry.metrics();
    const peer = { node: a.name, peer: b.name, direction: 'out' };
    expect(sample(text, 'app_kindred_peer_messages_out_total', peer)).toBeGreaterThan(0);
    expect(sample(text, 'app_kindred_peer_queued_bytes', peer)).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'app_kindred_peer_last_seen_timestamp_seconds', peer)).toBeGreaterThan(1e9);
    expect(sample(text, 'app_kindred_discovery_peers', { node: a.name })).toBe(1);
    expect(sample(text, 'app_kindred_discovery_errors_total', { node: a.name })).toBe(0);
  });

  it('close() unsubscribes and removes its metrics, so the same registry takes a new collector', async () => {
    const a = await start('mc');
    const registry = new Registry();
    const first = createKindredMetrics({ node: a, registry });
    expect(() => createKindredMetrics({ node: a, registry })).toThrow(/already been registered/);
    first.close();
    first.close();
    expect(await registry.metrics()).toBe('\n');
    collectors.push(createKindredMetrics({ node: a, registry }));
    expect(await registry.metrics()).toContain('kindred_processes{');
  });
});
