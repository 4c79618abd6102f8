import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, PodStatus } from '../src/index.js';
import { livePods, log, POLL_INTERVAL_MS, startAppLab, waitForFullMesh } from './scenario-helpers.js';

// The cluster singleton of examples/simple-web-service (node.singleton over node.global): one instance in the
// cluster; SIGKILL its pod and another pod runs it within the ticktime; partition its pod away and heal, and exactly
// one instance and one owner of each global name remain; a rolling restart never leaves it absent for longer than
// the ticktime. Every pod's GET /singleton says where the instance runs as that pod sees it and whether it runs there.
const S = 'singleton';
const TICKTIME_MS = 4_000;

/** A pod's GET /singleton. */
interface SingletonBody {
  readonly self: string;
  readonly name: string;
  readonly where: string | null;
  readonly running: boolean;
  readonly names: Record<string, string>;
}

async function singletonViews(lab: Lab, pods: PodStatus[]): Promise<Map<string, SingletonBody | undefined>> {
  const entries = await Promise.all(
    pods.map(async (p) => {
      try {
        const res = await lab.http(p.name, '/singleton', undefined, 1_000);
        return [p.name, res.status === 200 ? (JSON.parse(res.body) as SingletonBody) : undefined] as const;
      } catch {
        return [p.name, undefined] as const;
      }
    }),
  );
  return new Map(entries);
}

/**
 * The pod running the singleton when every one of `pods` answers, exactly one runs an instance, and all of them agree
 * on it and on the owner of every global name; undefined otherwise.
 */
async function settled(lab: Lab, pods: PodStatus[] = livePods(lab)): Promise<PodStatus | undefined> {
  const v = await singletonViews(lab, pods);
  const bodies = [...v.values()];
  if (bodies.some((b) => b === undefined)) return undefined;
  const running = pods.filter((p) => v.get(p.name)?.running === true);
  if (running.length !== 1) return undefined;
  const owner = running[0]!;
  const names = JSON.stringify(bodies[0]!.names);
  const agree = bodies.every((b) => b!.where === owner.node && JSON.stringify(b!.names) === names);
  return agree ? owner : undefined;
}

function describe1(v: Map<string, SingletonBody | undefined>): string {
  return [...v]
    .map(([pod, b]) => `${pod.slice(-5)}: ${b ? `where=${b.where} running=${b.running}` : '(no answer)'}`)
    .join('; ');
}

describe('scenario: a cluster singleton', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startAppLab(S, {
      replicas: 3,
      endpointPodNames: true,
      env: { KINDRED_TICKTIME_MS: String(TICKTIME_MS) },
    });
    await waitForFullMesh(lab, S, 30_000);
  });

  afterAll(async () => {
    await lab?.stop();
  });

  /** Waits until `settled` holds among `pods` (default: every live pod). */
  async function waitSettled(what: string, timeoutMs: number, pods?: () => PodStatus[]): Promise<PodStatus> {
    const among = pods ?? (() => livePods(lab));
    return lab
      .waitFor(what, () => settled(lab, among()), timeoutMs, 200)
      .catch(async (err) => {
        log(S, `not settled: ${describe1(await singletonViews(lab, among()))}`);
        throw err;
      });
  }

  it('runs on exactly one of 3 pods, and on another within the ticktime when its pod is SIGKILLed', async () => {
    const owner = await waitSettled('one singleton instance', 10_000);
    log(S, `singleton runs on ${owner.name}`);
    const start = Date.now();
    const replacement = await lab.kill(owner.name);
    log(S, `killed ${owner.name} (SIGKILL); replacement ${replacement}`);
    const survivors = livePods(lab).filter((p) => p.name !== replacement);
    const next = await waitSettled('the singleton on a survivor', TICKTIME_MS * 2, () => survivors);
    const ms = Date.now() - start;
    log(S, `singleton runs on ${next.name} ${ms} ms after the kill (ticktime ${TICKTIME_MS} ms)`);
    expect(survivors.map((p) => p.name)).toContain(next.name);
    await waitForFullMesh(lab, S, 30_000 + POLL_INTERVAL_MS);
    const after = await waitSettled('one instance once the replacement joined', 10_000);
    expect(after.name).toBe(next.name);
  });

  it('partition its pod away and heal: exactly one instance and one owner of each name remain', async () => {
    const owner = await waitSettled('one singleton instance', 10_000);
    const others = livePods(lab).filter((p) => p.name !== owner.name);
    await lab.partition(owner.name);
    const start = Date.now();
    log(S, `partitioned ${owner.name}, which runs the singleton`);
    // The majority side loses the owner at its tick timeout and starts its own instance (no majority guard in the
    // app: both sides run one while they cannot see each other, as with Erlang's global).
    const majority = await waitSettled('an instance on the majority side', TICKTIME_MS * 3, () => others);
    log(S, `majority side runs it on ${majority.name} after ${Date.now() - start} ms`);
    // Let the partitioned pod tick out too before the heal, so both sides really diverged.
    await lab.waitFor(
      'the partitioned side to tick out',
      () => Date.now() - start > TICKTIME_MS * 2,
      TICKTIME_MS * 4,
    );
    await lab.heal(owner.name);
    const healedAt = Date.now();
    await waitForFullMesh(lab, S, 3 * POLL_INTERVAL_MS + 10_000);
    const kept = await waitSettled('one instance after the heal', 10_000);
    log(S, `after the heal the singleton runs on ${kept.name} only (${Date.now() - healedAt} ms)`);
    const v = await singletonViews(lab, livePods(lab));
    expect([...v.values()].filter((b) => b?.running)).toHaveLength(1);
    for (const b of v.values()) expect(Object.keys(b!.names)).toEqual([b!.name]);
  });

  it('a rolling restart (each pod deleted gracefully, one at a time) never leaves it absent past the ticktime', async () => {
    await waitSettled('one singleton instance', 10_000);
    let last = Date.now();
    let longestGapMs = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const v = await singletonViews(lab, lab.pods());
        const now = Date.now();
        if ([...v.values()].some((b) => b?.running === true)) {
          longestGapMs = Math.max(longestGapMs, now - last);
          last = now;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      for (const pod of livePods(lab)) {
        await lab.delete(pod.name);
        await lab.waitFor(
          '3 ready pods',
          () => livePods(lab).length === 3 && livePods(lab).every((p) => p.ready),
          30_000,
        );
        await waitForFullMesh(lab, S, 30_000 + POLL_INTERVAL_MS);
        log(S, `restarted ${pod.name}`);
      }
      await waitSettled('one instance after the rolling restart', 10_000);
    } finally {
      polling = false;
      await poller;
    }
    longestGapMs = Math.max(longestGapMs, Date.now() - last);
    log(S, `rolling restart: the longest time without a running instance was ${longestGapMs} ms`);
    expect(longestGapMs).toBeLessThan(TICKTIME_MS);
  });
});
