import { Resolver } from '@kindred/dns';
import {
  badOption,
  type CheckContext,
  checkBoolean,
  checkInt,
  checkNonEmptyString,
  checkPort,
  childLogger,
  type Logger,
  parsePort,
} from '@kindred/interface';
import { type NamingMode, namingModeOf, parseNodeName } from '@kindred/node-identity';
import { TRANSPORT_DEFAULTS } from './defaults.js';
import { TRANSPORT_ERRORS } from './errors.js';
import type { HostResolver } from './host-check.js';
import type { TransportOptions, TransportTlsOptions } from './types.js';

/**
 * Every option of {@link TransportOptions} resolved: defaults filled in, each value checked. The rest of the
 * transport reads only this.
 */
export interface ResolvedTransportOptions {
  readonly node: string;
  readonly mode: NamingMode;
  readonly cookie: string;
  /** Listen port (0: the OS picks). */
  readonly port: number;
  readonly dialPort: number;
  readonly host: string;
  /** True when the caller chose `host`: then there is no IPv4 fallback when `::` cannot be bound. */
  readonly hostGiven: boolean;
  readonly tls: TransportTlsOptions | undefined;
  readonly allow: readonly string[] | undefined;
  readonly hidden: boolean;
  readonly resolver: HostResolver;
  /** The transport's child logger, `{ component: 'transport' }`. */
  readonly log: Logger;
  readonly ticktimeMs: number;
  readonly tickIntensity: number;
  readonly setupTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly maxQueueBytes: number;
  readonly flushAtBytes: number;
  readonly maxInflightBytes: number;
  readonly maxPendingHandshakes: number;
  readonly maxPendingHandshakesPerSource: number;
  readonly maxRawConnections: number;
  readonly maxRawConnectionsPerSource: number;
  readonly upgradeTimeoutMs: number;
  readonly firstMessageTimeoutMs: number;
  readonly hostCheckCacheTtlMs: number;
  readonly hostCheckCacheMaxEntries: number;
  readonly edgeLogIntervalMs: number;
  readonly verifyPeerHost: boolean;
  readonly maskFrames: boolean;
  readonly frameIntegrity: boolean;
  readonly maxFrameValues: number;
}

const ctx = (option: string): CheckContext => ({ option, code: TRANSPORT_ERRORS.TRANSPORT_OPTION });

/** An optional integer option >= min, or its default. */
function intOption(
  options: TransportOptions,
  key: keyof TransportOptions,
  fallback: number,
  min = 1,
): number {
  const v = options[key];
  return v === undefined ? fallback : checkInt(ctx(key), v, min);
}

/** An optional boolean option, or its default. */
function boolOption(options: TransportOptions, key: keyof TransportOptions, fallback: boolean): boolean {
  const v = options[key];
  return v === undefined ? fallback : checkBoolean(ctx(key), v);
}

/** The listen port: the `port` option, else `KINDRED_PORT`, else the default; 0 lets the OS pick. */
function listenPort(options: TransportOptions): number {
  if (options.port !== undefined) return checkPort(ctx('port'), options.port, { allowZero: true });
  const env = (options.env ?? process.env).KINDRED_PORT;
  if (env !== undefined && env !== '') return parsePort(ctx('KINDRED_PORT'), env, { allowZero: true });
  return TRANSPORT_DEFAULTS.port;
}

/**
 * Resolves and validates every option of {@link createTransport}, in one place: each refusal is a KindredError
 * `KINDRED_ERR_TRANSPORT_OPTION` naming the option (`details.option`), thrown at construction.
 */
