import { describe, expect, it } from 'vitest';
import { KINDRED_MIXED_APP, type PodStatus } from '../src/index.js';
import {
  ERL_DEPLOYMENT,
  erlEval,
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
  waitForNodedownLogged,
} from './mixed-helpers.js';
import { livePods, log, POLL_INTERVAL_MS, waitForFullMesh } from './scenario-helpers.js';

// A mixed cluster, as issue 14 asks: a kindred Deployment (the seed's app on Erlang's wire, KINDRED_DISTRIBUTION=
// erlang, its EPMD answered by the app itself) and an Erlang Deployment (real erl, test/lab/erlang/lab_app.erl: the
// seed's k8s_reverse_lookup polled like libcluster's Kubernetes.DNSSRV, erl's own epmd) behind one headless Service,
// one cookie, one basename `app`. Erlang's `global` introduces nobody to a kindred node, so every edge of the mesh
// comes from discovery on one side or the other. One lab, the scenarios in order.
const S = 'mixed';

describe('scenario: a mixed cluster of kindred and Erlang pods behind one headless Service', () => {
  const lab = mixedLab(
    S,
    { replicas: 2, env: { KINDRED_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) } },
    { replicas: 2, command: ['node', KINDRED_MIXED_APP], env: { KINDRED_DISTRIBUTION: 'erlang' } },
  );

  it('forms a full mesh: every node in every other node nodes(), seen from erl and from kindred', async () => {
    logPods(S, lab());
    expect(kindredPods(lab())).toHaveLength(2);
    expect(erlPods(lab())).toHaveLength(2);
    // Both kinds answer GET /nodes in the app's shape: {self, nodes, events}.
    await waitForFullMesh(lab(), S, MIXED_MESH_MS);
    await expectMeshFromBothSides(lab());
  });

  it('kindred doctor in a kindred pod of the mixed cluster passes, and names the fix when the basename disagrees', async () => {
    // The pod's own environment (KINDRED_DISTRIBUTION=erlang) turns on doctor's Erlang checks: peers are pinged on
    // Erlang's wire (the erl pods among them), EPMD on this host and on every peer, the cookie's source, and the
    // naming scheme against what discovery (SRV targets = pod FQDNs) yields.
    const k = kindredPods(lab())[0]!;
    await expectDoctorPasses(lab(), S, k, [
      'fqdn',
      'fqdn-dns',
      'subdomain',
      'srv-self',
      'srv-port',
      'peers',
      'epmd',
      'cookie',
      'naming',
    ]);

    // The Erlang side named `shop` (libcluster's application_name): doctor fails on naming and says what to set.
    const bad = await runDoctor(lab(), S, k, ['--erlang-basename', 'shop']);
    expect(bad.code).toBe(1);
    const naming = bad.report.checks.find((c) => c.id === 'naming')!;
    expect(naming.ok).toBe(false);
    expect(JSON.stringify(naming)).toContain('KINDRED_NAME=shop');
  });

  it("rpc:call and erpc:call from an erl pod run a kindred pod's exposed handlers; an unknown one is undef", async () => {
    const e = erlPods(lab())[0]!;
    const k = kindredPods(lab())[0]!;
    expect(await erlEval(lab(), e, `rpc:call('${k.node}', lab, received, [])`)).toBe('[]');
    expect(await erlEval(lab(), e, `length(erpc:call('${k.node}', lab, nodes, [], 10000))`)).toBe(
      String(livePods(lab()).length - 1),
    );
    expect(await erlEval(lab(), e, `rpc:call('${k.node}', lab, nosuch, [])`)).toMatch(
      /^\{badrpc,\{'EXIT',\{undef,/,
    );
  });

  it('a pg broadcast reaches the members on erl and kindred pods alike, from either side', async () => {
    const e = erlPods(lab())[0]!;
    const k = kindredPods(lab())[1]!;
    const n = livePods(lab()).length;
    // Every pod has one member of `mixed` in the default scope; erl's pg and kindred's pg share the group.
    await lab().waitFor(
      `${n} members of mixed seen by ${e.name} and ${k.name}`,
      async () =>
        (await erlEval(lab(), e, 'length(pg:get_members(mixed))')) === String(n) &&
        (await erlEval(lab(), e, `rpc:call('${k.node}', lab, members, [])`)) === String(n),
      10_000,
    );
    expect(await erlEval(lab(), e, 'lab_app:broadcast(from_erl)')).toBe(String(n));
    expect(await erlEval(lab(), e, `rpc:call('${k.node}', lab, broadcast, [from_kindred])`)).toBe(String(n));
    const received = async (p: PodStatus): Promise<string> =>
      p.deployment === ERL_DEPLOYMENT
        ? erlEval(lab(), p, 'lab_app:received()')
        : erlEval(lab(), e, `rpc:call('${p.node}', lab, received, [])`);
    await lab().waitFor(
      'both broadcasts on every pod',
      async () => {
        for (const p of livePods(lab())) {
          const got = await received(p);
          if (!(got.includes('from_erl') && got.includes('from_kindred'))) return false;
        }
        return true;
      },
      10_000,
    );
    for (const p of livePods(lab())) log(S, `${p.deployment} ${p.name} received ${await received(p)}`);
  });

  it('kill a kindred pod: every erl pod sees nodedown (monitor_nodes, logged); the replacement joins', async () => {
    const victim = kindredPods(lab())[0]!;
    const replacement = await lab().kill(victim.name);
    log(S, `killed kindred pod ${victim.name}; replacement ${replacement}`);
    await waitForNodedownLogged(
      lab(),
      `nodedown of ${victim.node} in every erl pod's log`,
      () => erlPods(lab()),
      victim,
    );
    for (const e of erlPods(lab())) {
      const down = (await podLog(e)).find((l) => l.event === 'nodedown' && l.node === victim.node);
      log(S, `${e.name} logged ${JSON.stringify(down)}`);
    }
    await waitForFullMesh(lab(), S, MIXED_MESH_MS);
    expect(kindredPods(lab()).map((p) => p.name)).toContain(replacement);
    await expectMeshFromBothSides(lab());
  });

  it('kill an erl pod: every kindred pod sees nodedown; the replacement joins', async () => {
    const victim = erlPods(lab())[0]!;
    const replacement = await lab().kill(victim.name);
    log(S, `killed erl pod ${victim.name}; replacement ${replacement}`);
    await waitForKindredNodedown(lab(), S, victim);
    await waitForFullMesh(lab(), S, MIXED_MESH_MS);
    expect(erlPods(lab()).map((p) => p.name)).toContain(replacement);
    await expectMeshFromBothSides(lab());
  });

  it('scale both Deployments up (3 + 3) and down (1 + 2): the mesh follows on both sides', async () => {
    await lab().scale(3);
    await lab().scale(3, ERL_DEPLOYMENT);
    expect(kindredPods(lab())).toHaveLength(3);
    expect(erlPods(lab())).toHaveLength(3);
    await waitForFullMesh(lab(), S, MIXED_MESH_MS);
    await expectMeshFromBothSides(lab());
    logPods(S, lab());

    await lab().scale(1);
    await lab().scale(2, ERL_DEPLOYMENT);
    await lab().waitFor('the removed pods gone', () => lab().pods().length === 3, 30_000);
    await waitForFullMesh(lab(), S, MIXED_MESH_MS);
    await expectMeshFromBothSides(lab());
    logPods(S, lab());
  });
});
