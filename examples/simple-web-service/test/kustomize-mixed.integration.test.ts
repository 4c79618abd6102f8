// The kit's mixed clusters (deploy/kustomize/components/mixed-erlang through overlays/mixed-fqdn and
// overlays/mixed-pod-ip) rendered for real with kubectl's built-in kustomize: every object validates against
// Kubernetes' schemas, and what the kindred side and the Erlang side must agree on does (one headless Service
// selecting both, the same Secret key, the same basename and naming scheme, the same discovery query, the same
// distribution and EPMD ports, a NetworkPolicy that lets both through between both Deployments' pods), also under an
// adopting team's namePrefix, nameSuffix and namespace. A mutated render is refused, so the checks can fail.
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Secret, Service } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  kubectlPath,
  PLACEHOLDER_COOKIE,
  parseObjects,
  type RenderOptions,
  renderOverlay,
} from '../../../deploy/kustomize/render.mjs';
import { arr, at, type Obj } from './helpers/objects.js';

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 Secret': Secret,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
};

const INSTANCE = 'app.kubernetes.io/instance';
const EPMD_PORT = 4369;
const name = (o: Obj) => at(o, 'metadata', 'name') as string;

/** kubelet's expansion of $(VAR) in an env value: only variables defined earlier in the list; $$ is a literal $. */
function expand(value: string, defined: Map<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string | undefined) =>
    m === '$$' ? '$' : v !== undefined && defined.has(v) ? (defined.get(v) as string) : m,
  );
}

/** A Deployment's first container, its env entries by name, and its env as the container sees it. */
interface Side {
  deployment: Obj;
  container: Obj;
  env: Map<string, Obj>;
  /** Env values as the container sees them (fieldRefs stand as `<fieldPath>`, Secrets as `<secret>`). */
  seen: Map<string, string>;
  labels: Obj;
}

function side(deployment: Obj): Side {
  const container = arr(at(deployment, 'spec', 'template', 'spec', 'containers'))[0] as Obj;
  const env = new Map(arr(container.env).map((e) => [e.name as string, e]));
  const seen = new Map<string, string>();
  for (const e of arr(container.env)) {
    const field = at(e, 'valueFrom', 'fieldRef', 'fieldPath');
    const raw =
      typeof e.value === 'string' ? e.value : field !== undefined ? `<${String(field)}>` : '<secret>';
    seen.set(e.name as string, expand(raw, seen));
  }
  const labels = at(deployment, 'spec', 'template', 'metadata', 'labels') as Obj;
  return { deployment, container, env, seen, labels };
}

/** Does a label selector (matchLabels or a Service's selector) pick pods with these labels? */
const selects = (selector: unknown, labels: Obj): boolean =>
  typeof selector === 'object' &&
  selector !== null &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The container port of this name, as a number. */
function containerPort(s: Side, portName: string): number | undefined {
  const p = arr(s.container.ports).find((q) => q.name === portName);
  return p === undefined ? undefined : (p.containerPort as number);
}

async function render(overlay: string, options: RenderOptions): Promise<Obj[]> {
  return parseObjects(await renderOverlay(overlay, options)) as Obj[];
}

