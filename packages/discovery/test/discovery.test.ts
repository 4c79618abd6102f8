import { Writable } from 'node:stream';
import { KindredError } from '@kindred/dns';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createDiscovery } from '../src/discovery.js';
import type { Peer } from '../src/peer.js';
import { type Strategy, staticPeers } from '../src/strategies.js';

// The poller is tested here with a scripted Strategy (our own interface, fed lists or failures in order) and a manual
// clock, so grace periods and stability are exact. DNS-backed strategies against real BIND are in
// discovery.integration.test.ts.

const peer = (n: number, port = 4370): Peer => ({
  node: `app@pod-${n}`,
  host: `pod-${n}`,
  port,
  addresses: [`10.0.0.${n}`],
});

function scripted(steps: (Peer[] | Error)[]): Strategy {
  let i = 0;
  return {
    name: 'scripted',
    async list() {
      const step = steps[Math.min(i++, steps.length - 1)]!;
      if (step instanceof Error) throw step;
      return step;
    },
  };
}

function recorder(d: ReturnType<typeof createDiscovery>) {
  const events: string[] = [];
  d.on('add', (p) => events.push(`add ${p.node}`));
  d.on('remove', (p) => events.push(`remove ${p.node}`));
  d.on('update', (p) => events.push(`update ${p.node}:${p.port}`));
  d.on('error', (e) => events.push(`error ${e.code}`));
  d.on('stable', (s) => events.push(`stable ${s.seed}`));
  return events;
}

