import { Writable } from 'node:stream';
import { KindredError, Resolver } from '@kindred/dns';
import { rawRecord, srvData, startRawDnsServer } from '@kindred/test-support';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createDiscovery } from '../src/discovery.js';
import type { Peer } from '../src/peer.js';
import { dnsSrv, type Strategy, staticPeers } from '../src/strategies.js';

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

  it("tells the strategy which peers need addresses: those the owner's `connected` does not name", async () => {
    const asked: boolean[][] = [];
    let connected: string[] = [];
    const d = createDiscovery({
      strategy: {
        name: 'probe',
        async list(context = {}) {
          asked.push([peer(1), peer(2)].map((p) => context.needsAddresses?.(p.node) ?? true));
          return [peer(1), peer(2)];
        },
      },
      connected: () => connected,
    });
    await d.poll();
    connected = ['app@pod-2'];
    await d.poll();
    expect(asked).toEqual([
      [true, true],
      [true, false],
    ]);
    expect(() => createDiscovery({ strategy: scripted([[]]), connected: [] as never })).toThrow(/connected/);
  });

  it('polls less while nothing changes and it is settled, and at the base interval again on any change', async () => {
    const timeout = new KindredError('KINDRED_ERR_DNS_TIMEOUT', 'timed out');
    const two = [peer(1), peer(2)];
    let settled = true;
    let now = 0;
    const d = createDiscovery({
      strategy: scripted([two, two, two, two, two, two, [peer(1)], two, timeout, two, two, two, two]),
      pollIntervalMs: 1000,
      maxPollIntervalMs: 6000,
      stableMarginMs: 2500,
      graceMs: 0,
      clock: () => now,
      settled: () => settled,
    });
    const intervals: number[] = [];
    const poll = async () => {
      await d.poll();
      intervals.push(d.currentPollIntervalMs);
      now += d.currentPollIntervalMs;
    };
    for (let i = 0; i < 6; i++) await poll(); // new set, then unchanged: 1 s until the margin passed, then doubling
    settled = false;
    await poll(); // the set changes (a peer left): back to 1 s
    settled = true;
    await poll(); // it came back: a change again
    await poll(); // a failed poll
    await poll(); // unchanged but within the margin
    await poll(); // past the margin: doubling again
    await poll();
    settled = false;
    await poll(); // unchanged, but the owner is not settled (a peer not connected)
    expect(intervals).toEqual([1000, 1000, 1000, 2000, 4000, 6000, 1000, 1000, 1000, 1000, 2000, 4000, 1000]);
    expect(() => createDiscovery({ strategy: scripted([two]), settled: 3 as never })).toThrow(/settled/);
    // Alone (no peer but itself, or nobody published yet), a node keeps polling at the base interval.
    const alone = createDiscovery({
      strategy: scripted([[]]),
      pollIntervalMs: 1000,
      stableMarginMs: 0,
      self: 'app@pod-1',
    });
    for (let i = 0; i < 3; i++) await alone.poll();
    expect(alone.currentPollIntervalMs).toBe(1000);
  });

  it('counts polls, failed polls and current peers in stats()', async () => {
    const timeout = new KindredError('KINDRED_ERR_DNS_TIMEOUT', 'timed out');
    const d = createDiscovery({ strategy: scripted([[peer(1), peer(2)], timeout, [peer(1)]]), graceMs: 0 });
    expect(d.stats()).toEqual({ polls: 0, failedPolls: 0, peers: 0 });
    await d.poll();
    await d.poll();
    expect(d.stats()).toEqual({ polls: 2, failedPolls: 1, peers: 2 });
    await d.poll();
    expect(d.stats()).toEqual({ polls: 3, failedPolls: 1, peers: 1 });
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
    expect(() => createDiscovery({ strategy, pollDeadlineMs: 0 })).toThrow(/pollDeadlineMs/);
    expect(() => createDiscovery({} as never)).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_DISCOVERY_BAD_OPTION' }),
    );
  });
});

