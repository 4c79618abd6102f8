import {
  type BeamDistribution,
  type BeamDistributionOptions,
  EpmdClient,
  epmdPortFromEnv,
} from '@kindred/beam';
import {
  createDiscovery,
  type Discovery,
  type DiscoveryOptions,
  type Peer,
  type Strategy,
  strategyFromSpec,
} from '@kindred/discovery';
import type { Logger } from '@kindred/interface';
import { loadCookie, resolveOwnName } from '@kindred/node-identity';
import { createTransport, type Transport, type TransportOptions } from '@kindred/transport';
import { BEAM_WIRE_CLASSES, beamRpcHandler, createRuntimeBeamDistribution } from './beam-wire.js';
import { RUNTIME_DEFAULTS } from './defaults.js';
import type { Distribution } from './distribution.js';
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
  /**
   * The wire: `'kindred'` (default: @kindred/transport) or `'erlang'` (Erlang's own distribution protocol,
   * @kindred/beam, so BEAM nodes are peers). Default `KINDRED_DISTRIBUTION` (`kindred` or `erlang`), else `kindred`.
   */
  readonly distribution?: StartNodeWire;
  /**
   * Options of Erlang's wire (`distribution: 'erlang'`): `discovery` (`{ mode: 'epmd' }` registers with the host's
   * epmd, `{ mode: 'embedded' }` answers EPMD queries itself, `{ mode: 'fixed', port }` is epmd-less; default: epmd
   * when `KINDRED_ERL_EPMD_PORT` is unset, one answers on `epmdPort`, else embedded; `KINDRED_ERL_EPMD_PORT=P` is
   * `{ mode: 'fixed', port: P }`), `epmdPort` (default `ERL_EPMD_PORT`, else 4369), ticktime, limits.
   * The listen port is `port` (default 0 outside epmd-less mode) and the bind address `host`.
   */
  readonly erlang?: Omit<BeamDistributionOptions, 'name' | 'cookie' | 'hidden' | 'logger' | 'adapter'>;
  /** Environment for the identity and port variables; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** A logger (the `Logger` of @kindred/interface; pino fits), passed as child loggers to every part; silent when absent. */
  readonly logger?: Logger;
}

/** Nodes whose stop() was asked for by leave(): their transport then tells the peers (close code 4012). */
const leaving = new WeakSet<StartedNode>();

/** The wires {@link startNode} can put a node on. */
export type StartNodeWire = 'kindred' | 'erlang';

/**
 * A node started by {@link startNode}: a {@link KNode} that owns its transport, its discovery poller and the timer
 * that redials discovered peers (all closed by `stop()`).
 */
export class StartedNode extends KNode {
  /** The port the node listens on. */
  readonly port: number;
  /** The wire the node speaks. */
  readonly wire: StartNodeWire;
  /** The transport (for stats), on kindred's wire. */
  readonly transport: Transport | undefined;
  /** Erlang's wire (for stats and its endpoint), with `distribution: 'erlang'`. */
  readonly beam: BeamDistribution | undefined;
  /** The discovery poller, when a `discovery` option was given. */
  readonly discovery: Discovery | undefined;

