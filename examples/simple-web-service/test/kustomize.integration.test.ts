// The kustomize kit (deploy/kustomize) rendered for real with kubectl's built-in kustomize (Debian 13's kubectl
// 1.32, fetched by scripts/kubectl.sh), for both naming modes and under an adopting team's namePrefix, nameSuffix
// and namespace: every object validates against Kubernetes' schemas (kubernetes-models), the names that must agree
// do, and deploy/k8s is what the kit renders.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Secret, Service } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_DIR,
  kubectlPath,
  PLACEHOLDER_COOKIE,
  parseObjects,
  type RenderOptions,
  renderExample,
  renderOverlay,
} from '../../../deploy/kustomize/render.mjs';
import { APP_DEFAULTS } from '../src/defaults.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

type Obj = Record<string, unknown>;
function at(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Obj)[key as string];
  }
  return v;
}
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

// Kubernetes' schemas for every kind the kit makes: kubernetes-models' validate() runs the API's OpenAPI schema
// (types, required fields, formats) compiled with ajv.
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 Secret': Secret,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
  'cert-manager.io/v1 Certificate': Certificate,
};

/** kubelet's expansion of $(VAR) in an env value: only variables defined earlier in the list; $$ is a literal $. */
function expand(value: string, defined: Map<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) =>
    m === '$$' ? '$' : name !== undefined && defined.has(name) ? (defined.get(name) as string) : m,
  );
}

interface Rendered {
  objects: Obj[];
  deployment: Obj;
  headless: Obj;
  http: Obj;
  secret: Obj;
  pdb: Obj;
  policy: Obj;
  env: Map<string, Obj>;
  /** Env values as the container sees them (fieldRefs stand as `<fieldPath>`). */
  seen: Map<string, string>;
}

async function render(overlay: string, options: RenderOptions = {}): Promise<Rendered> {
  const objects = parseObjects(await renderOverlay(overlay, options)) as Obj[];
  const one = (kind: string, pick: (o: Obj) => boolean = () => true) => {
    const found = objects.filter((o) => o.kind === kind && pick(o));
    expect(found, `one ${kind}`).toHaveLength(1);
    return found[0] as Obj;
  };
  const deployment = one('Deployment');
  const container = arr(at(deployment, 'spec', 'template', 'spec', 'containers'))[0] as Obj;
  const env = new Map(arr(container.env).map((e) => [e.name as string, e]));
  const seen = new Map<string, string>();
  for (const e of arr(container.env)) {
    const field = at(e, 'valueFrom', 'fieldRef', 'fieldPath');
    const raw =
      typeof e.value === 'string' ? e.value : field !== undefined ? `<${String(field)}>` : '<secret>';
    seen.set(e.name as string, expand(raw, seen));
  }
  return {
    objects,
    deployment,
    headless: one('Service', (o) => at(o, 'spec', 'clusterIP') === 'None'),
    http: one('Service', (o) => at(o, 'spec', 'clusterIP') !== 'None'),
    secret: one('Secret'),
    pdb: one('PodDisruptionBudget'),
    policy: one('NetworkPolicy'),
    env,
    seen,
  };
}

const name = (o: Obj) => at(o, 'metadata', 'name') as string;
const INSTANCE = 'app.kubernetes.io/instance';

