// Builds deploy/Dockerfile and starts deploy/compose/docker-compose.yml (3 replicas, dns-a discovery through Docker's
// embedded DNS), then checks that every replica sees the other two. Needs a Docker engine: run with
// `pnpm test:docker`. It is not part of `npm test`: this project's machines have no Docker engine, and there the
// suite fails with a message saying so (it never passes without having run the containers).
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  DockerComposeEnvironment,
  getContainerRuntimeClient,
  type StartedDockerComposeEnvironment,
  type StartedTestContainer,
} from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const composeDir = fileURLToPath(new URL('..', import.meta.url));
const REPLICAS = 3;
const CONVERGE_TIMEOUT_MS = 60_000;
const POLL_MS = 1_000;

async function requireDockerEngine(): Promise<void> {
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    throw new Error(
      'No Docker engine found, so this suite could not run and did not pass. It builds deploy/Dockerfile and starts ' +
        'deploy/compose/docker-compose.yml; start Docker (dockerd, Docker Desktop, or set DOCKER_HOST) and run ' +
        `'pnpm test:docker' again. (testcontainers said: ${(err as Error).message})`,
    );
  }
}

// The image has no curl; node's fetch inside the container asks the replica itself.
async function nodesOf(container: StartedTestContainer): Promise<{ self: string; nodes: string[] }> {
  const script =
    "fetch('http://127.0.0.1:8080/nodes').then((r)=>r.text()).then((t)=>process.stdout.write(t),(e)=>{console.error(e.message);process.exit(1)})";
  const result = await container.exec(['node', '-e', script]);
  if (result.exitCode !== 0) throw new Error(`GET /nodes failed in ${container.getName()}: ${result.output}`);
  return JSON.parse(result.stdout) as { self: string; nodes: string[] };
}

describe('docker compose: 3 replicas of simple-web-service cluster over dns-a', () => {
  let env: StartedDockerComposeEnvironment | undefined;
  const containers: StartedTestContainer[] = [];

  beforeAll(async () => {
    await requireDockerEngine();
    env = await new DockerComposeEnvironment(composeDir, [
      'docker-compose.yml',
      'test/docker-compose.test-override.yml',
    ])
      .withBuild()
      .withProjectName(`kindred-test-${randomBytes(4).toString('hex')}`)
      .withEnvironment({ KINDRED_COOKIE: randomBytes(16).toString('hex') })
      .up();
    for (let i = 1; i <= REPLICAS; i++) containers.push(env.getContainer(`app-${i}`));
  }, 600_000);

  afterAll(async () => {
    await env?.down({ timeout: 30_000 });
  }, 120_000);

  it('every replica names itself app@<its address> and sees the other two', async () => {
    const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
    let views: { self: string; nodes: string[] }[] = [];
    for (;;) {
      views = await Promise.all(containers.map(nodesOf));
      const selves = views.map((v) => v.self);
      const whole = views.every(
        (v) =>
          v.nodes.length === REPLICAS - 1 &&
          selves.filter((s) => s !== v.self).every((s) => v.nodes.includes(s)),
      );
      if (whole || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    console.log('views:', JSON.stringify(views));
    const selves = views.map((v) => v.self);
    expect(new Set(selves).size).toBe(REPLICAS);
    for (const self of selves) expect(self).toMatch(/^app@\d+\.\d+\.\d+\.\d+$/);
    for (const v of views) expect([...v.nodes].sort()).toEqual(selves.filter((s) => s !== v.self).sort());
  });
});
