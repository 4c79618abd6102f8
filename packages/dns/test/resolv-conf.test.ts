import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseResolvConf, readResolvConf } from '../src/resolv-conf.js';

describe('parseResolvConf', () => {
  it('reads a kubelet-style file', () => {
    const conf = parseResolvConf(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(conf).toEqual({
      nameservers: [{ address: '10.96.0.10', port: 53 }],
      search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
      timeoutMs: 5000,
      attempts: 2,
      rotate: false,
      otherOptions: [],
    });
  });

  it("applies glibc's defaults to an empty file", () => {
    expect(parseResolvConf('')).toEqual({
      nameservers: [{ address: '127.0.0.1', port: 53 }],
      search: [],
      ndots: 1,
      timeoutMs: 5000,
      attempts: 2,
      rotate: false,
      otherOptions: [],
    });
  });

  it('keeps three nameservers, IPv4 and IPv6, and skips invalid ones', () => {
    const conf = parseResolvConf(
      'nameserver 10.0.0.1\nnameserver bogus\nnameserver ::1\nnameserver fe80::1%eth0\nnameserver 10.0.0.4\n',
    );
    expect(conf.nameservers.map((n) => n.address)).toEqual(['10.0.0.1', '::1', 'fe80::1%eth0']);
  });

  it('lets the last of search/domain win', () => {
    expect(parseResolvConf('search a.example b.example\ndomain c.example\n').search).toEqual(['c.example']);
    expect(parseResolvConf('domain c.example\nsearch a.example. b.example\n').search).toEqual([
      'a.example',
      'b.example',
    ]);
  });

  it('derives the search list from the hostname when the file has none', () => {
    expect(
      parseResolvConf('nameserver 10.0.0.1', { hostname: 'web-0.web.ns.svc.cluster.local' }).search,
    ).toEqual(['web.ns.svc.cluster.local']);
    expect(parseResolvConf('', { hostname: 'short' }).search).toEqual([]);
  });

  it('reads options, clamps them to glibc limits and keeps unknown ones', () => {
    const conf = parseResolvConf(
      'options ndots:20 timeout:99 attempts:9 rotate edns0\noptions single-request\n',
    );
    expect(conf).toMatchObject({ ndots: 15, timeoutMs: 30_000, attempts: 5, rotate: true });
    expect(conf.otherOptions).toEqual(['edns0', 'single-request']);
    expect(parseResolvConf('options timeout:1 attempts:3 ndots:0').timeoutMs).toBe(1000);
    expect(parseResolvConf('options ndots:0').ndots).toBe(0);
  });

  it('ignores comments, blank lines, CRLF and unknown keywords', () => {
    const conf = parseResolvConf(
      '# generated\r\n; also a comment\r\n\r\nsortlist 10.0.0.0\r\nnameserver 10.0.0.9\r\n',
    );
    expect(conf.nameservers).toEqual([{ address: '10.0.0.9', port: 53 }]);
  });

  it('never throws and always respects the limits (property)', () => {
    const word = fc.oneof(
      fc.constantFrom(
        'nameserver',
        'search',
        'domain',
        'options',
        'ndots:3',
        'rotate',
        '10.0.0.1',
        '::1',
        '#',
        ';',
      ),
      fc.string({ maxLength: 12 }),
    );
    const line = fc.array(word, { maxLength: 6 }).map((ws) => ws.join(' '));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        const conf = parseResolvConf(lines.join('\n'));
        expect(conf.nameservers.length).toBeGreaterThanOrEqual(1);
        expect(conf.nameservers.length).toBeLessThanOrEqual(3);
        expect(conf.ndots).toBeLessThanOrEqual(15);
        expect(conf.attempts).toBeGreaterThanOrEqual(1);
        expect(conf.attempts).toBeLessThanOrEqual(5);
        expect(conf.timeoutMs).toBeGreaterThanOrEqual(1000);
        expect(conf.timeoutMs).toBeLessThanOrEqual(30_000);
        for (const d of conf.search) expect(d).not.toBe('');
      }),
    );
  });

  it('round-trips generated configurations (property)', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
    const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
    const ipv4 = fc.ipV4();
    fc.assert(
      fc.property(
        fc.array(ipv4, { minLength: 1, maxLength: 5 }),
        fc.array(domain, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5 }),
        (servers, search, ndots, timeout, attempts) => {
          const text = [
            ...servers.map((s) => `nameserver ${s}`),
            `search ${search.join(' ')}`,
            `options ndots:${ndots} timeout:${timeout} attempts:${attempts}`,
          ].join('\n');
          const conf = parseResolvConf(text);
          expect(conf.nameservers.map((n) => n.address)).toEqual(servers.slice(0, 3));
          expect(conf.search).toEqual(search);
          expect(conf).toMatchObject({ ndots, timeoutMs: timeout * 1000, attempts });
        },
      ),
    );
  });
});

describe('readResolvConf', () => {
  it('reads a file, and gives defaults for a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindred-dns-'));
    try {
      await writeFile(join(dir, 'resolv.conf'), 'nameserver 192.0.2.1\nsearch example.test\n');
      const conf = await readResolvConf(join(dir, 'resolv.conf'));
      expect(conf.nameservers).toEqual([{ address: '192.0.2.1', port: 53 }]);
      expect(conf.search).toEqual(['example.test']);
      const missing = await readResolvConf(join(dir, 'nope'));
      expect(missing.nameservers).toEqual([{ address: '127.0.0.1', port: 53 }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with KINDRED_ERR_DNS_BAD_CONFIG when the path cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindred-dns-'));
    try {
      // A directory cannot be read as a file (EISDIR), which is not "missing".
      await expect(readResolvConf(dir)).rejects.toMatchObject({ code: 'KINDRED_ERR_DNS_BAD_CONFIG' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
