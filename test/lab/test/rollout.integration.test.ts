import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, PodStatus } from '../src/index.js';
import { livePods, log, type NodesView, startAppLab, waitForFullMesh } from './scenario-helpers.js';

// A rolling restart (kubectl rollout restart, maxSurge 1, maxUnavailable 0) of the example app under steady HTTP load
// through a stand-in for the app's ClusterIP Service: requests go to the pods that are ready and not terminating, as
// kube-proxy last saw them, refreshed every ENDPOINTS_LAG_MS (kube-proxy is never instant). With the app's drain
// (KINDRED_DRAIN_MS, as deploy/kustomize sets) longer than that lag, no request fails; and the only nodedowns any pod
// sees are the restarted pods leaving, with the leave reason `shutdown`.
const S = 'rollout';
const DRAIN_MS = 3_000;
const ENDPOINTS_LAG_MS = 1_000;
const CONCURRENCY = 4;

interface Outcome {
  ok: number;
  failed: { pod: string; error: string }[];
  nodedowns: Map<string, { observer: string; node: string; reason: string | undefined }>;
}

/** Steady GET /nodes load over the endpoints snapshot until `stop()`; every answer's events are collected. */
function load(lab: Lab): { stop(): Promise<Outcome> } {
  const outcome: Outcome = { ok: 0, failed: [], nodedowns: new Map() };
  const endpoints = () => lab.pods().filter((p) => p.ready && p.phase === 'Running');
  let snapshot: PodStatus[] = endpoints();
  const refresh = setInterval(() => {
    snapshot = endpoints();
  }, ENDPOINTS_LAG_MS);
  let running = true;
  let next = 0;
  const worker = async () => {
    while (running) {
      const pod = snapshot[next++ % Math.max(1, snapshot.length)];
      if (pod === undefined) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      try {
        const res = await lab.http(pod.name, '/nodes');
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        outcome.ok++;
        const view = JSON.parse(res.body) as NodesView;
        for (const e of view.events ?? []) {
          if (e.type === 'nodedown') {
            outcome.nodedowns.set(`${view.self} ${e.node} ${e.at}`, {
              observer: view.self,
              node: e.node,
              reason: e.reason,
            });
          }
        }
      } catch (err) {
        outcome.failed.push({ pod: pod.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  return {
    async stop() {
      running = false;
      clearInterval(refresh);
      await Promise.all(workers);
      return outcome;
    },
  };
}

describe('scenario: rolling restart under load', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startAppLab(S, {
      replicas: 3,
      endpointPodNames: true,
      env: { KINDRED_DRAIN_MS: String(DRAIN_MS) },
    });
    await waitForFullMesh(lab, S, 30_000);
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('replaces every pod with 0 failed requests, and peers see only leaves (nodedown shutdown)', async () => {
    const before = livePods(lab);
    const oldNodes = new Set(before.map((p) => p.node));
    const traffic = load(lab);
    const start = Date.now();
    const replaced = await lab.restart();
    log(S, `rollout restart replaced ${replaced.join(', ')} in ${Date.now() - start} ms`);
    await waitForFullMesh(lab, S, 30_000);
    // A little more load on the new pods, so their views of the leaves are read too.
    await new Promise((r) => setTimeout(r, 1_000));
    const outcome = await traffic.stop();
    log(
      S,
      `${outcome.ok} requests answered, ${outcome.failed.length} failed; nodedowns seen: ${outcome.nodedowns.size}`,
    );

    expect(replaced.sort()).toEqual(before.map((p) => p.name).sort());
    const after = livePods(lab);
    expect(after).toHaveLength(3);
    for (const p of after) expect(oldNodes.has(p.node)).toBe(false);
    expect(outcome.ok).toBeGreaterThan(50);
    expect(outcome.failed).toEqual([]);
    const downs = [...outcome.nodedowns.values()];
    expect(downs.length).toBeGreaterThan(0);
    for (const d of downs) {
      expect(oldNodes.has(d.node), `${d.observer} saw nodedown of ${d.node}, not a restarted pod`).toBe(true);
      expect(d.reason, `${d.observer} saw ${d.node} go down`).toBe('shutdown');
    }
    // Every new pod saw each old pod it knew leave with that reason (the last old pod is seen by all three).
    const last = [...oldNodes].filter((n) => downs.some((d) => d.node === n));
    expect(last.length).toBeGreaterThan(0);
  });
});
