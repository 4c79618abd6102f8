// deploy/ for real, in `npm test` (the `docker` project): starts its own Docker engine (deploy/test/engine.ts), builds
// a Node base image from Debian's packages and the machine's node (no registry is reachable) and deploy/Dockerfile on
// it, runs deploy/compose/docker-compose.yml with `docker compose` (3 replicas form a full mesh over dns-a; one is
// killed and the others see it go down; scaled to 5, the mesh grows), runs the testcontainers suite, then removes
// everything it made, stops the engine and checks the machine's network (links, routes, iptables, nft, ip_forward)
// is as it found it. Then a mixed cluster (docker-compose.mixed.yml): 2 replicas on Erlang's wire and an erl node
// (deploy/erlang, built on the same local Debian base) form one mesh, and stopping the erl node is a nodedown on every
// kindred replica. Needs root on Linux; elsewhere every test is skipped with the reason (the summary lists it).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DockerComposeEnvironment,
  getContainerRuntimeClient,
  type StartedDockerComposeEnvironment,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dockerSkipReason, type Engine, networkView, run, startEngine } from '../../test/engine.ts';
import { buildAppImage, buildErlangImage, buildNodeBase } from '../../test/images.ts';

const composeDir = fileURLToPath(new URL('..', import.meta.url));
const COMPOSE_FILES = ['docker-compose.yml', 'test/docker-compose.test-override.yml'];
const REPLICAS = 3;
const SCALED = 5;
const CONVERGE_TIMEOUT_MS = 60_000;
const POLL_MS = 1_000;
const RUN_ID = randomBytes(4).toString('hex');
const BASE_IMAGE = `kindred-local/node:test-${RUN_ID}`;
const APP_IMAGE = `kindred/simple-web-service:test-${RUN_ID}`;
const DEBIAN_IMAGE = `kindred-local/debian:test-${RUN_ID}`;
const ERLANG_IMAGE = `kindred/erlang-peer:test-${RUN_ID}`;
const MIXED_FILES = ['docker-compose.mixed.yml', 'test/docker-compose.mixed.test-override.yml'];
const MIXED_REPLICAS = 2;

const skipReason = dockerSkipReason();
const log = (line: string): void => {
  process.stdout.write(`[docker] ${line}\n`);
};

/** What GET /nodes answers (examples/simple-web-service/src/http-server.ts). */
interface NodesView {
  self: string;
  nodes: string[];
  events: { type: string; node: string; reason?: string }[];
}

let engine: Engine | undefined;
const TESTCONTAINERS_ENV = ['DOCKER_HOST', 'TESTCONTAINERS_RYUK_DISABLED', 'TESTCONTAINERS_HOST_OVERRIDE'];
const savedEnv = new Map<string, string | undefined>();

async function docker(args: readonly string[]): Promise<string> {
  if (!engine) throw new Error('no engine');
  return run('docker', args, { env: engine.env, cwd: composeDir });
}

// The image has no curl; node's fetch inside the container asks the replica itself.
const FETCH_NODES =
  "fetch('http://127.0.0.1:8080/nodes').then((r)=>r.text()).then((t)=>process.stdout.write(t),(e)=>{console.error(e.message);process.exit(1)})";

async function viewOf(id: string): Promise<NodesView> {
  return JSON.parse(await docker(['exec', id, 'node', '-e', FETCH_NODES])) as NodesView;
}

