import { isIP } from 'node:net';
import { isPort } from '@kindred/interface';
import { DNS_DEFAULTS } from './defaults.js';
import { badConfig } from './failures.js';
import type { Nameserver } from './resolv-conf.js';

/** `address:port` for IPv4, `[address]:port` for IPv6. */
export function formatServer(server: Nameserver): string {
  return server.address.includes(':')
    ? `[${server.address}]:${server.port}`
    : `${server.address}:${server.port}`;
}

/**
 * Parses `10.0.0.1`, `10.0.0.1:5353`, `::1`, `[::1]:5353` into a {@link Nameserver} (port 53 when absent).
 * Throws KINDRED_ERR_DNS_BAD_CONFIG naming `what` on anything else.
 */
export function parseNameserver(text: string, what = 'nameserver'): Nameserver {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket !== null)
    return checkNameserver({ address: bracket[1]!, port: portOf(bracket[2], what) }, what);
  if (isIP(text.split('%')[0] ?? '') !== 0) return checkNameserver({ address: text }, what);
  const hostPort = /^([^:]+):(\d+)$/.exec(text);
  if (hostPort !== null)
    return checkNameserver({ address: hostPort[1]!, port: portOf(hostPort[2], what) }, what);
  throw badConfig(`${what}: "${text}" is not an IP address, ADDR:PORT or [IPv6]:PORT`);
}

function portOf(text: string | undefined, what: string): number {
  if (text === undefined) return DNS_DEFAULTS.port;
  const port = Number(text);
  if (!isPort(port)) throw badConfig(`${what}: port ${text} is not 1-65535`);
  return port;
}

/** A nameserver given as an object: its address must be an IP address, its port 1-65535 (53 when absent). */
export function checkNameserver(n: { address: string; port?: number }, what: string): Nameserver {
  if (typeof n.address !== 'string' || isIP(n.address.split('%')[0] ?? '') === 0) {
    throw badConfig(`${what}: "${String(n.address)}" is not an IPv4 or IPv6 address`);
  }
  const port = n.port ?? DNS_DEFAULTS.port;
  if (!isPort(port)) throw badConfig(`${what}: port ${port} is not 1-65535`);
  return { address: n.address, port };
}
