import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KindredError } from '@kindred/dns';
import { isPort } from '@kindred/interface';
import { LAB_ERRORS } from './errors.js';

/** One zone BIND serves as primary. */
export interface DnsZone {
  /** Zone apex without trailing dot, e.g. `cluster.local`. */
  readonly origin: string;
  /** Zone file text (RFC 1035 master format) with one SOA record; its serial is managed by the server. */
  readonly text: string;
  /**
   * The zone is expected to fail to load (BIND then answers SERVFAIL for it): a fault-test fixture. Otherwise a
   * zone BIND rejects makes start/update fail with BIND's reason.
   */
  readonly expectLoadFailure?: boolean;
}

/** Where BIND listens (UDP and TCP). */
export interface DnsListen {
  /** IPv4 or IPv6 address, e.g. `127.0.0.1`, `::1`, or an address inside `netns`. */
  readonly address: string;
  /** Port; tests on loopback use a random high port, a lab namespace uses 53. */
  readonly port: number;
}

/** Options of {@link startDnsServer}. */
export interface DnsServerOptions {
  readonly zones: readonly DnsZone[];
  readonly listen: readonly DnsListen[];
  /** Run BIND inside this network namespace (`ip netns exec <netns> named ...`). */
  readonly netns?: string;
  /** How long to wait for BIND to start or to serve an update (default {@link DNS_SERVER_DEFAULTS.readyTimeoutMs}). */
  readonly readyTimeoutMs?: number;
  /**
   * Also serve an empty root zone, so names outside `zones` get an authoritative NXDOMAIN, as CoreDNS's upstream
   * (`forward . /etc/resolv.conf`) gives for a name like `_discovery._tcp.web-headless.` that the search list has
   * already tried. Without it BIND answers REFUSED for them. Default true.
   */
  readonly emptyRoot?: boolean;
  /** Log every query (BIND's `querylog`), readable through {@link DnsServer.queries}. Default false. */
  readonly queryLog?: boolean;
}

/** A running BIND 9. */
export interface DnsServer {
  /** Where it listens. */
  readonly listen: readonly DnsListen[];
  /** The serial each zone is currently served with. */
  readonly serials: ReadonlyMap<string, number>;
  /** Everything BIND has logged so far (it runs with -g: logs on stderr). */
  log(): string;
  /** The queries BIND has logged so far, oldest first (only with {@link DnsServerOptions.queryLog}). */
  queries(): { name: string; type: string }[];
  /**
   * Replaces zone contents: rewrites the zone files with a bumped SOA serial, sends SIGHUP, and resolves once every
   * zone that loaded is served with its new serial (a zone whose text BIND rejects is reported as an error).
   */
  update(zones: readonly DnsZone[]): Promise<void>;
  /** Kills BIND and removes its temporary directory. Idempotent. */
  stop(): Promise<void>;
}

/** Defaults of {@link startDnsServer}. */
export const DNS_SERVER_DEFAULTS = Object.freeze({
  /** Debian's BIND 9 (package bind9). */
  namedPath: '/usr/sbin/named',
  /** How long to wait for BIND to start or to serve an update. */
  readyTimeoutMs: 15_000,
  /** How often BIND's log and the served serials are checked while waiting. */
  pollIntervalMs: 50,
});

