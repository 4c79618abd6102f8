import { EventEmitter } from 'node:events';
import type { KindredError, Logger } from '@kindred/interface';
import { checkDialable, parseNodeName } from '@kindred/node-identity';
import type { WebSocket } from 'ws';
import { acceptPolicy } from './accept-policy.js';
import { Admission } from './admission.js';
import { Connection, type PeerStats } from './connection.js';
import { dialAddress, dialSocket } from './dialer.js';
import { TRANSPORT_ERRORS, transportError } from './errors.js';
import {
  type AcceptDecision,
  AcceptorHandshake,
  type HandshakeFailure,
  type HandshakeParams,
  type HandshakeResult,
  InitiatorHandshake,
} from './handshake.js';
import { InitiatorHostCheck } from './host-check.js';
import { Listener } from './listener.js';
import { type ResolvedTransportOptions, resolveTransportOptions } from './options.js';
import { PeerTable } from './peer-table.js';
import { CLOSE, FLAGS, type NameMsg } from './protocol.js';
import type {
  NodeInfo,
  Transport,
  TransportCloseOptions,
  TransportEvents,
  TransportOptions,
  TransportStats,
} from './types.js';
import { closeQuietly } from './ws-util.js';

/** Erlang-style quoting of a node name in log lines. */
const quoted = (node: string): string => `'${node}'`;

/**
 * The transport: wires the listener, the dialer, the handshakes, the accept policy and the peer table, and emits
 * the events. Its state is the peer table (one record per node) plus counters.
 */
