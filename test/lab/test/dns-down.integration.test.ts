import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/index.js';
import {
  describeViews,
  isFullMesh,
  livePods,
  log,
  POLL_INTERVAL_MS,
  startAppLab,
  views,
  waitForFullMesh,
} from './scenario-helpers.js';

// DNS down for 30 s: discovery rounds fail, and the cluster stays exactly as it is (libcluster's DNS strategies drop
// everyone here); a pod added meanwhile stays alone; when DNS is back, discovery resumes and it joins.
const S = 'dns-down';
const DOWN_MS = 30_000;

describe('scenario: DNS down for 30 s', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startAppLab(S, { replicas: 3, endpointPodNames: true });
    await waitForFullMesh(lab, S, 30_000);
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('keeps the cluster while DNS is down and resumes discovery after', async () => {
    const members = livePods(lab);
    await lab.setDns(false);
    const start = Date.now();
    log(S, 'DNS down');
    // A pod added now cannot be discovered (and cannot resolve anyone) until DNS is back.
    await lab.scale(4);
    const newcomer = livePods(lab).find((p) => !members.some((m) => m.name === p.name))!;
    log(S, `scaled to 4 while DNS is down: ${newcomer.name}`);
    let samples = 0;
    while (Date.now() - start < DOWN_MS) {
      await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
      const whole = await isFullMesh(lab, members);
      samples++;
      if (!whole) log(S, `changed while DNS down: ${describeViews(await views(lab, members))}`);
      expect(whole).toBe(true);
    }
    const newcomerView = (await views(lab, [newcomer])).get(newcomer.name);
    log(
      S,
      `cluster unchanged through ${samples} samples over ${Date.now() - start} ms of DNS down; ${newcomer.name} sees ${JSON.stringify(newcomerView?.nodes)}`,
    );
    expect(newcomerView?.nodes).toEqual([]);
    await lab.setDns(true);
    log(S, 'DNS up');
    const ms = await waitForFullMesh(lab, S, POLL_INTERVAL_MS + 5_000);
    log(S, `discovery resumed: ${newcomer.name} joined ${ms} ms after DNS came back`);
    expect(livePods(lab)).toHaveLength(4);
  });
});
