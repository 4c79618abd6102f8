import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/index.js';
import { livePods, log, POLL_INTERVAL_MS, startAppLab, views, waitForFullMesh } from './scenario-helpers.js';

// kill a pod (SIGKILL, pod deleted): the others see nodedown; the ReplicaSet's replacement joins the mesh.
const S = 'kill';

describe('scenario: kill a pod', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startAppLab(S, { replicas: 3, endpointPodNames: true });
    await waitForFullMesh(lab, S, 30_000);
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('the others see nodedown and the replacement joins', async () => {
    const victim = livePods(lab)[1]!;
    const survivors = livePods(lab).filter((p) => p.name !== victim.name);
    const start = Date.now();
    const replacement = await lab.kill(victim.name);
    log(S, `killed ${victim.name} (SIGKILL); replacement ${replacement}`);
    expect(replacement).toBeDefined();

    await lab
      .waitFor(
        'nodedown of the victim on every survivor',
        async () => {
          const v = await views(lab, survivors);
          return survivors.every((p) => {
            const view = v.get(p.name);
            return (
              view !== undefined &&
              !view.nodes.includes(victim.node) &&
              (view.events === undefined ||
                view.events.some((e) => e.type === 'nodedown' && e.node === victim.node))
            );
          });
        },
        20_000,
      )
      .catch(async (err) => {
        for (const [pod, view] of await views(lab, survivors)) log(S, `${pod}: ${JSON.stringify(view)}`);
        throw err;
      });
    log(S, `every survivor saw nodedown of ${victim.node} after ${Date.now() - start} ms`);

    const ms = await waitForFullMesh(lab, S, 30_000 + POLL_INTERVAL_MS);
    expect(livePods(lab).map((p) => p.name)).toContain(replacement);
    expect(livePods(lab).map((p) => p.name)).not.toContain(victim.name);
    log(S, `replacement ${replacement} joined; mesh whole ${ms} ms after the kill settled`);
  });
});
