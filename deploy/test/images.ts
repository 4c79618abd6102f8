// Images for the `docker` test project, built without a registry (none is reachable on the machines that run the
// tests): a Debian base from Debian's own packages (mmdebstrap), the machine's Node on top of it, and the app image
// from deploy/Dockerfile with that base as its NODE_IMAGE build argument.
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from './engine.ts';

/** The repository root, the build context of deploy/Dockerfile. */
export const REPO_ROOT = realpathSync(new URL('../..', import.meta.url));

/** The Debian mirror this machine's apt sources name (mmdebstrap fetches the base system from it). */
export function debianMirror(): string {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const m = /^URIs:\s*(\S+)/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s+main/m.exec(text);
    const uri = m?.[1];
    if (uri && !uri.includes('security')) return uri;
  }
  return 'http://deb.debian.org/debian';
}

/**
 * Builds `tag`: Debian 12 minbase from `mirror`, the machine's `node` and npm, the machine's CA bundle (a proxy may
 * re-sign HTTPS: npm inside a build step needs it), and a `node` user with uid 1000, like the official node images.
 * The root file system is made in a folder under `scratch`, removed after. With `debianTag`, the plain Debian image
 * under the Node one is kept with that tag (deploy/erlang's BASE_IMAGE), else it is removed.
 */
export async function buildNodeBase(
  env: NodeJS.ProcessEnv,
  tag: string,
  log: (l: string) => void,
  scratch: string = tmpdir(),
  debianTag?: string,
): Promise<void> {
  const dir = mkdtempSync(join(scratch, 'kindred-base-'));
  try {
    const debian = debianTag ?? `${tag}-debian`;
    log(`mmdebstrap bookworm from ${debianMirror()}`);
    const rootfs = join(dir, 'rootfs.tar');
    // TMPDIR: its chroot goes next to the tarball (the engine's tmpfs, when the suite started the engine).
    const mmEnv = { ...process.env, TMPDIR: dir };
    await run('mmdebstrap', ['--quiet', '--variant=minbase', 'bookworm', rootfs, debianMirror()], {
      env: mmEnv,
    });
    await run('docker', ['import', rootfs, debian], { env });
    rmSync(rootfs);
    const ctx = join(dir, 'ctx');
    const node = realpathSync(process.execPath);
    const npm = realpathSync(join(dirname(node), '..', 'lib', 'node_modules', 'npm'));
    cpSync(npm, join(ctx, 'npm'), { recursive: true });
    copyFileSync(node, join(ctx, 'node'));
    copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(ctx, 'ca-certificates.crt'));
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        `FROM ${debian}`,
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        'COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt',
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
        ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
        " && echo 'node:x:1000:1000::/home/node:/bin/sh' >> /etc/passwd \\",
        " && echo 'node:x:1000:' >> /etc/group \\",
        ' && mkdir -p /home/node && chown 1000:1000 /home/node',
        'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt',
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    await buildImage(env, ['-t', tag, ctx]);
    if (debianTag === undefined) await run('docker', ['rmi', debian], { env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `docker build ARGS` through BuildKit, which honours deploy/Dockerfile.dockerignore (the legacy builder ignores it
 * and would send node_modules). The Docker CLI builds with BuildKit through its buildx plugin; without it (Debian's
 * engine has none), Debian's own 20.10 client at /usr/bin/docker still has BuildKit built in.
 */
export async function buildImage(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<string> {
  let client = 'docker';
  try {
    await run('docker', ['buildx', 'version'], { env });
  } catch {
    if (existsSync('/usr/bin/docker')) client = '/usr/bin/docker';
  }
  return run(client, ['build', '--progress=plain', ...args], { env: { ...env, DOCKER_BUILDKIT: '1' } });
}

/** Builds deploy/Dockerfile as `tag` on `nodeImage`. */
export async function buildAppImage(env: NodeJS.ProcessEnv, tag: string, nodeImage: string): Promise<string> {
  return buildImage(env, [
    '-f',
    join(REPO_ROOT, 'deploy/Dockerfile'),
    '--build-arg',
    `NODE_IMAGE=${nodeImage}`,
    '-t',
    tag,
    REPO_ROOT,
  ]);
}

/**
 * Builds deploy/erlang/Dockerfile (erl from Debian's erlang-base, and dns_peer) as `tag` on `baseImage`, a plain
 * Debian 12 image (its apt sources name the mirror it was made from: the build installs erlang-base from there).
 */
export async function buildErlangImage(
  env: NodeJS.ProcessEnv,
  tag: string,
  baseImage: string,
): Promise<string> {
  return buildImage(env, [
    '--build-arg',
    `BASE_IMAGE=${baseImage}`,
    '-t',
    tag,
    join(REPO_ROOT, 'deploy/erlang'),
  ]);
}
