import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertLabPrerequisites,
  type DnsServer,
  kubeletHostsFile,
  kubeletResolvConf,
  type LabHost,
  LabNetwork,
  startDnsServer,
} from '@kindred/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The "Done when" test of issue 2: in network + UTS namespaces written as kubelet writes a pod (hostname, /etc/hosts,
// resolv.conf), the built `kindred whoami --name app --json` must print the name Debian's real `erl -name app`
// takes in the same namespace. Needs root, iproute2, util-linux, erlang-base and BIND 9 (scripts/setup.sh installs
// them); assertLabPrerequisites fails the suite with a clear message otherwise, it never skips. Every namespace
// carries the lab's per-run random id and LabNetwork.destroy() removes them all (killing epmd, erl and BIND with
// them) in afterAll, also when a test fails.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const kindredBin = join(root, 'node_modules/.bin/kindred');
const builtCli = join(root, 'packages/cli/dist/main.js');

let net: LabNetwork;
let home: string;
let dns: DnsServer | undefined;

beforeAll(async () => {
  await assertLabPrerequisites();
  if (!existsSync(builtCli)) {
    throw new Error(`the built CLI is missing (${builtCli}): run 'npm run build' (npm test builds first)`);
  }
  if (!existsSync('/usr/bin/erl')) {
    throw new Error("erl is missing: run 'bash scripts/setup.sh' (installs Debian's erlang-base)");
  }
  // erl gets this as HOME and an explicit cookie, so it never writes ~/.erlang.cookie on the machine.
  home = await mkdtemp(join(tmpdir(), 'kindred-whoami-erl-'));
  net = await LabNetwork.create();
});

afterAll(async () => {
  await dns?.stop();
  await net?.destroy();
  if (home) await rm(home, { recursive: true, force: true });
});

