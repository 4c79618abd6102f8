import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { DNS_DEFAULTS } from './defaults.js';
import { KindredError } from './errors.js';

/** One DNS server to query: an IPv4 or IPv6 address and a UDP/TCP port. */
export interface Nameserver {
  /** IPv4 or IPv6 address, without brackets (an IPv6 zone id like `%eth0` is kept). */
  readonly address: string;
  /** Port, 53 unless overridden. */
  readonly port: number;
}

/** What glibc's resolver takes from /etc/resolv.conf, after applying its defaults and limits. */
export interface ResolvConf {
  /** Up to {@link RESOLV_CONF_LIMITS.maxNameservers} servers, in file order; 127.0.0.1:53 when the file names none. */
  readonly nameservers: readonly Nameserver[];
  /** The search list: the last `search` or `domain` line wins; `domain x` means a search list of `[x]`. */
  readonly search: readonly string[];
  /** `options ndots:n`: names with fewer dots than this try the search list first. glibc default 1, max 15. */
  readonly ndots: number;
  /** `options timeout:n` in milliseconds (the file gives seconds). glibc default 5 s, max 30 s. */
  readonly timeoutMs: number;
  /** `options attempts:n`: rounds over the server list. glibc default 2, max 5. */
  readonly attempts: number;
  /** `options rotate`: start each query at the next server instead of the first. */
  readonly rotate: boolean;
  /** Every other `options` word, verbatim (`edns0`, `single-request`, `use-vc`, ...), for diagnostics. */
  readonly otherOptions: readonly string[];
}

/** glibc's limits for resolv.conf (resolv/resolv.h); its defaults are in {@link DNS_DEFAULTS}. */
export const RESOLV_CONF_LIMITS = Object.freeze({
  /** MAXNS: nameserver lines after the third are ignored. */
  maxNameservers: 3,
  /** RES_MAXNDOTS. */
  maxNdots: 15,
  /** RES_MAXRETRANS, in seconds. */
  maxTimeoutSeconds: 30,
  /** RES_MAXRETRY. */
  maxAttempts: 5,
});

/** Options for {@link parseResolvConf}. */
export interface ParseResolvConfOptions {
  /**
   * The local hostname. Like glibc, when the file has neither `search` nor `domain`, the search list is the part of
   * the hostname after its first dot (if any). Omit to leave the search list empty in that case.
   */
  readonly hostname?: string;
}

/**
 * Parses resolv.conf text the way glibc's `res_init` does: `nameserver` (up to three, invalid addresses skipped),
 * `search`/`domain` (the last one wins), `options ndots: timeout: attempts: rotate` (values clamped to glibc's limits).
 * Lines starting with `#` or `;` are comments; unknown keywords are ignored. Never throws: glibc never refuses a file.
 *
 * @example
 * parseResolvConf('search ns.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n')
 * // { nameservers: [{ address: '10.96.0.10', port: 53 }], search: ['ns.svc.cluster.local', 'svc.cluster.local'],
 * //   ndots: 5, timeoutMs: 5000, attempts: 2, rotate: false, otherOptions: [] }
 */
export function parseResolvConf(text: string, options: ParseResolvConfOptions = {}): ResolvConf {
  const nameservers: Nameserver[] = [];
  let search: string[] | undefined;
  let ndots: number = DNS_DEFAULTS.ndots;
  let timeoutSeconds: number = DNS_DEFAULTS.timeoutMs / 1000;
  let attempts: number = DNS_DEFAULTS.attempts;
  let rotate = false;
  const otherOptions: string[] = [];

  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const words = line.split(/[ \t]+/);
    const keyword = words[0];
    const args = words.slice(1);
    switch (keyword) {
      case 'nameserver': {
        const address = args[0];
        if (address === undefined || nameservers.length >= RESOLV_CONF_LIMITS.maxNameservers) break;
        // glibc accepts an IPv6 zone id (fe80::1%eth0); isIP does not, so check the part before '%'.
        const bare = address.split('%')[0] ?? '';
        if (isIP(bare) === 0) break;
        nameservers.push({ address, port: DNS_DEFAULTS.port });
        break;
      }
      case 'domain':
        search = args[0] === undefined ? [] : [stripTrailingDot(args[0])];
        break;
      case 'search':
        search = args.filter((w) => w !== '').map(stripTrailingDot);
        break;
      case 'options':
        for (const opt of args) {
          const applied = applyOption(opt);
          if (applied === undefined) {
            if (opt !== '') otherOptions.push(opt);
            continue;
          }
          if (applied.ndots !== undefined) ndots = applied.ndots;
          if (applied.timeoutSeconds !== undefined) timeoutSeconds = applied.timeoutSeconds;
          if (applied.attempts !== undefined) attempts = applied.attempts;
          if (applied.rotate) rotate = true;
        }
        break;
      default:
        break;
    }
  }

  if (search === undefined) {
    const dot = options.hostname?.indexOf('.') ?? -1;
    search = dot > 0 && options.hostname !== undefined ? [options.hostname.slice(dot + 1)] : [];
  }
  return {
    nameservers: nameservers.length > 0 ? nameservers : [{ address: '127.0.0.1', port: DNS_DEFAULTS.port }],
    search: search.filter((d) => d !== '' && d !== '.'),
    ndots,
    timeoutMs: timeoutSeconds * 1000,
    attempts,
    rotate,
    otherOptions,
  };
}

function applyOption(
  opt: string,
): { ndots?: number; timeoutSeconds?: number; attempts?: number; rotate?: boolean } | undefined {
  if (opt === 'rotate') return { rotate: true };
  const match = /^(ndots|timeout|attempts):(\d+)$/.exec(opt);
  if (match === null) return undefined;
  const value = Number.parseInt(match[2] ?? '0', 10);
  switch (match[1]) {
    case 'ndots':
      return { ndots: Math.min(value, RESOLV_CONF_LIMITS.maxNdots) };
    case 'timeout':
      // glibc keeps timeout:0 but send_dg then waits 1 s anyway (`if (seconds <= 0) seconds = 1`).
      return { timeoutSeconds: Math.max(1, Math.min(value, RESOLV_CONF_LIMITS.maxTimeoutSeconds)) };
    default:
      // attempts:0 would make glibc send nothing at all; we send at least one round.
      return { attempts: Math.max(1, Math.min(value, RESOLV_CONF_LIMITS.maxAttempts)) };
  }
}

function stripTrailingDot(name: string): string {
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * Reads and parses a resolv.conf file (default /etc/resolv.conf). A missing file gives glibc's defaults (server
 * 127.0.0.1, empty search list). Any other read error throws `KINDRED_ERR_DNS_BAD_CONFIG`.
 */
export async function readResolvConf(
  path: string = DNS_DEFAULTS.resolvConfPath,
  options: ParseResolvConfOptions = {},
): Promise<ResolvConf> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new KindredError(
        'KINDRED_ERR_DNS_BAD_CONFIG',
        `cannot read resolver configuration ${path}: ${(err as Error).message}; check the file's permissions`,
        { cause: err, details: { path } },
      );
    }
  }
  return parseResolvConf(text, options);
}
