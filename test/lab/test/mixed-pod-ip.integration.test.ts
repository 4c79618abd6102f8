import { describe, expect, it } from 'vitest';
import { KINDRED_MIXED_APP, LAB_DEFAULTS } from '../src/index.js';
import {
  erlPods,
  expectDoctorPasses,
  expectMeshFromBothSides,
  kindredPods,
  logPods,
  MIXED_MESH_MS,
  mixedLab,
  podLog,
  runDoctor,
  waitForKindredNodedown,
} from './mixed-helpers.js';
import { livePods, log, POLL_INTERVAL_MS, waitForFullMesh } from './scenario-helpers.js';

// A mixed cluster under the pod-IP scheme, the way Elixir teams on libcluster's Cluster.Strategy.Kubernetes.DNS or
// Phoenix's dns_cluster run it: the Erlang pods are `erl -name app@$POD_IP` polling the headless Service's A records
// (inet_res:lookup(Service, in, a)) and connecting to `app@<ip>` for each; the kindred pods are the app on Erlang's
// wire named by KINDRED_NAMING=pod-ip (POD_IP from the pod's environment, as the downward API gives it) and finding
// peers by the same A records (KINDRED_DISCOVERY=dns-a:<service>). CoreDNS as kind ships it (endpoint_pod_names off):
// nothing in this scheme reads SRV targets. One lab, the scenarios in order.
const S = 'mixed-pod-ip';
const POD_IP_ENV = {
  KINDRED_NAMING: 'pod-ip',
  KINDRED_DISCOVERY: `dns-a:${LAB_DEFAULTS.service}`,
} as const;

describe('scenario: a mixed cluster named by pod IP and found by A records (libcluster Kubernetes.DNS, dns_cluster)', () => {
  const lab = mixedLab(
    S,
    { replicas: 2, naming: 'pod-ip', env: { KINDRED_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) } },
    {
      replicas: 2,
      endpointPodNames: false,
      command: ['node', KINDRED_MIXED_APP],
      env: { KINDRED_DISTRIBUTION: 'erlang', ...POD_IP_ENV },
    },
  );

  it('forms a full mesh of app@<pod IP> nodes, seen from erl and from kindred', async () => {
    logPods(S, lab());
    expect(kindredPods(lab())).toHaveLength(2);
    expect(erlPods(lab())).toHaveLength(2);
    for (const p of livePods(lab())) expect(p.node).toBe(`${LAB_DEFAULTS.nodeBaseName}@${p.ip}`);
    await waitForFullMesh(lab(), S, MIXED_MESH_MS);
    // The erl pods poll the Service's A records, not its SRV records (lab_app's `started` line says which).
    for (const e of erlPods(lab())) {
      const started = (await podLog(e)).find((l) => l.event === 'started');
      expect(started).toMatchObject({ node: e.node, a: LAB_DEFAULTS.service });
    }
    await expectMeshFromBothSides(lab());
  });

  it('kindred doctor in a kindred pod passes the pod-ip and Erlang checks; told fqdn, naming names KINDRED_NAMING=pod-ip', async () => {
    // The pod's own environment: KINDRED_NAMING=pod-ip + POD_IP (the pod-ip checklist), KINDRED_DISCOVERY=dns-a:...,
    // KINDRED_DISTRIBUTION=erlang (peers pinged on Erlang's wire, EPMD, cookie, naming).
    const k = kindredPods(lab())[0]!;
    const good = await expectDoctorPasses(lab(), S, k, [
      'pod-ip',
      'a-records',
      'peers',
      'epmd',
      'cookie',
      'naming',
    ]);
    for (const c of good.report.checks) expect(c, c.id).toMatchObject({ ok: true });

    // Checked as if named by FQDN while discovery reads A records: naming fails and names the pod-IP fix.
    const bad = await runDoctor(lab(), S, k, ['--naming', 'fqdn']);
    expect(bad.code).toBe(1);
    expect(bad.report.ok).toBe(false);
    const naming = bad.report.checks.find((c) => c.id === 'naming')!;
    expect(naming.ok).toBe(false);
    expect(naming.detail).toContain('discovery reads A records');
    expect(`${naming.detail} ${naming.hint ?? ''}`).toContain('KINDRED_NAMING=pod-ip');
  });

  it('kill an erl pod: every kindred pod sees nodedown; the replacement joins as app@<its IP>', async () => {
    const victim = erlPods(lab())[0]!;
    const replacement = await lab().kill(victim.name);
    log(S, `killed erl pod ${victim.name} (${victim.node}); replacement ${replacement}`);
    await waitForKindredNodedown(lab(), S, victim);
    await waitForFullMesh(lab(), S, MIXED_MESH_MS);
    const joined = erlPods(lab()).find((p) => p.name === replacement)!;
    expect(joined.node).toBe(`${LAB_DEFAULTS.nodeBaseName}@${joined.ip}`);
    await expectMeshFromBothSides(lab());
  });
});
