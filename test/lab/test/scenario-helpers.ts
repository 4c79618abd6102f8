// Shared by the scenario suites: a lab running the built examples/simple-web-service, and reading every pod's view
// of the cluster through its own HTTP API (GET /nodes -> {"self", "nodes"}), from the node like kubelet's probes.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import {
  APP_MAIN,
  assertLabPrerequisites,
  Lab,
  type LabOptions,
  type PodStatus,
  REPO_ROOT,
} from '../src/index.js';

/** The built CLI, run inside pods as `node <KINDRED_BIN> ...`. */
export const KINDRED_BIN = join(REPO_ROOT, 'packages/cli/bin/kindred.js');

/** The app's discovery poll interval (its default, as deployed). */
export const POLL_INTERVAL_MS = 5_000;

/** A node's view, as its GET /nodes answers it. */
export interface NodesView {
  readonly self: string;
  readonly nodes: string[];
  readonly events?: { type: string; node: string; reason?: string; at: number }[];
}

const t0 = Date.now();
/** Logs a scenario line with the time since the suite started. */
export function log(scenario: string, message: string): void {
  console.log(`[${scenario} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}`);
}

/** Starts a lab running the built app; fails with what to do when something it needs is missing. */
export async function startAppLab(scenario: string, options: LabOptions = {}): Promise<Lab> {
  await assertLabPrerequisites();
  for (const file of [APP_MAIN, KINDRED_BIN.replace('bin/kindred.js', 'dist/main.js')]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: run 'pnpm run build' (npm test builds first)`);
  }
  const lab = await Lab.start({
    terminationGracePeriodMs: 10_000,
    ...options,
    env: { KINDRED_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS), ...options.env },
  });
  lab.on('error', (err: Error) => log(scenario, `lab error: ${err.message}`));
  log(
    scenario,
    `lab ${lab.network.id} up: ${lab
      .pods()
      .map((p) => `${p.name} (${p.ip})`)
      .join(', ')}`,
  );
  return lab;
}

/** The pods that are running and not being deleted. */
export function livePods(lab: Lab): PodStatus[] {
  return lab.pods().filter((p) => p.phase === 'Running');
}

/** Every live pod's view (undefined for a pod whose HTTP does not answer). */
export async function views(
  lab: Lab,
  pods: PodStatus[] = livePods(lab),
): Promise<Map<string, NodesView | undefined>> {
  const entries = await Promise.all(
    pods.map(async (p) => {
      try {
        const res = await lab.http(p.name, '/nodes');
        return [p.name, res.status === 200 ? (JSON.parse(res.body) as NodesView) : undefined] as const;
      } catch {
        return [p.name, undefined] as const;
      }
    }),
  );
  return new Map(entries);
}

/** One line per pod: `pod: n peers [names]` (a pod FQDN host shortened to its pod suffix, an IP host kept whole). */
export function describeViews(v: Map<string, NodesView | undefined>): string {
  const short = (node: string): string | undefined => {
    const host = node.split('@')[1];
    return host !== undefined && isIP(host) !== 0 ? host : host?.split('.')[0]?.slice(-5);
  };
  return [...v]
    .map(
      ([pod, view]) =>
        `${pod.slice(-5)} sees ${view ? `[${view.nodes.map(short).join(',')}]` : '(no answer)'}`,
    )
    .join('; ');
}

/** True when each of `pods` sees exactly the others (a full mesh) and answers as its own node name. */
export async function isFullMesh(lab: Lab, pods: PodStatus[] = livePods(lab)): Promise<boolean> {
  const v = await views(lab, pods);
  return pods.every((p) => {
    const view = v.get(p.name);
    if (!view || view.self !== p.node) return false;
    const expected = pods
      .filter((o) => o !== p)
      .map((o) => o.node)
      .sort();
    return JSON.stringify([...view.nodes].sort()) === JSON.stringify(expected);
  });
}

/** Waits for a full mesh of the live pods; resolves to the milliseconds it took. */
export async function waitForFullMesh(lab: Lab, scenario: string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  await lab
    .waitFor('a full mesh', () => isFullMesh(lab), timeoutMs, 200)
    .catch(async (err) => {
      log(scenario, `no full mesh: ${describeViews(await views(lab))}`);
      throw err;
    });
  const ms = Date.now() - start;
  log(
    scenario,
    `full mesh of ${livePods(lab).length}: ${livePods(lab)
      .map((p) => p.node)
      .join(', ')} (${ms} ms)`,
  );
  return ms;
}

/**
 * For a scenario suite: a lab of 3 pods of the app (endpoint_pod_names on, `env` added to the pods' environment),
 * started and meshed before the suite's tests and stopped after them. Returns the lab's getter.
 */
export function meshedAppLab(scenario: string, env: Record<string, string> = {}): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await startAppLab(scenario, { replicas: 3, endpointPodNames: true, env });
    await waitForFullMesh(lab, scenario, 30_000);
  });
  afterAll(async () => {
    await lab?.stop();
  });
  return () => {
    if (lab === undefined) throw new Error(`${scenario}: the lab is not started`);
    return lab;
  };
}
