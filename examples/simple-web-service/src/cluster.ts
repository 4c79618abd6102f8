import { networkInterfaces } from 'node:os';
import { Resolver } from '@kindred/dns';
import { isCallMessage, KindredError, type Pid, type StartedNode, startNode } from '@kindred/runtime';
import type { Logger } from 'pino';
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
  /** Leaves the cluster: stops discovery, ends every process, closes every connection (peers see nodedown). */
  stop(): Promise<void>;
}

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
  const node = await startNode({
    name: nodeNameOption(config),
    ...(config.cookie === undefined ? {} : { cookie: config.cookie }),
    port: config.kindredPort,
    discovery: strategy,
    discoveryOptions: { pollIntervalMs: config.pollIntervalMs },
    transport: { resolver, ticktimeMs: config.ticktimeMs },
    env,
    logger,
  });
  log.info({ node: node.name, port: node.port, discovery: strategy.name }, 'node started');

  const events: ClusterEvent[] = [];
  let connects = 0;
  let disconnects = 0;
  // Message counters of peers that went away, so the totals never go down.
  let retiredIn = 0;
  let retiredOut = 0;
  const lastSeen = new Map<string, { in: number; out: number }>();
  const livePeers = () => {
    const peers = node.transport?.stats().peers ?? {};
    for (const [peer, s] of Object.entries(peers))
      lastSeen.set(peer, { in: s.messagesIn, out: s.messagesOut });
    return Object.values(peers);
  };
  node.monitorNodes((e) => {
    if (e.type === 'nodeup') {
      connects += 1;
      lastSeen.set(e.node, { in: 0, out: 0 });
      events.push({ type: 'nodeup', node: e.node, at: Date.now() });
    } else {
      disconnects += 1;
      const last = lastSeen.get(e.node);
      if (last !== undefined) {
        retiredIn += last.in;
        retiredOut += last.out;
        lastSeen.delete(e.node);
      }
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
      const live = livePeers();
      return {
        connects,
        disconnects,
        handshakeFailures: { ...node.transport?.stats().handshakeFailures },
        messagesIn: retiredIn + live.reduce((n, s) => n + s.messagesIn, 0),
        messagesOut: retiredOut + live.reduce((n, s) => n + s.messagesOut, 0),
        discoveryRuns: strategy.runs,
        discoveryErrors: strategy.errors,
      };
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        await node.stop();
        log.info({ node: node.name }, 'left the cluster');
      })();
      return stopped;
    },
  };
}
