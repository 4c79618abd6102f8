// Shared by the mixed-cluster suites: a lab of kindred pods (the app on Erlang's wire) and Erlang pods (lab_app,
// real erl) behind one headless Service, and the routes into the Erlang side.
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  compileErlangApp,
  type ErlangDeploymentOptions,
  erlangDeployment,
  type Lab,
  type LabOptions,
  type PodStatus,
} from '../src/index.js';
import { KINDRED_BIN, livePods, log, POLL_INTERVAL_MS, startAppLab, views } from './scenario-helpers.js';

/** The Erlang pods' Deployment name. */
export const ERL_DEPLOYMENT = 'erlang-app';

/** A mixed lab and the directory its Erlang app was compiled into (removed by {@link stopMixedLab}). */
export interface MixedLab {
  readonly lab: Lab;
  readonly codeDir: string;
}

/**
 * Starts a lab whose main Deployment runs `options.command` (default: the app) and whose `erlang-app` Deployment
 * runs `erlReplicas` Erlang pods; endpoint_pod_names on (the seed's `<basename>@<SRV target>` names need pod FQDNs).
 */
export async function startMixedLab(
  scenario: string,
  erl: Omit<ErlangDeploymentOptions, 'codeDir'>,
  options: LabOptions,
): Promise<MixedLab> {
  const codeDir = await compileErlangApp();
  try {
    const lab = await startAppLab(scenario, {
      endpointPodNames: true,
      ...options,
      deployments: [erlangDeployment({ name: ERL_DEPLOYMENT, ...erl, codeDir })],
    });
    return { lab, codeDir };
  } catch (err) {
    await rm(codeDir, { recursive: true, force: true });
    throw err;
  }
}

/** Stops the lab and removes the compiled Erlang app. */
export async function stopMixedLab(mixed: MixedLab | undefined): Promise<void> {
  if (mixed === undefined) return;
  await mixed.lab.stop();
  await rm(mixed.codeDir, { recursive: true, force: true });
}

/** How long the mixed suites wait for a full mesh: 30 s and two discovery polls. */
export const MIXED_MESH_MS = 30_000 + 2 * POLL_INTERVAL_MS;

/**
 * For a mixed suite: {@link startMixedLab} before the suite's tests, {@link stopMixedLab} after them. Returns the
 * lab's getter.
 */
export function mixedLab(
  scenario: string,
  erl: Omit<ErlangDeploymentOptions, 'codeDir'>,
  options: LabOptions,
): () => Lab {
  let mixed: MixedLab | undefined;
  beforeAll(async () => {
    mixed = await startMixedLab(scenario, erl, options);
  });
  afterAll(async () => {
    await stopMixedLab(mixed);
  });
  return () => {
    if (mixed === undefined) throw new Error('the lab is not started');
    return mixed.lab;
  };
}

/** The live pods of the Erlang Deployment. */
export function erlPods(lab: Lab): PodStatus[] {
  return livePods(lab).filter((p) => p.deployment === ERL_DEPLOYMENT);
}

/** The live pods of the kindred (main) Deployment. */
export function kindredPods(lab: Lab): PodStatus[] {
  return livePods(lab).filter((p) => p.deployment !== ERL_DEPLOYMENT);
}

/** Evaluates an Erlang expression in the erl node of `pod` (lab_app's GET /eval); resolves to its `~p` text. */
export async function erlEval(lab: Lab, pod: PodStatus, expr: string): Promise<string> {
  const res = await lab.http(pod.name, `/eval?${encodeURIComponent(expr)}`, undefined, 15_000);
  if (res.status !== 200) throw new Error(`eval of ${expr} on ${pod.name}: HTTP ${res.status}: ${res.body}`);
  return res.body;
}

/** The quoted atoms and binaries of an Erlang list printed by `~p`, sorted: `['a@h-1','b@h-2']`, `[<<"a@h">>]`. */
export function erlNames(printed: string): string[] {
  return [...printed.matchAll(/'([^']+)'|<<"([^"]+)">>/g)].map((m) => m[1] ?? m[2]!).sort();
}

/** One JSON line of a pod's log (lab_app's `{"event": ...}` lines, pino's lines of the app). */
export type LogLine = Record<string, unknown>;

/** The JSON lines of a pod's log (others skipped). */
export async function podLog(pod: PodStatus): Promise<LogLine[]> {
  const text = await readFile(pod.logFile, 'utf8').catch(() => '');
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a partial last line
    }
  }
  return lines;
}

