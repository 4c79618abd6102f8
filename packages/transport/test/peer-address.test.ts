import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  hostMatchesAddress,
  isAddressOfThisMachine,
  isLoopback,
  normalizeAddress,
  urlHost,
} from '../src/peer-address.js';

describe('peer addresses', () => {
  it('normalizes IPv4-mapped IPv6 and zones', () => {
    expect(normalizeAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeAddress('FE80::1%eth0')).toBe('fe80::1');
  });

  it('knows loopback and this machine', () => {
    expect(isLoopback('127.0.1.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    const own = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && !i.internal);
    if (own) expect(isAddressOfThisMachine(own.address)).toBe(true);
    expect(isAddressOfThisMachine('192.0.2.55')).toBe(false);
  });

  it('matches a host to the connection address, loopback to any local address', () => {
    expect(hostMatchesAddress(['10.244.1.2'], '::ffff:10.244.1.2')).toBe(true);
    expect(hostMatchesAddress(['10.244.1.2'], '10.244.1.3')).toBe(false);
    expect(hostMatchesAddress(['127.0.1.1'], '127.0.0.1')).toBe(true); // the seed: imacpro.home is 127.0.1.1
    expect(hostMatchesAddress(['192.0.2.1'], '127.0.0.1')).toBe(false);
    expect(hostMatchesAddress([], '127.0.0.1')).toBe(false);
  });

  it('brackets IPv6 for URLs', () => {
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('10.0.0.1')).toBe('10.0.0.1');
  });
});
