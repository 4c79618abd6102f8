import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CanonicalNameResolver,
  clusterDomainFromSearch,
  type ResolveOwnNameOptions,
  resolveOwnName,
} from '../src/own-name.js';

// The files kubelet writes for pod web-0 of a Deployment with `subdomain: web` in namespace default.
const KUBELET_HOSTS = `# Kubernetes-managed hosts file.
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
10.244.1.5\tweb-0.web.default.svc.cluster.local\tweb-0
`;
const KUBELET_RESOLV =
  'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n';

let dir: string;
const paths = { hosts: '', resolv: '', plainHosts: '', corpResolv: '', emptyResolv: '' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kindred-own-name-'));
  paths.hosts = join(dir, 'hosts');
  paths.resolv = join(dir, 'resolv.conf');
  paths.plainHosts = join(dir, 'hosts.plain');
  paths.corpResolv = join(dir, 'resolv.corp');
  paths.emptyResolv = join(dir, 'resolv.empty');
  await writeFile(paths.hosts, KUBELET_HOSTS);
  await writeFile(paths.resolv, KUBELET_RESOLV);
  await writeFile(paths.plainHosts, '127.0.0.1\tlocalhost\n127.0.1.1\tbox\n');
  await writeFile(
    paths.corpResolv,
    'search shop.svc.corp.example svc.corp.example corp.example\nnameserver 10.0.0.10\n',
  );
  await writeFile(paths.emptyResolv, 'nameserver 10.0.0.10\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function inPod(extra: Partial<ResolveOwnNameOptions> = {}): ResolveOwnNameOptions {
  return { hostname: 'web-0', hostsPath: paths.hosts, resolvConfPath: paths.resolv, env: {}, ...extra };
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

// Stands in for the DNS step's resolver (@kindred/dns Resolver): this unit test is about the order of the steps,
// not DNS; the real resolver against a real BIND is tested in @kindred/dns.
function fixedResolver(answers: Record<string, string>): CanonicalNameResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async canonicalName(hostname) {
      asked.push(hostname);
      const fqdn = answers[hostname];
      if (fqdn === undefined)
        throw Object.assign(new Error(`${hostname}: NXDOMAIN`), { code: 'KINDRED_ERR_DNS_NXDOMAIN' });
      return { fqdn, source: 'dns' };
    },
  };
}

