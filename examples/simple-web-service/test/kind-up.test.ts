// deploy/kind/up.sh against stand-ins for docker, kind and kubectl: no Docker engine or Kubernetes API can run on
// this machine, so these record each call (and keep the CoreDNS Corefile and the Secret's existence in files) to
// check what the script asks of the real tools, in which order, and that a second run changes nothing it should not.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const FAKE_DOCKER = `#!/usr/bin/env bash
echo "docker $*" >>"$FAKE_KUBE_DIR/calls"
`;
const FAKE_KIND = `#!/usr/bin/env bash
echo "kind $*" >>"$FAKE_KUBE_DIR/calls"
case "$1 $2" in
  "get clusters") [ -f "$FAKE_KUBE_DIR/cluster" ] && echo kindred ;;
  "create cluster") touch "$FAKE_KUBE_DIR/cluster" ;;
esac
`;
// kubectl: the Corefile calls go to fake-kubectl.sh (shared with the patch-coredns test); the rest is recorded.
const FAKE_KUBECTL = (coredns: string) => `#!/usr/bin/env bash
args=" $* "
case "$args" in
  *" coredns "*|*"deployment/coredns"*) exec "${coredns}" "$@" ;;
esac
echo "kubectl $*" >>"$FAKE_KUBE_DIR/calls"
case "$args" in
  *" get secret simple-web-service-cookie "*) [ -f "$FAKE_KUBE_DIR/secret" ] ;;
  *" create secret generic simple-web-service-cookie "*) touch "$FAKE_KUBE_DIR/secret" ;;
esac
`;

describe('deploy/kind/up.sh', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('creates the cluster, patches CoreDNS, builds and loads the image, creates a random cookie, applies; idempotent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindred-kind-up-'));
    dirs.push(dir);
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(dir, 'Corefile'), await readFile(fixture('kind-Corefile'), 'utf8'));
    for (const [name, text] of [
      ['docker', FAKE_DOCKER],
      ['kind', FAKE_KIND],
      ['kubectl', FAKE_KUBECTL(fixture('fake-kubectl.sh'))],
    ] as const) {
      await writeFile(join(bin, name), text);
      await chmod(join(bin, name), 0o755);
    }
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_KUBE_DIR: dir };
    const script = join(root, 'deploy/kind/up.sh');

    await run('bash', [script], { env });
    const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');
    const index = (re: RegExp) => calls.findIndex((c) => re.test(c));
    expect(
      index(/^kind create cluster --name kindred --config \S+deploy\/kind\/kind-config\.yaml/),
    ).toBeGreaterThan(-1);
    expect(await readFile(join(dir, 'Corefile'), 'utf8')).toMatch(/^\s+endpoint_pod_names$/m);
    const build = index(/^docker build -f \S+deploy\/Dockerfile -t kindred\/simple-web-service:dev \S+$/);
    const load = index(/^kind load docker-image kindred\/simple-web-service:dev --name kindred$/);
    const secret = index(
      /^kubectl create secret generic simple-web-service-cookie --from-literal=cookie=[0-9a-f]{48}$/,
    );
    const apply = index(/^kubectl apply /);
    expect(build).toBeGreaterThan(-1);
    expect(load).toBeGreaterThan(build);
    expect(secret).toBeGreaterThan(-1);
    expect(apply).toBeGreaterThan(secret);
    // The example Secret is not applied: the random one stays.
    expect(calls[apply]).toContain('deploy/k8s/deployment.yaml');
    expect(calls[apply]).toContain('deploy/k8s/service-headless.yaml');
    expect(calls[apply]).not.toContain('secret.yaml');
    expect(calls.at(-1)).toMatch(/^kubectl rollout status deployment\/simple-web-service/);

    // Second run: the cluster, the CoreDNS patch and the secret are reused.
    await writeFile(join(dir, 'calls'), '');
    await run('bash', [script], { env });
    const again = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');
    expect(again.some((c) => c.startsWith('kind create cluster'))).toBe(false);
    expect(again.some((c) => c.startsWith('kubectl create secret'))).toBe(false);
    expect((await readFile(join(dir, 'restarts'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });
});
