import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportFailure } from '../../src/command.js';
import { createWhoamiCommand } from '../../src/commands/whoami.js';
import { main } from '../../src/main.js';
import { captureIO } from '../support.js';

let dir: string;
let deps: { hostname: string; hostsPath: string; resolvConfPath: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kindred-whoami-'));
  deps = { hostname: 'web-0', hostsPath: join(dir, 'hosts'), resolvConfPath: join(dir, 'resolv.conf') };
  await writeFile(
    deps.hostsPath,
    '127.0.0.1\tlocalhost\n10.244.1.5\tweb-0.web.default.svc.cluster.local\tweb-0\n127.0.1.1\tbox\n',
  );
  await writeFile(deps.resolvConfPath, 'search default.svc.cluster.local svc.cluster.local cluster.local\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function whoami(argv: string[], env: NodeJS.ProcessEnv = {}, extra: Partial<typeof deps> = {}) {
  const io = captureIO(env);
  const command = createWhoamiCommand({ ...deps, ...extra });
  // Through main's error handling, as the real binary runs it.
  let code: number;
  try {
    code = await command.run(argv, io);
  } catch (e) {
    code = reportFailure(io, 'whoami', e);
  }
  return { code, out: io.out(), err: io.err() };
}

describe('kindred whoami', () => {
  it('--json prints exactly node, name, host, mode, source', async () => {
    const r = await whoami(['--name', 'app', '--json']);
    expect(r.code).toBe(0);
    expect(r.out.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['node', 'name', 'host', 'mode', 'source']);
    expect(parsed).toEqual({
      node: 'app@web-0.web.default.svc.cluster.local',
      name: 'app',
      host: 'web-0.web.default.svc.cluster.local',
      mode: 'longnames',
      source: 'hosts',
    });
  });

  it('prints a readable block without --json, saying where the host came from', async () => {
    const r = await whoami(['--sname', 'app']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('node    app@web-0\n');
    expect(r.out).toContain('mode    shortnames\n');
    expect(r.out).toMatch(/source {2}hostname: the hostname "web-0" up to its first dot/);
  });

  it('uses KINDRED_NODE_NAME and the Kubernetes variables', async () => {
    expect(JSON.parse((await whoami(['--json'], { KINDRED_NODE_NAME: 'svc@10.0.0.7' })).out)).toMatchObject({
      node: 'svc@10.0.0.7',
      source: 'env',
    });
    const env = { POD_NAME: 'web-7f9c-abcde', POD_NAMESPACE: 'default', KINDRED_SUBDOMAIN: 'web' };
    expect(JSON.parse((await whoami(['--name', 'app', '--json'], env)).out)).toMatchObject({
      node: 'app@web-7f9c-abcde.web.default.svc.cluster.local',
      source: 'kubernetes',
    });
  });

  it('exits 2 with a hint on both flags, neither flag, or an unknown option', async () => {
    for (const argv of [['--name', 'a', '--sname', 'b'], [], ['--bogus']]) {
      const r = await whoami(argv);
      expect(r.code).toBe(2);
      expect(r.err).toContain("Run 'kindred whoami --help' for usage.");
    }
  });

  it('exits 1 with the code and what to do when no legal name exists, without a stack trace', async () => {
    const r = await whoami(['--name', 'app'], {}, { hostname: 'box' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^kindred whoami: Can't set long node name!.*\(KINDRED_ERR_ILLEGAL_OWN_NAME\)\n$/s);
    expect(r.err).toContain('--sname');
    expect(r.err).not.toContain('    at ');
    const bad = await whoami(['--name', 'a.b']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('Invalid node name!');
  });

  it('shows both naming schemes: the name in use and the one the other scheme gives', async () => {
    const fqdn = await whoami(['--name', 'app'], { POD_IP: '10.244.1.5' });
    expect(fqdn.code).toBe(0);
    expect(fqdn.out).toContain('scheme  fqdn\n');
    expect(fqdn.out).toContain('fqdn    app@web-0.web.default.svc.cluster.local (in use): ');
    expect(fqdn.out).toMatch(/pod-ip {2}app@10\.244\.1\.5: libcluster's Kubernetes\.DNS and dns_cluster/);

    const podIp = await whoami(['--name', 'app'], { KINDRED_HOST: '10.244.1.5', POD_IP: '10.244.1.5' });
    expect(podIp.out).toContain('node    app@10.244.1.5\n');
    expect(podIp.out).toContain('scheme  pod-ip\n');
    expect(podIp.out).toContain('pod-ip  app@10.244.1.5 (in use)');
    expect(podIp.out).toMatch(
      /fqdn {4}app@web-0\.web\.default\.svc\.cluster\.local: libcluster's Kubernetes\.DNSSRV/,
    );

    const noIp = await whoami(['--name', 'app']);
    expect(noIp.out).toMatch(/pod-ip {2}none here: .*POD_IP.*\(KINDRED_ERR_POD_IP\)/);
  });

  it('--json --schemes adds the scheme and both names; --schemes alone is a usage error', async () => {
    const r = await whoami(['--json', '--schemes'], {
      KINDRED_NAMING: 'pod-ip',
      POD_IP: '10.244.1.5',
      RELEASE_NAME: 'shop',
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      node: 'shop@10.244.1.5',
      name: 'shop',
      host: '10.244.1.5',
      mode: 'longnames',
      source: 'pod-ip',
      scheme: 'pod-ip',
      schemes: {
        fqdn: {
          node: 'shop@web-0.web.default.svc.cluster.local',
          host: 'web-0.web.default.svc.cluster.local',
        },
        'pod-ip': { node: 'shop@10.244.1.5', host: '10.244.1.5' },
      },
    });
    const noIp = JSON.parse((await whoami(['--name', 'app', '--json', '--schemes'])).out) as {
      schemes: Record<string, { error?: { code: string } }>;
    };
    expect(noIp.schemes['pod-ip']?.error?.code).toBe('KINDRED_ERR_POD_IP');
    expect((await whoami(['--name', 'app', '--schemes'])).code).toBe(2);
  });

  it('a bad KINDRED_NAMING exits 1 with its code', async () => {
    const r = await whoami(['--name', 'app'], { KINDRED_NAMING: 'ip' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('KINDRED_ERR_NAMING_SCHEME');
  });

  it('is registered: kindred whoami --help documents the options and exit codes', async () => {
    const io = captureIO();
    expect(await main(['whoami', '--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: kindred whoami [--name BASE | --sname BASE] [--json]');
    expect(io.out()).toContain('Exit codes:');
    const top = captureIO();
    await main(['--help'], top);
    expect(top.out()).toContain('whoami');
  });
});