async function whoamiJson(
  host: LabHost,
  env: Record<string, string> = {},
  flag: '--name' | '--sname' = '--name',
): Promise<Record<string, string>> {
  const r = await host.exec([kindredBin, 'whoami', flag, 'app', '--json'], { env, cwd: home });
  expect(r.stderr, 'kindred whoami wrote to stderr').toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/** Runs `erl <flag> app` in the host's namespaces and prints node(); the exit code says whether the name was legal. */
async function runErl(host: LabHost, flag: '-name' | '-sname' = '-name') {
  const r = await host.exec(
    [
      'erl',
      flag,
      'app',
      '-setcookie',
      'kindred-test',
      '-noshell',
      '-eval',
      'io:format("~s~n",[node()]), halt().',
    ],
    { env: { HOME: home }, cwd: home, timeoutMs: 30_000 },
  );
  // erl started epmd inside this namespace: stop it now (destroy() would kill it anyway).
  await host.exec(['epmd', '-kill'], { env: { HOME: home } });
  return r;
}

async function erlNodeName(host: LabHost, flag: '-name' | '-sname' = '-name'): Promise<string> {
  const r = await runErl(host, flag);
  expect(r.code, `erl failed: ${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

describe('kindred whoami and erl -name agree inside a pod-like namespace', () => {
  it('gives app@<pod>.<svc>.<ns>.svc.cluster.local from kubelet files, the same name erl takes', async () => {
    const pod = 'simple-web-service-7d9f8b6c5d-x2k4q';
    const svc = 'simple-web-service-headless';
    const host = await net.addHost({
      hostname: pod,
      address: '10.244.1.5',
      hostsFile: kubeletHostsFile({
        hostname: pod,
        podIps: '10.244.1.5',
        subdomain: svc,
        namespace: 'default',
      }),
      resolvConf: kubeletResolvConf({ namespace: 'default' }),
    });
    const fqdn = `${pod}.${svc}.default.svc.cluster.local`;
    expect((await host.exec(['hostname', '-f'])).stdout.trim()).toBe(fqdn);

    const own = await whoamiJson(host);
    expect(own).toEqual({ node: `app@${fqdn}`, name: 'app', host: fqdn, mode: 'longnames', source: 'hosts' });
    expect(await erlNodeName(host)).toBe(own.node);

    const short = await whoamiJson(host, {}, '--sname');
    expect(short).toEqual({
      node: `app@${pod}`,
      name: 'app',
      host: pod,
      mode: 'shortnames',
      source: 'hostname',
    });
    expect(await erlNodeName(host, '-sname')).toBe(short.node);
  });

  it('composes the Kubernetes name with cluster domain corp.example read from the search list, as erl names it', async () => {
    const pod = 'shop-5f6b7c8d9e-q7w8e';
    const svc = 'shop-headless';
    const host = await net.addHost({
      hostname: pod,
      address: '10.244.1.6',
      hostsFile: kubeletHostsFile({
        hostname: pod,
        podIps: '10.244.1.6',
        subdomain: svc,
        namespace: 'shop',
        clusterDomain: 'corp.example',
      }),
      resolvConf: kubeletResolvConf({ namespace: 'shop', clusterDomain: 'corp.example' }),
    });
    const env = { POD_NAME: pod, POD_NAMESPACE: 'shop', KINDRED_SUBDOMAIN: svc };
    const own = await whoamiJson(host, env);
    expect(own).toMatchObject({ node: `app@${pod}.${svc}.shop.svc.corp.example`, source: 'kubernetes' });
    expect(await erlNodeName(host)).toBe(own.node);
  });

  it('asks DNS through the search list when /etc/hosts does not name the host, as hostname -f and erl do', async () => {
    const dnsHost = await net.addHost({ hostname: 'ns1', address: '10.244.9.2' });
    const zone = [
      '$TTL 30',
      '@ IN SOA ns1.corp.example. hostmaster.corp.example. 1 3600 600 86400 30',
      '@ IN NS ns1.corp.example.',
      'ns1 IN A 10.244.9.2',
      'db1 IN A 10.244.9.3',
      '',
    ].join('\n');
    dns = await startDnsServer({
      zones: [{ origin: 'corp.example', text: zone }],
      listen: [{ address: dnsHost.address, port: 53 }],
      netns: dnsHost.netns,
    });
    const host = await net.addHost({
      hostname: 'db1',
      address: '10.244.9.3',
      hostsFile: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
      resolvConf: 'search corp.example\nnameserver 10.244.9.2\n',
    });
    expect((await host.exec(['hostname', '-f'])).stdout.trim()).toBe('db1.corp.example');
    const own = await whoamiJson(host);
    expect(own).toMatchObject({ node: 'app@db1.corp.example', source: 'dns', mode: 'longnames' });
    expect(await erlNodeName(host)).toBe(own.node);
  });
});

// Where erl's own long name differs from `hostname -f` (a resolv.conf `domain` line, a dotted hostname), kindred
// follows erl: both run in the same namespace and must print the same name, or both refuse.
const EDGE_CASES: {
  label: string;
  hostname: string;
  hosts: string;
  resolv: string;
  expected: string | null;
}[] = [
  {
    label: 'a dotted hostname is taken as is, though /etc/hosts names another canonical name',
    hostname: 'web.a.example',
    hosts: '127.0.0.1\tlocalhost\n127.0.1.1\tweb.b.example\tweb.a.example\tweb\n',
    resolv: 'nameserver 127.0.0.1\n',
    expected: 'app@web.a.example',
  },
  {
    label: "the canonical name of /etc/hosts is used whole, even when its first label isn't the hostname",
    hostname: 'web',
    hosts: '127.0.0.1\tlocalhost\n127.0.1.1\tother.b.example\tweb\n',
    resolv: 'search s1.example\nnameserver 127.0.0.1\n',
    expected: 'app@other.b.example',
  },
  {
    label: 'a resolv.conf domain line wins over /etc/hosts',
    hostname: 'web',
    hosts: '127.0.0.1\tlocalhost\n127.0.1.1\tweb.b.example\tweb\n',
    resolv: 'domain corp.example\nsearch s1.example\nnameserver 127.0.0.1\n',
    expected: 'app@web.corp.example',
  },
  {
    label: 'a resolv.conf domain line wins over a dotted hostname',
    hostname: 'web.a.example',
    hosts: '127.0.0.1\tlocalhost\n',
    resolv: 'domain corp.example\nnameserver 127.0.0.1\n',
    expected: 'app@web.corp.example',
  },
  {
    label: 'a hosts line without a dot is refused (glibc never reaches DNS)',
    hostname: 'web',
    hosts: '127.0.0.1\tlocalhost\n127.0.1.1\tweb\n',
    resolv: 'search s1.example\nnameserver 127.0.0.1\n',
    expected: null,
  },
];

describe('kindred whoami follows erl -name where erl differs from hostname -f', () => {
  const hosts = new Map<string, LabHost>();
  async function hostNamed(hostname: string): Promise<LabHost> {
    let host = hosts.get(hostname);
    if (host === undefined) {
      host = await net.addHost({ hostname, address: `10.244.2.${hosts.size + 2}` });
      hosts.set(hostname, host);
    }
    return host;
  }

  it.each(EDGE_CASES)('$label', async ({ hostname, hosts: hostsFile, resolv, expected }) => {
    const host = await hostNamed(hostname);
    await host.writeHostsFile(hostsFile);
    await host.writeResolvConf(resolv);
    const kindred = await host.exec([kindredBin, 'whoami', '--name', 'app', '--json'], { cwd: home });
    const erl = await runErl(host);
    if (expected === null) {
      expect(`${erl.stdout}${erl.stderr}`).toContain("Can't set long node name!");
      expect(erl.code).not.toBe(0);
      expect(kindred.code).toBe(1);
      expect(kindred.stderr).toContain('KINDRED_ERR_ILLEGAL_OWN_NAME');
    } else {
      expect(erl.code, `erl failed: ${erl.stdout}${erl.stderr}`).toBe(0);
      expect(erl.stdout.trim()).toBe(expected);
      expect(kindred.code, kindred.stderr).toBe(0);
      expect((JSON.parse(kindred.stdout) as { node: string }).node).toBe(erl.stdout.trim());
    }
  });
});
