import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type KindredError, Resolver } from '@kindred/dns';
import { checkDialable, type NamingMode, namingModeOf, parseNodeName } from '@kindred/node-identity';
import { type Logger, pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { Admission, type EdgeStats } from './admission.js';
import { Connection, type PeerStats } from './connection.js';
import { TRANSPORT_DEFAULTS } from './defaults.js';
import { TRANSPORT_ERRORS, transportError } from './errors.js';
import {
  type AcceptDecision,
  AcceptorHandshake,
  closeQuietly,
  type HandshakeFailure,
  type HandshakeParams,
  type HandshakeResult,
  InitiatorHandshake,
} from './handshake.js';
import { HostCheck, type HostCheckStats, type HostResolver } from './host-check.js';
import { LogLimiter } from './log-limiter.js';
import { normalizeAddress, urlHost } from './peer-address.js';
import { CLOSE, FLAGS, type NameMsg, type RefuseStatus, SUBPROTOCOL } from './protocol.js';

export type { EdgeStats } from './admission.js';
export type { HostCheckStats, HostResolver } from './host-check.js';

/** TLS for the listener and the dialer: `wss` with certificate verification. */
export interface TransportTlsOptions {
  /** This node's certificate chain (PEM), presented as server and, when the peer asks, as client. */
  readonly cert: string | Buffer;
  /** Its private key (PEM). */
  readonly key: string | Buffer;
  /** CA certificates (PEM) that peers' certificates must chain to. Without it, the system's roots. */
  readonly ca?: string | Buffer | Array<string | Buffer>;
  /** The listener asks dialers for a client certificate and refuses those without a valid one. Default false. */
  readonly requireClientCert?: boolean;
}

/** Options of {@link createTransport}. */
export interface TransportOptions {
  /** This node: its full name and naming mode (mode defaults to the one its host implies). */
  readonly self: { readonly node: string; readonly mode?: NamingMode };
  /** The shared secret; never sent, proven with HMAC-SHA256. */
  readonly cookie: string;
  /** Listen port; 0 picks a free one. Default `KINDRED_PORT` or 4370. */
  readonly port?: number;
  /** Port to dial when connect() is given none (discovery's SRV port wins). Default 4370. */
  readonly dialPort?: number;
  /** Bind address. Default `::` (all, dual-stack). */
  readonly host?: string;
  /** wss with certificate verification. */
  readonly tls?: TransportTlsOptions;
  /** Like net_kernel:allow/1: only these node names may connect (both directions). Default: any. */
  readonly allow?: readonly string[];
  /** Erlang's net_ticktime, ms. Both nodes should use the same. */
  readonly ticktimeMs?: number;
  /** Ticks per ticktime. */
  readonly tickIntensity?: number;
  /** Erlang's net_setuptime, ms. */
  readonly setupTimeoutMs?: number;
  readonly maxMessageBytes?: number;
  readonly maxQueueBytes?: number;
  readonly flushAtBytes?: number;
  readonly maxInflightBytes?: number;
  /** Incoming handshakes in progress, listener-wide; more are closed with `4008 overloaded`. */
  readonly maxPendingHandshakes?: number;
  /** Incoming handshakes in progress from one source address; more from it are closed with `4008 overloaded`. */
  readonly maxPendingHandshakesPerSource?: number;
  /** Accepted connections not yet upgraded to WebSocket, listener-wide; more are destroyed on accept. */
  readonly maxRawConnections?: number;
  /** Accepted connections not yet upgraded from one source address; more from it are destroyed on accept. */
  readonly maxRawConnectionsPerSource?: number;
  /** Deadline, ms from accept, for the whole WebSocket upgrade request (and the TLS handshake under TLS). */
  readonly upgradeTimeoutMs?: number;
  /** Deadline, ms from the upgrade, for the initiator's first handshake message (`4007`). */
  readonly firstMessageTimeoutMs?: number;
  /** How long the host check caches a host's lookup, resolved or not, ms. */
  readonly hostCheckCacheTtlMs?: number;
  /** Hosts the host check's cache holds at most. */
  readonly hostCheckCacheMaxEntries?: number;
  /** At most one log line per edge limit (and per refused host) in this interval, ms. */
  readonly edgeLogIntervalMs?: number;
  /** Random masking keys on dialed connections (RFC 6455); default false: a zero key, see TRANSPORT_DEFAULTS. */
  readonly maskFrames?: boolean;
  /** Long names: refuse an initiator whose host does not resolve to the connection's address. Default true. */
  readonly verifyPeerHost?: boolean;
  /** Resolves hosts to dial and to verify. Default: a `@kindred/dns` Resolver (/etc/hosts, then DNS). */
  readonly resolver?: HostResolver;
  /** pino logger; the transport logs through a child `{ component: 'transport' }`. Silent without one. */
  readonly logger?: Logger;
  /** A hidden node: peers leave it out of nodes(). */
  readonly hidden?: boolean;
  /** Environment for `KINDRED_PORT`. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** A MAC on every frame after the handshake (protocol v2); every node must set it alike. Default true. */
  readonly frameIntegrity?: boolean;
  /** Most allocated values one received frame may decode into; more closes with 4000. Default 1,000,000. */
  readonly maxFrameValues?: number;
}

/** What a nodeup event tells about the peer. */
export interface NodeInfo {
  /** Who dialed: `out` when this node did. */
  readonly direction: 'in' | 'out';
  /** The peer's address as the socket sees it. */
  readonly address: string;
  /** The peer is a hidden node. */
  readonly hidden: boolean;
}

/** Counters for /metrics. */
export interface TransportStats {
  /** Per connected peer. */
  readonly peers: Record<string, PeerStats & { direction: 'in' | 'out' }>;
  /** Failed handshakes by reason (bad_cookie, not_allowed, name_mismatch, nok, setup_timeout, protocol_error, ...). */
  readonly handshakeFailures: Record<string, number>;
  /** Handshakes that ended in a connection. */
  readonly handshakesCompleted: number;
  /** Handshakes in progress (incoming and outgoing). */
  readonly pendingHandshakes: number;
  /** The unauthenticated edge: connections not yet upgraded, incoming handshakes, refusals by reason. */
  readonly edge: EdgeStats;
  /** The acceptor's host check: lookups sent, checks answered from its cache. */
  readonly hostChecks: HostCheckStats;
  /** Connections closed with 4011 bad_mac: a frame whose MAC was wrong (bytes injected or altered on the path). */
  readonly macFailures: number;
}

/** Events of a {@link Transport}. */
export interface TransportEvents {
  nodeup: [node: string, info: NodeInfo];
  nodedown: [node: string, reason: string];
  /**
   * One message from `node`, in order. `bytes` estimates its decoded size in memory: its wire bytes plus 64 per
   * allocated value (array, map, string, bin, pid, ref, date) plus 8 per array element or map entry
   * (docs/protocol.md, "What a frame may hold"); a mailbox can bound its bytes with it.
   */
  message: [node: string, message: unknown, bytes: number];
  drain: [node: string];
  error: [error: KindredError];
}

/**
 * One node's endpoint: listens, dials, authenticates, frames. Knows nothing of processes.
 * Events: `nodeup (node, info)`, `nodedown (node, reason)` with Erlang's reasons, `message (node, message, bytes)`,
 * `drain (node)` after a full send queue emptied to half.
 */
export interface Transport extends EventEmitter<TransportEvents> {
  /** This node's name. */
  readonly node: string;
  /** Its naming mode. */
  readonly mode: NamingMode;
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<{ port: number }>;
  /**
   * Connects to `node` (pong) or rejects with a KindredError (pang): KINDRED_ERR_ILLEGAL_HOSTNAME,
   * _NAME_MISMATCH, _BAD_COOKIE, _NOT_ALLOWED, _SETUP_TIMEOUT, _CONNECT_FAILED, a DNS code. Resolves at once when
   * already connected or when `node` is this node.
   */
  connect(node: string, opts?: { port?: number; address?: string }): Promise<void>;
  /** Queues one message to a connected node, FIFO. Throws _NOT_CONNECTED, _MESSAGE_TOO_LARGE, _SEND_QUEUE_FULL. */
  send(node: string, message: unknown): void;
  /** Closes the connection to `node` (nodedown reason `disconnect`). */
  disconnect(node: string): void;
  /** Connected visible peers. */
  nodes(): string[];
  /** Connected peers, hidden ones included. */
  allNodes(): string[];
  /** Counters. */
  stats(): TransportStats;
  /** Closes every connection (nodedown `net_kernel_terminated`) and the listener. */
  close(): Promise<void>;
}

interface Waiter {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: KindredError): void;
  timer: NodeJS.Timeout;
}

