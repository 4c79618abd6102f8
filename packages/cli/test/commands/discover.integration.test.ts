import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertLabPrerequisites,
  type CorednsModel,
  corednsZone,
  type DnsServer,
  headlessServiceModel,
  kubeletHostsFile,
  kubeletResolvConf,
  LAB_DEFAULTS,
  type LabHost,
  LabNetwork,
  startDnsServer,
} from '@kindred/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Inside a pod-like network namespace with kubelet's /etc/hosts and resolv.conf (search <ns>.svc.cluster.local
// svc.cluster.local cluster.local, nameserver 10.96.0.10, ndots:5), with a real BIND in a sibling namespace on
// 10.96.0.10:53 serving what CoreDNS would: `kindred discover` (the built CLI) must list the same hosts as the seed's
// Erlang k8s_reverse_lookup, run by a real `erl` in the same namespace. Needs root (fails, never skips, without it)
// and the build (packages/cli/dist; `npm test` builds first).

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin/kindred.js');
const SERVICE = 'simple-web-service-headless';
const QUERY = `_discovery._tcp.${SERVICE}`;
const PODS = [
  'simple-web-service-68b97dc4bf-qxwnl',
  'simple-web-service-68b97dc4bf-7zltb',
  'simple-web-service-68b97dc4bf-k2v9d',
];

const model = (endpointPodNames: boolean): CorednsModel =>
  headlessServiceModel({
    name: SERVICE,
    endpointPodNames,
    endpoints: PODS.map((podName, i) => ({ podName, ip: `10.244.1.${i + 5}` })),
  });

// The seed's k8s_reverse_lookup, verbatim in its calls, with records read through inet_dns's accessors because
// -eval has no #hostent/#dns_rr record definitions.
//
// inet:gethostbyname here uses erl's default lookup method for a non-distributed node on Linux, `native`: the
// inet_gethost port program calls glibc, which reads this namespace's /etc/hosts and /etc/resolv.conf (bind-mounted by
// `ip netns exec`) and walks the search list with ndots:5 - exactly the step kindred reimplements. inet_res:resolve
// is Erlang's own resolver; inet_db reads its nameservers (and search list) from /etc/resolv.conf on first use - in a
// fresh `erl`, inet_db:res_option(nameservers) is [] until a query, then [{{10,96,0,10},53}] - and it is given the
// FQDN, so no search list is involved. So no inet_db:set_lookup([file, dns]) or -kernel flag is needed; with
// set_lookup([file, dns]) gethostbyname would use inet_res's own search list instead of glibc's (same answer here).
const ERL_REVERSE_LOOKUP = `
  {ok, HostEnt} = inet:gethostbyname("${QUERY}"),
  Fqdn = element(2, HostEnt),
  {ok, Msg} = inet_res:resolve(Fqdn, in, srv),
  Hosts = [element(4, inet_dns:rr(RR, data)) || RR <- inet_dns:msg(Msg, anlist), inet_dns:rr(RR, type) =:= srv],
  io:format("~s~n", [Fqdn]),
  [io:format("~s~n", [H]) || H <- lists:sort(Hosts)],
  halt(0).
`;

describe('kindred discover vs the seed Erlang code, in a namespace with kubelet files', () => {
  let net: LabNetwork;
  let dns: DnsServer;
  let pod: LabHost;

  beforeAll(async () => {
    await assertLabPrerequisites();
    if (!existsSync(join(dirname(BIN), '../dist/main.js'))) {
      throw new Error('packages/cli/dist is missing: run `node_modules/.bin/tsc -b` (npm test builds first)');
    }
    net = await LabNetwork.create();
    const dnsHost = await net.addHost({
      hostname: 'coredns',
      address: '10.244.0.10',
      extraAddresses: [`${LAB_DEFAULTS.clusterDnsAddress}/32`],
    });
    dns = await startDnsServer({
      zones: [{ origin: 'cluster.local', text: corednsZone(model(true)) }],
      listen: [{ address: LAB_DEFAULTS.clusterDnsAddress, port: 53 }],
      netns: dnsHost.netns,
    });
    pod = await net.addHost({
      hostname: PODS[0]!,
      address: '10.244.1.5',
      hostsFile: kubeletHostsFile({ hostname: PODS[0]!, podIps: '10.244.1.5', subdomain: SERVICE }),
      resolvConf: kubeletResolvConf(),
    });
  });

  afterAll(async () => {
    await dns?.stop();
    await net?.destroy();
  });

  async function compare(): Promise<string[]> {
    const erl = await pod.exec(['erl', '-noshell', '-eval', ERL_REVERSE_LOOKUP], { timeoutMs: 30_000 });
    expect(erl.stderr).toBe('');
    expect(erl.code).toBe(0);
    const [erlFqdn, ...erlHosts] = erl.stdout.trim().split('\n');

    const cli = await pod.exec(['node', BIN, 'discover', QUERY, '--json'], { timeoutMs: 30_000 });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const json = JSON.parse(cli.stdout) as { fqdn: string; targets: { target: string }[] };
    expect(json.fqdn).toBe(erlFqdn);
    expect(json.targets.map((t) => t.target)).toEqual(erlHosts);
    return erlHosts;
  }

  it('lists the pod FQDNs with endpoint_pod_names', async () => {
    const hosts = await compare();
    expect(hosts).toEqual(PODS.map((p) => `${p}.${SERVICE}.default.svc.cluster.local`).sort());
    // The pod's own name (hostname -f, from kubelet's hosts file) is among them: the seed's point.
    const self = (await pod.exec(['hostname', '-f'])).stdout.trim();
    expect(hosts).toContain(self);
  });

  it('lists the same dashed-IP names as erl without endpoint_pod_names', async () => {
    await dns.update([{ origin: 'cluster.local', text: corednsZone(model(false)) }]);
    const hosts = await compare();
    expect(hosts).toEqual(
      ['10-244-1-5', '10-244-1-6', '10-244-1-7'].map((p) => `${p}.${SERVICE}.default.svc.cluster.local`),
    );
  });
});
