// deploy/kind/up.sh against stand-ins for docker, kind and kubectl (./fake-bin, first on PATH). Stand-ins only here:
// kind needs the kindest/node image from a registry and no Kubernetes API server can run on the machines that run
// these tests, so the script's own logic is what is tested: re-running it after a new build rolls the pods (a new
// content-addressed tag in the applied Deployment), an unchanged build rolls nothing, every cluster call names the
// cluster's context, and the kubeconfig's current context is left as the user had it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const kindDir = fileURLToPath(new URL('..', import.meta.url));
const fakeBin = fileURLToPath(new URL('./fake-bin', import.meta.url));
const upSh = join(kindDir, 'up.sh');

// CoreDNS as patch-coredns.sh leaves it: endpoint_pod_names is already on, so it only reads the ConfigMap.
const PATCHED_COREFILE = `.:53 {
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       endpoint_pod_names
       fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
}
`;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function fakeWorld(currentContext: string | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kindred-kind-up-'));
  dirs.push(dir);
  await writeFile(join(dir, 'Corefile'), PATCHED_COREFILE);
  if (currentContext) await writeFile(join(dir, 'current-context'), `${currentContext}\n`);
  return dir;
}

async function up(dir: string, imageId: string): Promise<{ stderr: string }> {
  await writeFile(join(dir, 'image-id'), imageId);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${fakeBin}:${process.env.PATH}`,
    FAKE_KIND_DIR: dir,
  };
  delete env.CLUSTER;
  delete env.IMAGE;
  return exec('bash', [upSh], { env });
}

async function lines(dir: string, file: string): Promise<string[]> {
  return (await readFile(join(dir, file), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

const ID_A = `a1b2c3d4e5f6${'0'.repeat(52)}`;
const ID_B = `0f9e8d7c6b5a${'1'.repeat(52)}`;

describe('deploy/kind/up.sh', () => {
  it('parses (bash -n), as does down.sh', async () => {
    await exec('bash', ['-n', upSh]);
    await exec('bash', ['-n', join(kindDir, 'down.sh')]);
  });

  it('rolls the pods on a re-run after a new build, and not after an unchanged one', async () => {
    const dir = await fakeWorld('my-prod');
    await up(dir, ID_A);
    expect(await lines(dir, 'clusters')).toEqual(['kindred']);
    expect(await lines(dir, 'applied-images')).toEqual(['kindred/simple-web-service:a1b2c3d4e5f6']);
    expect(await lines(dir, 'loaded')).toEqual(['kindred/simple-web-service:a1b2c3d4e5f6']);

    await up(dir, ID_B); // the source changed: a new image id, so a new tag in the Deployment
    await up(dir, ID_B); // nothing changed: the same tag, so the Deployment's template is unchanged
    expect(await lines(dir, 'clusters')).toEqual(['kindred']); // reused, not created again
    expect(await lines(dir, 'applied-images')).toEqual([
      'kindred/simple-web-service:a1b2c3d4e5f6',
      'kindred/simple-web-service:0f9e8d7c6b5a',
      'kindred/simple-web-service:0f9e8d7c6b5a',
    ]);
    // One apply of the Deployment per run: never the file's own `:dev` image first (that would be a second rollout).
    const calls = await lines(dir, 'calls');
    expect(calls.filter((c) => / apply -f \S*deployment\.yaml/.test(c))).toHaveLength(3);
    expect(calls.some((c) => c.includes('deploy/k8s/deployment.yaml') && c.includes(' apply '))).toBe(false);
  });

  it("leaves the user's current context as it was, though kind create cluster switched it", async () => {
    const dir = await fakeWorld('my-prod');
    const { stderr } = await up(dir, ID_A);
    expect((await readFile(join(dir, 'current-context'), 'utf8')).trim()).toBe('my-prod');
    expect(stderr).toContain("back to 'my-prod'");
    // Every call to the cluster names its context; only `config` calls (reading and restoring) go without.
    const kubectl = (await lines(dir, 'calls')).filter((c) => c.startsWith('kubectl '));
    expect(kubectl.length).toBeGreaterThan(5);
    for (const c of kubectl) expect(c).toMatch(/^kubectl (--context kind-kindred |config )/);
    expect(kubectl.filter((c) => c.startsWith('kubectl config use-context'))).toEqual([
      'kubectl config use-context my-prod',
    ]);
  });

  it('leaves no current context when there was none', async () => {
    const dir = await fakeWorld(undefined);
    await up(dir, ID_A);
    expect(await lines(dir, 'current-context')).toEqual([]);
    expect(await lines(dir, 'applied-images')).toEqual(['kindred/simple-web-service:a1b2c3d4e5f6']);
  });
});
