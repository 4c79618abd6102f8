import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertLabPrerequisites,
  Lab,
  LabNetwork,
  NEIGHBOUR_SYSCTLS,
  type NeighbourSysctl,
  neighbourLimitsFor,
} from '../src/index.js';

// The real root-namespace thresholds: a lab big enough to need more than the current values raises them while it
// runs, and its stop (or a destroyById from elsewhere, as `pnpm lab down` does) puts back exactly what was there.
const read = () =>
  Object.fromEntries(
    NEIGHBOUR_SYSCTLS.map((k) => [
      k,
      Number(readFileSync(`/proc/sys/net/ipv4/neigh/default/${k}`, 'utf8').trim()),
    ]),
  ) as Record<NeighbourSysctl, number>;

describe('the lab and the neighbour table', () => {
  it('raises the thresholds a lab needs while it runs and restores them on stop and on destroyById', async () => {
    await assertLabPrerequisites();
    const before = read();
    // Pods that need more than the kernel's default gc_thresh1 (128), whatever this machine's values are.
    const pods = Math.max(8, Math.ceil(Math.sqrt(before.gc_thresh1)));
    const need = neighbourLimitsFor(pods + 1);
    const lab = await Lab.start({ replicas: pods, readiness: 'started', command: ['sleep', '600'] });
    let during: Record<NeighbourSysctl, number>;
    try {
      during = read();
    } finally {
      await lab.stop();
    }
    console.log(`[neigh] ${pods} pods: before ${JSON.stringify(before)}, during ${JSON.stringify(during)}`);
    for (const key of NEIGHBOUR_SYSCTLS)
      expect(during[key]).toBeGreaterThanOrEqual(Math.max(need[key], before[key]));
    expect(read()).toEqual(before);

    // A lab whose owner died: another process's destroyById restores the values from the machine-wide record.
    const orphan = await Lab.start({ replicas: pods, readiness: 'started', command: ['sleep', '600'] });
    expect(read().gc_thresh1).toBeGreaterThanOrEqual(need.gc_thresh1);
    await LabNetwork.destroyById(orphan.network.id);
    expect(read()).toEqual(before);
    await orphan.stop();
    expect(read()).toEqual(before);
  });
});