function one(objects: Obj[], kind: string, pick: (o: Obj) => boolean = () => true): Obj {
  const found = objects.filter((o) => o.kind === kind && pick(o));
  expect(found, `one ${kind}`).toHaveLength(1);
  return found[0] as Obj;
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

/** Everything the kindred side and the Erlang side must agree on; throws (an expect failure) when they don't. */
function expectMixedConsistent(objects: Obj[], mode: 'fqdn' | 'pod-ip'): void {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  expect(deployments).toHaveLength(2);
  const kindred = side(
    deployments.find((d) => side(d).env.has('KINDRED_NAME')) ?? expect.fail('no kindred Deployment'),
  );
  const erlang = side(
    deployments.find((d) => side(d).env.has('RELEASE_NODE')) ?? expect.fail('no Erlang Deployment'),
  );
  const headless = one(objects, 'Service', (o) => at(o, 'spec', 'clusterIP') === 'None');
  const http = one(objects, 'Service', (o) => at(o, 'spec', 'clusterIP') !== 'None');
  const secret = one(objects, 'Secret');
  const policy = one(objects, 'NetworkPolicy');
  const svc = name(headless);

  // kindred on Erlang's wire.
  expect(kindred.seen.get('KINDRED_DISTRIBUTION')).toBe('erlang');

  // One headless Service for both: both pods' subdomain, and its selector picks both; HTTP goes to kindred only.
  for (const s of [kindred, erlang]) {
    const podSpec = at(s.deployment, 'spec', 'template', 'spec') as Obj;
    expect(podSpec.subdomain).toBe(svc);
    expect(podSpec.hostname).toBeUndefined();
    expect(
      selects(at(headless, 'spec', 'selector'), s.labels),
      `headless Service selects ${name(s.deployment)}`,
    ).toBe(true);
    expect(selects(at(s.deployment, 'spec', 'selector', 'matchLabels'), s.labels)).toBe(true);
    for (const e of s.seen.values()) expect(e).not.toMatch(/\$\(/);
  }
  expect(selects(at(http, 'spec', 'selector'), kindred.labels)).toBe(true);
  expect(selects(at(http, 'spec', 'selector'), erlang.labels)).toBe(false);
  // Each Deployment selects only its own pods, and every object belongs to the kindred Deployment's instance.
  expect(selects(at(kindred.deployment, 'spec', 'selector', 'matchLabels'), erlang.labels)).toBe(false);
  expect(selects(at(erlang.deployment, 'spec', 'selector', 'matchLabels'), kindred.labels)).toBe(false);
  for (const o of objects)
    expect(at(o, 'metadata', 'labels', INSTANCE) ?? name(kindred.deployment)).toBe(name(kindred.deployment));
  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const sel = at(pdb, 'spec', 'selector', 'matchLabels');
    expect(selects(sel, kindred.labels) !== selects(sel, erlang.labels), `${name(pdb)} picks one side`).toBe(
      true,
    );
  }

  // The cookie: the same Secret and key on both sides, the generated Secret's.
  const kRef = at(kindred.env.get('KINDRED_COOKIE'), 'valueFrom', 'secretKeyRef') as Obj;
  const eRef = at(erlang.env.get('RELEASE_COOKIE'), 'valueFrom', 'secretKeyRef') as Obj;
  expect(eRef).toEqual(kRef);
  expect(kRef.name).toBe(name(secret));
  expect(Buffer.from(String(at(secret, 'data', kRef.key as string)), 'base64').toString()).toBe(
    PLACEHOLDER_COOKIE,
  );

  // One basename (libcluster's application_name, dns_cluster's basename filter) and one naming scheme.
  expect(erlang.seen.get('RELEASE_DISTRIBUTION')).toBe('name');
  const releaseNode = erlang.seen.get('RELEASE_NODE') ?? '';
  const [base, host] = releaseNode.split('@');
  expect(base).toBe(kindred.seen.get('KINDRED_NAME'));
  if (mode === 'fqdn') {
    // Both take the pod's FQDN: kindred from `hostname -f`, erl -name from the same /etc/hosts line.
    expect(kindred.seen.get('KINDRED_HOST')).toBe('');
    expect(host).toBeUndefined();
  } else {
    expect(kindred.seen.get('KINDRED_HOST')).toBe('<status.podIP>');
    expect(host).toBe('<status.podIP>');
  }

  // One discovery query, built from the same Service.
  const discovery = arr(at(headless, 'spec', 'ports')).find((p) => p.name === 'discovery') as Obj;
  const query =
    mode === 'fqdn'
      ? `dns-srv:_${String(discovery.name)}._${String(discovery.protocol).toLowerCase()}.${svc}`
      : `dns-a:${svc}`;
  expect(kindred.seen.get('KINDRED_DISCOVERY')).toBe(query);
  expect(erlang.seen.get('PEER_DISCOVERY')).toBe(query);

  // Ports: the distribution port is the Service's `discovery` port, kindred's KINDRED_PORT, both containers'
  // `discovery` port and the port erl's ERL_AFLAGS pins; EPMD is 4369 on both (no ERL_EPMD_PORT on either).
  const distPort = discovery.port as number;
  expect(discovery.targetPort).toBe('discovery');
  expect(Number(kindred.seen.get('KINDRED_PORT'))).toBe(distPort);
  expect(containerPort(kindred, 'discovery')).toBe(distPort);
  expect(containerPort(erlang, 'discovery')).toBe(distPort);
  const flags = erlang.seen.get('ERL_AFLAGS') ?? '';
  expect(/inet_dist_listen_min (\d+)/.exec(flags)?.[1]).toBe(String(distPort));
  expect(/inet_dist_listen_max (\d+)/.exec(flags)?.[1]).toBe(String(distPort));
  for (const s of [kindred, erlang]) {
    expect(containerPort(s, 'epmd')).toBe(EPMD_PORT);
    expect(s.env.has('ERL_EPMD_PORT')).toBe(false);
  }

  // The NetworkPolicy covers both sides' pods and lets the distribution port and EPMD through between them (named
  // ports, each resolving in both containers), from no one else; HTTP stays open.
  expect(selects(at(policy, 'spec', 'podSelector', 'matchLabels'), kindred.labels)).toBe(true);
  expect(selects(at(policy, 'spec', 'podSelector', 'matchLabels'), erlang.labels)).toBe(true);
  const rules = arr(at(policy, 'spec', 'ingress'));
  const distRule = rules.find((r) => arr(r.ports).some((p) => p.port === 'discovery')) as Obj;
  expect(arr(distRule.ports).map((p) => [p.protocol, p.port])).toEqual(
    expect.arrayContaining([
      ['TCP', 'discovery'],
      ['TCP', 'epmd'],
    ]),
  );
  const from = arr(distRule.from);
  expect(from.length).toBeGreaterThan(0);
  for (const f of from) {
    expect(Object.keys(f)).toEqual(['podSelector']);
    expect(at(f, 'podSelector', 'matchLabels', INSTANCE)).toBe(name(kindred.deployment));
  }
  for (const s of [kindred, erlang]) {
    expect(
      from.some((f) => selects(at(f, 'podSelector', 'matchLabels'), s.labels)),
      `${name(s.deployment)} may dial`,
    ).toBe(true);
  }
  expect(rules.find((r) => arr(r.ports).some((p) => p.port === 'http'))?.from).toBeUndefined();
}

describe('deploy/kustomize mixed clusters (kindred + Erlang) rendered by kubectl kustomize', () => {
  let kubectl = '';
  beforeAll(async () => {
    kubectl = await kubectlPath();
  });

  for (const mode of ['fqdn', 'pod-ip'] as const) {
    const overlay = `mixed-${mode}`;
    it(`overlay ${overlay}: valid against Kubernetes' schemas, and both sides agree`, async () => {
      const objects = await render(overlay, { kubectl });
      expect(objects.map((o) => o.kind).sort()).toEqual([
        'Deployment',
        'Deployment',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'Service',
      ]);
      expectValid(objects);
      expectMixedConsistent(objects, mode);
    });

    it(`overlay ${overlay} under a namePrefix, nameSuffix and namespace: both sides still agree`, async () => {
      const objects = await render(overlay, {
        kubectl,
        namePrefix: 'shop-',
        nameSuffix: '-v2',
        namespace: 'team-a',
      });
      expectValid(objects);
      for (const o of objects) expect(at(o, 'metadata', 'namespace')).toBe('team-a');
      expect(
        objects
          .filter((o) => o.kind === 'Deployment')
          .map(name)
          .sort(),
      ).toEqual(['shop-simple-web-service-erlang-v2', 'shop-simple-web-service-v2']);
      expectMixedConsistent(objects, mode);
    });
  }

  it('a mismatch between the two sides fails the checks (they are not vacuous)', async () => {
    const objects = await render('mixed-fqdn', { kubectl });
    expectMixedConsistent(objects, 'fqdn');
    const erlangEnv = (o: Obj[]): Obj[] =>
      arr(
        at(
          o.find((d) => d.kind === 'Deployment' && name(d).endsWith('-erlang')),
          'spec',
          'template',
          'spec',
          'containers',
          0,
          'env',
        ),
      );
    const mutations: [string, (o: Obj[]) => void][] = [
      [
        'another Secret key',
        (o) => {
          const e = erlangEnv(o).find((v) => v.name === 'RELEASE_COOKIE') as Obj;
          (at(e, 'valueFrom', 'secretKeyRef') as Obj).key = 'erlang-cookie';
        },
      ],
      [
        'another basename',
        (o) => {
          (erlangEnv(o).find((v) => v.name === 'RELEASE_NODE') as Obj).value = 'myapp';
        },
      ],
      [
        'another distribution port',
        (o) => {
          (erlangEnv(o).find((v) => v.name === 'ERL_AFLAGS') as Obj).value =
            '-kernel inet_dist_listen_min 9100 inet_dist_listen_max 9100';
        },
      ],
      [
        'EPMD left out of the NetworkPolicy',
        (o) => {
          const policy = o.find((p) => p.kind === 'NetworkPolicy') as Obj;
          const rule = arr(at(policy, 'spec', 'ingress'))[0] as Obj;
          rule.ports = arr(rule.ports).filter((p) => p.port !== 'epmd');
        },
      ],
      [
        'the NetworkPolicy admitting only the kindred pods',
        (o) => {
          const policy = o.find((p) => p.kind === 'NetworkPolicy') as Obj;
          const from = arr(at(policy, 'spec', 'ingress', 0, 'from'));
          (at(from[0], 'podSelector', 'matchLabels') as Obj)['app.kubernetes.io/name'] = 'simple-web-service';
        },
      ],
      [
        'a headless Service selecting only the kindred pods',
        (o) => {
          const svc = o.find((s) => s.kind === 'Service' && at(s, 'spec', 'clusterIP') === 'None') as Obj;
          (at(svc, 'spec', 'selector') as Obj)['app.kubernetes.io/name'] = 'simple-web-service';
        },
      ],
    ];
    for (const [what, mutate] of mutations) {
      const copy = structuredClone(objects);
      mutate(copy);
      expect(() => expectMixedConsistent(copy, 'fqdn'), what).toThrow();
    }
  });
});