describe('the poll deadline', () => {
  it('abandons a strategy that ignores its signal: the poll fails with KINDRED_ERR_DISCOVERY_DEADLINE, peers kept', async () => {
    let signal: AbortSignal | undefined;
    let calls = 0;
    const strategy: Strategy = {
      name: 'hung',
      list(context) {
        calls++;
        if (calls === 1) return Promise.resolve([peer(1)]);
        signal = context?.signal;
        return new Promise<Peer[]>(() => {}); // never settles, whatever the signal says
      },
    };
    const d = createDiscovery({ strategy, pollDeadlineMs: 50, graceMs: 0 });
    const events = recorder(d);
    await d.poll();
    const outcome = await d.poll();
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'KINDRED_ERR_DISCOVERY_DEADLINE', details: { pollDeadlineMs: 50 } },
    });
    expect(signal?.aborted).toBe(true);
    expect(d.peers()).toEqual([peer(1)]);
    expect(events).toEqual(['add app@pod-1', 'error KINDRED_ERR_DISCOVERY_DEADLINE']);
  });

  it('takes what a strategy that honours the signal returns when aborted (a partial answer)', async () => {
    const strategy: Strategy = {
      name: 'partial',
      list(context) {
        return new Promise<Peer[]>((resolve) => {
          context?.signal?.addEventListener('abort', () => resolve([peer(1), peer(2)]), { once: true });
        });
      },
    };
    const d = createDiscovery({ strategy, pollDeadlineMs: 50 });
    expect(await d.poll()).toMatchObject({ ok: true, added: [peer(1), peer(2)] });
  });

  it('defaults below the poll interval', async () => {
    let seen: AbortSignal | undefined;
    const strategy: Strategy = {
      name: 'hung',
      list(context) {
        seen = context?.signal;
        return new Promise<Peer[]>(() => {});
      },
    };
    // pollIntervalMs 30: the default deadline (4 s) is lowered to it, so this poll ends.
    const d = createDiscovery({ strategy, pollIntervalMs: 30 });
    expect(await d.poll()).toMatchObject({
      ok: false,
      error: { code: 'KINDRED_ERR_DISCOVERY_DEADLINE', details: { pollDeadlineMs: 30 } },
    });
    expect(seen?.aborted).toBe(true);
  });

  it('gives dnsSrv peers from a partial SRV answer when target lookups hang (real UDP server on loopback)', async () => {
    // SRV answers with two targets and no glue; pod-0's A and AAAA are answered, pod-1's never are.
    const server = await startRawDnsServer((q) => {
      if (q.type === 33)
        return ['pod-0', 'pod-1'].map((p) => rawRecord(q.name, 33, srvData(`${p}.svc.test`, 8585)));
      if (q.name.startsWith('pod-1.')) return undefined;
      if (q.type === 1) return [rawRecord(q.name, 1, Buffer.from([10, 0, 0, 7]))];
      return [];
    });
    try {
      const resolver = new Resolver({
        nameservers: [`127.0.0.1:${server.port}`],
        search: [],
        resolvConfPath: '/nonexistent/resolv.conf',
        hostsPath: '/nonexistent/hosts',
        timeoutMs: 600_000, // only a deadline can end the hung lookups
        attempts: 1,
        srvDeadlineMs: 600_000, // not the resolver's own deadline: the poll's
      });
      const lines: Record<string, unknown>[] = [];
      const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l)) });
      const d = createDiscovery({
        // The query's FQDN step: an address lookup of the SRV name itself, answered like CoreDNS does.
        strategy: dnsSrv('_d._tcp.svc.test.', { resolver, basename: 'app' }),
        pollDeadlineMs: 300,
        logger,
      });
      const outcome = await d.poll();
      expect(outcome.ok).toBe(true);
      expect(d.peers()).toEqual([
        { node: 'app@pod-0.svc.test', host: 'pod-0.svc.test', port: 8585, addresses: ['10.0.0.7'] },
        { node: 'app@pod-1.svc.test', host: 'pod-1.svc.test', port: 8585, addresses: [] },
      ]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          component: 'discovery',
          code: 'KINDRED_ERR_DNS_DEADLINE',
          unresolved: ['pod-1.svc.test'],
        }),
      );
    } finally {
      server.close();
    }
  });
});