/**
 * Starts a real BIND 9 (`/usr/sbin/named -g`) as an authoritative-only server for `zones`: recursion off, and
 * `minimal-responses no` so the Additional section carries the A/AAAA of SRV targets, as CoreDNS does. Resolves when
 * every zone answers its SOA with the expected serial (zones BIND refuses to load answer SERVFAIL and are not waited
 * for). Rejects with KINDRED_ERR_LAB_DNS_SERVER (and BIND's log) if it does not come up.
 *
 * @example
 * const dns = await startDnsServer({ zones: [{ origin: 'cluster.local', text }], listen: [{ address: '127.0.0.1', port: 15353 }] });
 * try { ... } finally { await dns.stop(); }
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  checkOptions(options);
  const readyTimeoutMs = options.readyTimeoutMs ?? DNS_SERVER_DEFAULTS.readyTimeoutMs;
  const dir = await mkdtemp(join(tmpdir(), 'kindred-named-'));
  const serials = new Map<string, number>();
  const zoneFile = (origin: string) => join(dir, `${origin}.zone`);
  let fileStamp = Math.floor(Date.now() / 1000) - 60;
  let logText = '';
  let child: ChildProcess | undefined;
  let exited = false;

  const writeZones = async (zones: readonly DnsZone[]) => {
    // BIND skips a reload when the file's mtime is not newer than the last load, and mtimes have 1 s granularity:
    // give every write a strictly increasing mtime.
    fileStamp += 1;
    for (const zone of zones) {
      const serial = (serials.get(zone.origin) ?? 0) + 1;
      serials.set(zone.origin, serial);
      await writeFile(zoneFile(zone.origin), withSerial(zone.text, serial));
      await utimes(zoneFile(zone.origin), fileStamp, fileStamp);
    }
  };

  const stop = async () => {
    if (child !== undefined && !exited) {
      const done = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await done;
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await writeZones(options.zones);
    if (options.emptyRoot !== false) await writeFile(join(dir, 'root.zone'), ROOT_ZONE);
    await writeFile(
      join(dir, 'named.conf'),
      namedConf(dir, options.zones, options.listen, options.emptyRoot !== false, options.queryLog === true),
    );
    const argv = [DNS_SERVER_DEFAULTS.namedPath, '-g', '-n', '1', '-c', join(dir, 'named.conf')];
    const [cmd, ...args] =
      options.netns === undefined ? argv : ['ip', 'netns', 'exec', options.netns, ...argv];
    child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      logText += chunk;
    });
    child.on('exit', () => {
      exited = true;
    });
    child.on('error', (err) => {
      exited = true;
      logText += `\nspawn failed: ${err.message}`;
    });
    await waitFor(
      () => /\brunning\b/.test(logText),
      () => exited,
      readyTimeoutMs,
      'start',
      () => logText,
    );
    await waitServed(
      options,
      serials,
      readyTimeoutMs,
      () => logText,
      () => exited,
      0,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    listen: options.listen,
    serials,
    log: () => logText,
    queries: () =>
      [...logText.matchAll(/ query: (\S+) IN (\S+) /g)].map((m) => ({ name: m[1]!, type: m[2]! })),
    async update(zones) {
      for (const zone of zones) {
        if (!serials.has(zone.origin))
          throw labError(`update: zone ${zone.origin} was not configured at start`);
      }
      const logFrom = logText.length;
      await writeZones(zones);
      child?.kill('SIGHUP');
      await waitServed(
        { ...options, zones },
        serials,
        readyTimeoutMs,
        () => logText,
        () => exited,
        logFrom,
      );
    },
    stop,
  };
}

/**
 * A port free for both UDP and TCP on every one of `addresses` right now (the kernel's choice for the first, then
 * checked on the others), for a loopback BIND that must not collide with other tests on a shared machine.
 */
export async function freeDnsPort(addresses: readonly string[] = ['127.0.0.1']): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = createSocket(addresses[0]!.includes(':') ? 'udp6' : 'udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, addresses[0], () => resolve(udp.address().port));
    });
    udp.close();
    const ok = await Promise.all(addresses.map((a) => portFree(a, port))).then((all) => all.every(Boolean));
    if (ok) return port;
  }
  throw labError(`no free port for BIND on ${addresses.join(', ')} after 20 tries`);
}

async function portFree(address: string, port: number): Promise<boolean> {
  const tcpFree = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, address, () => server.close(() => resolve(true)));
  });
  if (!tcpFree) return false;
  return new Promise<boolean>((resolve) => {
    const udp = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    udp.once('error', () => {
      udp.close();
      resolve(false);
    });
    udp.bind(port, address, () => udp.close(() => resolve(true)));
  });
}

