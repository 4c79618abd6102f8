import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findHostsEntries, parseHosts, readHosts } from '../src/hosts.js';

const KUBELET_HOSTS = `# Kubernetes-managed hosts file.
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
10.244.1.5\tweb-0.web.default.svc.cluster.local\tweb-0
`;

describe('parseHosts', () => {
  it("reads kubelet's hosts file", () => {
    expect(parseHosts(KUBELET_HOSTS)).toEqual([
      { address: '127.0.0.1', canonical: 'localhost', aliases: [] },
      { address: '::1', canonical: 'localhost', aliases: ['ip6-localhost', 'ip6-loopback'] },
      { address: 'fe00::0', canonical: 'ip6-localnet', aliases: [] },
      { address: '10.244.1.5', canonical: 'web-0.web.default.svc.cluster.local', aliases: ['web-0'] },
    ]);
  });

  it('strips comments anywhere and skips lines without a name or a valid address', () => {
    expect(parseHosts('10.0.0.1 a b # c d\n10.0.0.2\nnot-an-ip host\n  \n10.0.0.3\t x#y\r\n')).toEqual([
      { address: '10.0.0.1', canonical: 'a', aliases: ['b'] },
      { address: '10.0.0.3', canonical: 'x', aliases: [] },
    ]);
  });

  it('finds entries by canonical name or alias, case-insensitively, by family', () => {
    const entries = parseHosts(KUBELET_HOSTS);
    expect(findHostsEntries(entries, 'WEB-0').map((e) => e.canonical)).toEqual([
      'web-0.web.default.svc.cluster.local',
    ]);
    expect(findHostsEntries(entries, 'localhost.').map((e) => e.address)).toEqual(['127.0.0.1', '::1']);
    expect(findHostsEntries(entries, 'localhost', 6).map((e) => e.address)).toEqual(['::1']);
    expect(findHostsEntries(entries, 'ip6-localhost', 4)).toEqual([]);
  });

  it('never throws and every entry has a valid address and a name without whitespace or # (property)', () => {
    const token = fc.oneof(
      fc.constantFrom('10.0.0.1', '::1', 'host', '#', '\t'),
      fc.string({ maxLength: 10 }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.array(token, { maxLength: 5 }).map((t) => t.join(' ')),
          { maxLength: 20 },
        ),
        (lines) => {
          for (const e of parseHosts(lines.join('\n'))) {
            for (const n of [e.canonical, ...e.aliases]) expect(n).toMatch(/^[^\s#]+$/);
          }
        },
      ),
    );
  });

  it('round-trips generated entries (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/);
    const entry = fc.record({
      address: fc.oneof(fc.ipV4(), fc.ipV6()),
      canonical: name,
      aliases: fc.array(name, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 10 }), (entries) => {
        const text = entries.map((e) => [e.address, e.canonical, ...e.aliases].join('\t')).join('\n');
        expect(parseHosts(text)).toEqual(entries);
      }),
    );
  });
});

describe('readHosts', () => {
  it('reads a file and gives [] for a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindred-hosts-'));
    try {
      await writeFile(join(dir, 'hosts'), KUBELET_HOSTS);
      expect(await readHosts(join(dir, 'hosts'))).toHaveLength(4);
      expect(await readHosts(join(dir, 'missing'))).toEqual([]);
      await expect(readHosts(dir)).rejects.toMatchObject({ code: 'KINDRED_ERR_DNS_BAD_CONFIG' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
