import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/index.js';
import { livePods, log, POLL_INTERVAL_MS, startAppLab, views, waitForFullMesh } from './scenario-helpers.js';

// partition and heal: the pod's link goes down, so nothing flows either way; the silent connections are dropped by
// the transport's ticks (Erlang's net_ticktime: 60 s by default, so this suite takes over a minute), both sides see
// nodedown; after the heal, discovery reconnects and the mesh is whole again.
const S = 'partition';
const TICKTIME_MS = 60_000;

describe('scenario: partition and heal', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startAppLab(S, { replicas: 3, endpointPodNames: true });
    await waitForFullMesh(lab, S, 30_000);
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('both sides see nodedown, then the mesh is whole again', async () => {
    const [a, b, c] = livePods(lab);
    const start = Date.now();
    await lab.partition(b!.name);
    log(S, `partitioned ${b!.name}`);
    // b's own view can only be read once it is healed; a and c are read from the node as usual.
    await lab.waitFor(
      `a and c to drop ${b!.name}`,
      async () => {
        const v = await views(lab, [a!, c!]);
        return [a!, c!].every((p) => {
          const nodes = v.get(p.name)?.nodes;
          return nodes !== undefined && !nodes.includes(b!.node) && nodes.length === 1;
        });
      },
      TICKTIME_MS * 1.5,
      1000,
    );
    log(S, `a and c saw nodedown of ${b!.name} after ${Date.now() - start} ms`);
    // Leave b cut off long enough to have dropped a and c as well (the same tick timeout runs on its side).
    await lab.waitFor(
      'b to tick out too',
      () => Date.now() - start > TICKTIME_MS * 1.3,
      TICKTIME_MS * 2,
      1000,
    );
    await lab.heal(b!.name);
    const healedAt = Date.now();
    const bView = (await views(lab, [b!])).get(b!.name);
    log(
      S,
      `healed ${b!.name}; its first view after the heal: ${JSON.stringify(bView?.nodes)} events ${JSON.stringify(bView?.events?.filter((e) => e.type === 'nodedown').map((e) => e.node))}`,
    );
    if (bView?.events) {
      expect(bView.events.filter((e) => e.type === 'nodedown').map((e) => e.node)).toEqual(
        expect.arrayContaining([a!.node, c!.node]),
      );
    }
    await waitForFullMesh(lab, S, 3 * POLL_INTERVAL_MS + 5_000);
    log(S, `mesh whole ${Date.now() - healedAt} ms after the heal`);
  });
});
