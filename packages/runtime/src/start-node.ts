import {
  createDiscovery,
  type Discovery,
  type DiscoveryOptions,
  type Peer,
  type Strategy,
  strategyFromSpec,
} from '@kindred/discovery';
import { loadCookie, resolveOwnName } from '@kindred/node-identity';
import { createTransport, type Transport, type TransportOptions } from '@kindred/transport';
import type { Logger } from 'pino';
import { RUNTIME_DEFAULTS } from './defaults.js';
import { badOption } from './errors.js';
import { KNode, type NodeOptions } from './node.js';

/** Options of {@link startNode}. */
export interface StartNodeOptions extends Pick<NodeOptions, (typeof NODE_OPTION_KEYS)[number]> {
  /** Long name: a base (`app`, host from `hostname -f`) or a whole `app@host`. Exclusive with `sname`. */
  readonly name?: string;
  /** Short name: a base (`app`, host = hostname up to the first dot) or `app@host`. */
  readonly sname?: string;
  /** The cookie; default `KINDRED_COOKIE` or `~/.kindred.cookie` (see @kindred/node-identity). */
  readonly cookie?: string;
  /** Listen port; 0 picks a free one. Default `KINDRED_PORT` or 4370 (the transport's default). */
  readonly port?: number;
  /** Bind address; default all (`::`). */
  readonly host?: string;
  /** Where peers come from: a spec (`dns-srv:_kindred._tcp.app`, `dns-a:app`, `static:n1@h:4370,...`) or a Strategy. */
  readonly discovery?: string | Strategy;
  /** Poller options for discovery (interval, grace, bootstrap guard). */
  readonly discoveryOptions?: Omit<DiscoveryOptions, 'strategy' | 'self' | 'logger'>;
  /** How often discovered peers that are not connected are dialled again. Default {@link RUNTIME_DEFAULTS.reconnectIntervalMs}. */
  readonly reconnectIntervalMs?: number;
  /**
   * A discovered peer that left on purpose (nodedown `shutdown`, its {@link StartedNode.leave}) is not dialled by
   * discovery for this long, while DNS may still list it. Default {@link RUNTIME_DEFAULTS.leaveHoldMs}.
   */
  readonly leaveHoldMs?: number;
  /** Further transport options (tls, allow, ticktimeMs, resolver, verifyPeerHost, maxMessageBytes, ...). */
  readonly transport?: Omit<TransportOptions, 'self' | 'cookie' | 'port' | 'host' | 'hidden' | 'logger'>;
  /** Environment for the identity and port variables; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** pino logger, passed as child loggers to every part; silent when absent. */
  readonly logger?: Logger;
}

/** Nodes whose stop() was asked for by leave(): their transport then tells the peers (close code 4012). */
const leaving = new WeakSet<StartedNode>();

/**
 * A node started by {@link startNode}: a {@link KNode} that owns its transport, its discovery poller and the timer
 * that redials discovered peers (all closed by `stop()`).
 */
export class StartedNode extends KNode {
  /** The port the node listens on. */
  readonly port: number;
  /** The transport (for stats). */
  readonly transport: Transport;
  /** The discovery poller, when a `discovery` option was given. */
  readonly discovery: Discovery | undefined;

  /** Use {@link startNode}. */
  constructor(
    options: NodeOptions,
    parts: { port: number; transport: Transport; discovery: Discovery | undefined },
  ) {
    super(options);
    this.port = parts.port;
    this.transport = parts.transport;
    this.discovery = parts.discovery;
  }

  /**
   * Leaves the cluster on purpose: {@link KNode.stop}, and every connected peer sees nodedown reason `shutdown`
   * (not `connection_closed`), and its discovery does not dial this node again for `leaveHoldMs`. For a planned
   * stop (SIGTERM in a rolling update); a crash or a plain `stop()` still looks like `connection_closed`.
   */
  async leave(): Promise<void> {
    leaving.add(this);
    await this.stop();
  }
}

/**
 * Starts a distributed node: resolves its own name and cookie (@kindred/node-identity), listens (@kindred/transport),
 * and, with `discovery`, connects to every peer discovered and keeps dialling those not connected. With connect_all
 * (the default) connecting to one node connects to all it knows. `node.stop()` ends every process, stops discovery
 * and closes the transport.
 */
