import { isIP } from 'node:net';
import { isPort } from '@kindred/interface';
import { isValidNamePart } from '@kindred/node-identity';
import { KindredError } from '@kindred/runtime';
import { APP_DEFAULTS } from './defaults.js';

/** The app's configuration, read from the environment by {@link loadConfig}. */
export interface AppConfig {
  /** Base of the node name (KINDRED_NAME). */
  readonly name: string;
  /**
   * Host part of the node name (KINDRED_HOST). Undefined: this host's FQDN, as `hostname -f` prints it (the pod's
   * `<pod>.<subdomain>.<ns>.svc.cluster.local`). `ip`: this machine's first non-internal IPv4 address (Docker
   * compose, where containers have no FQDN). Anything else is used as given (an FQDN or an IP literal).
   */
  readonly host: string | undefined;
  /** Cluster cookie (KINDRED_COOKIE); undefined lets node-identity look for ~/.erlang.cookie. */
  readonly cookie: string | undefined;
  /** Port peers dial (KINDRED_PORT). */
  readonly kindredPort: number;
  /** Discovery spec (KINDRED_DISCOVERY): `dns-srv:QUERY`, `dns-a:QUERY` or `static:NODE@HOST:PORT,...`. */
  readonly discovery: string;
  /** Discovery poll interval (KINDRED_POLL_INTERVAL_MS). */
  readonly pollIntervalMs: number;
  /** Erlang's net_ticktime for the transport (KINDRED_TICKTIME_MS): a silent peer is dropped after about this long. */
  readonly ticktimeMs: number;
  /** HTTP port (PORT). */
  readonly httpPort: number;
  /** HTTP listen address (HTTP_HOST). */
  readonly httpHost: string;
  /** pino level (LOG_LEVEL). */
  readonly logLevel: string;
  /** After SIGTERM, serve this long with readiness off before leaving (KINDRED_DRAIN_MS). */
  readonly drainMs: number;
  /**
   * KINDRED_TLS_DIR: a directory holding `tls.crt`, `tls.key` and `ca.crt` (a cert-manager or `kubernetes.io/tls`
   * Secret mounted as a volume). Set: the distribution port speaks TLS, peers must present a certificate of the same
   * CA, and each peer's certificate must name the host it is dialled by. Undefined: plaintext.
   */
  readonly tlsDir: string | undefined;
}

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const DISCOVERY_KINDS = ['dns-srv:', 'dns-a:', 'static:'];

function badConfig(variable: string, message: string, value: string): KindredError {
  return new KindredError('KINDRED_ERR_APP_CONFIG', `${variable} ${message} (got '${value}')`, {
    details: { variable, value },
  });
}

function port(env: NodeJS.ProcessEnv, variable: string, fallback: number, allowZero: boolean): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !isPort(n, { allowZero })) {
    throw badConfig(
      variable,
      `must be a TCP port number, 1-65535${allowZero ? ' (0: any free port)' : ''}`,
      raw,
    );
  }
  return n;
}

/**
 * Reads the app's configuration from the environment, validating every value.
 * Throws a KindredError `KINDRED_ERR_APP_CONFIG` naming the variable when one is unusable.
 */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const name = env.KINDRED_NAME || APP_DEFAULTS.name;
  if (!isValidNamePart(name)) {
    throw badConfig('KINDRED_NAME', 'must be a node name base: letters, digits, - and _ (no @)', name);
  }
  const host = env.KINDRED_HOST || undefined;
  if (host !== undefined && !/^[A-Za-z0-9.:_-]+$/.test(host)) {
    throw badConfig('KINDRED_HOST', "must be a host name, an IP address, or 'ip'", host);
  }
  const discovery = env.KINDRED_DISCOVERY || APP_DEFAULTS.discovery;
  if (!DISCOVERY_KINDS.some((k) => discovery.startsWith(k) && discovery.length > k.length)) {
    throw badConfig(
      'KINDRED_DISCOVERY',
      'must be dns-srv:QUERY, dns-a:QUERY or static:NODE@HOST:PORT,...',
      discovery,
    );
  }
  const rawPoll = env.KINDRED_POLL_INTERVAL_MS;
  let pollIntervalMs: number = APP_DEFAULTS.pollIntervalMs;
  if (rawPoll !== undefined && rawPoll !== '') {
    pollIntervalMs = Number(rawPoll);
    if (!/^\d+$/.test(rawPoll) || pollIntervalMs < 100) {
      throw badConfig(
        'KINDRED_POLL_INTERVAL_MS',
        'must be a whole number of milliseconds, at least 100',
        rawPoll,
      );
    }
  }
  const rawTick = env.KINDRED_TICKTIME_MS;
  let ticktimeMs: number = APP_DEFAULTS.ticktimeMs;
  if (rawTick !== undefined && rawTick !== '') {
    ticktimeMs = Number(rawTick);
    if (!/^\d+$/.test(rawTick) || ticktimeMs < 100 || ticktimeMs > 2_147_483_647) {
      throw badConfig(
        'KINDRED_TICKTIME_MS',
        'must be a whole number of milliseconds, at least 100 (every node of the cluster the same)',
        rawTick,
      );
    }
  }
  const rawDrain = env.KINDRED_DRAIN_MS;
  let drainMs: number = APP_DEFAULTS.drainMs;
  if (rawDrain !== undefined && rawDrain !== '') {
    drainMs = Number(rawDrain);
    if (!/^\d+$/.test(rawDrain) || drainMs > 600_000) {
      throw badConfig(
        'KINDRED_DRAIN_MS',
        'must be a whole number of milliseconds from 0 to 600000 (keep it under terminationGracePeriodSeconds)',
        rawDrain,
      );
    }
  }
  const tlsDir = env.KINDRED_TLS_DIR || undefined;
  if (tlsDir !== undefined && !tlsDir.startsWith('/')) {
    throw badConfig('KINDRED_TLS_DIR', 'must be an absolute path to the mounted TLS Secret', tlsDir);
  }
  const logLevel = env.LOG_LEVEL || APP_DEFAULTS.logLevel;
  if (!LOG_LEVELS.has(logLevel)) {
    throw badConfig('LOG_LEVEL', `must be one of ${[...LOG_LEVELS].join(', ')}`, logLevel);
  }
  const cookie = env.KINDRED_COOKIE || undefined;
  const httpHost = env.HTTP_HOST || APP_DEFAULTS.httpHost;
  // A listen address: an IP literal, or a name such as localhost (checked here so a typo is not a raw listen error).
  if (isIP(httpHost) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(httpHost)) {
    throw badConfig(
      'HTTP_HOST',
      'must be an address to listen on (0.0.0.0, ::, 127.0.0.1) or a host name',
      httpHost,
    );
  }
  return Object.freeze({
    name,
    host,
    cookie,
    kindredPort: port(env, 'KINDRED_PORT', APP_DEFAULTS.kindredPort, false),
    discovery,
    pollIntervalMs,
    ticktimeMs,
    httpPort: port(env, 'PORT', APP_DEFAULTS.httpPort, true),
    httpHost,
    logLevel,
    drainMs,
    tlsDir,
  });
}
