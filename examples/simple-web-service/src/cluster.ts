import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Resolver } from '@kindred/dns';
import { createKindredMetrics } from '@kindred/metrics';
import { isCallMessage, KindredError, type Pid, type StartedNode, startNode } from '@kindred/runtime';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { ClusterEvent, ClusterStats, ClusterView } from './cluster-view.js';
import type { AppConfig } from './config.js';
import { APP_DEFAULTS } from './defaults.js';
import { type CountingStrategy, discoveryStrategy } from './strategy.js';

/** A running cluster member: the view the HTTP side reads, plus stop(). */
export interface RunningCluster extends ClusterView {
  /** The kindred node (processes, registered names, pg, monitors). */
  readonly node: StartedNode;
  /** The port peers dial (the bound one when KINDRED_PORT was 0). */
  readonly port: number;
  /** The app's Prometheus registry: @kindred/metrics, Node's process metrics, the app's own counters. */
  readonly registry: Registry;
  /** Turns readiness off (/readyz 503) while still a member: the drain before {@link RunningCluster.stop}. */
  drain(): void;
  /**
   * Leaves the cluster on purpose (readiness off too): stops discovery, ends every process, closes every connection;
   * peers see nodedown reason `shutdown` and do not dial this node again while DNS still lists it.
   */
  stop(): Promise<void>;
}