class TransportImpl extends EventEmitter<TransportEvents> implements Transport {
  readonly node: string;
  readonly mode: Transport['mode'];
  readonly #opts: ResolvedTransportOptions;
  readonly #log: Logger;
  readonly #admission: Admission;
  readonly #hostCheck: InitiatorHostCheck;
  readonly #params: HandshakeParams;
  readonly #listener: Listener;
  readonly #peers: PeerTable<InitiatorHandshake, AcceptorHandshake, Connection, NodeInfo>;
  /** Incoming handshakes in progress, before and after they named themselves. */
  readonly #handshaking = new Set<AcceptorHandshake>();
  readonly #failures: Record<string, number> = {};
  /** Dials refused by the peer's host (ECONNREFUSED): not handshake failures, counted apart. */
  #connectionsRefused = 0;
  /** Traffic of the connections that closed, so `stats().totals` never goes down. */
  readonly #closedTotals = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
  #completed = 0;
  #macFailures = 0;
  #closed = false;
  readonly #handlers = {
    message: (node: string, message: unknown, bytes: number) => this.emit('message', node, message, bytes),
    macFailure: () => {
      this.#macFailures++;
    },
    closed: (conn: Connection, reason: string) => this.#connectionClosed(conn, reason),
    drain: (node: string) => this.emit('drain', node),
  };

  constructor(options: TransportOptions) {
    super();
    const opts = resolveTransportOptions(options);
    this.#opts = opts;
    this.node = opts.node;
    this.mode = opts.mode;
    this.#log = opts.log;
    this.#peers = new PeerTable(this.node);
    this.#admission = new Admission(opts, this.#log);
    this.#hostCheck = new InitiatorHostCheck(
      opts.resolver,
      {
        ttlMs: opts.hostCheckCacheTtlMs,
        maxEntries: opts.hostCheckCacheMaxEntries,
        logIntervalMs: opts.edgeLogIntervalMs,
      },
      this.#log,
    );
    this.#params = {
      self: this.node,
      cookie: opts.cookie,
      flags: (opts.hidden ? FLAGS.HIDDEN : 0) | (opts.frameIntegrity ? FLAGS.INTEGRITY : 0),
      setupTimeoutMs: opts.setupTimeoutMs,
      maxMessageBytes: opts.maxMessageBytes,
    };
    this.#listener = new Listener(opts, this.#admission, {
      count: (reason) => this.#count(reason),
      isClosed: () => this.#closed,
      accepted: (ws, address, release) => this.#accept(ws, address, release),
    });
  }

  async listen(): Promise<{ port: number }> {
    if (this.#closed) throw this.#closedError();
    const port = await this.#listener.listen();
    this.#log.info({ port, node: this.node }, 'listening');
    return { port };
  }

  // Accepting: the handshake, the accept policy, the host check after the cookie proof (InitiatorHostCheck).

  #accept(ws: WebSocket, address: string, release: () => void): void {
    const { firstMessageTimeoutMs } = this.#opts;
    // A silent initiator holds a handshake slot for firstMessageTimeoutMs, not for the whole setup time.
    const firstMessage = setTimeout(() => {
      this.#admission.firstMessageTimedOut(address);
      hs.abort(
        'first_message_timeout',
        `the initiator sent no handshake message within ${firstMessageTimeoutMs} ms of its upgrade`,
      );
    }, firstMessageTimeoutMs);
    firstMessage.unref();
    const hs: AcceptorHandshake = new AcceptorHandshake(
      ws,
      address,
      this.#params,
      async (peer, remote) => this.#decide(hs, peer, remote),
      (failure, result) => {
        clearTimeout(firstMessage);
        release();
        this.#incomingDone(hs, ws, address, failure, result);
      },
      async (peer, remote) =>
        this.#opts.verifyPeerHost && this.mode === 'longnames'
          ? this.#hostCheck.verify(peer.name, remote)
          : null,
    );
    this.#handshaking.add(hs);
    ws.once('message', () => clearTimeout(firstMessage));
  }

  /** The accept policy on NAME (no DNS), then the peer table on duplicates and simultaneous connects. */
  #decide(hs: AcceptorHandshake, peer: NameMsg, remote: string): AcceptDecision {
    const verdict = acceptPolicy(peer, {
      self: this.node,
      mode: this.mode,
      flags: this.#params.flags,
      allow: this.#opts.allow,
    });
    if (!verdict.accept) {
      const who = { peer: { name: peer.name, address: remote } };
      if (verdict.reason === 'illegal_name') {
        this.#log.warn(
          { ...who, reason: 'illegal_name' },
          `Connection attempt from node ${quoted(peer.name)} refused: its name is illegal under ${this.mode} (${verdict.detail})`,
        );
      } else if (verdict.reason === 'disallowed') {
        this.#log.warn(who, `** Connection attempt from disallowed node ${quoted(peer.name)} **`);
      }
      return { refuse: 'not_allowed', reason: verdict.reason };
    }
    if (this.#closed) return { refuse: 'nok', reason: 'shutting_down' };
    // The initiator may have gone while the checks ran; registering it now would block its next attempt.
    if (hs.isFinished) return { refuse: 'nok', reason: 'gone' };
    return this.#peers.claim(peer.name, hs);
  }

  #incomingDone(
    hs: AcceptorHandshake,
    ws: WebSocket,
    address: string,
    failure: HandshakeFailure | null,
    result?: HandshakeResult,
  ): void {
    this.#handshaking.delete(hs);
    const name = hs.claimedName;
    if (name !== undefined) this.#peers.acceptEnded(name, hs);
    if (failure === null && result !== undefined) {
      this.#established(result, ws, 'in', address);
      return;
    }
    const f = failure as HandshakeFailure;
    this.#count(f.reason);
    if (f.reason === 'bad_cookie') {
      this.#log.warn(
        { peer: { name: f.peer, address } },
        `** Connection attempt from node ${quoted(f.peer ?? '?')} rejected. Invalid challenge reply. **`,
      );
    } else {
      this.#log.debug({ peer: { name, address }, reason: f.reason }, 'incoming handshake failed');
    }
    // Someone waiting for this node with no dial of its own (it lost a simultaneous connect) hears the failure.
    const noDial = name !== undefined && this.#peers.get(name)?.dialing === undefined;
    if (noDial && f.reason !== 'nok' && f.reason !== 'simultaneous') this.#peers.settle(name, f.error);
  }

  // Dialing.

  connect(node: string, opts: { port?: number; address?: string } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (node === this.node || this.#peers.connection(node) !== undefined) return Promise.resolve();
    const existing = this.#peers.waiter(node);
    if (existing !== undefined) return existing.promise;
    try {
      checkDialable(node, this.mode);
    } catch (err) {
      this.#log.error({ peer: { name: node } }, (err as Error).message);
      return Promise.reject(err);
    }
    const allow = this.#opts.allow;
    if (allow !== undefined && !allow.includes(node)) {
      return Promise.reject(
        transportError(TRANSPORT_ERRORS.NOT_ALLOWED, `${node} is not in this node's allow list`, {
          node,
          reason: 'not_allowed',
        }),
      );
    }
    // Name resolution and the handshake each get setupTimeoutMs.
    const timeoutMs = 2 * this.#opts.setupTimeoutMs;
    const waiter = this.#peers.wait(node, timeoutMs, () =>
      transportError(
        TRANSPORT_ERRORS.SETUP_TIMEOUT,
        `no connection to ${node} within ${timeoutMs} ms; is it up and reachable?`,
        { node, reason: 'setup_timeout' },
      ),
    );
    if (this.#peers.get(node)?.accepting === undefined) void this.#dial(node, opts);
    return waiter.promise;
  }

  async #dial(node: string, opts: { port?: number; address?: string }): Promise<void> {
    const host = parseNodeName(node).host;
    let address: string;
    try {
      address = await dialAddress(node, host, opts.address, this.#opts.resolver);
    } catch (err) {
      this.#count('unresolved');
      this.#peers.settle(node, err as KindredError);
      return;
    }
    const r = this.#peers.get(node);
    if (this.#closed || r?.waiter === undefined || r.conn !== undefined || r.accepting !== undefined) return;
    const ws = dialSocket(this.#opts, host, address, opts.port ?? this.#opts.dialPort);
    const hs: InitiatorHandshake = new InitiatorHandshake(ws, node, this.#params, (failure, result) => {
      this.#peers.dialEnded(node, hs);
      if (failure === null && result !== undefined) this.#established(result, ws, 'out', address);
      else this.#outgoingFailed(node, failure as HandshakeFailure);
    });
    this.#peers.dialing(node, hs);
  }

  #outgoingFailed(node: string, f: HandshakeFailure): void {
    if (f.reason === 'connection_refused') this.#connectionsRefused++;
    else this.#count(f.reason);
    if (f.reason === 'simultaneous' || f.reason === 'nok') {
      // The other direction's connection is the one that survives; the waiter waits for it (or its timer).
      if (this.#peers.connection(node) !== undefined) this.#peers.settle(node);
      return;
    }
    if (f.reason === 'bad_cookie') {
      this.#log.warn(
        { peer: { name: node } },
        `** Connection attempt to node ${quoted(node)} rejected: ${f.error.message} **`,
      );
    } else {
      this.#log.debug({ peer: { name: node }, reason: f.reason }, f.error.message);
    }
    this.#peers.settle(node, f.error);
  }

  // Connections.

  #established(result: HandshakeResult, ws: WebSocket, direction: 'in' | 'out', address: string): void {
    const node = result.name;
    if (this.#closed) {
      closeQuietly(ws, CLOSE.NORMAL);
      return;
    }
    this.#completed++;
    // The old connection's nodedown is emitted (synchronously, while it is still the table's) before the new nodeup.
    this.#peers.connection(node)?.close(CLOSE.REPLACED, 'connection_closed');
    const conn = new Connection(node, ws, this.#opts, this.#handlers, result.keys);
    const info: NodeInfo = { direction, address, hidden: (result.flags & FLAGS.HIDDEN) !== 0 };
    const { superseded } = this.#peers.up(node, conn, info, direction);
    superseded?.abort('nok', 'superseded');
    this.#log.info({ peer: { name: node, address }, direction }, 'nodeup');
    this.emit('nodeup', node, info);
    this.#peers.settle(node);
  }

  #connectionClosed(conn: Connection, reason: string): void {
    if (!this.#peers.down(conn.node, conn)) return;
    addTraffic(this.#closedTotals, conn.stats);
    this.#log.info({ peer: { name: conn.node }, reason }, 'nodedown');
    if (reason === 'net_tick_timeout') {
      this.#log.warn(
        { peer: { name: conn.node } },
        `** Node ${quoted(conn.node)} not responding ** ** Removing (timedout) connection **`,
      );
    }
    this.emit('nodedown', conn.node, reason);
  }

  send(node: string, message: unknown): void {
    const conn = this.#peers.connection(node);
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
    this.#peers.connection(node)?.close(CLOSE.NORMAL, 'disconnect');
  }

  nodes(): string[] {
    const out: string[] = [];
    for (const [node, , info] of this.#peers.connections()) if (!info.hidden) out.push(node);
    return out;
  }

  allNodes(): string[] {
    return [...this.#peers.connections()].map(([node]) => node);
  }

  stats(): TransportStats {
    const peers: Record<string, PeerStats & { direction: 'in' | 'out' }> = {};
    const totals = { ...this.#closedTotals };
    for (const [node, conn, info] of this.#peers.connections()) {
      peers[node] = { ...conn.stats, direction: info.direction };
      addTraffic(totals, conn.stats);
    }
    return {
      peers,
      totals,
      handshakeFailures: { ...this.#failures },
      connectionsRefused: this.#connectionsRefused,
      handshakesCompleted: this.#completed,
      pendingHandshakes: this.#handshaking.size + this.#peers.dials().length,
      edge: this.#admission.stats(),
      hostChecks: this.#hostCheck.stats(),
      macFailures: this.#macFailures,
    };
  }

  #count(reason: string): void {
    this.#failures[reason] = (this.#failures[reason] ?? 0) + 1;
  }

  #closedError(): KindredError {
    return transportError(TRANSPORT_ERRORS.TRANSPORT_CLOSED, `the transport of ${this.node} is closed`);
  }

  async close(options: TransportCloseOptions = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const message = this.#closedError().message;
    for (const hs of this.#peers.dials()) hs.abort('shutdown', message);
    for (const hs of [...this.#handshaking]) hs.abort('shutdown', message);
    const close = options.leave === true ? CLOSE.LEAVE : CLOSE.NORMAL;
    for (const [, conn] of [...this.#peers.connections()]) conn.close(close, 'net_kernel_terminated');
    for (const node of this.#peers.waiting()) this.#peers.settle(node, this.#closedError());
    await this.#listener.close();
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

/** Adds a connection's message and byte counters to `into` (the totals of closed connections, or of a snapshot). */
function addTraffic(into: Traffic, from: Traffic): void {
  into.messagesIn += from.messagesIn;
  into.messagesOut += from.messagesOut;
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
}

/** The counters {@link addTraffic} sums. */
interface Traffic {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}
