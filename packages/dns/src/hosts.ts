import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { DNS_DEFAULTS } from './defaults.js';
import { KindredError } from './errors.js';

/** One line of a hosts file: an address, its canonical name and its aliases. */
export interface HostsEntry {
  /** IPv4 or IPv6 address, as written. */
  readonly address: string;
  /** The first name on the line: what getaddrinfo's AI_CANONNAME (and so `hostname -f`) reports. */
  readonly canonical: string;
  /** The other names on the line. */
  readonly aliases: readonly string[];
}

/**
 * Parses hosts-file text the way glibc's `files` module does: `#` starts a comment anywhere on a line, fields are
 * separated by spaces or tabs, a line needs an address and at least one name, and lines whose address is not an IPv4
 * or IPv6 literal are skipped. Never throws.
 *
 * @example
 * parseHosts('127.0.0.1\tlocalhost\n10.244.1.5\tweb-0.web.default.svc.cluster.local\tweb-0\n')
 * // [{ address: '127.0.0.1', canonical: 'localhost', aliases: [] },
 * //  { address: '10.244.1.5', canonical: 'web-0.web.default.svc.cluster.local', aliases: ['web-0'] }]
 */
export function parseHosts(text: string): HostsEntry[] {
  const entries: HostsEntry[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const hash = rawLine.indexOf('#');
    const line = (hash === -1 ? rawLine : rawLine.slice(0, hash)).trim();
    if (line === '') continue;
    const [address, canonical, ...aliases] = line.split(/[ \t]+/);
    if (address === undefined || canonical === undefined) continue;
    if (isIP(address.split('%')[0] ?? '') === 0) continue;
    entries.push({ address, canonical, aliases });
  }
  return entries;
}

/**
 * The entries whose canonical name or an alias equals `name` (case-insensitive, a trailing dot ignored), in file
 * order, optionally only one address family. This is what getaddrinfo's `files` step returns; the first entry's
 * canonical name is the canonical name.
 */
export function findHostsEntries(
  entries: readonly HostsEntry[],
  name: string,
  family: 0 | 4 | 6 = 0,
): HostsEntry[] {
  const wanted = normalizeName(name);
  return entries.filter((e) => {
    if (family !== 0 && isIP(e.address.split('%')[0] ?? '') !== family) return false;
    return normalizeName(e.canonical) === wanted || e.aliases.some((a) => normalizeName(a) === wanted);
  });
}

function normalizeName(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

/**
 * Reads and parses a hosts file (default /etc/hosts). A missing file is an empty list, as for glibc; any other read
 * error throws `KINDRED_ERR_DNS_BAD_CONFIG`.
 */
export async function readHosts(path: string = DNS_DEFAULTS.hostsPath): Promise<HostsEntry[]> {
  try {
    return parseHosts(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new KindredError(
      'KINDRED_ERR_DNS_BAD_CONFIG',
      `cannot read hosts file ${path}: ${(err as Error).message}; check the file's permissions`,
      { cause: err, details: { path } },
    );
  }
}
