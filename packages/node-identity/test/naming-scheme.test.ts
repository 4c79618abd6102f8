import { describe, expect, it } from 'vitest';
import { NODE_IDENTITY_ERRORS } from '../src/errors.js';
import {
  hostOverrideFromEnv,
  NAMING_SCHEMES,
  namingSchemeFromEnv,
  namingSchemeOf,
  podIpFromEnv,
  releaseNameFromEnv,
} from '../src/naming-scheme.js';

function thrown(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

describe('namingSchemeFromEnv', () => {
  it('is fqdn when KINDRED_NAMING is unset or empty, else the value named', () => {
    expect(NAMING_SCHEMES).toEqual(['fqdn', 'pod-ip']);
    expect(namingSchemeFromEnv({})).toBe('fqdn');
    expect(namingSchemeFromEnv({ KINDRED_NAMING: '' })).toBe('fqdn');
    expect(namingSchemeFromEnv({ KINDRED_NAMING: 'pod-ip' })).toBe('pod-ip');
    expect(namingSchemeFromEnv({ KINDRED_NAMING: 'fqdn' })).toBe('fqdn');
  });

  it('refuses anything else with KINDRED_ERR_NAMING_SCHEME naming both values', () => {
    const err = thrown(() => namingSchemeFromEnv({ KINDRED_NAMING: 'ip' }));
    expect(err.code).toBe(NODE_IDENTITY_ERRORS.NAMING_SCHEME);
    expect(err.message).toContain('KINDRED_NAMING must be fqdn');
    expect(err.message).toContain('pod-ip');
  });
});

describe('podIpFromEnv', () => {
  it('takes POD_IP when it is an IP literal (v4 or v6)', () => {
    expect(podIpFromEnv({ POD_IP: '10.244.1.5' })).toBe('10.244.1.5');
    expect(podIpFromEnv({ POD_IP: 'fd00::5' })).toBe('fd00::5');
  });

  it('says how to set it from the downward API when missing or not an address', () => {
    for (const env of [{}, { POD_IP: '' }, { POD_IP: 'web-0' }]) {
      const err = thrown(() => podIpFromEnv(env));
      expect(err.code).toBe(NODE_IDENTITY_ERRORS.POD_IP);
      expect(err.message).toContain('fieldPath: status.podIP');
    }
  });
});

describe('namingSchemeOf', () => {
  it('is pod-ip for an IP host, fqdn for other long names, undefined for short names', () => {
    expect(namingSchemeOf({ host: '10.0.0.5', mode: 'longnames' })).toBe('pod-ip');
    expect(namingSchemeOf({ host: 'fd00::5', mode: 'longnames' })).toBe('pod-ip');
    expect(namingSchemeOf({ host: 'web-0.web.default.svc.cluster.local', mode: 'longnames' })).toBe('fqdn');
    expect(namingSchemeOf({ host: 'web-0', mode: 'shortnames' })).toBeUndefined();
  });
});

describe('hostOverrideFromEnv', () => {
  it('is undefined when no variable chooses the host', () => {
    expect(hostOverrideFromEnv({})).toBeUndefined();
    expect(
      hostOverrideFromEnv({ KINDRED_HOST: '', KINDRED_NAMING: 'fqdn', POD_IP: '10.0.0.5' }),
    ).toBeUndefined();
  });

  it('takes KINDRED_HOST as given, before KINDRED_NAMING (deploy pod-ip overlay: KINDRED_HOST=$(POD_IP))', () => {
    expect(hostOverrideFromEnv({ KINDRED_HOST: '10.0.0.5' })).toEqual({
      host: '10.0.0.5',
      source: 'kindred-host',
      detail: 'from KINDRED_HOST',
    });
    expect(
      hostOverrideFromEnv({ KINDRED_HOST: 'web.example', KINDRED_NAMING: 'pod-ip', POD_IP: '10.0.0.5' })
        ?.host,
    ).toBe('web.example');
  });

  it('KINDRED_HOST=ip is the first non-internal IPv4 of the given addresses', () => {
    expect(hostOverrideFromEnv({ KINDRED_HOST: 'ip' }, ['fd00::1', '172.18.0.3'])?.host).toBe('172.18.0.3');
    expect(thrown(() => hostOverrideFromEnv({ KINDRED_HOST: 'ip' }, ['fd00::1'])).code).toBe(
      NODE_IDENTITY_ERRORS.POD_IP,
    );
  });

  it('refuses a KINDRED_HOST that is no host part', () => {
    const err = thrown(() => hostOverrideFromEnv({ KINDRED_HOST: 'a@b' }));
    expect(err.code).toBe(NODE_IDENTITY_ERRORS.NODE_NAME_INVALID_HOST);
    expect(err.message).toContain('KINDRED_HOST');
  });

  it('KINDRED_NAMING=pod-ip takes POD_IP, and fails coded without it', () => {
    expect(hostOverrideFromEnv({ KINDRED_NAMING: 'pod-ip', POD_IP: '10.0.0.5' })).toMatchObject({
      host: '10.0.0.5',
      source: 'pod-ip',
    });
    expect(thrown(() => hostOverrideFromEnv({ KINDRED_NAMING: 'pod-ip' })).code).toBe(
      NODE_IDENTITY_ERRORS.POD_IP,
    );
  });
});

describe('releaseNameFromEnv', () => {
  it("reads an Elixir release's RELEASE_NODE (whole or base), else RELEASE_NAME", () => {
    expect(releaseNameFromEnv({})).toBeUndefined();
    expect(releaseNameFromEnv({ RELEASE_NODE: 'shop@10.0.0.5' })).toEqual({
      node: 'shop@10.0.0.5',
      mode: 'longnames',
      variable: 'RELEASE_NODE',
    });
    expect(releaseNameFromEnv({ RELEASE_NODE: 'shop', RELEASE_NAME: 'other' })).toEqual({
      base: 'shop',
      mode: 'longnames',
      variable: 'RELEASE_NODE',
    });
    expect(releaseNameFromEnv({ RELEASE_NODE: 'shop@' })?.base).toBe('shop');
    expect(releaseNameFromEnv({ RELEASE_NAME: 'shop', RELEASE_DISTRIBUTION: 'sname' })).toEqual({
      base: 'shop',
      mode: 'shortnames',
      variable: 'RELEASE_NAME',
    });
  });
});