/** Logs a line per pod with its kind and node name. */
export function logPods(scenario: string, lab: Lab): void {
  for (const p of livePods(lab)) log(scenario, `${p.deployment}: ${p.node}`);
}

/**
 * Asserts the full mesh from both sides: each erl pod's `nodes()` and `node()`, and, by `rpc:call` from each erl pod
 * into each kindred pod (its exposed `lab:nodes`, answered over Erlang's wire), each kindred node's nodes().
 */
export async function expectMeshFromBothSides(lab: Lab): Promise<void> {
  const all = livePods(lab);
  for (const e of erlPods(lab)) {
    const others = all.filter((p) => p.name !== e.name).map((p) => p.node);
    expect(erlNames(await erlEval(lab, e, 'nodes()'))).toEqual([...others].sort());
    expect(await erlEval(lab, e, 'node()')).toBe(`'${e.node}'`);
    for (const k of kindredPods(lab)) {
      const kNodes = erlNames(await erlEval(lab, e, `rpc:call('${k.node}', lab, nodes, [])`));
      expect(kNodes).toEqual(
        all
          .filter((p) => p.name !== k.name)
          .map((p) => p.node)
          .sort(),
      );
    }
  }
}

/** Waits until every kindred pod's GET /nodes reports a nodedown of `victim`'s node, and logs what each saw. */
export async function waitForKindredNodedown(
  lab: Lab,
  scenario: string,
  victim: PodStatus,
  timeoutMs = 20_000,
): Promise<void> {
  await lab.waitFor(
    `nodedown of ${victim.node} on every kindred pod`,
    async () => {
      const v = await views(lab, kindredPods(lab));
      return kindredPods(lab).every((k) =>
        v.get(k.name)?.events?.some((e) => e.type === 'nodedown' && e.node === victim.node),
      );
    },
    timeoutMs,
  );
  for (const [pod, view] of await views(lab, kindredPods(lab))) {
    log(
      scenario,
      `${pod} saw ${JSON.stringify(view?.events?.find((e) => e.node === victim.node && e.type === 'nodedown'))}`,
    );
  }
}

/** `kindred doctor --json`'s report. */
export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: readonly { id: string; ok: boolean; detail: string; hint?: string }[];
}

/** Runs `kindred doctor --json ...extra` in `pod` with the pod's environment, logs one line per check. */
export async function runDoctor(
  lab: Lab,
  scenario: string,
  pod: PodStatus,
  extra: readonly string[] = [],
): Promise<{ code: number | null; report: DoctorReport }> {
  const r = await lab.exec(pod.name, ['node', KINDRED_BIN, 'doctor', '--json', ...extra], {
    timeoutMs: 60_000,
  });
  const report = JSON.parse(r.stdout) as DoctorReport;
  log(
    scenario,
    `doctor ${extra.join(' ')} in ${pod.name}: ${report.checks.map((c) => `${c.id}=${c.ok ? 'ok' : `FAIL (${c.detail})`}`).join(' ')}`,
  );
  return { code: r.code, report };
}

/**
 * Runs doctor in kindred pod `pod` and expects it to pass: the checks `ids` in that order, every Erlang pod's node
 * among the peers that answered, exit 0. Returns the run.
 */
export async function expectDoctorPasses(
  lab: Lab,
  scenario: string,
  pod: PodStatus,
  ids: readonly string[],
): Promise<{ code: number | null; report: DoctorReport }> {
  const good = await runDoctor(lab, scenario, pod);
  expect(good.report.checks.map((c) => c.id)).toEqual(ids);
  const peers = good.report.checks.find((c) => c.id === 'peers')!;
  for (const e of erlPods(lab)) expect(peers.detail).toContain(e.node);
  expect(good.report.ok).toBe(true);
  expect(good.code).toBe(0);
  return good;
}

/** Waits until every pod `watchers()` lists (asked again on each poll) has logged nodedown of `victim` (podLog). */
export async function waitForNodedownLogged(
  lab: Lab,
  what: string,
  watchers: () => PodStatus[],
  victim: PodStatus,
): Promise<void> {
  await lab.waitFor(
    what,
    async () => {
      for (const w of watchers()) {
        if (!(await podLog(w)).some((l) => l.event === 'nodedown' && l.node === victim.node)) return false;
      }
      return true;
    },
    20_000,
  );
}
