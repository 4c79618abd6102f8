import { Resolver } from '@kindred/dns';
import { rawRecord, srvData, startRawDnsServer } from '@kindred/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dnsSrv, parseStaticPeer, staticPeers } from '../src/strategies.js';

describe('staticPeers / parseStaticPeer', () => {
  it('parses name@host[:port], IPv6 in brackets, and sorts by node', async () => {
    expect(parseStaticPeer('n1@web-0.web.default.svc.cluster.local:4370')).toEqual({
      node: 'n1@web-0.web.default.svc.cluster.local',
      host: 'web-0.web.default.svc.cluster.local',
      port: 4370,
      addresses: [],
    });
    expect(parseStaticPeer('n1@10.0.0.1')).toEqual({
      node: 'n1@10.0.0.1',
      host: '10.0.0.1',
      port: 4370,
      addresses: ['10.0.0.1'],
    });
    expect(parseStaticPeer('n1@[fd00::1]:5000')).toMatchObject({
      node: 'n1@fd00::1',
      host: 'fd00::1',
      port: 5000,
    });
    expect(parseStaticPeer('n1@fd00::1')).toMatchObject({ host: 'fd00::1', port: 4370 });
    expect((await staticPeers(['b@h2', 'a@h1:1']).list()).map((p) => p.node)).toEqual(['a@h1', 'b@h2']);
  });

  it('rejects malformed peers with KINDRED_ERR_DISCOVERY_BAD_SPEC', () => {
    for (const bad of [
      'host-only',
      '@h',
      'n@',
      'n@h:port',
      'n@h:0',
      'n@h:70000',
      'bad name@h',
      'n@a b',
      'n@a@b',
      'n@[fd00::1 x]:5',
    ]) {
      expect(() => parseStaticPeer(bad), bad).toThrow(
        expect.objectContaining({ code: 'KINDRED_ERR_DISCOVERY_BAD_SPEC' }),
      );
    }
  });

  it('round-trips generated peers (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    const host = fc.oneof(fc.domain(), fc.ipV4());
    fc.assert(
      fc.property(name, host, fc.integer({ min: 1, max: 65_535 }), (n, h, port) => {
        const p = parseStaticPeer(`${n}@${h}:${port}`);
        expect(p).toMatchObject({ node: `${n}@${h}`, host: h, port });
      }),
    );
  });

  it('never throws anything but a KindredError on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          parseStaticPeer(s);
        } catch (err) {
          expect(err).toMatchObject({ code: 'KINDRED_ERR_DISCOVERY_BAD_SPEC' });
        }
      }),
    );
  });
});

describe('dnsSrv', () => {
  it("asks a target's addresses once per TTL, not on every poll, and again once it left and came back", async () => {
    // SRV without glue, as BIND answers a set too large for the Additional section; A for every pod, AAAA NODATA.
    let pods = ['pod-0', 'pod-1', 'pod-2'];
    const asked: string[] = [];
    const server = await startRawDnsServer((q) => {
      if (q.type === 33) return pods.map((p) => rawRecord(q.name, 33, srvData(`${p}.svc.test`, 8585)));
      asked.push(`${q.name} ${q.type}`);
      if (q.type === 1) return [rawRecord(q.name, 1, Buffer.from([10, 0, 0, Number(q.name[4]) + 1]))];
      return [];
    });
    try {
      const resolver = new Resolver({
        nameservers: [`127.0.0.1:${server.port}`],
        search: [],
        resolvConfPath: '/nonexistent/resolv.conf',
        hostsPath: '/nonexistent/hosts',
        attempts: 1,
      });
      const strategy = dnsSrv('_d._tcp.svc.test.', { resolver, basename: 'app' });
      const addressQueries = () =>
        asked
          .splice(0)
          .filter((a) => a.startsWith('pod-'))
          .sort();
      const first = await strategy.list();
      expect(first.map((p) => [p.node, p.addresses])).toEqual([
        ['app@pod-0.svc.test', ['10.0.0.1']],
        ['app@pod-1.svc.test', ['10.0.0.2']],
        ['app@pod-2.svc.test', ['10.0.0.3']],
      ]);
      expect(addressQueries()).toHaveLength(6); // A and AAAA of each
      expect(await strategy.list()).toEqual(first);
      expect(addressQueries()).toEqual([]);
      pods = ['pod-0', 'pod-2'];
      expect((await strategy.list()).map((p) => p.node)).toEqual([
        'app@pod-0.svc.test',
        'app@pod-2.svc.test',
      ]);
      pods = ['pod-0', 'pod-1', 'pod-2'];
      expect(await strategy.list()).toEqual(first);
      expect(addressQueries()).toEqual(['pod-1.svc.test 1', 'pod-1.svc.test 28']);
    } finally {
      server.close();
    }
  });

  it('keeps the addresses of a target past their TTL while the owner does not need them, and asks once it does', async () => {
    // SRV records with TTL 0 (a target's addresses are kept for its SRV record's TTL): stale at the next poll.
    const zeroTtl = (record: Buffer, rdlength: number) => {
      record.writeUInt32BE(0, record.length - rdlength - 6);
      return record;
    };
    const asked: string[] = [];
    const server = await startRawDnsServer((q) => {
      if (q.type === 33) {
        return ['pod-0', 'pod-1'].map((p) => {
          const data = srvData(`${p}.svc.test`, 8585);
          return zeroTtl(rawRecord(q.name, 33, data), data.length);
        });
      }
      asked.push(`${q.name} ${q.type}`);
      if (q.type === 1) return [rawRecord(q.name, 1, Buffer.from([10, 0, 0, Number(q.name[4]) + 1]))];
      return [];
    });
    try {
      const resolver = new Resolver({
        nameservers: [`127.0.0.1:${server.port}`],
        search: [],
        resolvConfPath: '/nonexistent/resolv.conf',
        hostsPath: '/nonexistent/hosts',
        attempts: 1,
      });
      const strategy = dnsSrv('_d._tcp.svc.test.', { resolver, basename: 'app' });
      const addressQueries = () =>
        asked
          .splice(0)
          .filter((a) => a.startsWith('pod-') && a.endsWith(' 1'))
          .sort();
      const first = await strategy.list();
      expect(addressQueries()).toEqual(['pod-0.svc.test 1', 'pod-1.svc.test 1']);
      await new Promise((r) => setTimeout(r, 5)); // past the TTL of 0 s
      // pod-0 is connected (no address needed): its addresses stay, only pod-1's are asked again.
      const needsAddresses = (node: string) => node !== 'app@pod-0.svc.test';
      expect(await strategy.list({ needsAddresses })).toEqual(first);
      expect(addressQueries()).toEqual(['pod-1.svc.test 1']);
      expect(await strategy.list({ needsAddresses })).toEqual(first);
      expect(addressQueries()).toEqual(['pod-1.svc.test 1']);
      // pod-0 went away: the next poll asks for its addresses again.
      expect(await strategy.list()).toEqual(first);
      expect(addressQueries()).toEqual(['pod-0.svc.test 1', 'pod-1.svc.test 1']);
    } finally {
      server.close();
    }
  });
});
