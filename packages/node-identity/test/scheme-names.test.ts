import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_IDENTITY_ERRORS } from '../src/errors.js';
import type { ResolveOwnNameOptions } from '../src/own-name.js';
import { resolveSchemeNames } from '../src/scheme-names.js';

// A pod web-0 of a Deployment with `subdomain: web`, as kubelet writes its files.
let dir: string;
const paths = { hosts: '', resolv: '', plainHosts: '' };
const FQDN = 'web-0.web.default.svc.cluster.local';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kindred-scheme-names-'));
  paths.hosts = join(dir, 'hosts');
  paths.resolv = join(dir, 'resolv.conf');
  paths.plainHosts = join(dir, 'hosts.plain');
  await writeFile(paths.hosts, `127.0.0.1\tlocalhost\n10.244.1.5\t${FQDN}\tweb-0\n`);
  await writeFile(paths.resolv, 'search default.svc.cluster.local svc.cluster.local cluster.local\n');
  await writeFile(paths.plainHosts, '127.0.0.1\tlocalhost\n127.0.1.1\tbox\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const inPod = (
  env: NodeJS.ProcessEnv,
  extra: Partial<ResolveOwnNameOptions> = {},
): ResolveOwnNameOptions => ({
  name: 'app',
  hostname: 'web-0',
  hostsPath: paths.hosts,
  resolvConfPath: paths.resolv,
  env,
  ...extra,
});

describe('resolveSchemeNames', () => {
  it('fqdn in use: the own name, and the name POD_IP would give', async () => {
    const r = await resolveSchemeNames(inPod({ POD_IP: '10.244.1.5' }));
    expect(r.scheme).toBe('fqdn');
    expect(r.own.node).toBe(`app@${FQDN}`);
    expect(r.fqdn).toMatchObject({ ok: true, node: `app@${FQDN}` });
    expect(r['pod-ip']).toMatchObject({ ok: true, node: 'app@10.244.1.5', host: '10.244.1.5' });
  });

  it('pod-ip in use (KINDRED_HOST=$(POD_IP) or KINDRED_NAMING=pod-ip): the FQDN as hostname -f finds it', async () => {
    for (const env of [
      { KINDRED_HOST: '10.244.1.5', POD_IP: '10.244.1.5' },
      { KINDRED_NAMING: 'pod-ip', POD_IP: '10.244.1.5' },
    ]) {
      const r = await resolveSchemeNames(inPod(env));
      expect(r.scheme).toBe('pod-ip');
      expect(r.own.node).toBe('app@10.244.1.5');
      expect(r['pod-ip']).toMatchObject({ ok: true, node: 'app@10.244.1.5' });
      expect(r.fqdn).toMatchObject({ ok: true, node: `app@${FQDN}`, host: FQDN });
    }
  });

  it('keeps the basename of a whole name and of an Elixir release', async () => {
    const r = await resolveSchemeNames({
      ...inPod({ RELEASE_NODE: 'shop@10.244.1.5' }),
      name: undefined,
    } as ResolveOwnNameOptions);
    expect(r.own).toMatchObject({ node: 'shop@10.244.1.5', source: 'release' });
    expect(r.fqdn).toMatchObject({ ok: true, node: `shop@${FQDN}` });
  });

  it('a scheme that gives no name here carries its coded error', async () => {
    const r = await resolveSchemeNames(
      inPod(
        { KINDRED_NAMING: 'pod-ip', POD_IP: '10.0.0.9' },
        {
          hostname: 'box',
          hostsPath: paths.plainHosts,
        },
      ),
    );
    expect(r.own.node).toBe('app@10.0.0.9');
    expect(r.fqdn.ok).toBe(false);
    if (!r.fqdn.ok) expect(r.fqdn.error.code).toBe(NODE_IDENTITY_ERRORS.ILLEGAL_OWN_NAME);
    const noIp = await resolveSchemeNames(inPod({}));
    expect(noIp['pod-ip'].ok).toBe(false);
    if (!noIp['pod-ip'].ok) expect(noIp['pod-ip'].error.code).toBe(NODE_IDENTITY_ERRORS.POD_IP);
  });

  it('short names follow neither scheme', async () => {
    const r = await resolveSchemeNames({
      ...inPod({}),
      name: undefined,
      sname: 'app',
    } as ResolveOwnNameOptions);
    expect(r.scheme).toBeUndefined();
    expect(r.own.node).toBe('app@web-0');
    expect(r.fqdn).toMatchObject({ ok: true, node: `app@${FQDN}` });
  });
});
