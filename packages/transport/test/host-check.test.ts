import { describe, expect, it } from 'vitest';
import { HostCheck, type HostResolver } from '../src/host-check.js';

/** A resolver that counts its lookups; `table` maps host -> addresses, anything else fails like NXDOMAIN. */
interface CountingResolver extends HostResolver {
  /** Hosts looked up, in order. */
  readonly calls: string[];
  /** Lookups wait until release(). */
  hold(): void;
  release(): void;
}

function countingResolver(table: Record<string, string[]>): CountingResolver {
  const calls: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => {};
  return {
    calls,
    release: () => open(),
    hold() {
      gate = new Promise((r) => {
        open = r;
      });
    },
    async lookupHost(name: string) {
      calls.push(name);
      await gate;
      const addresses = table[name];
      if (addresses === undefined) throw new Error(`${name}: no such host`);
      return { addresses };
    },
  };
}

describe('HostCheck', () => {
  it('accepts a host that resolves to the remote address, refuses a mismatch and an unresolvable host', async () => {
    const resolver = countingResolver({ 'a.test': ['10.0.0.1'], 'b.test': ['10.0.0.2'] });
    const check = new HostCheck(resolver, { ttlMs: 30_000, maxEntries: 16 });
    expect(await check.verify('a.test', '::ffff:10.0.0.1')).toEqual({ ok: true });
    expect(await check.verify('b.test', '10.0.0.1')).toEqual({
      ok: false,
      reason: 'host_mismatch',
      addresses: ['10.0.0.2'],
    });
    expect(await check.verify('c.test', '10.0.0.1')).toMatchObject({ ok: false, reason: 'host_unresolved' });
    // An IP literal is compared, never looked up.
    expect(await check.verify('10.0.0.9', '10.0.0.9')).toEqual({ ok: true });
    expect(resolver.calls).toEqual(['a.test', 'b.test', 'c.test']);
  });

  it('caches positive and negative answers per host for ttlMs, then asks again', async () => {
    let now = 0;
    const resolver = countingResolver({ 'a.test': ['10.0.0.1'] });
    const check = new HostCheck(resolver, { ttlMs: 30_000, maxEntries: 16 }, () => now);
    for (let i = 0; i < 5; i++) {
      expect((await check.verify('a.test', '10.0.0.1')).ok).toBe(true);
      expect((await check.verify('A.TEST', '10.0.0.3')).ok).toBe(false);
      expect((await check.verify('gone.test', '10.0.0.1')).ok).toBe(false);
    }
    expect(resolver.calls).toEqual(['a.test', 'gone.test']);
    expect(check.stats()).toEqual({ lookups: 2, cached: 13 });
    now += 30_000;
    await check.verify('a.test', '10.0.0.1');
    await check.verify('gone.test', '10.0.0.1');
    expect(resolver.calls).toEqual(['a.test', 'gone.test', 'a.test', 'gone.test']);
  });

  it('shares one lookup between concurrent checks of a host (a reconnect storm)', async () => {
    const resolver = countingResolver({ 'a.test': ['10.0.0.1'] });
    resolver.hold();
    const check = new HostCheck(resolver, { ttlMs: 30_000, maxEntries: 16 });
    const all = Promise.all(Array.from({ length: 50 }, () => check.verify('a.test', '10.0.0.1')));
    resolver.release();
    expect((await all).every((v) => v.ok)).toBe(true);
    expect(resolver.calls).toEqual(['a.test']);
  });

  it('holds at most maxEntries hosts, dropping the oldest', async () => {
    const table: Record<string, string[]> = {};
    for (let i = 0; i < 5; i++) table[`h${i}.test`] = ['10.0.0.1'];
    const resolver = countingResolver(table);
    const check = new HostCheck(resolver, { ttlMs: 30_000, maxEntries: 3 });
    for (let i = 0; i < 5; i++) await check.verify(`h${i}.test`, '10.0.0.1');
    await check.verify('h4.test', '10.0.0.1');
    await check.verify('h0.test', '10.0.0.1');
    expect(resolver.calls).toEqual(['h0.test', 'h1.test', 'h2.test', 'h3.test', 'h4.test', 'h0.test']);
  });

  it('turns a resolver that throws synchronously into host_unresolved', async () => {
    const check = new HostCheck(
      {
        lookupHost: () => {
          throw new Error('boom');
        },
      },
      { ttlMs: 1_000, maxEntries: 4 },
    );
    expect(await check.verify('a.test', '10.0.0.1')).toEqual({
      ok: false,
      reason: 'host_unresolved',
      error: 'boom',
    });
  });
});
