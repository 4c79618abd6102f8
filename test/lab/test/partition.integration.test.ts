import { describe, expect, it } from 'vitest';
import {
  livePods,
  log,
  meshedAppLab,
  type NodesView,
  POLL_INTERVAL_MS,
  views,
  waitForFullMesh,
} from './scenario-helpers.js';

// partition and heal: the pod's link goes down, so nothing flows either way; the silent connections are dropped by
// the transport's ticks (Erlang's net_ticktime), both sides see nodedown net_tick_timeout; after the heal, discovery
// reconnects and the mesh is whole again. The pods run with a short ticktime (KINDRED_TICKTIME_MS) so the suite
// takes seconds instead of the minute-plus the 60 s default needs; the tick logic is the same at any ticktime.
const S = 'partition';
const TICKTIME_MS = 4_000;

/** The nodedown events `view` recorded, as `node reason`. */
function nodedowns(view: NodesView | undefined): string[] {
  return (view?.events ?? []).filter((e) => e.type === 'nodedown').map((e) => `${e.node} ${e.reason}`);
}

describe('scenario: partition and heal', () => {
  const lab = meshedAppLab(S, { KINDRED_TICKTIME_MS: String(TICKTIME_MS) });

  it('both sides see nodedown net_tick_timeout, then the mesh is whole again', async () => {
    const [a, b, c] = livePods(lab());
    const start = Date.now();
    await lab().partition(b!.name);
    log(S, `partitioned ${b!.name} (ticktime ${TICKTIME_MS} ms)`);
    // b's own view can only be read once it is healed; a and c are read from the node as usual.
    await lab().waitFor(
      `a and c to drop ${b!.name}`,
      async () => {
        const v = await views(lab(), [a!, c!]);
        return [a!, c!].every((p) => {
          const nodes = v.get(p.name)?.nodes;
          return nodes !== undefined && !nodes.includes(b!.node) && nodes.length === 1;
        });
      },
      TICKTIME_MS * 4,
      200,
    );
    log(S, `a and c saw nodedown of ${b!.name} after ${Date.now() - start} ms`);
    const acViews = await views(lab(), [a!, c!]);
    for (const p of [a!, c!]) {
      // A partition closes nothing: only the tick can notice it, so the reason is Erlang's net_tick_timeout.
      expect(nodedowns(acViews.get(p.name))).toContain(`${b!.node} net_tick_timeout`);
    }
    // Leave b cut off long enough to have dropped a and c as well: the same tick runs on its side and gives up
    // after at most ticktime * (1 + 1/intensity) of silence.
    await lab().waitFor(
      'b to tick out too',
      () => Date.now() - start > TICKTIME_MS * 2,
      TICKTIME_MS * 4,
      200,
    );
    await lab().heal(b!.name);
    const healedAt = Date.now();
    let bView: NodesView | undefined;
    await lab().waitFor(
      `${b!.name} to answer after the heal`,
      async () => {
        bView = (await views(lab(), [b!])).get(b!.name);
        return bView !== undefined;
      },
      10_000,
      200,
    );
    log(S, `healed ${b!.name}; its first view after the heal: ${JSON.stringify(bView?.nodes)}`);
    expect(nodedowns(bView)).toEqual(
      expect.arrayContaining([`${a!.node} net_tick_timeout`, `${c!.node} net_tick_timeout`]),
    );
    await waitForFullMesh(lab(), S, 3 * POLL_INTERVAL_MS + 5_000);
    log(S, `mesh whole ${Date.now() - healedAt} ms after the heal`);
  });
});