/** Polls every replica's view until `done` holds for all of them or the time is up; returns the last views. */
async function converge(ids: readonly string[], done: (views: NodesView[]) => boolean): Promise<NodesView[]> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  for (;;) {
    const views = await Promise.all(ids.map(viewOf));
    if (done(views) || Date.now() > deadline) return views;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function fullMesh(views: readonly NodesView[]): boolean {
  const selves = views.map((v) => v.self);
  return views.every(
    (v) => v.nodes.length === views.length - 1 && selves.every((s) => s === v.self || v.nodes.includes(s)),
  );
}

function expectFullMesh(views: readonly NodesView[]): void {
  const selves = views.map((v) => v.self);
  expect(new Set(selves).size).toBe(views.length);
  for (const self of selves) expect(self).toMatch(/^app@\d+\.\d+\.\d+\.\d+$/);
  for (const v of views) expect([...v.nodes].sort()).toEqual(selves.filter((s) => s !== v.self).sort());
}

describe('deploy/ on a real Docker engine', () => {
  beforeAll(async () => {
    if (skipReason) return;
    engine = await startEngine(log);
    // testcontainers reads the engine and its own switches from the environment.
    for (const k of TESTCONTAINERS_ENV) {
      savedEnv.set(k, process.env[k]);
      process.env[k] = engine.env[k];
    }
  }, 120_000);

  // A safety net when a test failed before the last one: the engine stops and the network is restored anyway.
  afterAll(async () => {
    await engine?.stop();
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }, 120_000);

  beforeEach((ctx) => {
    if (skipReason) ctx.skip(skipReason);
  });

  describe('images (no registry: a local base image as the NODE_IMAGE build argument)', () => {
    it('builds a Node base image from Debian packages and the machine node', async () => {
      await buildNodeBase(engine!.env, BASE_IMAGE, log, engine!.root || undefined, DEBIAN_IMAGE);
      const out = await docker([
        'run',
        '--rm',
        '--user',
        'node',
        BASE_IMAGE,
        'node',
        '-p',
        'process.version',
      ]);
      expect(out.trim()).toBe(process.version);
    });

    it('builds deploy/Dockerfile on it; the image runs as the node user, with the kindred CLI', async () => {
      await buildAppImage(engine!.env, APP_IMAGE, BASE_IMAGE);
      const user = await docker(['image', 'inspect', '--format', '{{.Config.User}}', APP_IMAGE]);
      expect(user.trim()).toBe('node');
      const help = await docker(['run', '--rm', APP_IMAGE, 'kindred', '--help']);
      expect(help).toMatch(/doctor/);
    });

    it('builds deploy/erlang on the plain Debian base (erlang-base from the mirror); it runs erl as uid 1000', async () => {
      await buildErlangImage(engine!.env, ERLANG_IMAGE, DEBIAN_IMAGE);
      const out = await docker([
        'run',
        '--rm',
        '--entrypoint',
        'erl',
        ERLANG_IMAGE,
        '-noshell',
        '-eval',
        'io:format("~s ~s~n", [os:cmd("id -u") -- "\\n", code:which(dns_peer)]), halt().',
        '-pa',
        '/opt/dns_peer/ebin',
      ]);
      expect(out.trim()).toBe('1000 /opt/dns_peer/ebin/dns_peer.beam');
    });

    it('`erl -name app` (the entrypoint with a bare RELEASE_NODE) takes the host `hostname -f` prints, as in a pod with a subdomain (overlays/mixed-fqdn)', async () => {
      // Docker writes `<address> <hostname>.<domainname> <hostname>` to /etc/hosts, as kubelet does for a pod.
      const out = await docker([
        'run',
        '--rm',
        '--hostname',
        'pod-1',
        '--domainname',
        'svc-headless.team-a.svc.cluster.local',
        '--entrypoint',
        'sh',
        ERLANG_IMAGE,
        '-c',
        'hostname -f; erl -noshell -name app -eval \'io:format("~s~n", [node()]), halt().\'',
      ]);
      expect(out.trim().split('\n')).toEqual([
        'pod-1.svc-headless.team-a.svc.cluster.local',
        'app@pod-1.svc-headless.team-a.svc.cluster.local',
      ]);
    });
  });

  describe('deploy/compose with `docker compose`', () => {
    const project = `kindred-cli-${RUN_ID}`;
    const compose = (args: readonly string[]): Promise<string> =>
      docker(['compose', '-p', project, ...COMPOSE_FILES.flatMap((f) => ['-f', f]), ...args]);
    const composeEnv = (): void => {
      engine!.env.KINDRED_COOKIE = randomBytes(16).toString('hex');
      engine!.env.KINDRED_TEST_IMAGE = APP_IMAGE;
    };
    let ids: string[] = [];
    let killed: NodesView | undefined;

    afterAll(async () => {
      if (engine) await compose(['down', '--volumes', '--timeout', '30']);
    }, 120_000);

    it(`${REPLICAS} replicas form a full mesh (GET /nodes on each)`, async () => {
      composeEnv();
      await compose(['up', '--detach', '--wait']);
      ids = (await compose(['ps', '--quiet', 'app'])).split('\n').filter(Boolean);
      expect(ids).toHaveLength(REPLICAS);
      const views = await converge(ids, fullMesh);
      log(`mesh of ${REPLICAS}: ${views.map((v) => v.self).join(' ')}`);
      expectFullMesh(views);
    });

    it('a killed replica is seen down by the others (nodedown in their events, gone from their nodes)', async () => {
      const [victim = '', ...rest] = ids;
      killed = await viewOf(victim);
      await docker(['kill', victim]);
      const views = await converge(rest, (vs) =>
        vs.every((v) => !v.nodes.includes(killed!.self) && v.events.some((e) => e.type === 'nodedown')),
      );
      for (const v of views) {
        expect(v.nodes).not.toContain(killed.self);
        expect(v.events.filter((e) => e.type === 'nodedown').map((e) => e.node)).toContain(killed.self);
      }
      log(`after killing ${killed.self}: ${JSON.stringify(views.map((v) => [v.self, v.nodes]))}`);
    });

    it(`scaled to ${SCALED}, the mesh grows to ${SCALED}`, async () => {
      await compose(['up', '--detach', '--wait', '--scale', `app=${SCALED}`]);
      ids = (await compose(['ps', '--quiet', 'app'])).split('\n').filter(Boolean);
      expect(ids).toHaveLength(SCALED);
      const views = await converge(ids, fullMesh);
      log(`mesh of ${SCALED}: ${views.map((v) => v.self).join(' ')}`);
      expectFullMesh(views);
    });

    it('`docker compose down` removes its containers and network', async () => {
      await compose(['down', '--volumes', '--timeout', '30']);
      expect(
        await docker(['ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${project}`]),
      ).toBe('');
      expect(
        await docker(['network', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${project}`]),
      ).toBe('');
    });
  });

  // The testcontainers suite: what a team's own tests would do with this compose file.
  describe('testcontainers: 3 replicas of simple-web-service cluster over dns-a', () => {
    let env: StartedDockerComposeEnvironment | undefined;
    const containers: StartedTestContainer[] = [];

    async function nodesOf(container: StartedTestContainer): Promise<{ self: string; nodes: string[] }> {
      const result = await container.exec(['node', '-e', FETCH_NODES]);
      if (result.exitCode !== 0)
        throw new Error(`GET /nodes failed in ${container.getName()}: ${result.output}`);
      return JSON.parse(result.stdout) as { self: string; nodes: string[] };
    }

    afterAll(async () => {
      await env?.down({ timeout: 30_000, removeVolumes: true });
    }, 120_000);

    it('every replica names itself app@<its address> and sees the other two', async () => {
      await getContainerRuntimeClient();
      let compose = new DockerComposeEnvironment(composeDir, COMPOSE_FILES).withProjectName(
        `kindred-tc-${RUN_ID}`,
      );
      // Up means healthy: the compose file's healthcheck asks /readyz (the HTTP server listens, discovery has run).
      for (let i = 1; i <= REPLICAS; i++)
        compose = compose.withWaitStrategy(`app-${i}`, Wait.forHealthCheck());
      env = await compose
        .withEnvironment({ KINDRED_COOKIE: randomBytes(16).toString('hex'), KINDRED_TEST_IMAGE: APP_IMAGE })
        .up();
      for (let i = 1; i <= REPLICAS; i++) containers.push(env.getContainer(`app-${i}`));
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
      log(`testcontainers views: ${JSON.stringify(views)}`);
      const selves = views.map((v) => v.self);
      expect(new Set(selves).size).toBe(REPLICAS);
      for (const self of selves) expect(self).toMatch(/^app@\d+\.\d+\.\d+\.\d+$/);
      for (const v of views) expect([...v.nodes].sort()).toEqual(selves.filter((s) => s !== v.self).sort());
      await env.down({ timeout: 30_000, removeVolumes: true });
      env = undefined;
    });
  });

  // The mixed cluster: what deploy/kustomize/overlays/mixed-pod-ip does in Kubernetes, on Docker's DNS.
  describe("a mixed cluster with `docker compose`: kindred on Erlang's wire and an erl node (docker-compose.mixed.yml)", () => {
    const project = `kindred-mixed-${RUN_ID}`;
    const compose = (args: readonly string[]): Promise<string> =>
      docker(['compose', '-p', project, ...MIXED_FILES.flatMap((f) => ['-f', f]), ...args]);
    let ids: string[] = [];
    let erl = '';
    let erlNode = '';

    /** What dns_peer printed last: its node name, and the `nodes` line (erl's nodes()). */
    async function erlView(): Promise<{ self: string; nodes: string[]; lines: string[] }> {
      const lines = (await docker(['logs', erl])).split('\n').filter((l) => l.startsWith('dns_peer '));
      const self = /^dns_peer started ([^\s,]+)/.exec(
        lines.find((l) => l.startsWith('dns_peer started')) ?? '',
      )?.[1];
      const last = [...lines].reverse().find((l) => l.startsWith('dns_peer nodes')) ?? 'dns_peer nodes';
      return { self: self ?? '', nodes: last.split(' ').slice(2).filter(Boolean), lines };
    }

    afterAll(async () => {
      if (engine) await compose(['down', '--volumes', '--timeout', '30']);
    }, 120_000);

    it(`${MIXED_REPLICAS} kindred replicas and an erl node form one mesh: erl's nodes() lists every kindred node, every kindred node lists the erl node`, async () => {
      engine!.env.KINDRED_COOKIE = randomBytes(16).toString('hex');
      engine!.env.KINDRED_TEST_IMAGE = APP_IMAGE;
      engine!.env.KINDRED_TEST_ERLANG_IMAGE = ERLANG_IMAGE;
      await compose(['up', '--detach', '--wait']);
      ids = (await compose(['ps', '--quiet', 'app'])).split('\n').filter(Boolean);
      expect(ids).toHaveLength(MIXED_REPLICAS);
      erl = (await compose(['ps', '--quiet', 'erlang'])).trim();
      expect(erl).not.toBe('');
      const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
      let views: NodesView[] = [];
      let erlSide = await erlView();
      for (;;) {
        views = await Promise.all(ids.map(viewOf));
        erlSide = await erlView();
        const all = [...views.map((v) => v.self), erlSide.self];
        const whole =
          erlSide.self !== '' &&
          views.every((v) => all.every((n) => n === v.self || v.nodes.includes(n))) &&
          views.every((v) => erlSide.nodes.includes(v.self));
        if (whole || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      log(
        `mixed mesh: kindred ${JSON.stringify(views.map((v) => [v.self, v.nodes]))}; erl ${erlSide.self}: ${erlSide.nodes.join(' ')}`,
      );
      erlNode = erlSide.self;
      // One naming scheme on both sides: app@<container address>.
      for (const n of [erlNode, ...views.map((v) => v.self)]) expect(n).toMatch(/^app@\d+\.\d+\.\d+\.\d+$/);
      expect(new Set([erlNode, ...views.map((v) => v.self)]).size).toBe(MIXED_REPLICAS + 1);
      for (const v of views) {
        expect([...v.nodes].sort()).toEqual(
          [erlNode, ...views.map((w) => w.self).filter((s) => s !== v.self)].sort(),
        );
      }
      expect([...erlSide.nodes].sort()).toEqual(views.map((v) => v.self).sort());
    });

    it('killing a kindred replica: the erl node sees its nodedown and drops it from nodes()', async () => {
      const [victim = '', ...rest] = ids;
      const gone = (await viewOf(victim)).self;
      await docker(['kill', victim]);
      ids = rest;
      const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
      let erlSide = await erlView();
      const sawDown = (): boolean => erlSide.lines.some((l) => l.startsWith(`dns_peer nodedown ${gone} `));
      while ((!sawDown() || erlSide.nodes.includes(gone)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        erlSide = await erlView();
      }
      log(`after killing ${gone}: erl ${erlSide.self}: ${erlSide.nodes.join(' ')}`);
      expect(sawDown()).toBe(true);
      expect(erlSide.nodes).not.toContain(gone);
      expect(erlSide.nodes.length).toBe(ids.length);
    });

    it('stopping the erl container: every kindred node sees its nodedown and drops it from its nodes', async () => {
      expect(erlNode).not.toBe('');
      await docker(['stop', '--time', '10', erl]);
      const views = await converge(ids, (vs) =>
        vs.every(
          (v) =>
            !v.nodes.includes(erlNode) && v.events.some((e) => e.type === 'nodedown' && e.node === erlNode),
        ),
      );
      log(`after stopping ${erlNode}: ${JSON.stringify(views.map((v) => [v.self, v.nodes]))}`);
      for (const v of views) {
        expect(v.nodes).not.toContain(erlNode);
        expect(v.events.filter((e) => e.type === 'nodedown').map((e) => e.node)).toContain(erlNode);
        // The kindred replicas left still see each other.
        expect(v.nodes).toHaveLength(ids.length - 1);
      }
    });

    it('`docker compose down` removes its containers and network', async () => {
      await compose(['down', '--volumes', '--timeout', '30']);
      expect(
        await docker(['ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${project}`]),
      ).toBe('');
    });
  });

  describe('clean-up', () => {
    it('leaves no container, network or volume, removes its images, and the machine network is as it found it', async () => {
      const e = engine!;
      expect(
        await docker(['ps', '--all', '--quiet', '--filter', 'label=com.docker.compose.service=app']),
      ).toBe('');
      if (e.ours) {
        // The engine is the suite's own: nothing else may exist in it.
        expect(await docker(['ps', '--all', '--quiet'])).toBe('');
        expect(await docker(['volume', 'ls', '--quiet'])).toBe('');
        expect(
          (await docker(['network', 'ls', '--format', '{{.Name}}'])).split('\n').filter(Boolean).sort(),
        ).toEqual(['bridge', 'host', 'none']);
      }
      await docker(['rmi', APP_IMAGE, BASE_IMAGE, ERLANG_IMAGE, DEBIAN_IMAGE]);
      log('images removed; stopping the engine');
      await e.stop();
      const after = await networkView();
      expect(after).toEqual(e.before);
      if (e.ours) expect(existsSync(e.root)).toBe(false);
    });
  });
});