/** Replaces the serial (first number after the SOA's two names) of the zone's SOA record. */
function withSerial(text: string, serial: number): string {
  const soa = /(\bSOA\s+\S+\s+\S+\s+\(?\s*)(\d+)/i;
  if (!soa.test(text)) throw labError('zone text has no SOA record (needed to track reloads)');
  return text.replace(soa, `$1${serial}`);
}

/** An empty root zone: just what BIND needs to load it (SOA, NS and the NS's address). */
const ROOT_ZONE = `$TTL 30
. IN SOA ns.root.invalid. hostmaster.root.invalid. 1 7200 1800 86400 30
. IN NS ns.root.invalid.
ns.root.invalid. IN A 127.0.0.1
`;

function namedConf(
  dir: string,
  zones: readonly DnsZone[],
  listen: readonly DnsListen[],
  emptyRoot: boolean,
  queryLog: boolean,
): string {
  const v4 = listen.filter((l) => !l.address.includes(':'));
  const v6 = listen.filter((l) => l.address.includes(':'));
  const lines = [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  managed-keys-directory "${dir}";`,
    ...(v4.length === 0
      ? ['  listen-on { none; };']
      : v4.map((l) => `  listen-on port ${l.port} { ${l.address}; };`)),
    ...(v6.length === 0
      ? ['  listen-on-v6 { none; };']
      : v6.map((l) => `  listen-on-v6 port ${l.port} { ${l.address}; };`)),
    '  recursion no;',
    '  minimal-responses no;',
    // CoreDNS answers A records at `_port._proto.` names (the SRV-name quirk); BIND would reject them as bad names.
    '  check-names primary ignore;',
    // BIND 9.18.28+ caps an RRset at 100 records by default; a big headless service has more endpoints than that.
    '  max-records-per-type 0;',
    '  max-types-per-name 0;',
    '  allow-query { any; };',
    '  dnssec-validation no;',
    '  notify no;',
    ...(queryLog ? ['  querylog yes;'] : []),
    '};',
    'controls { };',
    ...zones.map((z) => `zone "${z.origin}" { type primary; file "${join(dir, `${z.origin}.zone`)}"; };`),
    ...(emptyRoot ? [`zone "." { type primary; file "${join(dir, 'root.zone')}"; };`] : []),
    '',
  ];
  return lines.join('\n');
}

/**
 * Waits until every zone answers SOA with its current serial. A zone BIND fails to load (logged after `logFrom`)
 * ends the wait: fine when the zone has `expectLoadFailure`, an error otherwise.
 */
async function waitServed(
  options: DnsServerOptions,
  serials: ReadonlyMap<string, number>,
  timeoutMs: number,
  log: () => string,
  exited: () => boolean,
  logFrom: number,
): Promise<void> {
  const target = options.listen[0]!;
  for (const zone of options.zones) {
    const serial = serials.get(zone.origin)!;
    const failed = new RegExp(
      `zone ${escapeRegExp(zone.origin)}/IN: (not loaded due to errors|loading from master file .* failed)`,
    );
    await waitFor(
      async () => {
        if (failed.test(log().slice(logFrom))) {
          if (zone.expectLoadFailure === true) return true;
          throw labError(`BIND could not load zone ${zone.origin}; named's log ends:\n${tail(log())}`);
        }
        return (await digSerial(options.netns, target, zone.origin)) === serial;
      },
      exited,
      timeoutMs,
      `serve ${zone.origin} serial ${serial}`,
      log,
    );
  }
}

/** The SOA serial `dig` gets from `target` (inside `netns` if given), or undefined. */
function digSerial(
  netns: string | undefined,
  target: DnsListen,
  origin: string,
): Promise<number | undefined> {
  const argv = [
    'dig',
    '+short',
    '+norec',
    '+time=1',
    '+tries=1',
    '-p',
    String(target.port),
    `@${target.address}`,
  ];
  argv.push(origin, 'SOA');
  const [cmd, ...args] = netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
  return new Promise((resolve) => {
    execFile(cmd!, args, { timeout: 3_000 }, (_err, stdout) => {
      const serial = Number(String(stdout).trim().split(/\s+/)[2]);
      resolve(Number.isInteger(serial) ? serial : undefined);
    });
  });
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  failed: () => boolean,
  timeoutMs: number,
  what: string,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (failed() || Date.now() > deadline) {
      throw labError(
        `BIND did not ${what} ${failed() ? '(named exited)' : `within ${timeoutMs} ms`}; named's log ends:\n${tail(log())}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, DNS_SERVER_DEFAULTS.pollIntervalMs));
  }
}

function tail(text: string): string {
  return text.split('\n').slice(-15).join('\n');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Validates {@link DnsServerOptions} before anything starts; KINDRED_ERR_LAB_BAD_OPTION names the option. */
function checkOptions(options: DnsServerOptions): void {
  const bad = (message: string) => new KindredError(LAB_ERRORS.LAB_BAD_OPTION, `startDnsServer: ${message}`);
  if (!Array.isArray(options?.zones) || options.zones.length === 0)
    throw bad('option zones needs at least one zone');
  for (const [i, zone] of options.zones.entries()) {
    if (
      typeof zone?.origin !== 'string' ||
      !/^[A-Za-z0-9_.-]+$/.test(zone.origin) ||
      zone.origin.endsWith('.')
    )
      throw bad(
        `option zones[${i}].origin must be a zone name without trailing dot, got ${JSON.stringify(zone?.origin)}`,
      );
    if (typeof zone.text !== 'string') throw bad(`option zones[${i}].text must be zone file text`);
  }
  if (new Set(options.zones.map((z) => z.origin)).size !== options.zones.length)
    throw bad('option zones has the same origin twice');
  if (!Array.isArray(options.listen) || options.listen.length === 0)
    throw bad('option listen needs at least one address');
  for (const [i, l] of options.listen.entries()) {
    if (isIP(l?.address ?? '') === 0)
      throw bad(
        `option listen[${i}].address must be an IPv4 or IPv6 address, got ${JSON.stringify(l?.address)}`,
      );
    if (!isPort(l.port)) throw bad(`option listen[${i}].port must be 1-65535, got ${String(l.port)}`);
  }
  const t = options.readyTimeoutMs;
  if (t !== undefined && (!Number.isInteger(t) || t <= 0))
    throw bad(`option readyTimeoutMs must be a positive integer, got ${String(t)}`);
}

function labError(message: string): KindredError {
  return new KindredError(LAB_ERRORS.LAB_DNS_SERVER, message);
}