interface ResolvedOptions {
  port: number;
  dialPort: number;
  host: string;
  ticktimeMs: number;
  tickIntensity: number;
  setupTimeoutMs: number;
  maxMessageBytes: number;
  maxQueueBytes: number;
  flushAtBytes: number;
  maxInflightBytes: number;
  maxPendingHandshakes: number;
  maxPendingHandshakesPerSource: number;
  maxRawConnections: number;
  maxRawConnectionsPerSource: number;
  upgradeTimeoutMs: number;
  firstMessageTimeoutMs: number;
  hostCheckCacheTtlMs: number;
  hostCheckCacheMaxEntries: number;
  edgeLogIntervalMs: number;
  verifyPeerHost: boolean;
  maskFrames: boolean;
  frameIntegrity: boolean;
  maxFrameValues: number;
}

function positiveInt(
  options: TransportOptions,
  key: keyof TransportOptions,
  fallback: number,
  min = 1,
): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw transportError(
      TRANSPORT_ERRORS.BAD_OPTION,
      `${key} must be an integer >= ${min}, got ${String(v)}`,
      {
        option: key,
      },
    );
  }
  return v;
}

function listenPort(options: TransportOptions): number {
  if (options.port !== undefined) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw transportError(
        TRANSPORT_ERRORS.BAD_OPTION,
        `port must be an integer 0-65535, got ${options.port}`,
        {
          option: 'port',
        },
      );
    }
    return options.port;
  }
  const env = (options.env ?? process.env).KINDRED_PORT;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw transportError(
        TRANSPORT_ERRORS.BAD_OPTION,
        `KINDRED_PORT must be a port number 0-65535, got ${env}`,
        {
          option: 'KINDRED_PORT',
        },
      );
    }
    return n;
  }
  return TRANSPORT_DEFAULTS.port;
}

