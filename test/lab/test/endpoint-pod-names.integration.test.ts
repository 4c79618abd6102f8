import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/index.js';
import {
  describeViews,
  KINDRED_BIN,
  livePods,
  log,
  POLL_INTERVAL_MS,
  startAppLab,
  views,
  waitForFullMesh,
} from './scenario-helpers.js';

// The seed's whole point, end to end: with CoreDNS's default (no endpoint_pod_names) the SRV targets are dashed-IP
// names no pod knows itself by, so no cluster forms and `kindred doctor` says why; switched on, the mesh forms.
const S = 'endpoint-pod-names';

describe('scenario: endpoint_pod_names off, then on', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startAppLab(S, { replicas: 3, endpointPodNames: false });
    await lab.waitFor('3 ready pods', () => lab.pods().filter((p) => p.ready).length === 3, 60_000);
    await lab.synced();
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('forms no cluster while the SRV targets are dashed IPs, and doctor names the cause and the fix', async () => {
    // Two full poll rounds after every pod is ready.
    await new Promise((r) => setTimeout(r, 2 * POLL_INTERVAL_MS + 1000));
    const v = await views(lab);
    log(S, `endpoint_pod_names off: ${describeViews(v)}`);
    for (const [pod, view] of v) {
      expect(view, `${pod} answers /nodes`).toBeDefined();
      expect(view!.nodes).toEqual([]);
    }
    const pod = livePods(lab)[0]!;
    const doctor = await lab.exec(pod.name, ['node', KINDRED_BIN, 'doctor', '--json'], { timeoutMs: 30_000 });
    expect(doctor.code).toBe(1);
    const report = JSON.parse(doctor.stdout) as {
      ok: boolean;
      checks: { id: string; ok: boolean; hint: string }[];
    };
    expect(report.ok).toBe(false);
    const srvSelf = report.checks.find((c) => c.id === 'srv-self');
    expect(srvSelf?.ok).toBe(false);
    expect(srvSelf?.hint).toContain('endpoint_pod_names');
    log(S, `doctor in ${pod.name}: ${report.checks.map((c) => `${c.id}=${c.ok ? 'ok' : 'FAIL'}`).join(' ')}`);
  });

  it('forms a full mesh within one poll interval plus a second once endpoint_pod_names is on', async () => {
    await lab.setEndpointPodNames(true); // resolves once BIND serves the new zone
    const ms = await waitForFullMesh(lab, S, POLL_INTERVAL_MS + 1000);
    expect(ms).toBeLessThanOrEqual(POLL_INTERVAL_MS + 1000);
    const pod = livePods(lab)[1]!;
    const doctor = await lab.exec(pod.name, ['node', KINDRED_BIN, 'doctor'], { timeoutMs: 30_000 });
    log(S, `doctor in ${pod.name} (exit ${doctor.code}):\n${doctor.stdout}`);
    expect(doctor.code).toBe(0);
  });
});
