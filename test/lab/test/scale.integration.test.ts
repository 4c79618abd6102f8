import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/index.js';
import { livePods, log, POLL_INTERVAL_MS, startAppLab, waitForFullMesh } from './scenario-helpers.js';

// scale 3 -> 5 -> 2: every node's view follows the Deployment; removed pods get SIGTERM, leave the cluster and are
// gone within the termination grace period.
const S = 'scale';
const GRACE_MS = 10_000;

describe('scenario: scale 3 -> 5 -> 2', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startAppLab(S, { replicas: 3, endpointPodNames: true, terminationGracePeriodMs: GRACE_MS });
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('forms a mesh of 3', async () => {
    await waitForFullMesh(lab, S, 30_000);
  });

  it('grows to a mesh of 5', async () => {
    await lab.scale(5);
    log(
      S,
      `scaled to 5: new pods ${livePods(lab)
        .slice(3)
        .map((p) => p.name)
        .join(', ')}`,
    );
    // New pods start their process, then discover at once and every poll interval.
    await waitForFullMesh(lab, S, 30_000 + POLL_INTERVAL_MS);
    expect(livePods(lab)).toHaveLength(5);
  });

  it('shrinks to a mesh of 2; the removed pods leave within the grace period', async () => {
    const before = livePods(lab).map((p) => p.name);
    const start = Date.now();
    await lab.scale(2);
    const removed = before.filter((n) => !livePods(lab).some((p) => p.name === n));
    log(S, `scaled to 2: terminating ${removed.join(', ')}`);
    expect(removed).toHaveLength(3);
    await lab.waitFor('the removed pods to be gone', () => lab.pods().length === 2, GRACE_MS + 5_000);
    log(S, `removed pods gone after ${Date.now() - start} ms (grace period ${GRACE_MS} ms)`);
    expect(lab.status().deletedPods).toEqual(expect.arrayContaining(removed));
    await waitForFullMesh(lab, S, GRACE_MS + POLL_INTERVAL_MS);
  });
});