/** prom-client default metrics that `promtool check metrics` refuses (gauges named `*_total`). */
const LINT_FAILING_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Test seams; everything defaults to the real machine. */
export interface ClusterDeps {
  /** DNS resolver for discovery and for verifying peers; default a Resolver on /etc/resolv.conf and /etc/hosts. */
  readonly resolver?: Resolver;
  /** Environment (KINDRED_NODE_NAME, KINDRED_SUBDOMAIN, POD_NAME, ...); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** This machine's first non-internal IPv4 address (a container's own address), for KINDRED_HOST=ip. */
export function ownIpv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

function nodeNameOption(config: AppConfig): string {
  if (config.host === undefined) return config.name; // long names, host from hostname -f
  const host = config.host === 'ip' ? ownIpv4() : config.host;
  if (host === undefined) {
    throw new KindredError(
      'KINDRED_ERR_APP_CONFIG',
      'KINDRED_HOST=ip but this machine has no non-internal IPv4 address',
      {
        details: { variable: 'KINDRED_HOST', value: 'ip' },
      },
    );
  }
  return `${config.name}@${host}`;
}

/**
 * The transport's TLS from a mounted TLS Secret (KINDRED_TLS_DIR): its certificate and key, and its CA as the only
 * one trusted; peers must present a certificate too. A missing file is KINDRED_ERR_APP_CONFIG naming it.
 */
async function readTls(
  dir: string,
): Promise<{ cert: string; key: string; ca: string; requireClientCert: true }> {
  const read = async (file: string) => {
    try {
      return await readFile(join(dir, file), 'utf8');
    } catch (err) {
      throw new KindredError(
        'KINDRED_ERR_APP_CONFIG',
        `KINDRED_TLS_DIR: cannot read ${join(dir, file)} (${(err as NodeJS.ErrnoException).code ?? String(err)}): mount a TLS Secret with tls.crt, tls.key and ca.crt there`,
        { details: { variable: 'KINDRED_TLS_DIR', value: dir, file } },
      );
    }
  };
  const [cert, key, ca] = await Promise.all([read('tls.crt'), read('tls.key'), read('ca.crt')]);
  return { cert, key, ca, requireClientCert: true };
}

/**
 * Joins the cluster with @kindred/runtime's startNode: the own name as `erl -name` finds it (or KINDRED_HOST), the
 * cookie, the listener on KINDRED_PORT, and discovery polling KINDRED_DISCOVERY and dialling every peer found. A failed
 * DNS round keeps the cluster as it is; a peer missing from DNS is dropped from discovery only after the grace period
 * and is never disconnected for it (a stopping pod leaves by itself, a dead one is noticed by the transport's ticks).
 */
export async function startCluster(
  config: AppConfig,
  logger: Logger,
  deps: ClusterDeps = {},
): Promise<RunningCluster> {
  const env = deps.env ?? process.env;
  const resolver = deps.resolver ?? new Resolver({ logger });
  const log = logger.child({ component: 'app' });
  const strategy: CountingStrategy = discoveryStrategy(
    config.discovery,
    config.name,
    config.kindredPort,
    resolver,
  );
  const tls = config.tlsDir === undefined ? undefined : await readTls(config.tlsDir);
  const node = await startNode({
    name: nodeNameOption(config),
    ...(config.cookie === undefined ? {} : { cookie: config.cookie }),
    port: config.kindredPort,
    discovery: strategy,
    discoveryOptions: { pollIntervalMs: config.pollIntervalMs },
    transport: { resolver, ticktimeMs: config.ticktimeMs, ...(tls === undefined ? {} : { tls }) },
    env,
    logger,
  });
  log.info(
    { node: node.name, port: node.port, discovery: strategy.name, tls: config.tlsDir !== undefined },
    'node started',
  );

  // One registry for everything /metrics serves: Node's process metrics (event-loop lag, heap, GC), the node's
  // (@kindred/metrics), and the app's own counters of visible peers coming and going.
  const registry = new Registry();
  collectDefaultMetrics({
    register: registry,
    eventLoopMonitoringPrecision: APP_DEFAULTS.eventLoopMonitoringPrecisionMs,
  });
  // prom-client names three of its gauges `*_total`, which promtool's lint refuses (only counters end in _total);
  // each is the sum of a gauge it also exports by type (nodejs_active_handles{type}, ...), so nothing is lost.
  for (const gaugeNamedTotal of LINT_FAILING_DEFAULT_METRICS) registry.removeSingleMetric(gaugeNamedTotal);
  const metrics = createKindredMetrics({ node, registry });
  const connectsTotal = new Counter({
    name: 'kindred_connects_total',
    help: 'Visible peers that came up (nodeup seen by this app).',
    labelNames: ['node'],
    registers: [registry],
  });
  const disconnectsTotal = new Counter({
    name: 'kindred_disconnects_total',
    help: 'Visible peers that went down (nodedown seen by this app).',
    labelNames: ['node'],
    registers: [registry],
  });
  const self = { node: node.name };
  connectsTotal.inc(self, 0);
  disconnectsTotal.inc(self, 0);

  const events: ClusterEvent[] = [];
  let connects = 0;
  let disconnects = 0;
  node.monitorNodes((e) => {
    if (e.type === 'nodeup') {
      connects += 1;
      connectsTotal.inc(self);
      events.push({ type: 'nodeup', node: e.node, at: Date.now() });
    } else {
      disconnects += 1;
      disconnectsTotal.inc(self);
      events.push({ type: 'nodedown', node: e.node, reason: String(e.reason), at: Date.now() });
    }
    if (events.length > APP_DEFAULTS.recentEvents) events.shift();
  });

  // The cluster singleton: every pod declares it, one runs it; it answers calls with the node it runs on. It is
  // declared once this node met the peers discovery found, so a new pod does not start one of its own first.
  let instance: Pid | undefined;
  const declareSingleton = async (): Promise<void> => {
    const deadline = Date.now() + APP_DEFAULTS.singletonJoinWaitMs;
    while (Date.now() < deadline && !stopping) {
      const found = (node.discovery?.peers() ?? []).map((p) => p.node).filter((n) => n !== node.name);
      if (strategy.runs > 0 && found.every((n) => node.nodes().includes(n))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (stopping) return;
    node.singleton(APP_DEFAULTS.singletonName, {
      start: () => {
        instance = node.spawnHandler((msg, ctx) => {
          if (isCallMessage(msg)) ctx.reply(msg.from, node.name);
        });
        log.info({ singleton: APP_DEFAULTS.singletonName }, 'singleton started here');
        return instance;
      },
    });
  };

  let stopping = false;
  let stopped: Promise<void> | undefined;
  void declareSingleton().catch((err: unknown) => log.warn({ err }, 'could not declare the singleton'));
  return {
    self: node.name,
    node,
    port: node.port,
    registry,
    nodes: () => node.nodes().sort(),
    discovered: () => strategy.runs > 0,
    stopping: () => stopping,
    recentEvents: () => [...events],
    singleton: () => {
      const names: Record<string, string> = {};
      for (const n of node.global.registeredNames()) {
        const pid = node.global.whereisName(n);
        if (pid !== undefined) names[n] = pid.node;
      }
      return {
        name: APP_DEFAULTS.singletonName,
        where: node.global.whereisName(APP_DEFAULTS.singletonName)?.node ?? null,
        running: instance !== undefined && node.isAlive(instance),
        names,
      };
    },
    stats(): ClusterStats {
      const t = node.transport?.stats();
      return {
        connects,
        disconnects,
        handshakeFailures: { ...t?.handshakeFailures },
        messagesIn: t?.totals.messagesIn ?? 0,
        messagesOut: t?.totals.messagesOut ?? 0,
        discoveryRuns: strategy.runs,
        discoveryErrors: strategy.errors,
      };
    },
    metrics: () => registry.metrics(),
    observe: () => node.observe(),
    drain() {
      stopping = true;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        metrics.close();
        await node.leave();
        log.info({ node: node.name }, 'left the cluster');
      })();
      return stopped;
    },
  };
}
