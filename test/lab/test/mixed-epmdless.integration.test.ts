import { describe, expect, it } from 'vitest';
import { LAB_DEFAULTS, type PodStatus } from '../src/index.js';
import {
  erlEval,
  erlNames,
  erlPods,
  kindredPods,
  logPods,
  MIXED_MESH_MS,
  mixedLab,
  podLog,
  waitForNodedownLogged,
} from './mixed-helpers.js';
import { KINDRED_BIN, livePods, log, POLL_INTERVAL_MS } from './scenario-helpers.js';

// The epmd-less variant of a mixed cluster: no epmd anywhere. The Erlang pods run `erl -start_epmd false
// -erl_epmd_port 8585` (OTP's epmd-less mode: listen on 8585, dial every node on 8585), the kindred pods
// `kindred start --erlang --erl-epmd-port 8585` with the same dns-srv discovery; both find each other through the
// headless Service's SRV records and agree on the port instead of asking an epmd.
const S = 'mixed-epmdless';
const PORT = LAB_DEFAULTS.discoveryPort;

/** The peers a `kindred start --json` pod is connected to, from its nodeup/nodedown lines. */
async function kindredSees(pod: PodStatus): Promise<string[]> {
  const up = new Set<string>();
  for (const line of await podLog(pod)) {
    if (typeof line.node !== 'string') continue;
    if (line.event === 'nodeup') up.add(line.node);
    if (line.event === 'nodedown') up.delete(line.node);
  }
  return [...up].sort();
}

describe('scenario: an epmd-less mixed cluster (-erl_epmd_port on erl, --erl-epmd-port on kindred)', () => {
  const lab = mixedLab(
    S,
    { replicas: 2, erlEpmdPort: PORT, env: { KINDRED_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) } },
    {
      replicas: 2,
      readiness: 'started',
      command: [
        'node',
        KINDRED_BIN,
        'start',
        '--erlang',
        '--erl-epmd-port',
        String(PORT),
        '--name',
        LAB_DEFAULTS.nodeBaseName,
        '--discovery',
        `dns-srv:_discovery._tcp.${LAB_DEFAULTS.service}`,
        '--json',
      ],
    },
  );

  /** Every pod sees every other: erl by nodes(), kindred by its nodeup/nodedown lines. */
  const fullMesh = async (): Promise<boolean> => {
    const all = livePods(lab());
    for (const p of all) {
      const expected = all
        .filter((o) => o !== p)
        .map((o) => o.node)
        .sort();
      const seen =
        p.deployment === 'erlang-app' ? erlNames(await erlEval(lab(), p, 'nodes()')) : await kindredSees(p);
      if (JSON.stringify(seen) !== JSON.stringify(expected)) return false;
    }
    return true;
  };
  const waitForMesh = async (what: string) => {
    await lab()
      .waitFor(what, fullMesh, MIXED_MESH_MS, 500)
      .catch(async (err) => {
        for (const p of kindredPods(lab())) log(S, `${p.name} sees ${(await kindredSees(p)).join(', ')}`);
        for (const p of erlPods(lab()))
          log(S, `${p.name} sees ${await erlEval(lab(), p, 'nodes()').catch(String)}`);
        throw err;
      });
    log(S, `${what}: full mesh of ${livePods(lab()).length}`);
  };

  it('forms a full mesh with no epmd on either side', async () => {
    logPods(S, lab());
    await waitForMesh('start');
    for (const e of erlPods(lab())) {
      // No epmd in the erl pod, and none (not even kindred's embedded one) in the kindred pods.
      expect(await erlEval(lab(), e, 'net_adm:names()')).toMatch(/^\{error,/);
      for (const k of kindredPods(lab())) {
        expect(await erlEval(lab(), e, `gen_tcp:connect("${k.ip}", 4369, [], 2000)`)).toBe(
          '{error,econnrefused}',
        );
      }
    }
  });

  it('kill a kindred pod: every erl pod sees nodedown; kill an erl pod: every kindred pod sees nodedown', async () => {
    const k = kindredPods(lab())[0]!;
    await lab().kill(k.name);
    await waitForNodedownLogged(
      lab(),
      `nodedown of ${k.node} logged by every erl pod`,
      () => erlPods(lab()),
      k,
    );
    await waitForMesh('kindred pod replaced');

    const e = erlPods(lab())[0]!;
    await lab().kill(e.name);
    await waitForNodedownLogged(
      lab(),
      `nodedown of ${e.node} printed by every kindred pod`,
      () => kindredPods(lab()),
      e,
    );
    await waitForMesh('erl pod replaced');
  });
});