/** How often the listener enforces its header deadline on half-sent HTTP requests (node's default is 30 s). */
const CONNECTIONS_CHECK_MS = 1_000;

/** A zero masking key: ws then neither masks on sending nor unmasks on receiving. */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/** Erlang-style quoting of a node name in log lines. */
function quoted(node: string): string {
  return `'${node}'`;
}

class TransportImpl extends EventEmitter<TransportEvents> implements Transport {
  readonly node: string;
  readonly mode: NamingMode;
  private readonly opts: ResolvedOptions;
  private readonly log: Logger;
  private readonly resolver: HostResolver;
  private readonly admission: Admission;
  private readonly hostCheck: HostCheck;
  /** One host-check refusal line per host per edgeLogIntervalMs. */
  private readonly hostLog: LogLimiter;
  private readonly params: HandshakeParams;
  private readonly peers = new Map<string, Connection>();
  private readonly peerInfo = new WeakMap<Connection, NodeInfo>();
  private readonly pendingOut = new Map<string, InitiatorHandshake>();
  private readonly pendingIn = new Map<string, AcceptorHandshake>();
  private readonly handshaking = new Set<AcceptorHandshake>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly failures: Record<string, number> = {};
  private completed = 0;
  private macFailures = 0;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private closed = false;
  private readonly handlers = {
    message: (node: string, message: unknown, bytes: number) => this.emit('message', node, message, bytes),
    macFailure: () => {
      this.macFailures++;
    },
    closed: (conn: Connection, reason: string) => this.connectionClosed(conn, reason),
    drain: (node: string) => this.emit('drain', node),
  };

