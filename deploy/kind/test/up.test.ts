// deploy/kind/up.sh against stand-ins for docker, kind and kubectl (./fake-bin, first on PATH). Stand-ins only here:
// kind needs the kindest/node image from a registry and no Kubernetes API server can run on the machines that run
// these tests, so the script's own logic is what is tested: a re-run rolls the pods (the tag stays, so a rollout
// restart), every cluster call goes through the kind cluster's own kubeconfig, and the user's current context is left
// as it was. (examples/simple-web-service/test/kind-up.test.ts checks the order of the steps.)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
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

async function up(dir: string): Promise<{ stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${fakeBin}:${process.env.PATH}`,
    FAKE_KIND_DIR: dir,
  };
  delete env.CLUSTER;
  delete env.IMAGE;
  delete env.KUBECONFIG;
  return exec('bash', [upSh], { env });
}

async function lines(dir: string, file: string): Promise<string[]> {
  return (await readFile(join(dir, file), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe('deploy/kind/up.sh', () => {
  it('parses (bash -n), as does down.sh', async () => {
    await exec('bash', ['-n', upSh]);
    await exec('bash', ['-n', join(kindDir, 'down.sh')]);
  });

  it('rolls the pods on every re-run, not on the first deploy', async () => {
    const dir = await fakeWorld('my-prod');
    await up(dir);
    expect(await lines(dir, 'clusters')).toEqual(['kindred']);
    expect(await lines(dir, 'app-restarts')).toEqual([]);
    await up(dir);
    expect(await lines(dir, 'app-restarts')).toHaveLength(1);
    await up(dir);
    expect(await lines(dir, 'app-restarts')).toHaveLength(2);
    expect(await lines(dir, 'clusters')).toEqual(['kindred']); // reused, not created again
    expect(await lines(dir, 'loaded')).toEqual(Array(3).fill('kindred/simple-web-service:dev'));
    // The restart comes after the image is loaded and the manifests applied, and before waiting for the rollout.
    const calls = await lines(dir, 'calls');
    const last = calls.slice(calls.lastIndexOf('docker info'));
    const at = (re: RegExp) => last.findIndex((c) => re.test(c));
    expect(at(/^kind load docker-image /)).toBeLessThan(at(/ kubectl apply /));
    expect(at(/ kubectl apply /)).toBeLessThan(
      at(/ kubectl rollout restart deployment\/simple-web-service$/),
    );
    expect(at(/ kubectl rollout restart /)).toBeLessThan(
      at(/ kubectl rollout status deployment\/simple-web-service /),
    );
  });

  it("leaves the user's current context as it was, though kind create cluster switched it", async () => {
    const dir = await fakeWorld('my-prod');
    const { stderr } = await up(dir);
    expect((await readFile(join(dir, 'current-context'), 'utf8')).trim()).toBe('my-prod');
    expect(stderr).toContain("back to 'my-prod'");
    const kubectl = (await lines(dir, 'calls')).filter((c) => c.includes(' kubectl '));
    // The user's kubeconfig is only read and put back; every other call had the private one (the stand-in checks
    // that it names kind-kindred, and fails otherwise), which is gone after the run.
    const config = kubectl.filter((c) => / kubectl config /.test(c));
    expect(config.every((c) => c.startsWith('KUBECONFIG= '))).toBe(true);
    expect(config.filter((c) => / kubectl config (use-context|unset)/.test(c))).toEqual([
      'KUBECONFIG= kubectl config use-context my-prod',
    ]);
    const cluster = kubectl.filter((c) => !/ kubectl config /.test(c));
    expect(cluster.length).toBeGreaterThan(5);
    const kubeconfigs = new Set(cluster.map((c) => c.slice('KUBECONFIG='.length, c.indexOf(' '))));
    expect(kubeconfigs.size).toBe(1);
    const [kubeconfig = ''] = kubeconfigs;
    expect(kubeconfig).toMatch(/\/kubeconfig$/);
    expect(existsSync(kubeconfig)).toBe(false);

    // A re-run on the existing cluster does not touch the user's kubeconfig at all.
    await writeFile(join(dir, 'calls'), '');
    await up(dir);
    expect((await lines(dir, 'calls')).filter((c) => / kubectl config /.test(c))).toEqual([]);
    expect((await readFile(join(dir, 'current-context'), 'utf8')).trim()).toBe('my-prod');
  });

  it('leaves no current context when there was none', async () => {
    const dir = await fakeWorld(undefined);
    const { stderr } = await up(dir);
    expect(existsSync(join(dir, 'current-context'))).toBe(false);
    expect(stderr).toContain("back to '<none>'");
  });
});
