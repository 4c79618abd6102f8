import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Strips the IPv4-mapped prefix (`::ffff:10.0.0.1` -> `10.0.0.1`) and zone, and lowercases IPv6. */
export function normalizeAddress(address: string): string {
  let a = address.toLowerCase();
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  return a;
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(address: string): boolean {
  const a = normalizeAddress(address);
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/** True when `address` belongs to this machine: a loopback address or one of os.networkInterfaces(). */
export function isAddressOfThisMachine(address: string): boolean {
  const a = normalizeAddress(address);
  if (isLoopback(a)) return true;
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (normalizeAddress(info.address) === a) return true;
  }
  return false;
}

/**
 * kindred's host check: does the host the initiator claims (resolved to `resolved`) account for the address the
 * connection came from? Yes when the remote address is one of them; for a loopback connection, also when the host
 * resolves to an address of this machine (a node on the same machine dialing through loopback).
 */
export function hostMatchesAddress(resolved: readonly string[], remoteAddress: string): boolean {
  const remote = normalizeAddress(remoteAddress);
  const addresses = resolved.map(normalizeAddress);
  if (addresses.includes(remote)) return true;
  if (isLoopback(remote)) return addresses.some(isAddressOfThisMachine);
  return false;
}

/** Formats an address for a URL (brackets around IPv6). */
export function urlHost(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}