  constructor(private readonly options: TransportOptions) {
    super();
    if (options.self === undefined || typeof options.self.node !== 'string') {
      throw transportError(
        TRANSPORT_ERRORS.BAD_OPTION,
        "self.node is required: this node's name, name@host",
        {
          option: 'self',
        },
      );
    }
    parseNodeName(options.self.node);
    this.node = options.self.node;
    this.mode = options.self.mode ?? namingModeOf(this.node);
    if (typeof options.cookie !== 'string' || options.cookie.length === 0) {
      throw transportError(TRANSPORT_ERRORS.BAD_OPTION, 'cookie is required and must be a non-empty string', {
        option: 'cookie',
      });
    }
    const D = TRANSPORT_DEFAULTS;
    this.opts = {
      port: listenPort(options),
      dialPort: positiveInt(options, 'dialPort', D.port),
      host: options.host ?? D.host,
      ticktimeMs: positiveInt(options, 'ticktimeMs', D.ticktimeMs, 4),
      tickIntensity: positiveInt(options, 'tickIntensity', D.tickIntensity, 4),
      setupTimeoutMs: positiveInt(options, 'setupTimeoutMs', D.setupTimeoutMs),
      maxMessageBytes: positiveInt(options, 'maxMessageBytes', D.maxMessageBytes, 1024),
      maxQueueBytes: positiveInt(options, 'maxQueueBytes', D.maxQueueBytes, 1024),
      flushAtBytes: positiveInt(
        options,
        'flushAtBytes',
        Math.min(D.flushAtBytes, options.maxMessageBytes ?? D.maxMessageBytes),
      ),
      maxInflightBytes: positiveInt(options, 'maxInflightBytes', D.maxInflightBytes),
      maxPendingHandshakes: positiveInt(options, 'maxPendingHandshakes', D.maxPendingHandshakes),
      maxPendingHandshakesPerSource: positiveInt(
        options,
        'maxPendingHandshakesPerSource',
        D.maxPendingHandshakesPerSource,
      ),
      maxRawConnections: positiveInt(options, 'maxRawConnections', D.maxRawConnections),
      maxRawConnectionsPerSource: positiveInt(
        options,
        'maxRawConnectionsPerSource',
        D.maxRawConnectionsPerSource,
      ),
      upgradeTimeoutMs: positiveInt(options, 'upgradeTimeoutMs', D.upgradeTimeoutMs),
      firstMessageTimeoutMs: positiveInt(options, 'firstMessageTimeoutMs', D.firstMessageTimeoutMs),
      hostCheckCacheTtlMs: positiveInt(options, 'hostCheckCacheTtlMs', D.hostCheckCacheTtlMs, 0),
      hostCheckCacheMaxEntries: positiveInt(options, 'hostCheckCacheMaxEntries', D.hostCheckCacheMaxEntries),
      edgeLogIntervalMs: positiveInt(options, 'edgeLogIntervalMs', D.edgeLogIntervalMs, 0),
      verifyPeerHost: options.verifyPeerHost ?? D.verifyPeerHost,
      maskFrames: options.maskFrames ?? D.maskFrames,
      frameIntegrity: options.frameIntegrity ?? D.frameIntegrity,
      maxFrameValues: positiveInt(options, 'maxFrameValues', D.maxFrameValues),
    };
    if (this.opts.maxQueueBytes < this.opts.maxMessageBytes) {
      throw transportError(
        TRANSPORT_ERRORS.BAD_OPTION,
        `maxQueueBytes (${this.opts.maxQueueBytes}) must be at least maxMessageBytes (${this.opts.maxMessageBytes})`,
        { option: 'maxQueueBytes' },
      );
    }
    if (this.opts.flushAtBytes > this.opts.maxMessageBytes) {
      throw transportError(
        TRANSPORT_ERRORS.BAD_OPTION,
        `flushAtBytes (${this.opts.flushAtBytes}) must not exceed maxMessageBytes (${this.opts.maxMessageBytes}): a frame must fit the peer's limit`,
        { option: 'flushAtBytes' },
      );
    }
    if (options.allow !== undefined) {
      if (!Array.isArray(options.allow)) {
        throw transportError(TRANSPORT_ERRORS.BAD_OPTION, 'allow must be an array of node names', {
          option: 'allow',
        });
      }
      for (const n of options.allow) parseNodeName(n);
    }
    if (options.tls !== undefined && (options.tls.cert === undefined || options.tls.key === undefined)) {
      throw transportError(TRANSPORT_ERRORS.BAD_OPTION, 'tls.cert and tls.key are both required for TLS', {
        option: 'tls',
      });
    }
    this.log = (options.logger ?? pino({ enabled: false })).child({ component: 'transport' });
    this.resolver = options.resolver ?? new Resolver();
    this.admission = new Admission(this.opts, this.log);
    this.hostCheck = new HostCheck(this.resolver, {
      ttlMs: this.opts.hostCheckCacheTtlMs,
      maxEntries: this.opts.hostCheckCacheMaxEntries,
    });
    this.hostLog = new LogLimiter(this.opts.edgeLogIntervalMs, this.opts.hostCheckCacheMaxEntries);
    this.params = {
      self: this.node,
      cookie: options.cookie,
      flags: (options.hidden ? FLAGS.HIDDEN : 0) | (this.opts.frameIntegrity ? FLAGS.INTEGRITY : 0),
      setupTimeoutMs: this.opts.setupTimeoutMs,
      maxMessageBytes: this.opts.maxMessageBytes,
    };
  }

  // ---- listening and accepting ----