  /** Use {@link startNode}. */
  constructor(
    options: NodeOptions,
    parts: {
      port: number;
      transport: Transport | undefined;
      beam?: BeamDistribution | undefined;
      discovery: Discovery | undefined;
    },
  ) {
    super(options);
    this.port = parts.port;
    this.wire = parts.beam === undefined ? 'kindred' : 'erlang';
    this.transport = parts.transport;
    this.beam = parts.beam;
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
  const wire = options.distribution ?? wireFromEnv(env);
  if (wire !== 'kindred' && wire !== 'erlang') throw badOption('distribution', "'kindred' or 'erlang'", wire);
  let transport: Transport | undefined;
  let beam: BeamDistribution | undefined;
  let dist: Distribution;
  let port: number;
  if (wire === 'erlang') {
    const erl = options.erlang ?? {};
    const epmdPort = erl.epmdPort ?? epmdPortFromEnv(env);
    beam = await createRuntimeBeamDistribution({
      ...erl,
      name: own.node,
      cookie,
      epmdPort,
      discovery: erl.discovery ?? erlEpmdPortFromEnv(env) ?? (await defaultErlangDiscovery(epmdPort)),
      ...(options.port === undefined ? {} : { listenPort: options.port }),
      ...(options.host === undefined ? {} : { listenHost: options.host }),
      ...(options.hidden === undefined ? {} : { hidden: options.hidden }),
      ...(logger === undefined ? {} : { logger }),
    });
    dist = beam;
    port = beam.port;
  } else {
    transport = createTransport({
      ...options.transport,
      self: { node: own.node, mode: own.mode },
      cookie,
      env,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.hidden === undefined ? {} : { hidden: options.hidden }),
      ...(logger === undefined ? {} : { logger }),
    });
    dist = transport;
    ({ port } = await transport.listen());
  }
  const wireNode = dist;

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
        // A connected peer's addresses are not refreshed each poll: they are only used to dial it.
        connected: () => [...node.nodes(), ...node.hiddenNodes()],
        ...options.discoveryOptions,
        strategy,
        self: own.node,
        ...(logger === undefined ? {} : { logger }),
      });
    }
    node = new StartedNode(
      {
        name: own.node,
        distribution: wireNode,
        listenPort: port,
        ...pick(options),
        // On Erlang's wire the node's pids carry the endpoint's creation (erl drops signals to other incarnations).
        ...(beam === undefined ? {} : { creation: beam.creation, wireClasses: BEAM_WIRE_CLASSES }),
        ...(logger === undefined ? {} : { logger }),
        onStop: async () => {
          if (timer !== undefined) clearInterval(timer);
          discovery?.stop();
          // A leave is told to the peers on kindred's wire (close code 4012); Erlang's wire has no goodbye.
          if (transport !== undefined) await transport.close({ leave: leaving.has(node) });
          else await wireNode.close();
        },
      },
      { port, transport, beam, discovery },
    );
  } catch (err) {
    // A bad runtime option or discovery spec: the listener opened above must not outlive the failed start.
    discovery?.stop();
    await wireNode.close();
    throw err;
  }

  beam?.setRpcHandler(beamRpcHandler(node));
  if (discovery !== undefined) {
    const d = discovery;
    // Peers that said they leave (nodedown `shutdown`), and when: DNS keeps listing a terminating pod for a while
    // (publishNotReadyAddresses, TTLs), and dialling it would only fail or catch it mid-exit.
    const left = new Map<string, number>();
    wireNode.on('nodedown', (peer, reason) => {
      if (reason === 'shutdown') left.set(peer, Date.now());
    });
    wireNode.on('nodeup', (peer) => left.delete(peer));
    // A visible peer discovery does not list yet: DNS changed since the last poll, so look again now (rate-bounded).
    let nudgedAt = -Infinity;
    wireNode.on('nodeup', (peer, info) => {
      if (info?.hidden === true || node.stopped) return;
      const now = Date.now();
      if (now - nudgedAt < RUNTIME_DEFAULTS.unknownPeerPollGapMs) return;
      if (d.peers().some((p) => p.node === peer)) return;
      nudgedAt = now;
      void d.poll();
    });
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

/** `KINDRED_DISTRIBUTION`: `kindred` (or unset/empty) or `erlang`. */
function wireFromEnv(env: NodeJS.ProcessEnv): StartNodeWire {
  const v = env.KINDRED_DISTRIBUTION;
  if (v === undefined || v === '' || v === 'kindred') return 'kindred';
  if (v === 'erlang') return 'erlang';
  throw badOption('KINDRED_DISTRIBUTION', "'kindred' or 'erlang'", v);
}

/**
 * `KINDRED_ERL_EPMD_PORT`: epmd-less on Erlang's wire, as erl's `-erl_epmd_port P` (listen on P, dial every peer on
 * P, no epmd anywhere); unset or empty leaves the default. Lets an app started by `startNode()` (the example app, a
 * Deployment beside `-erl_epmd_port` Elixir releases) run epmd-less from its environment alone.
 */
function erlEpmdPortFromEnv(env: NodeJS.ProcessEnv): { mode: 'fixed'; port: number } | undefined {
  const v = env.KINDRED_ERL_EPMD_PORT;
  if (v === undefined || v === '') return undefined;
  const port = Number(v);
  if (!/^[0-9]+$/.test(v) || port < 1 || port > 65535)
    throw badOption('KINDRED_ERL_EPMD_PORT', 'a port from 1 to 65535', v);
  return { mode: 'fixed', port };
}

/** Erlang's wire without a discovery option: the host's epmd when one answers, else the embedded responder. */
async function defaultErlangDiscovery(
  epmdPort: number,
): Promise<NonNullable<BeamDistributionOptions['discovery']>> {
  try {
    await new EpmdClient({ port: epmdPort, requestTimeoutMs: 1_000 }).names('127.0.0.1');
    return { mode: 'epmd' };
  } catch {
    return { mode: 'embedded' };
  }
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
