import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KindredError as DnsKindredError } from '@kindred/dns';
import { describe, expect, it } from 'vitest';
import * as identity from '../src/index.js';

describe('@kindred/node-identity public API', () => {
  it('exports the contract of docs/architecture.md', () => {
    const api = [
      identity.parseNodeName,
      identity.formatNodeName,
      identity.checkDialable,
      identity.namingModeOf,
      identity.resolveOwnName,
      identity.loadCookie,
    ];
    for (const fn of api) expect(typeof fn).toBe('function');
  });

  it('re-exports the one KindredError of @kindred/dns, so instanceof works across packages', () => {
    expect(identity.KindredError).toBe(DnsKindredError);
    let caught: unknown;
    try {
      identity.parseNodeName('nohost');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DnsKindredError);
    expect(identity.isKindredError(caught, 'KINDRED_ERR_NODE_NAME_NO_AT')).toBe(true);
  });

  it('exports its error codes in one frozen object, each listed as @kindred/node-identity in docs/errors.md', () => {
    expect(Object.isFrozen(identity.NODE_IDENTITY_ERRORS)).toBe(true);
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');
    for (const code of Object.values(identity.NODE_IDENTITY_ERRORS)) {
      const rows = doc.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`));
      expect(rows, code).toHaveLength(1);
      expect(rows[0]).toContain('| @kindred/node-identity |');
    }
  });

  it('keeps its defaults in frozen objects', () => {
    expect(Object.isFrozen(identity.NODE_IDENTITY_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(identity.NODE_IDENTITY_ENV)).toBe(true);
    expect(identity.NODE_IDENTITY_DEFAULTS).toMatchObject({
      hostsPath: '/etc/hosts',
      resolvConfPath: '/etc/resolv.conf',
      cookieFileName: '.kindred.cookie',
      cookieLength: 20,
      cookieFileMode: 0o400,
      maxNodeNameLength: 255,
    });
  });
});