/** Everything that must agree, whatever the names became. */
function expectConsistent(r: Rendered, mode: 'fqdn' | 'pod-ip'): void {
  const podSpec = at(r.deployment, 'spec', 'template', 'spec') as Obj;
  const svc = name(r.headless);
  // One name: the pods' subdomain, the headless Service and the discovery query.
  expect(podSpec.subdomain).toBe(svc);
  expect(podSpec.hostname).toBeUndefined();
  expect(r.seen.get('KINDRED_SERVICE')).toBe(svc);
  const port = arr(at(r.headless, 'spec', 'ports')).find((p) => p.name === 'discovery') as Obj;
  expect(r.seen.get('KINDRED_DISCOVERY')).toBe(
    mode === 'fqdn' ? `dns-srv:_${port.name}._${String(port.protocol).toLowerCase()}.${svc}` : `dns-a:${svc}`,
  );
  expect(r.seen.get('KINDRED_HOST')).toBe(mode === 'fqdn' ? '' : '<status.podIP>');
  expect(Number(r.seen.get('KINDRED_PORT'))).toBe(port.port);
  // Every $(VAR) refers to a variable defined before it (kubelet leaves others as they are).
  for (const [k, v] of r.seen) expect(v, `${k} has no unexpanded $(VAR)`).not.toMatch(/\$\(/);

  // The instance label is the Deployment's name everywhere, and every selector picks exactly its pods.
  const podLabels = at(r.deployment, 'spec', 'template', 'metadata', 'labels') as Obj;
  expect(podLabels[INSTANCE]).toBe(name(r.deployment));
  for (const o of r.objects)
    expect(at(o, 'metadata', 'labels', INSTANCE) ?? name(r.deployment)).toBe(name(r.deployment));
  const selectors: Obj[] = [
    at(r.deployment, 'spec', 'selector', 'matchLabels') as Obj,
    at(r.headless, 'spec', 'selector') as Obj,
    at(r.http, 'spec', 'selector') as Obj,
    at(r.pdb, 'spec', 'selector', 'matchLabels') as Obj,
    at(r.policy, 'spec', 'podSelector', 'matchLabels') as Obj,
    ...arr(podSpec.topologySpreadConstraints).map((c) => at(c, 'labelSelector', 'matchLabels') as Obj),
  ];
  for (const s of selectors) {
    expect(s[INSTANCE]).toBe(name(r.deployment));
    for (const [k, v] of Object.entries(s)) expect(podLabels[k], `label ${k}`).toBe(v);
  }

  // The distribution port only from the app's own pods; HTTP from anywhere.
  const rules = arr(at(r.policy, 'spec', 'ingress'));
  const discoveryRule = rules.find((rule) => arr(rule.ports).some((p) => p.port === 'discovery')) as Obj;
  expect(arr(discoveryRule.from)).toEqual([
    { podSelector: { matchLabels: at(r.deployment, 'spec', 'selector', 'matchLabels') } },
  ]);
  expect(rules.find((rule) => arr(rule.ports).some((p) => p.port === 'http'))?.from).toBeUndefined();
  expect(at(r.policy, 'spec', 'policyTypes')).toEqual(['Ingress']);

  // The cookie: from the generated Secret, whose value came from the file (the placeholder here).
  const ref = at(r.env.get('KINDRED_COOKIE'), 'valueFrom', 'secretKeyRef') as Obj;
  expect(ref.name).toBe(name(r.secret));
  expect(Buffer.from(String(at(r.secret, 'data', ref.key as string)), 'base64').toString()).toBe(
    PLACEHOLDER_COOKIE,
  );

  // Safe rollouts: one pod at a time, never below the replica count; the grace period covers the drain and the app's
  // own shutdown bound; readiness and liveness on the http port.
  expect(at(r.deployment, 'spec', 'strategy', 'rollingUpdate')).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  expect(at(r.pdb, 'spec', 'maxUnavailable')).toBe(1);
  const drainMs = Number(r.seen.get('KINDRED_DRAIN_MS'));
  expect(drainMs).toBeGreaterThan(0);
  expect(Number(podSpec.terminationGracePeriodSeconds) * 1000).toBeGreaterThan(
    drainMs + APP_DEFAULTS.shutdownTimeoutMs,
  );
  const container = arr(podSpec.containers)[0] as Obj;
  expect(at(container, 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'http' });
  expect(at(container, 'livenessProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'http' });
  expect(at(container, 'resources', 'requests')).toBeDefined();
}

function expectValid(objects: Obj[]): void {
  for (const o of objects) {
    const Model = MODELS[`${String(o.apiVersion)} ${String(o.kind)}`];
    expect(Model, `a schema for ${String(o.apiVersion)} ${String(o.kind)}`).toBeDefined();
    expect(
      () => new (Model as new (o: Obj) => { validate(): void })(o).validate(),
      `${String(o.kind)}/${name(o)}`,
    ).not.toThrow();
  }
}

describe('deploy/kustomize rendered by kubectl kustomize', () => {
  let kubectl = '';
  beforeAll(async () => {
    kubectl = await kubectlPath();
    const { stdout } = await run(kubectl, ['version', '--client']);
    console.log(`[kustomize] ${kubectl}: ${stdout.replace(/\n/g, ' ')}`);
  });

  for (const mode of ['fqdn', 'pod-ip'] as const) {
    it(`overlay ${mode}: valid against Kubernetes' schemas, and the names agree`, async () => {
      const r = await render(mode, { kubectl });
      expect(r.objects.map((o) => o.kind).sort()).toEqual([
        'Deployment',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'Service',
      ]);
      expectValid(r.objects);
      expectConsistent(r, mode);
      expect(name(r.headless)).toBe('simple-web-service-headless');
    });

    it(`overlay ${mode} under a namePrefix, nameSuffix and namespace: subdomain, Service and discovery query still agree`, async () => {
      const r = await render(mode, { kubectl, namePrefix: 'shop-', nameSuffix: '-v2', namespace: 'team-a' });
      expectValid(r.objects);
      expect(name(r.headless)).toBe('shop-simple-web-service-headless-v2');
      expect(name(r.deployment)).toBe('shop-simple-web-service-v2');
      for (const o of r.objects) expect(at(o, 'metadata', 'namespace')).toBe('team-a');
      expectConsistent(r, mode);
    });
  }

  for (const namePrefix of [undefined, 'shop-']) {
    it(`component tls${namePrefix ? ' above a namePrefix' : ''}: a cert-manager Certificate for the pods' names, mounted where KINDRED_TLS_DIR points`, async () => {
      const r = await render('fqdn', {
        kubectl,
        components: ['tls'],
        ...(namePrefix === undefined ? {} : { namePrefix }),
      });
      expectValid(r.objects);
      expectConsistent(r, 'fqdn');
      const cert = r.objects.find((o) => o.kind === 'Certificate') as Obj;
      const podSpec = at(r.deployment, 'spec', 'template', 'spec') as Obj;
      // The pods' FQDNs, <pod>.<subdomain>.default.svc.cluster.local, are what peers dial and TLS checks.
      expect(at(cert, 'spec', 'dnsNames')).toEqual([
        `*.${String(podSpec.subdomain)}.default.svc.cluster.local`,
      ]);
      expect(at(cert, 'spec', 'usages')).toEqual(expect.arrayContaining(['server auth', 'client auth']));
      const volume = arr(podSpec.volumes).find((v) => v.name === 'tls') as Obj;
      expect(at(volume, 'secret', 'secretName')).toBe(at(cert, 'spec', 'secretName'));
      const container = arr(podSpec.containers)[0] as Obj;
      const mount = arr(container.volumeMounts).find((m) => m.name === 'tls') as Obj;
      expect(r.seen.get('KINDRED_TLS_DIR')).toBe(mount.mountPath);
      expect(mount.readOnly).toBe(true);
      // uid 1000 reads the root-owned files through the group.
      expect(at(podSpec, 'securityContext', 'fsGroup')).toBe(1000);
      expect(at(volume, 'secret', 'defaultMode')).toBe(0o440);
    });
  }

  it('the schema check does refuse a broken object (it is not vacuous)', async () => {
    const r = await render('fqdn', { kubectl });
    const broken = structuredClone(r.deployment);
    (at(broken, 'spec', 'template', 'spec') as Obj).subdomain = 42;
    expect(() => new Deployment(broken as never).validate()).toThrow(/subdomain/);
  });

  it('deploy/k8s is the rendered example, up to date, with no Secret and no cookie in it', async () => {
    const files = await renderExample({ kubectl });
    for (const [file, text] of files) {
      expect(
        await readFile(join(EXAMPLE_DIR, file), 'utf8'),
        `deploy/k8s/${file} is stale: run node deploy/kustomize/render.mjs`,
      ).toBe(text);
    }
    const { stdout } = await run('node', [join(root, 'deploy/kustomize/render.mjs'), '--check']);
    expect(stdout).toBe('');
    for (const text of files.values()) {
      expect(text).not.toMatch(/^kind: Secret$/m);
      expect(text).not.toContain(PLACEHOLDER_COOKIE);
    }
    // No cookie is committed: the file the kit reads is ignored by git.
    const { stdout: ignored } = await run('git', [
      '-C',
      root,
      'check-ignore',
      'deploy/kustomize/base/cookie',
    ]);
    expect(ignored.trim()).toBe('deploy/kustomize/base/cookie');
  });
});