describe('resolveOwnName: long names find the host as hostname -f does', () => {
  it("takes the hostname's canonical name from kubelet's /etc/hosts", async () => {
    expect(await resolveOwnName(inPod({ name: 'app' }))).toEqual({
      node: 'app@web-0.web.default.svc.cluster.local',
      name: 'app',
      host: 'web-0.web.default.svc.cluster.local',
      mode: 'longnames',
      source: 'hosts',
      detail: `canonical name of "web-0" in ${paths.hosts}`,
    });
  });

  it('stops at /etc/hosts like glibc: a canonical name without a dot is refused, DNS is not asked', async () => {
    const resolver = fixedResolver({ box: 'box.example.org' });
    const err = await rejection(
      resolveOwnName({ ...inPod({ name: 'app', resolver }), hostname: 'box', hostsPath: paths.plainHosts }),
    );
    expect(err.code).toBe('KINDRED_ERR_ILLEGAL_OWN_NAME');
    expect(err.message).toMatch(/^Can't set long node name!/);
    expect(resolver.asked).toEqual([]);
  });

  it('asks DNS when /etc/hosts does not know the hostname', async () => {
    const resolver = fixedResolver({ db1: 'db1.corp.example.' });
    const own = await resolveOwnName({ ...inPod({ name: 'app', resolver }), hostname: 'db1' });
    expect(own).toMatchObject({ node: 'app@db1.corp.example', source: 'dns', mode: 'longnames' });
    expect(resolver.asked).toEqual(['db1']);
  });

  it('takes a dotted hostname as is, before /etc/hosts and DNS (as erl; hostname -f would look it up)', async () => {
    const resolver = fixedResolver({ 'db2.corp.example': 'elsewhere.example' });
    const withHosts = join(dir, 'hosts.dotted');
    await writeFile(withHosts, '10.0.0.2\tdb2.real.example\tdb2.corp.example\n');
    expect(
      await resolveOwnName({
        ...inPod({ name: 'app', resolver }),
        hostname: 'db2.corp.example',
        hostsPath: withHosts,
      }),
    ).toMatchObject({ node: 'app@db2.corp.example', source: 'hostname' });
    expect(resolver.asked).toEqual([]);
  });

  it('refuses a hostname nothing qualifies, saying what to do', async () => {
    const err = await rejection(
      resolveOwnName({ ...inPod({ name: 'app', resolver: fixedResolver({}) }), hostname: 'db2' }),
    );
    expect(err.code).toBe('KINDRED_ERR_ILLEGAL_OWN_NAME');
    expect(err.message).toContain('KINDRED_NODE_NAME');
    expect(err.message).toContain('NXDOMAIN');
  });

  it("a resolv.conf domain line wins over /etc/hosts and a dotted hostname (as erl), search lines don't", async () => {
    const domainConf = join(dir, 'resolv.domain');
    await writeFile(
      domainConf,
      '  domain   d1.example # old\nsearch s1.example\ndomain corp.example\nnameserver 10.0.0.10\n',
    );
    expect(await resolveOwnName(inPod({ name: 'app', resolvConfPath: domainConf }))).toMatchObject({
      node: 'app@web-0.corp.example',
      source: 'resolv.conf',
    });
    expect(
      await resolveOwnName({
        ...inPod({ name: 'app', resolvConfPath: domainConf }),
        hostname: 'web-0.a.example',
      }),
    ).toMatchObject({ node: 'app@web-0.corp.example' });
    const trailingDot = join(dir, 'resolv.dot');
    await writeFile(trailingDot, 'domain d2.example.\n');
    expect(await resolveOwnName(inPod({ name: 'app', resolvConfPath: trailingDot }))).toMatchObject({
      node: 'app@web-0.d2.example.',
    });
  });
});

describe('resolveOwnName: short names, explicit names, validation', () => {
  it('--sname takes the hostname up to its first dot', async () => {
    expect(await resolveOwnName(inPod({ sname: 'app' }))).toMatchObject({
      node: 'app@web-0',
      mode: 'shortnames',
      source: 'hostname',
    });
    expect(await resolveOwnName({ ...inPod({ sname: 'app' }), hostname: 'db2.corp.example' })).toMatchObject({
      node: 'app@db2',
    });
  });

  it('an explicit name@host is taken as given; a long name host is not checked for a dot (as Erlang)', async () => {
    expect(await resolveOwnName(inPod({ name: 'app@other.example' }))).toMatchObject({
      node: 'app@other.example',
      mode: 'longnames',
      source: 'explicit',
    });
    expect(await resolveOwnName(inPod({ name: 'app@x' }))).toMatchObject({
      node: 'app@x',
      mode: 'longnames',
    });
    expect(await resolveOwnName(inPod({ sname: 'app@x' }))).toMatchObject({
      node: 'app@x',
      mode: 'shortnames',
    });
  });

  it('a short name with a dotted host is "Can\'t set short node name!"', async () => {
    const err = await rejection(resolveOwnName(inPod({ sname: 'app@x.y' })));
    expect(err.code).toBe('KINDRED_ERR_ILLEGAL_OWN_NAME');
    expect(err.message).toMatch(/^Can't set short node name!/);
  });

  it('`app@` means `app` (erl -name a@ picks the host itself)', async () => {
    expect(await resolveOwnName(inPod({ name: 'app@' }))).toMatchObject({
      source: 'hosts',
      node: 'app@web-0.web.default.svc.cluster.local',
    });
  });

  it('refuses a bad base name with "Invalid node name!", both flags, and neither', async () => {
    expect((await rejection(resolveOwnName(inPod({ name: 'a.b' })))).code).toBe(
      'KINDRED_ERR_NODE_NAME_INVALID_NAME',
    );
    expect((await rejection(resolveOwnName(inPod({ name: 'a.b' })))).message).toMatch(/^Invalid node name!/);
    expect((await rejection(resolveOwnName(inPod({ name: 'a b@h.x' })))).code).toBe(
      'KINDRED_ERR_NODE_NAME_INVALID_NAME',
    );
    expect((await rejection(resolveOwnName(inPod({ name: 'a', sname: 'a' })))).code).toBe(
      'KINDRED_ERR_OWN_NAME_OPTIONS',
    );
    expect((await rejection(resolveOwnName(inPod()))).code).toBe('KINDRED_ERR_OWN_NAME_OPTIONS');
  });

  it('refuses an own name over 255 characters', async () => {
    const err = await rejection(resolveOwnName({ ...inPod({ name: 'a'.repeat(250) }) }));
    expect(err.code).toBe('KINDRED_ERR_NODE_NAME_TOO_LONG');
  });
});

describe('resolveOwnName: environment overrides', () => {
  it('KINDRED_NODE_NAME gives the whole name, its mode from its host when no flag is given', async () => {
    expect(await resolveOwnName(inPod({ env: { KINDRED_NODE_NAME: 'svc@10.0.0.7' } }))).toMatchObject({
      node: 'svc@10.0.0.7',
      name: 'svc',
      mode: 'longnames',
      source: 'env',
    });
    expect(await resolveOwnName(inPod({ env: { KINDRED_NODE_NAME: 'svc@box' } }))).toMatchObject({
      mode: 'shortnames',
    });
    expect(
      await resolveOwnName(inPod({ name: 'app', env: { KINDRED_NODE_NAME: 'svc@box.x' } })),
    ).toMatchObject({
      node: 'svc@box.x',
      source: 'env',
    });
  });

  it('an explicit name@host wins over KINDRED_NODE_NAME; a bad KINDRED_NODE_NAME is a coded error', async () => {
    expect(
      await resolveOwnName(inPod({ name: 'a@b.c', env: { KINDRED_NODE_NAME: 'svc@box.x' } })),
    ).toMatchObject({
      source: 'explicit',
    });
    expect((await rejection(resolveOwnName(inPod({ env: { KINDRED_NODE_NAME: 'nohost' } })))).code).toBe(
      'KINDRED_ERR_NODE_NAME_NO_AT',
    );
    expect(
      (await rejection(resolveOwnName(inPod({ sname: 'a', env: { KINDRED_NODE_NAME: 'a@b.c' } })))).code,
    ).toBe('KINDRED_ERR_ILLEGAL_OWN_NAME');
  });

  it('composes the Kubernetes name with the cluster domain read from resolv.conf', async () => {
    const env = { POD_NAME: 'web-7f9c-abcde', POD_NAMESPACE: 'default', KINDRED_SUBDOMAIN: 'web' };
    expect(await resolveOwnName(inPod({ name: 'app', env }))).toMatchObject({
      node: 'app@web-7f9c-abcde.web.default.svc.cluster.local',
      source: 'kubernetes',
      mode: 'longnames',
    });
    const corp = { POD_NAME: 'shop-0', POD_NAMESPACE: 'shop', KINDRED_SUBDOMAIN: 'shop-headless' };
    expect(
      await resolveOwnName(inPod({ name: 'app', env: corp, resolvConfPath: paths.corpResolv })),
    ).toMatchObject({
      node: 'app@shop-0.shop-headless.shop.svc.corp.example',
      source: 'kubernetes',
    });
  });

  it('KINDRED_CLUSTER_DOMAIN names the domain when resolv.conf does not; without either it is a coded error', async () => {
    const env = { POD_NAME: 'p', POD_NAMESPACE: 'ns', KINDRED_SUBDOMAIN: 's' };
    const err = await rejection(
      resolveOwnName(inPod({ name: 'app', env, resolvConfPath: paths.emptyResolv })),
    );
    expect(err.code).toBe('KINDRED_ERR_CLUSTER_DOMAIN_UNKNOWN');
    expect(err.message).toContain('KINDRED_CLUSTER_DOMAIN');
    const withDomain = { ...env, KINDRED_CLUSTER_DOMAIN: 'k8s.internal.' };
    expect(
      await resolveOwnName(inPod({ name: 'app', env: withDomain, resolvConfPath: paths.emptyResolv })),
    ).toMatchObject({
      node: 'app@p.s.ns.svc.k8s.internal',
    });
  });

  it('refuses a composition with missing or malformed variables, naming them', async () => {
    const err = await rejection(resolveOwnName(inPod({ name: 'app', env: { KINDRED_SUBDOMAIN: 'web' } })));
    expect(err.code).toBe('KINDRED_ERR_KUBERNETES_ENV');
    expect(err.message).toContain('POD_NAME and POD_NAMESPACE');
    const bad = { POD_NAME: 'Web_0', POD_NAMESPACE: 'default', KINDRED_SUBDOMAIN: 'web' };
    expect((await rejection(resolveOwnName(inPod({ name: 'app', env: bad })))).message).toContain('POD_NAME');
  });

  it('short names ignore the Kubernetes composition', async () => {
    const env = { POD_NAME: 'web-0', POD_NAMESPACE: 'default', KINDRED_SUBDOMAIN: 'web' };
    expect(await resolveOwnName(inPod({ sname: 'app', env }))).toMatchObject({
      node: 'app@web-0',
      source: 'hostname',
    });
  });
});

describe('resolveOwnName: naming schemes and Elixir release variables', () => {
  it('KINDRED_HOST sets the host, before KINDRED_NAMING and the Kubernetes composition', async () => {
    const env = {
      KINDRED_HOST: '10.244.1.5',
      KINDRED_SUBDOMAIN: 'web',
      POD_NAME: 'web-0',
      POD_NAMESPACE: 'default',
    };
    expect(await resolveOwnName(inPod({ name: 'app', env }))).toMatchObject({
      node: 'app@10.244.1.5',
      source: 'kindred-host',
      mode: 'longnames',
    });
  });

  it('KINDRED_NAMING=pod-ip names the node by POD_IP; fqdn (or unset) keeps hostname -f', async () => {
    expect(
      await resolveOwnName(inPod({ name: 'app', env: { KINDRED_NAMING: 'pod-ip', POD_IP: '10.244.1.5' } })),
    ).toMatchObject({ node: 'app@10.244.1.5', source: 'pod-ip' });
    expect(
      await resolveOwnName(inPod({ name: 'app', env: { KINDRED_NAMING: 'fqdn', POD_IP: '10.244.1.5' } })),
    ).toMatchObject({ node: 'app@web-0.web.default.svc.cluster.local', source: 'hosts' });
    const err = await rejection(resolveOwnName(inPod({ name: 'app', env: { KINDRED_NAMING: 'pod-ip' } })));
    expect(err.code).toBe('KINDRED_ERR_POD_IP');
    const bad = await rejection(resolveOwnName(inPod({ name: 'app', env: { KINDRED_NAMING: 'dns' } })));
    expect(bad.code).toBe('KINDRED_ERR_NAMING_SCHEME');
  });

  it('KINDRED_NODE_NAME and an explicit name@host still win over the host variables', async () => {
    const env = { KINDRED_NAMING: 'pod-ip', POD_IP: '10.244.1.5', KINDRED_NODE_NAME: 'a@b.example' };
    expect((await resolveOwnName(inPod({ name: 'app', env }))).node).toBe('a@b.example');
    expect((await resolveOwnName(inPod({ name: 'x@y.example', env }))).node).toBe('x@y.example');
  });

  it("a short name can't take an IP host (Can't set short node name!)", async () => {
    const err = await rejection(
      resolveOwnName(inPod({ sname: 'app', env: { KINDRED_NAMING: 'pod-ip', POD_IP: '10.244.1.5' } })),
    );
    expect(err.code).toBe('KINDRED_ERR_ILLEGAL_OWN_NAME');
  });

  it("without a name option, an Elixir release's RELEASE_NODE or RELEASE_NAME names the node", async () => {
    expect(await resolveOwnName(inPod({ env: { RELEASE_NODE: 'shop@10.244.1.5' } }))).toMatchObject({
      node: 'shop@10.244.1.5',
      source: 'release',
      detail: 'from RELEASE_NODE',
    });
    expect(await resolveOwnName(inPod({ env: { RELEASE_NAME: 'shop' } }))).toMatchObject({
      node: 'shop@web-0.web.default.svc.cluster.local',
      source: 'hosts',
    });
    expect(
      await resolveOwnName(inPod({ env: { RELEASE_NODE: 'shop', KINDRED_HOST: '10.244.1.5' } })),
    ).toMatchObject({ node: 'shop@10.244.1.5' });
    expect(
      await resolveOwnName(inPod({ env: { RELEASE_NAME: 'shop', RELEASE_DISTRIBUTION: 'sname' } })),
    ).toMatchObject({ node: 'shop@web-0', mode: 'shortnames' });
    // A name option wins over the release's variables.
    expect((await resolveOwnName(inPod({ name: 'app', env: { RELEASE_NODE: 'shop@h.example' } }))).node).toBe(
      'app@web-0.web.default.svc.cluster.local',
    );
    const bad = await rejection(resolveOwnName(inPod({ env: { RELEASE_NODE: 'sh op@h' } })));
    expect(bad.code).toBe('KINDRED_ERR_NODE_NAME_INVALID_NAME');
    expect(bad.message).toContain('RELEASE_NODE');
  });
});

describe('clusterDomainFromSearch', () => {
  it("takes the rest of the '<ns>.svc.' entry", () => {
    expect(
      clusterDomainFromSearch(['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], 'default'),
    ).toBe('cluster.local');
    expect(clusterDomainFromSearch(['corp.lan', 'shop.svc.corp.example'], 'shop')).toBe('corp.example');
    expect(
      clusterDomainFromSearch(['svc.cluster.local', 'other.svc.cluster.local'], 'default'),
    ).toBeUndefined();
    expect(clusterDomainFromSearch(['default.svc.'], 'default')).toBeUndefined();
  });
});

describe('resolveOwnName logging', () => {
  it('logs the result at debug through a node-identity child logger', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    await resolveOwnName(inPod({ name: 'app', logger }));
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        component: 'node-identity',
        own: { node: 'app@web-0.web.default.svc.cluster.local', source: 'hosts' },
      }),
    );
  });
});