  async listen(): Promise<{ port: number }> {
    if (this.closed) throw this.closedError();
    if (this.server !== undefined)
      throw transportError(TRANSPORT_ERRORS.BAD_OPTION, 'listen() was already called');
    const tls = this.options.tls;
    const server = tls
      ? createHttpsServer({
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          requestCert: tls.requireClientCert === true,
          rejectUnauthorized: tls.requireClientCert === true,
          connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
        })
      : createHttpServer({ connectionsCheckingInterval: CONNECTIONS_CHECK_MS });
    // Node's own deadlines for a half-sent request, besides the admission's upgrade deadline (which also covers a
    // connection that sends nothing, and the TLS handshake).
    server.headersTimeout = this.opts.upgradeTimeoutMs;
    server.requestTimeout = this.opts.upgradeTimeoutMs;
    server.on('connection', (socket: Socket) => {
      this.admission.admitSocket(socket);
    });
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end(
        `kindred node ${this.node}: speak ${SUBPROTOCOL} over WebSocket at ${TRANSPORT_DEFAULTS.path}\n`,
      );
    });
    server.on('clientError', (_err, socket) => {
      this.count('http_error');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      socket.destroy();
    });
    server.on('tlsClientError', () => this.count('tls_error'));
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.opts.maxMessageBytes,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    wss.on('error', () => {});
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.server = server;
    this.wss = wss;
    const bind = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => {
          server.off('listening', onListening);
          reject(err);
        };
        const onListening = () => {
          server.off('error', onError);
          const addr = server.address();
          resolve(typeof addr === 'object' && addr !== null ? addr.port : this.opts.port);
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(this.opts.port, host);
      });
    let port: number;
    try {
      try {
        port = await bind(this.opts.host);
      } catch (err) {
        // The default '::' needs IPv6; on a host without it, listen on every IPv4 address instead.
        const code = (err as NodeJS.ErrnoException).code;
        if (this.options.host !== undefined || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL'))
          throw err;
        port = await bind('0.0.0.0');
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.server = undefined;
      this.wss = undefined;
      wss.close();
      throw transportError(
        TRANSPORT_ERRORS.CONNECT_FAILED,
        `cannot listen on ${this.opts.host} port ${this.opts.port}: ${e.message}; pick another port with --port or KINDRED_PORT`,
        { port: this.opts.port, host: this.opts.host, errno: e.code },
        err,
      );
    }
    server.on('error', (err: NodeJS.ErrnoException) => this.admission.listenerError(err));
    this.log.info({ port, node: this.node }, 'listening');
    return { port };
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    this.admission.upgraded(socket);
    const wss = this.wss;
    const path = (req.url ?? '').split('?')[0];
    if (wss === undefined || this.closed || path !== TRANSPORT_DEFAULTS.path) {
      this.count('bad_path');
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.incoming(ws, req));
  }

  private incoming(ws: WebSocket, req: IncomingMessage): void {
    ws.on('error', () => {});
    if (ws.protocol !== SUBPROTOCOL) {
      this.count('bad_version');
      closeQuietly(ws, CLOSE.BAD_VERSION);
      return;
    }
    const address = normalizeAddress(req.socket.remoteAddress ?? '');
    const release = this.admission.admitHandshake(address);
    if (release === undefined) {
      this.count('overloaded');
      closeQuietly(ws, CLOSE.OVERLOADED);
      return;
    }
    // A silent initiator holds a handshake slot for firstMessageTimeoutMs, not for the whole setup time.
    const firstMessage = setTimeout(() => {
      this.admission.firstMessageTimedOut(address);
      hs.abort(
        CLOSE.SETUP_TIMEOUT,
        'first_message_timeout',
        transportError(
          TRANSPORT_ERRORS.SETUP_TIMEOUT,
          `the initiator sent no handshake message within ${this.opts.firstMessageTimeoutMs} ms of its upgrade`,
          { address },
        ),
      );
    }, this.opts.firstMessageTimeoutMs);
    firstMessage.unref();
    const hs: AcceptorHandshake = new AcceptorHandshake(
      ws,
      address,
      this.params,
      (peer, remote) => this.decide(hs, peer, remote),
      (failure, result) => {
        clearTimeout(firstMessage);
        release();
        this.incomingDone(hs, ws, address, failure, result);
      },
      (peer, remote) => this.verifyHost(peer, remote),
    );
    this.handshaking.add(hs);
    ws.once('message', () => clearTimeout(firstMessage));
  }

  /**
   * The acceptor's rules on NAME, in order: legal name, not ourselves, allow list, duplicates. None of them queries
   * DNS: the host check waits for the cookie proof ({@link verifyHost}).
   */
  private async decide(hs: AcceptorHandshake, peer: NameMsg, remote: string): Promise<AcceptDecision> {
    const name = peer.name;
    try {
      checkDialable(name, this.mode);
    } catch (err) {
      this.log.warn(
        { peer: { name, address: remote }, reason: 'illegal_name' },
        `Connection attempt from node ${quoted(name)} refused: its name is illegal under ${this.mode} (${(err as Error).message.replaceAll('\n', ' ')})`,
      );
      return { refuse: 'not_allowed', reason: 'illegal_name' };
    }
    if (name === this.node) return { refuse: 'not_allowed', reason: 'own_name' };
    if (this.options.allow !== undefined && !this.options.allow.includes(name)) {
      this.log.warn(
        { peer: { name, address: remote } },
        `** Connection attempt from disallowed node ${quoted(name)} **`,
      );
      return { refuse: 'not_allowed', reason: 'disallowed' };
    }
    if (this.closed) return { refuse: 'nok', reason: 'shutting_down' };
    // The initiator may have gone while the checks ran; registering it now would block its next attempt.
    if (hs.isFinished) return { refuse: 'nok', reason: 'gone' };
    // Duplicates and simultaneous connects (Erlang's rule): decided after the async checks, on the current state.
    const otherIn = this.pendingIn.get(name);
    if (otherIn !== undefined && otherIn !== hs) return { refuse: 'nok', reason: 'duplicate' };
    if (this.peers.has(name)) {
      this.pendingIn.set(name, hs);
      return { accept: 'alive' };
    }
    const out = this.pendingOut.get(name);
    if (out !== undefined) {
      if (this.node > name) return { refuse: 'nok', reason: 'simultaneous' };
      this.pendingOut.delete(name);
      out.abort(
        CLOSE.NOK,
        'simultaneous',
        transportError(
          TRANSPORT_ERRORS.CONNECT_FAILED,
          `simultaneous connect with ${name}: the other one wins`,
        ),
      );
      this.pendingIn.set(name, hs);
      return { accept: 'ok_simultaneous' };
    }
    this.pendingIn.set(name, hs);
    return { accept: 'ok' };
  }

  /**
   * The host check (kindred's addition, under long names): the initiator's host must resolve to the connection's
   * address. It runs only after the REPLY digest was verified, so a peer without the cookie makes this node send no
   * DNS query; lookups are cached per host (HostCheck). A refusal is logged once per host per edgeLogIntervalMs.
   */
  private async verifyHost(
    peer: NameMsg,
    remote: string,
  ): Promise<{ refuse: RefuseStatus; reason: string } | null> {
    if (!this.opts.verifyPeerHost || this.mode !== 'longnames') return null;
    const name = peer.name;
    const host = parseNodeName(name).host;
    const verdict = await this.hostCheck.verify(host, remote);
    if (verdict.ok) return null;
    const suppressed = this.hostLog.take(host.toLowerCase());
    if (suppressed !== undefined) {
      if (verdict.reason === 'host_unresolved') {
        this.log.warn(
          { peer: { name, address: remote }, suppressed },
          `Connection attempt from node ${quoted(name)} refused: its host does not resolve (${verdict.error})`,
        );
      } else {
        this.log.warn(
          { peer: { name, address: remote, resolved: verdict.addresses }, suppressed },
          `Connection attempt from node ${quoted(name)} refused: its host resolves to ${verdict.addresses.join(', ')}, not to ${remote}`,
        );
      }
    }
    return { refuse: 'not_allowed', reason: verdict.reason };
  }

  private incomingDone(
    hs: AcceptorHandshake,
    ws: WebSocket,
    address: string,
    failure: HandshakeFailure | null,
    result?: HandshakeResult,
  ): void {
    this.handshaking.delete(hs);
    const name = hs.claimedName;
    if (name !== undefined && this.pendingIn.get(name) === hs) this.pendingIn.delete(name);
    if (failure !== null || result === undefined) {
      const f = failure as HandshakeFailure;
      this.count(f.reason);
      if (f.reason === 'bad_cookie') {
        this.log.warn(
          { peer: { name: f.peer, address } },
          `** Connection attempt from node ${quoted(f.peer ?? '?')} rejected. Invalid challenge reply. **`,
        );
      } else {
        this.log.debug({ peer: { name, address }, reason: f.reason }, 'incoming handshake failed');
      }
      // Someone waiting for this node with no dial of its own (it lost a simultaneous connect) hears the failure.
      if (
        name !== undefined &&
        f.reason !== 'nok' &&
        f.reason !== 'simultaneous' &&
        !this.pendingOut.has(name)
      ) {
        this.rejectWaiter(name, f.error);
      }
      return;
    }
    this.established(result, ws, 'in', address);
  }

  // ---- dialing ----

  connect(node: string, opts: { port?: number; address?: string } = {}): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (node === this.node || this.peers.has(node)) return Promise.resolve();
    const existing = this.waiters.get(node);
    if (existing !== undefined) return existing.promise;
    try {
      checkDialable(node, this.mode);
    } catch (err) {
      this.log.error({ peer: { name: node } }, (err as Error).message);
      return Promise.reject(err);
    }
    if (this.options.allow !== undefined && !this.options.allow.includes(node)) {
      return Promise.reject(
        transportError(TRANSPORT_ERRORS.NOT_ALLOWED, `${node} is not in this node's allow list`, { node }),
      );
    }
    const waiter = this.newWaiter(node);
    if (!this.pendingIn.has(node)) void this.dial(node, opts);
    return waiter.promise;
  }

  private newWaiter(node: string): Waiter {
    let resolve!: () => void;
    let reject!: (err: KindredError) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Name resolution and the handshake each get setupTimeoutMs.
    const timer = setTimeout(() => {
      this.rejectWaiter(
        node,
        transportError(
          TRANSPORT_ERRORS.SETUP_TIMEOUT,
          `no connection to ${node} within ${2 * this.opts.setupTimeoutMs} ms; is it up and reachable?`,
          { node },
        ),
      );
    }, 2 * this.opts.setupTimeoutMs);
    timer.unref();
    const waiter: Waiter = { promise, resolve, reject, timer };
    this.waiters.set(node, waiter);
    return waiter;
  }

  private resolveWaiter(node: string): void {
    const w = this.waiters.get(node);
    if (w === undefined) return;
    this.waiters.delete(node);
    clearTimeout(w.timer);
    w.resolve();
  }

  private rejectWaiter(node: string, err: KindredError): void {
    const w = this.waiters.get(node);
    if (w === undefined) return;
    this.waiters.delete(node);
    clearTimeout(w.timer);
    w.reject(err);
  }

  private async dial(node: string, opts: { port?: number; address?: string }): Promise<void> {
    const host = parseNodeName(node).host;
    let address = opts.address;
    if (address === undefined) {
      if (isIP(host) !== 0) address = host;
      else {
        try {
          const found = await this.resolver.lookupHost(host);
          address = found.addresses[0];
        } catch (err) {
          this.count('unresolved');
          this.rejectWaiter(node, err as KindredError);
          return;
        }
        if (address === undefined) {
          this.count('unresolved');
          this.rejectWaiter(
            node,
            transportError(
              TRANSPORT_ERRORS.CONNECT_FAILED,
              `${host} has no address; check DNS or /etc/hosts`,
              {
                node,
              },
            ),
          );
          return;
        }
      }
    }
    if (this.closed || !this.waiters.has(node) || this.peers.has(node) || this.pendingIn.has(node)) return;
    const port = opts.port ?? this.opts.dialPort;
    const tls = this.options.tls;
    const url = `${tls ? 'wss' : 'ws'}://${urlHost(address)}:${port}${TRANSPORT_DEFAULTS.path}`;
    const ws = new WebSocket(url, [SUBPROTOCOL], {
      perMessageDeflate: false,
      maxPayload: this.opts.maxMessageBytes,
      handshakeTimeout: this.opts.setupTimeoutMs,
      followRedirects: false,
      ...(this.opts.maskFrames ? {} : { generateMask: zeroMask }),
      ...(tls
        ? {
            ...(isIP(host) === 0 ? { servername: host } : {}),
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
            rejectUnauthorized: true,
          }
        : {}),
    });
    ws.on('error', () => {});
    const hs: InitiatorHandshake = new InitiatorHandshake(ws, node, this.params, (failure, result) => {
      if (this.pendingOut.get(node) === hs) this.pendingOut.delete(node);
      if (failure !== null || result === undefined) this.outgoingFailed(node, failure as HandshakeFailure);
      else this.established(result, ws, 'out', address);
    });
    this.pendingOut.set(node, hs);
  }

  private outgoingFailed(node: string, f: HandshakeFailure): void {
    this.count(f.reason);
    if (f.reason === 'simultaneous' || f.reason === 'nok') {
      // The other direction's connection is the one that survives; the waiter waits for it (or its timer).
      if (this.peers.has(node)) this.resolveWaiter(node);
      return;
    }
    if (f.reason === 'bad_cookie') {
      this.log.warn(
        { peer: { name: node } },
        `** Connection attempt to node ${quoted(node)} rejected: ${f.error.message} **`,
      );
    } else {
      this.log.debug({ peer: { name: node }, reason: f.reason }, f.error.message);
    }
    this.rejectWaiter(node, f.error);
  }

  // ---- connections ----

  private established(
    result: HandshakeResult,
    ws: WebSocket,
    direction: 'in' | 'out',
    address: string,
  ): void {
    const node = result.name;
    if (this.closed) {
      closeQuietly(ws, CLOSE.NORMAL);
      return;
    }
    this.completed++;
    const old = this.peers.get(node);
    // The old connection's nodedown is emitted (synchronously) before the new nodeup.
    if (old !== undefined) old.close(CLOSE.REPLACED, 'connection_closed');
    const other = direction === 'in' ? this.pendingOut.get(node) : undefined;
    if (other !== undefined) {
      this.pendingOut.delete(node);
      other.abort(CLOSE.NOK, 'nok', transportError(TRANSPORT_ERRORS.CONNECT_FAILED, 'superseded'));
    }
    const conn = new Connection(node, ws, this.opts, this.handlers, result.keys);
    const info: NodeInfo = { direction, address, hidden: (result.flags & FLAGS.HIDDEN) !== 0 };
    this.peers.set(node, conn);
    this.peerInfo.set(conn, info);
    this.log.info({ peer: { name: node, address }, direction }, 'nodeup');
    this.emit('nodeup', node, info);
    this.resolveWaiter(node);
  }

  private connectionClosed(conn: Connection, reason: string): void {
    if (this.peers.get(conn.node) !== conn) return;
    this.peers.delete(conn.node);
    this.log.info({ peer: { name: conn.node }, reason }, 'nodedown');
    if (reason === 'net_tick_timeout') {
      this.log.warn(
        { peer: { name: conn.node } },
        `** Node ${quoted(conn.node)} not responding ** ** Removing (timedout) connection **`,
      );
    }
    this.emit('nodedown', conn.node, reason);
  }

  send(node: string, message: unknown): void {
    const conn = this.peers.get(node);
    if (conn === undefined) {
      throw transportError(
        TRANSPORT_ERRORS.NOT_CONNECTED,
        `not connected to ${node}; connect() first (or the node went down)`,
        { node },
      );
    }
    conn.send(message);
  }

  disconnect(node: string): void {
    this.peers.get(node)?.close(CLOSE.NORMAL, 'disconnect');
  }

  nodes(): string[] {
    const out: string[] = [];
    for (const [node, conn] of this.peers) if (!this.peerInfo.get(conn)?.hidden) out.push(node);
    return out;
  }

  allNodes(): string[] {
    return [...this.peers.keys()];
  }

  stats(): TransportStats {
    const peers: Record<string, PeerStats & { direction: 'in' | 'out' }> = {};
    for (const [node, conn] of this.peers) {
      peers[node] = { ...conn.stats, direction: this.peerInfo.get(conn)?.direction ?? 'in' };
    }
    return {
      peers,
      handshakeFailures: { ...this.failures },
      handshakesCompleted: this.completed,
      pendingHandshakes: this.handshaking.size + this.pendingOut.size,
      edge: this.admission.stats(),
      hostChecks: this.hostCheck.stats(),
      macFailures: this.macFailures,
    };
  }

  private count(reason: string): void {
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
  }

  private closedError(): KindredError {
    return transportError(TRANSPORT_ERRORS.CLOSED, `the transport of ${this.node} is closed`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = this.closedError();
    for (const hs of [...this.pendingOut.values()]) hs.abort(CLOSE.NORMAL, 'shutdown', err);
    for (const hs of [...this.handshaking]) hs.abort(CLOSE.NORMAL, 'shutdown', err);
    for (const conn of [...this.peers.values()]) conn.close(CLOSE.NORMAL, 'net_kernel_terminated');
    for (const node of [...this.waiters.keys()]) this.rejectWaiter(node, err);
    const wss = this.wss;
    const server = this.server;
    if (wss !== undefined) {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

/**
 * Creates one node's transport. Options are validated here (KINDRED_ERR_TRANSPORT_OPTION names the option).
 *
 * @example
 * const t = createTransport({ self: { node: 'app@web-0.web.default.svc.cluster.local' }, cookie });
 * t.on('message', (from, msg) => console.log(from, msg));
 * await t.listen();
 * await t.connect('app@web-1.web.default.svc.cluster.local');
 * t.send('app@web-1.web.default.svc.cluster.local', { hello: 'world' });
 */
export function createTransport(options: TransportOptions): Transport {
  return new TransportImpl(options);
}