describe('createDiscovery', () => {
  it('fires add/update/remove once per change, removing only after graceMs', async () => {
    let now = 0;
    const d = createDiscovery({
      strategy: scripted([
        [peer(1), peer(2)],
        [peer(1), peer(2)],
        [peer(1), peer(3)],
        [peer(1), peer(3)],
        [peer(1, 9), peer(3)],
        [peer(1, 9), peer(3)],
      ]),
      graceMs: 10_000,
      stableMarginMs: 60_000,
      clock: () => now,
    });
    const events = recorder(d);
    await d.poll();
    expect(events.splice(0)).toEqual(['add app@pod-1', 'add app@pod-2']);
    now = 5_000;
    await d.poll();
    expect(events.splice(0)).toEqual([]);
    now = 10_000;
    await d.poll(); // pod-2 missing since 10 s, pod-3 appears
    expect(events.splice(0)).toEqual(['add app@pod-3']);
    expect(d.peers().map((p) => p.node)).toEqual(['app@pod-1', 'app@pod-2', 'app@pod-3']);
    now = 20_000;
    await d.poll(); // missing for 10 s: removed now, once
    expect(events.splice(0)).toEqual(['remove app@pod-2']);
    now = 25_000;
    await d.poll();
    expect(events.splice(0)).toEqual(['update app@pod-1:9']);
    await d.poll();
    expect(events).toEqual([]);
  });

  it('forgets a peer that comes back within the grace period', async () => {
    let now = 0;
    const d = createDiscovery({
      strategy: scripted([[peer(1)], [], [peer(1)], []]),
      graceMs: 1_000,
      clock: () => now,
    });
    const events = recorder(d);
    await d.poll();
    now = 500;
    await d.poll();
    now = 900;
    await d.poll();
    now = 1_600;
    await d.poll(); // missing again since 1.6 s, not 0.5 s
    expect(events).toEqual(['add app@pod-1']);
  });

  it('keeps the last good set when a lookup fails, and reports the failure once per streak', async () => {
    let now = 0;
    const timeout = new KindredError('KINDRED_ERR_DNS_TIMEOUT', 'no DNS server answered');
    const servfail = new KindredError('KINDRED_ERR_DNS_SERVFAIL', 'SERVFAIL');
    const d = createDiscovery({
      strategy: scripted([[peer(1), peer(2)], timeout, timeout, servfail, [peer(1), peer(2)], timeout]),
      graceMs: 0,
      stableMarginMs: 600_000,
      clock: () => now,
    });
    const events = recorder(d);
    await d.poll();
    events.splice(0);
    for (let i = 0; i < 3; i++) {
      now += 5_000;
      const outcome = await d.poll();
      expect(outcome.ok).toBe(false);
      expect(d.peers()).toHaveLength(2);
    }
    expect(events.splice(0)).toEqual(['error KINDRED_ERR_DNS_TIMEOUT', 'error KINDRED_ERR_DNS_SERVFAIL']);
    expect(d.lastError?.code).toBe('KINDRED_ERR_DNS_SERVFAIL');
    await d.poll();
    expect(d.lastError).toBeUndefined();
    await d.poll();
    expect(events).toEqual(['error KINDRED_ERR_DNS_TIMEOUT']);
  });

  it('warns once per failure streak through its logger when nobody listens to error', async () => {
    const lines: { level: number; msg: string; component: string }[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    });
    const timeout = new KindredError('KINDRED_ERR_DNS_TIMEOUT', 'no DNS server answered');
    const d = createDiscovery({
      strategy: scripted([[peer(1)], timeout, timeout, [peer(1)], timeout]),
      logger: pino({ level: 'warn' }, stream),
    });
    for (let i = 0; i < 5; i++) await d.poll();
    expect(lines.map((l) => [l.level, l.component, l.msg])).toEqual([
      [40, 'discovery', 'peer lookup failed, keeping the last 1 peers: no DNS server answered'],
      [40, 'discovery', 'peer lookup failed, keeping the last 1 peers: no DNS server answered'],
    ]);
  });

  it('does not crash without an error listener, and wraps non-Kindred failures', async () => {
    const d = createDiscovery({ strategy: scripted([new Error('boom')]) });
    const outcome = await d.poll();
    expect(outcome).toMatchObject({ ok: false, error: { code: 'KINDRED_ERR_DISCOVERY_FAILED' } });
  });

  it('never reports self as a peer, but counts it as a contact point', async () => {
    const d = createDiscovery({
      strategy: scripted([[peer(1), peer(2)]]),
      self: 'app@pod-1',
      stableMarginMs: 0,
    });
    const events = recorder(d);
    await d.poll();
    expect(d.peers().map((p) => p.node)).toEqual(['app@pod-2']);
    expect(events).toEqual(['add app@pod-2', 'stable app@pod-1']);
    expect(await d.waitStable()).toMatchObject({ seed: 'app@pod-1', selfIsSeed: true });
  });

  it('becomes stable only after the set has not changed for stableMarginMs with enough contact points', async () => {
    let now = 0;
    const d = createDiscovery({
      strategy: scripted([
        [peer(3)],
        [peer(3), peer(2)],
        [peer(3), peer(2)],
        [peer(3), peer(2), peer(1)],
        [peer(3), peer(2), peer(1)],
      ]),
      stableMarginMs: 5_000,
      requiredContactPoints: 3,
      self: 'app@pod-3',
      clock: () => now,
    });
    const stable = d.waitStable();
    const events = recorder(d);
    for (const t of [0, 1_000, 7_000, 8_000, 12_000]) {
      now = t;
      await d.poll();
      if (t < 12_000) expect(events.filter((e) => e.startsWith('stable'))).toEqual([]);
    }
    // Two contact points were stable from 1 s to 7 s, but three are required; three since 8 s, stable at 13 s.
    expect(events.filter((e) => e.startsWith('stable'))).toEqual([]);
    now = 13_000;
    await d.poll();
    expect(await stable).toEqual({
      contactPoints: [peer(1), peer(2), peer(3)],
      seed: 'app@pod-1',
      selfIsSeed: false,
    });
  });

  it('waitStable rejects with KINDRED_ERR_DISCOVERY_NOT_STABLE on timeout', async () => {
    const d = createDiscovery({ strategy: scripted([[peer(1)]]), requiredContactPoints: 2 });
    await d.poll();
    await expect(d.waitStable({ timeoutMs: 20 })).rejects.toMatchObject({
      code: 'KINDRED_ERR_DISCOVERY_NOT_STABLE',
    });
  });

  it('polls on its own once started, and stops', async () => {
    const d = createDiscovery({
      strategy: staticPeers(['a@h1', 'b@h2:5000']),
      pollIntervalMs: 10,
      graceMs: 0,
    });
    const added = new Promise<string[]>((resolve) => {
      const nodes: string[] = [];
      d.on('add', (p) => {
        nodes.push(`${p.node}:${p.port}`);
        if (nodes.length === 2) resolve(nodes);
      });
    });
    d.start();
    expect(await added).toEqual(['a@h1:4370', 'b@h2:5000']);
    d.stop();
  });

  it('validates its options, naming them', () => {
    const strategy = staticPeers(['a@h']);
    expect(() => createDiscovery({ strategy, pollIntervalMs: 0 })).toThrow(/pollIntervalMs/);
    expect(() => createDiscovery({ strategy, jitter: 2 })).toThrow(/jitter/);
    expect(() => createDiscovery({ strategy, graceMs: -1 })).toThrow(/graceMs/);
    expect(() => createDiscovery({ strategy, requiredContactPoints: 0 })).toThrow(/requiredContactPoints/);
    expect(() => createDiscovery({} as never)).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_DISCOVERY_BAD_OPTION' }),
    );
  });
});
