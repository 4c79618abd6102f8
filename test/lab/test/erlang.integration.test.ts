import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/index.js';
import { KINDRED_BIN, livePods, log, startAppLab } from './scenario-helpers.js';

// A real Erlang node (erl -name, Debian's erlang-base) in a lab pod runs the seed's k8s_reverse_lookup, verbatim;
// (only the records of the unshipped inet_dns.hrl are declared inline); `kindred discover` in the same pod must list
// the same hosts. Run with endpoint_pod_names off and on.
const S = 'erlang';
const SEED_MODULE = `-module(k8s).
-export([k8s_reverse_lookup/1]).
-include_lib("kernel/include/inet.hrl").
%% kernel/src/inet_dns.hrl is not shipped by Debian's erlang-base; its two records, as OTP defines them:
-record(dns_rec, {header, qdlist = [], anlist = [], nslist = [], arlist = []}).
-record(dns_rr, {domain = "", type = any, class = in, cnt = 0, ttl = 0, data = [], tm, bm = [], func = false}).

-spec k8s_reverse_lookup(SrvRecord :: string()) -> {ok, [string()]}.
k8s_reverse_lookup(SrvRecord) ->
% 1. get the FQDN of the headless service
{ok, #hostent{h_name = SrvRecordFQDN}} = inet:gethostbyname(SrvRecord),
% 2. ask for SRV records backing up the headless service, this will gives us back, all pod FQDN
% names under the headless service subdomain
{ok, #dns_rec{anlist = Answers}} = inet_res:resolve(SrvRecordFQDN, in, srv),
% 3. go through each of these records and extract the host
Hosts =
lists:map(fun(#dns_rr{type = srv,
class = in,
data = {_Priority, _Weight, _Port, Host}}) ->
Host
end,
Answers),
{ok, Hosts}.
`;
const QUERY = '_discovery._tcp.simple-web-service-headless';

describe("scenario: the seed's Erlang k8s_reverse_lookup and kindred discover agree", () => {
  let lab: Lab;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kindred-lab-erl-'));
    await writeFile(join(dir, 'k8s.erl'), SEED_MODULE);
    lab = await startAppLab(S, { replicas: 3, endpointPodNames: false });
    await lab.synced();
  });

  afterAll(async () => {
    await lab?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const compare = async (label: string) => {
    const pod = livePods(lab)[0]!;
    const compile = await lab.exec(pod.name, ['erlc', '-o', dir, join(dir, 'k8s.erl')]);
    expect(compile.code, compile.stdout + compile.stderr).toBe(0);
    const erl = await lab.exec(
      pod.name,
      [
        'erl',
        '-name',
        'seed',
        '-setcookie',
        lab.cookie,
        '-noshell',
        '-pa',
        dir,
        '-eval',
        `{ok, Hosts} = k8s:k8s_reverse_lookup("${QUERY}"), io:format("~s~n~p~n", [node(), Hosts]), halt().`,
      ],
      { timeoutMs: 60_000 },
    );
    expect(erl.code, erl.stderr).toBe(0);
    const [erlNode, ...rest] = erl.stdout.trim().split('\n');
    const erlHosts = [...rest.join('').matchAll(/"([^"]+)"/g)].map((m) => m[1]!).sort();
    const discover = await lab.exec(pod.name, ['node', KINDRED_BIN, 'discover', QUERY, '--json'], {
      timeoutMs: 30_000,
    });
    expect(discover.code, discover.stderr).toBe(0);
    const result = JSON.parse(discover.stdout) as { fqdn: string; targets: { target: string }[] };
    const kindredHosts = result.targets.map((t) => t.target.replace(/\.$/, '')).sort();
    log(
      S,
      `${label}: erl ${erlNode} sees ${erlHosts.join(', ')}; kindred discover sees ${kindredHosts.join(', ')}`,
    );
    expect(erlNode).toBe(`seed@${pod.fqdn}`);
    expect(kindredHosts).toEqual(erlHosts);
    expect(erlHosts).toHaveLength(3);
    return erlHosts;
  };

  it('with endpoint_pod_names off (dashed-IP targets)', async () => {
    const hosts = await compare('endpoint_pod_names off');
    expect(hosts.every((h) => /^10-244-/.test(h))).toBe(true);
  });

  it('with endpoint_pod_names on (pod-name targets, the FQDNs the pods know themselves by)', async () => {
    await lab.setEndpointPodNames(true);
    const hosts = await compare('endpoint_pod_names on');
    expect(hosts).toEqual(
      livePods(lab)
        .map((p) => p.fqdn)
        .sort(),
    );
  });
});
