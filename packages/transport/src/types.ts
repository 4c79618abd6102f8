import type { EventEmitter } from 'node:events';
import type { KindredError, Logger } from '@kindred/interface';
import type { NamingMode } from '@kindred/node-identity';
import type { EdgeStats } from './admission.js';
import type { PeerStats } from './connection.js';
import type { HostCheckStats, HostResolver } from './host-check.js';

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
  /** A logger (pino fits); the transport logs through a child `{ component: 'transport' }`. Silent without one. */
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
  /** Traffic of every connection since the transport started, closed ones included: never goes down. */
  readonly totals: {
    readonly messagesIn: number;
    readonly messagesOut: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
  };
  /** Failed handshakes by reason (bad_cookie, not_allowed, name_mismatch, nok, setup_timeout, protocol_error, ...). */
  readonly handshakeFailures: Record<string, number>;
  /**
   * Dials the peer's host refused (ECONNREFUSED: nothing listens on that port, e.g. a node restarting or gone), which
   * never reached a handshake. Counted here, not in `handshakeFailures`, so an alert on failed handshakes does not
   * fire on every redial of a dead peer. The dial's error has `details.reason` `connection_refused`.
   */
  readonly connectionsRefused: number;
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
   * _NAME_MISMATCH, _BAD_COOKIE, _NOT_ALLOWED, _INTEGRITY_MISMATCH, _SETUP_TIMEOUT, _PROTOCOL_VERSION,
   * _CONNECT_FAILED, a DNS code. The error's `details.reason` is the transport's own reason (`bad_cookie`,
   * `name_mismatch`, `setup_timeout`, `unresolved`, ...; for _NOT_ALLOWED the acceptor's: `disallowed`,
   * `host_mismatch`, ...). Resolves at once when already connected or when `node` is this node.
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
  /**
   * Closes every connection (nodedown `net_kernel_terminated` here) and the listener. Peers see `connection_closed`,
   * or `shutdown` with `{ leave: true }` (close code 4012: this node leaves on purpose).
   */
  close(options?: TransportCloseOptions): Promise<void>;
}

/** Options of {@link Transport.close}. */
export interface TransportCloseOptions {
  /** Tell every peer this is a planned leave (close code 4012, their nodedown reason `shutdown`). Default false. */
  readonly leave?: boolean;
}
