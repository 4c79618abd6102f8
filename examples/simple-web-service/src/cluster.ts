import { networkInterfaces } from 'node:os';
import { KindredError, Resolver } from '@kindred/dns';
import { loadCookie, type OwnName, resolveOwnName } from '@kindred/node-identity';
import { createTransport, type Transport } from '@kindred/transport';
import type { Logger } from 'pino';
import type { ClusterEvent, ClusterStats, ClusterView } from './cluster-view.js';
import type { AppConfig } from './config.js';
import { APP_DEFAULTS } from './defaults.js';
import { type PeerSource, peerSource } from './peers.js';

/** A running cluster member: the view the HTTP side reads, plus stop(). */
export interface RunningCluster extends ClusterView {
  /** The node's own name and how it was found. */
  readonly own: OwnName;
  /** The port peers dial (the bound one when KINDRED_PORT was 0). */
  readonly port: number;
  /** Runs one discovery round now (also runs every poll interval). */
  discover(): Promise<void>;
  /** Leaves the cluster: stops polling and closes every connection (peers see nodedown). Idempotent. */
  stop(): Promise<void>;
}

/** Test and lab seams; everything defaults to the real machine. */
export interface ClusterDeps {
  /** DNS resolver for discovery and the own name; default a Resolver on /etc/resolv.conf. */
  readonly resolver?: Resolver;
  /** Environment (KINDRED_NODE_NAME, KINDRED_SUBDOMAIN, ...); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** This machine's first non-internal IPv4 address (a container's own address), for KINDRED_HOST=ip. */
export function ownIpv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

async function ownName(config: AppConfig, resolver: Resolver, env: NodeJS.ProcessEnv, logger: Logger) {
  if (config.host === undefined) return resolveOwnName({ name: config.name, resolver, env, logger });
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
  return resolveOwnName({ name: `${config.name}@${host}`, env, logger });
}

/**
 * Joins the cluster: finds this node's name (`hostname -f` in a pod), listens on KINDRED_PORT, and every poll
 * interval asks discovery for peers and connects to those not yet connected. A failed discovery round (DNS down)
 * leaves the cluster as it is; peers that vanish from DNS are not disconnected (a stopping pod leaves by itself,
 * a dead one is found by the transport's ticks).
 */
export async function startCluster(
  config: AppConfig,
  logger: Logger,
  deps: ClusterDeps = {},
): Promise<RunningCluster> {
  const env = deps.env ?? process.env;
  const resolver = deps.resolver ?? new Resolver({ logger });
  const log = logger.child({ component: 'cluster' });
  const own = await ownName(config, resolver, env, logger);
  const { cookie, source: cookieSource } = await loadCookie({
    env,
    ...(config.cookie === undefined ? {} : { cookie: config.cookie }),
  });
  const source: PeerSource = peerSource(config.discovery, config.name, config.kindredPort, resolver);
  const transport: Transport = createTransport({
    self: { node: own.node, mode: own.mode },
    cookie,
    port: config.kindredPort,
    resolver,
    logger,
  });
  const { port } = await transport.listen();
  log.info(
    { node: own.node, source: own.source, port, discovery: config.discovery, cookieSource },
    'node started',
  );

  const events: ClusterEvent[] = [];
  const pushEvent = (e: ClusterEvent) => {
    events.push(e);
    if (events.length > APP_DEFAULTS.recentEvents) events.shift();
  };
  let connects = 0;
  let disconnects = 0;
  let discoveryRuns = 0;
  let discoveryErrors = 0;
  // Message counters of peers that went away, so the totals never go down.
  let retiredIn = 0;
  let retiredOut = 0;
  const lastSeen = new Map<string, { in: number; out: number }>();
  const snapshot = () => {
    const peers = transport.stats().peers;
    for (const [node, s] of Object.entries(peers))
      lastSeen.set(node, { in: s.messagesIn, out: s.messagesOut });
    return peers;
  };

  transport.on('nodeup', (node, info) => {
    connects += 1;
    lastSeen.set(node, { in: 0, out: 0 });
    pushEvent({ type: 'nodeup', node, at: Date.now() });
    log.debug({ peer: { name: node, direction: info.direction } }, 'nodeup');
  });
  transport.on('nodedown', (node, reason) => {
    disconnects += 1;
    const last = lastSeen.get(node);
    if (last !== undefined) {
      retiredIn += last.in;
      retiredOut += last.out;
      lastSeen.delete(node);
    }
    pushEvent({ type: 'nodedown', node, reason, at: Date.now() });
    log.debug({ peer: { name: node }, reason }, 'nodedown');
  });
  transport.on('error', (err) => log.warn({ err }, 'transport error'));

  const lastFailure = new Map<string, string>();
  let stopping = false;
  let round: Promise<void> | undefined;
  const discover = (): Promise<void> => {
    round ??= (async () => {
      try {
        const peers = await source.list();
        const connected = new Set(transport.allNodes());
        await Promise.all(
          peers
            .filter((p) => p.node !== own.node && !connected.has(p.node))
            .map(async (p) => {
              try {
                await transport.connect(
                  p.node,
                  p.address === undefined ? { port: p.port } : { port: p.port, address: p.address },
                );
                lastFailure.delete(p.node);
              } catch (err) {
                const code = (err as { code?: string }).code ?? (err as Error).message;
                // One line per peer and reason, not one per poll.
                if (lastFailure.get(p.node) !== code)
                  log.warn({ peer: { name: p.node }, err }, 'cannot connect');
                lastFailure.set(p.node, code);
              }
            }),
        );
      } catch (err) {
        discoveryErrors += 1;
        log.warn({ err, discovery: config.discovery }, 'discovery failed; keeping the current cluster');
      } finally {
        discoveryRuns += 1;
        round = undefined;
      }
    })();
    return round;
  };

  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopping) return;
    // +-10% jitter so replicas started together do not poll DNS in lockstep.
    const delay = config.pollIntervalMs * (0.9 + Math.random() * 0.2);
    timer = setTimeout(() => {
      void discover().finally(schedule);
    }, delay);
    timer.unref();
  };
  void discover().finally(schedule);

  let stopped: Promise<void> | undefined;
  return {
    self: own.node,
    own,
    port,
    discover,
    nodes: () => transport.nodes().sort(),
    discovered: () => discoveryRuns > 0,
    stopping: () => stopping,
    recentEvents: () => [...events],
    stats(): ClusterStats {
      const peers = snapshot();
      const live = Object.values(peers);
      const t = transport.stats();
      return {
        connects,
        disconnects,
        handshakeFailures: { ...t.handshakeFailures },
        messagesIn: retiredIn + live.reduce((n, s) => n + s.messagesIn, 0),
        messagesOut: retiredOut + live.reduce((n, s) => n + s.messagesOut, 0),
        discoveryRuns,
        discoveryErrors,
      };
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearTimeout(timer);
        await round?.catch(() => {});
        await transport.close();
        log.info({ node: own.node }, 'left the cluster');
      })();
      return stopped;
    },
  };
}