export async function startNode(options: StartNodeOptions = {}): Promise<StartedNode> {
  if (typeof options !== 'object' || options === null) throw badOption('options', 'an object', options);
  const reconnectMs = options.reconnectIntervalMs ?? RUNTIME_DEFAULTS.reconnectIntervalMs;
  if (!Number.isInteger(reconnectMs) || reconnectMs < 10) {
    throw badOption('reconnectIntervalMs', 'an integer >= 10', reconnectMs);
  }
  const leaveHoldMs = options.leaveHoldMs ?? RUNTIME_DEFAULTS.leaveHoldMs;
  if (!Number.isInteger(leaveHoldMs) || leaveHoldMs < 0) {
    throw badOption('leaveHoldMs', 'an integer >= 0', leaveHoldMs);
  }
  const logger = options.logger;
  const env = options.env ?? process.env;
  const own = await resolveOwnName({
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.sname === undefined ? {} : { sname: options.sname }),
    env,
    ...(logger === undefined ? {} : { logger }),
  });
  const { cookie } = await loadCookie({
    ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
    env,
  });
  const transport = createTransport({
    ...options.transport,
    self: { node: own.node, mode: own.mode },
    cookie,
    env,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.hidden === undefined ? {} : { hidden: options.hidden }),
    ...(logger === undefined ? {} : { logger }),
  });
  const { port } = await transport.listen();

  // The parts are built before the node (discovery is started after it, once its events have a node to act on).
  let discovery: Discovery | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let node: StartedNode;
  try {
    if (options.discovery !== undefined) {
      const strategy =
        typeof options.discovery === 'string'
          ? // Replicas of one app listen on the same port (no EPMD), so peers whose records carry no port
            // (A records, static entries without `:PORT`) are dialed on this node's own listen port.
            strategyFromSpec(options.discovery, { basename: own.name, port })
          : options.discovery;
      discovery = createDiscovery({
        // Polls slow down only while every discovered peer is connected: a peer this node cannot reach keeps it asking.
        settled: () => {
          const connected = new Set([...node.nodes(), ...node.hiddenNodes()]);
          return discovery?.peers().every((p) => connected.has(p.node)) ?? false;
        },
        ...options.discoveryOptions,
        strategy,
        self: own.node,
        ...(logger === undefined ? {} : { logger }),
      });
    }
    node = new StartedNode(
      {
        name: own.node,
        distribution: transport,
        listenPort: port,
        ...pick(options),
        ...(logger === undefined ? {} : { logger }),
        onStop: async () => {
          if (timer !== undefined) clearInterval(timer);
          discovery?.stop();
          await transport.close({ leave: leaving.has(node) });
        },
      },
      { port, transport, discovery },
    );
  } catch (err) {
    // A bad runtime option or discovery spec: the listener opened above must not outlive the failed start.
    discovery?.stop();
    await transport.close();
    throw err;
  }

  if (discovery !== undefined) {
    const d = discovery;
    // Peers that said they leave (nodedown `shutdown`), and when: DNS keeps listing a terminating pod for a while
    // (publishNotReadyAddresses, TTLs), and dialling it would only fail or catch it mid-exit.
    const left = new Map<string, number>();
    transport.on('nodedown', (peer, reason) => {
      if (reason === 'shutdown') left.set(peer, Date.now());
    });
    transport.on('nodeup', (peer) => left.delete(peer));
    const holding = (peer: string): boolean => {
      const since = left.get(peer);
      if (since === undefined) return false;
      if (Date.now() - since < leaveHoldMs) return true;
      left.delete(peer);
      return false;
    };
    const dial = (peer: Peer): void => {
      if (peer.node === own.node || node.stopped || holding(peer.node)) return;
      // connect() remembers the port (for connect_all and auto-connect) and returns at once when connected.
      const address = peer.addresses[0];
      node
        .connect(peer.node, address === undefined ? { port: peer.port } : { port: peer.port, address })
        .catch((err: unknown) => {
          logger?.debug({ peer: { node: peer.node }, err }, 'could not connect to a discovered peer');
        });
    };
    d.on('add', dial);
    d.on('error', (err) => logger?.warn({ err }, 'discovery failed; keeping the last known peers'));
    d.start();
    timer = setInterval(() => {
      for (const p of d.peers()) dial(p);
      for (const peer of left.keys()) holding(peer); // forgets holds that ran out
    }, reconnectMs);
    timer.unref();
  }
  return node;
}

/** The options of {@link StartNodeOptions} that go to the node as they are. */
const NODE_OPTION_KEYS = [
  'hidden',
  'connectAll',
  'maxMailboxSize',
  'maxMailboxBytes',
  'maxQueuedBytesPerPeer',
  'maxQueuedBytes',
  'maxNamesPerNetMessage',
  'dialBackoffInitialMs',
  'dialBackoffMaxMs',
  'maxDialsPerSecond',
  'maxRememberedNodes',
  'learnedPortTtlMs',
  'callTimeoutMs',
  'rpcTimeoutMs',
  'maxPendingPerNode',
  'creation',
  'crashReports',
] as const satisfies readonly (keyof NodeOptions)[];

function pick(o: StartNodeOptions): Partial<NodeOptions> {
  const out: Record<string, unknown> = {};
  for (const k of NODE_OPTION_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out as Partial<NodeOptions>;
}
