import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/index.js';
import { KINDRED_BIN, livePods, log, startAppLab, views, waitForFullMesh } from './scenario-helpers.js';

// The way without cluster-admin (deploy/kustomize/overlays/pod-ip): CoreDNS as kind ships it (no endpoint_pod_names,
// SRV targets are dashed IPs), nodes named app@<pod IP> (KINDRED_HOST=$(POD_IP), expanded as kubelet does) and found
// by the headless Service's A records (KINDRED_DISCOVERY=dns-a:<svc>). The cluster forms with no DNS change, and a
// killed pod's replacement joins.
const S = 'pod-ip';

describe('scenario: pod-IP names and A-record discovery, no endpoint_pod_names', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startAppLab(S, {
      replicas: 3,
      endpointPodNames: false,
      env: { KINDRED_HOST: '$(POD_IP)', KINDRED_DISCOVERY: 'dns-a:simple-web-service-headless' },
    });
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('forms a full mesh of app@<pod IP> nodes, and takes in a replacement', async () => {
    for (const p of livePods(lab)) expect(p.node).toBe(`app@${p.ip}`);
    await waitForFullMesh(lab, S, 30_000);
    const v = await views(lab);
    for (const p of livePods(lab)) expect(v.get(p.name)?.self).toBe(`app@${p.ip}`);

    // kindred doctor in a pod, with the pod's environment (KINDRED_HOST=<pod IP>, KINDRED_DISCOVERY=dns-a:...):
    // the pod-ip checklist, no SRV check, and every line passes.
    const pod = livePods(lab)[1]!;
    const doctor = await lab.exec(pod.name, ['node', KINDRED_BIN, 'doctor', '--json'], { timeoutMs: 30_000 });
    const report = JSON.parse(doctor.stdout) as {
      ok: boolean;
      checks: { id: string; ok: boolean; detail: string }[];
    };
    log(
      S,
      `doctor in ${pod.name}: ${report.checks.map((c) => `${c.id}=${c.ok ? 'ok' : `FAIL (${c.detail})`}`).join(' ')}`,
    );
    expect(report.checks.map((c) => c.id)).toEqual(['pod-ip', 'a-records', 'peers']);
    expect(report.ok).toBe(true);
    expect(doctor.code).toBe(0);

    const victim = livePods(lab)[0]!;
    const replacement = await lab.kill(victim.name);
    log(S, `killed ${victim.name}; replacement ${replacement}`);
    await waitForFullMesh(lab, S, 30_000);
    expect(livePods(lab).map((p) => p.node)).not.toContain(victim.node);
  });
});
