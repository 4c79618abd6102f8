// `npm run demo -- --ci` end to end: as root it runs the pod lab story (network namespaces, real BIND); `--local`
// is the story a user without root gets (3 local processes), checked by really running the demo as an unprivileged
// user (uid/gid 65534, 'nobody') in a user namespace (`unshare --user --map-user`): the demo runs without any
// capability (it cannot make network namespaces), while the files it reads keep the checkout owner's access, so the
// test passes from a clone only root can enter (`/root/kindred`). Needs root and the built dist/ (npm test builds).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO = `${root}scripts/demo.mjs`;

const NOBODY = 65_534;

function run(argv: string[], asNobody = false): Promise<{ code: number | null; out: string }> {
  const cmd = asNobody
    ? ['unshare', '--user', `--map-user=${NOBODY}`, `--map-group=${NOBODY}`, ...argv]
    : argv;
  return new Promise((resolve) => {
    const child = spawn(cmd[0] ?? '', cmd.slice(1), {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(asNobody ? { env: { ...process.env, HOME: '/tmp' } } : {}),
    });
    child.stdin.end();
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('scripts/demo.mjs --ci', () => {
  beforeAll(() => {
    if (process.getuid?.() !== 0) {
      throw new Error('this test needs root (the pod lab uses network namespaces): run npm test as root');
    }
  });

  it('as root: every step of the lab story happens and the page is served through the forward', async () => {
    const { code, out } = await run([process.execPath, DEMO, '--ci']);
    expect(out, out).toMatch(/^demo: 13 passed, 0 failed$/m);
    expect(code).toBe(0);
    for (const step of [
      'no node sees another',
      'doctor: enable endpoint_pod_names',
      'full mesh of 3',
      'all checks passed',
      'full mesh of 5',
      'nodedown',
      'recovered',
      // The mixed cluster: an erl pod on every app page, doctor's Erlang checks, nodedown of the erl pod everywhere.
      "full mesh of 3 on Erlang's wire",
      "is in every app's /nodes",
      'epmd, cookie and naming included',
      'recovered: full mesh of 4 with erlang-app-',
    ]) {
      expect(out).toContain(step);
    }
  }, 120_000);

  it('as root with --pod-ip: the cluster forms with CoreDNS as kind ships it, nodes named by pod IP', async () => {
    const { code, out } = await run([process.execPath, DEMO, '--ci', '--pod-ip']);
    expect(out, out).toMatch(/^demo: 10 passed, 0 failed$/m);
    expect(code).toBe(0);
    for (const step of [
      'full mesh of 3, named by pod IP',
      'full mesh of 5',
      'nodedown',
      'recovered',
      'A records like libcluster Kubernetes.DNS',
      'epmd, cookie and naming included',
      'recovered: full mesh of 4 with erlang-app-',
    ]) {
      expect(out).toContain(step);
    }
    expect(out).toMatch(/app@10\.244\.\d+\.\d+ sees app@10\.244\./);
  }, 120_000);

  it('without root: says so, then the story with 3 local processes and static discovery', async () => {
    const { code, out } = await run([process.execPath, DEMO, '--ci'], true);
    expect(out, out).toContain('not root, so no pod lab');
    expect(out).toContain('run as root (sudo npm run demo)');
    expect(out, out).toMatch(/^demo: 5 passed, 0 failed$/m);
    expect(code).toBe(0);
    for (const step of ['full mesh of 3', 'nodedown b@127.0.0.1', 'recovered']) expect(out).toContain(step);
  }, 60_000);
});