export function resolveTransportOptions(options: TransportOptions): ResolvedTransportOptions {
  if (options.self === undefined || typeof options.self.node !== 'string') {
    throw badOption(ctx('self'), "this node's name, name@host (self.node is required)", options.self);
  }
  parseNodeName(options.self.node);
  const node = options.self.node;
  const mode = options.self.mode ?? namingModeOf(node);
  const cookie = checkNonEmptyString(ctx('cookie'), options.cookie);
  const D = TRANSPORT_DEFAULTS;
  const maxMessageBytes = intOption(options, 'maxMessageBytes', D.maxMessageBytes, 1024);
  const resolved = {
    port: listenPort(options),
    dialPort: options.dialPort === undefined ? D.port : checkPort(ctx('dialPort'), options.dialPort),
    ticktimeMs: intOption(options, 'ticktimeMs', D.ticktimeMs, 4),
    tickIntensity: intOption(options, 'tickIntensity', D.tickIntensity, 4),
    setupTimeoutMs: intOption(options, 'setupTimeoutMs', D.setupTimeoutMs),
    maxMessageBytes,
    maxQueueBytes: intOption(options, 'maxQueueBytes', D.maxQueueBytes, 1024),
    flushAtBytes: intOption(options, 'flushAtBytes', Math.min(D.flushAtBytes, maxMessageBytes)),
    maxInflightBytes: intOption(options, 'maxInflightBytes', D.maxInflightBytes),
    maxPendingHandshakes: intOption(options, 'maxPendingHandshakes', D.maxPendingHandshakes),
    maxPendingHandshakesPerSource: intOption(
      options,
      'maxPendingHandshakesPerSource',
      D.maxPendingHandshakesPerSource,
    ),
    maxRawConnections: intOption(options, 'maxRawConnections', D.maxRawConnections),
    maxRawConnectionsPerSource: intOption(
      options,
      'maxRawConnectionsPerSource',
      D.maxRawConnectionsPerSource,
    ),
    upgradeTimeoutMs: intOption(options, 'upgradeTimeoutMs', D.upgradeTimeoutMs),
    firstMessageTimeoutMs: intOption(options, 'firstMessageTimeoutMs', D.firstMessageTimeoutMs),
    hostCheckCacheTtlMs: intOption(options, 'hostCheckCacheTtlMs', D.hostCheckCacheTtlMs, 0),
    hostCheckCacheMaxEntries: intOption(options, 'hostCheckCacheMaxEntries', D.hostCheckCacheMaxEntries),
    edgeLogIntervalMs: intOption(options, 'edgeLogIntervalMs', D.edgeLogIntervalMs, 0),
    verifyPeerHost: boolOption(options, 'verifyPeerHost', D.verifyPeerHost),
    maskFrames: boolOption(options, 'maskFrames', D.maskFrames),
    frameIntegrity: boolOption(options, 'frameIntegrity', D.frameIntegrity),
    maxFrameValues: intOption(options, 'maxFrameValues', D.maxFrameValues),
  };
  if (resolved.maxQueueBytes < resolved.maxMessageBytes) {
    throw badOption(
      ctx('maxQueueBytes'),
      `at least maxMessageBytes (${resolved.maxMessageBytes})`,
      resolved.maxQueueBytes,
    );
  }
  if (resolved.flushAtBytes > resolved.maxMessageBytes) {
    throw badOption(
      ctx('flushAtBytes'),
      `at most maxMessageBytes (${resolved.maxMessageBytes}): a frame must fit the peer's limit`,
      resolved.flushAtBytes,
    );
  }
  if (options.allow !== undefined) {
    if (!Array.isArray(options.allow)) throw badOption(ctx('allow'), 'an array of node names', options.allow);
    for (const n of options.allow) parseNodeName(n);
  }
  if (options.tls !== undefined && (options.tls.cert === undefined || options.tls.key === undefined)) {
    throw badOption(ctx('tls'), 'an object with both cert and key (PEM) for TLS', options.tls);
  }
  return {
    ...resolved,
    node,
    mode,
    cookie,
    host: options.host === undefined ? D.host : checkNonEmptyString(ctx('host'), options.host),
    hostGiven: options.host !== undefined,
    tls: options.tls,
    allow: options.allow,
    hidden: options.hidden === true,
    resolver: options.resolver ?? new Resolver(),
    log: childLogger(options.logger, { component: 'transport' }),
  };
}
