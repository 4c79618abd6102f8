/**
 * The peer table, net_kernel's role: which nodes are connected (and hidden or not), frames waiting for a connection
 * (auto-connect), ports, dial backoff and rate, each peer's byte budget for its messages waiting in mailboxes, and the
 * links and monitors that cross to each node (undone at nodedown). Inbound frames go to dispatch.ts.
 * @internal
 */
import { KindredError } from '@kindred/dns';
import { isValidHostPart, isValidNamePart } from '@kindred/node-identity';
import { OP } from './control.js';
import type { Core, PeerLink, PeersPart } from './core.js';
import { SYSTEM_NAMES } from './defaults.js';
import { dispatchFrame, SPOOFED } from './dispatch.js';
import { formatTerm, RUNTIME_ERRORS } from './errors.js';
import type { DownMessage } from './messages.js';
import type { PeerBudget, Proc } from './process.js';
import { type Pid, pidKey, type Ref, refKey } from './terms.js';

/** What is remembered of a node this node dialled without success, or learned from gossip (bounded, see #dials). */
interface DialState {
  /** Failed dials in a row (0: none yet). */
  failures: number;
  /** No automatic dial before this time (ms since the epoch). */
  retryAt: number;
  /** A port learned from a peers message, until `portUntil` or the first failed dial. */
  port: number | undefined;
  portUntil: number;
}

/** Per connected (or once connected) remote node: what must be undone when it goes down. */
interface PeerRecord {
  /** Links between local processes and processes on that node: key `${localKey}|${remotePidKey}`. */
  links: Map<string, PeerLink>;
  /** Monitors held by local processes on processes of that node. */
  outMonitors: Map<string, Proc>;
  /** Monitors held by processes of that node on local processes. */
  inMonitors: Map<string, Proc>;
}

const isPort = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;

/** A legal node name, `name@host` (Erlang's rules, @kindred/node-identity), as connect_all accepts from peers. */
function isNodeName(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 255) return false;
  const at = v.indexOf('@');
  return at > 0 && isValidNamePart(v.slice(0, at)) && isValidHostPart(v.slice(at + 1));
}

/** @internal See the module comment. */
export class Peers implements PeersPart {
  readonly #core: Core;
  readonly #nodeState = new Map<string, PeerRecord>();
  readonly #connected = new Map<string, { hidden: boolean }>();
  readonly #pending = new Map<string, unknown[][]>();
  /** Ports of nodes that were connected, discovered or given to connect(): trusted, kept. */
  readonly #ports = new Map<string, number>();
  /** Nodes that did not answer a dial, or whose port came from gossip: at most maxRememberedNodes, oldest first. */
  readonly #dials = new Map<string, DialState>();
  /** Automatic dials in progress. */
  readonly #dialing = new Set<string>();
  #dialTokens = 0;
  #dialTokensAt = 0;
  /** Budgets of peers with messages in mailboxes or a connection; see PeerBudget. */
  readonly #budgets = new Map<string, PeerBudget>();
  readonly #queued = { bytes: 0 };
  /** The budget of the last peer a message came from (a peer sends many in a row). */
  #lastBudget: PeerBudget | undefined = undefined;
  /** Budget of the remote frame being dispatched (its cost is Core.inCost). */
  #inBudget: PeerBudget | undefined = undefined;

  constructor(core: Core) {
    this.#core = core;
  }

  isConnected(node: string): boolean {
    return this.#connected.has(node);
  }

  links(node: string): Map<string, PeerLink> {
    return this.#state(node).links;
  }

  outMonitors(node: string): Map<string, Proc> {
    return this.#state(node).outMonitors;
  }

  inMonitors(node: string): Map<string, Proc> {
    return this.#state(node).inMonitors;
  }

  record(node: string): PeerRecord | undefined {
    return this.#nodeState.get(node);
  }

  /** Counters for stats(). */
  counts(): { queuedBytes: number; rememberedNodes: number; remoteLinks: number; remoteMonitors: number } {
    let remoteLinks = 0;
    let remoteMonitors = 0;
    for (const st of this.#nodeState.values()) {
      remoteLinks += st.links.size;
      remoteMonitors += st.outMonitors.size + st.inMonitors.size;
    }
    return {
      queuedBytes: this.#queued.bytes,
      rememberedNodes: this.#dials.size,
      remoteLinks,
      remoteMonitors,
    };
  }

  /** Forgets every peer (stop). */
  clear(): void {
    this.#pending.clear();
    this.#connected.clear();
    this.#nodeState.clear();
  }

  /**
   * Charges `cost` bytes of the frame being dispatched to p's mailbox, its peer and the node; false when that goes
   * over a cap (then p was killed, or the peer disconnected, and the message is dropped).
   */
  charge(p: Proc, q: unknown[], cost: number): boolean {
    const x = p.ext();
    if (x.mb + cost > (x.byteCap ?? this.#core.opts.maxMailboxBytes)) {
      this.#core.stats.mailboxOverflows++;
      this.#core.signals.terminate(p, 'mailbox_overflow');
      return false;
    }
    const b = this.#inBudget!;
    if (b.bytes + cost > this.#core.opts.maxQueuedBytesPerPeer) {
      this.#cutPeer(b, 'maxQueuedBytesPerPeer');
      return false;
    }
    if (this.#queued.bytes + cost > this.#core.opts.maxQueuedBytes) {
      this.#cutPeer(b, 'maxQueuedBytes');
      return false;
    }
    let c = x.mc;
    if (c === undefined) {
      c = [];
      for (let i = 0; i < q.length; i++) c.push(undefined, 0);
      x.mc = c;
    }
    c.push(b, cost);
    x.mb += cost;
    b.bytes += cost;
    b.total.bytes += cost;
    return true;
  }

  /**
   * A peer whose unread messages went over its budget (or the node's) is disconnected: its messages in flight are
   * lost, as when any connection drops, and what it already queued stays until read. Logged once per connection.
   */
  #cutPeer(b: PeerBudget, cap: string): void {
    if (b.cut) return;
    b.cut = true;
    this.#core.stats.peerOverflows++;
    this.#core.log.warn(
      { peer: { node: b.node }, cap, queuedBytes: b.bytes, nodeQueuedBytes: this.#queued.bytes },
      'peer disconnected: its unread messages went over the byte cap',
    );
    this.#core.dist?.disconnect(b.node);
  }

  #budgetOf(node: string): PeerBudget {
    let b = this.#budgets.get(node);
    if (b === undefined) {
      b = { node, bytes: 0, total: this.#queued, cut: false };
      this.#budgets.set(node, b);
    }
    this.#lastBudget = b;
    return b;
  }

  /** Connected visible nodes (Erlang's nodes()). */
  nodes(): string[] {
    return this.visible();
  }

  /** Connected hidden nodes (nodes(hidden)). */
  hidden(): string[] {
    return [...this.#connected].filter(([, i]) => i.hidden).map(([n]) => n);
  }

  visible(): string[] {
    const out: string[] = [];
    for (const [n, i] of this.#connected) if (!i.hidden) out.push(n);
    return out;
  }

  /**
   * Connects to `node` (rejects with the transport's code when it cannot: pang). An explicit connect (net_adm:ping)
   * is made even while automatic dials to `node` are in backoff; its failure counts as one more failed dial.
   */
  async connect(node: string, opts?: { port?: number; address?: string }): Promise<void> {
    if (!this.#core.dist) throw this.#notDistributed();
    if (opts?.port !== undefined) this.#ports.set(node, opts.port);
    if (this.#connected.has(node)) return;
    const port = opts?.port ?? this.#portOf(node);
    try {
      await this.#core.dist.connect(node, port === undefined ? opts : { ...opts, port });
    } catch (err) {
      if (!this.#connected.has(node)) this.#dialFailed(node);
      throw err;
    }
  }

  /** Drops the connection to `node`. */
  disconnect(node: string): void {
    this.#core.dist?.disconnect(node);
  }

  /** Remembers the port `node` listens on (discovery, connect with a port), for connect_all and auto-connect. */
  setPort(node: string, port: number): void {
    this.#ports.set(node, port);
  }

  #notDistributed(): KindredError {
    return new KindredError(
      RUNTIME_ERRORS.BAD_OPTION,
      'This node is not distributed; start it with startNode().',
    );
  }

  #state(node: string): PeerRecord {
    let s = this.#nodeState.get(node);
    if (!s) {
      s = { links: new Map(), outMonitors: new Map(), inMonitors: new Map() };
      this.#nodeState.set(node, s);
    }
    return s;
  }

  /** Sends a frame to `node`, setting up the connection first when needed (Erlang's auto-connect). */
  sendControl(node: string, frame: unknown[]): void {
    if (node === this.#core.name) return;
    if (this.#connected.has(node)) {
      this.#core.dist!.send(node, frame);
      return;
    }
    if (!this.#core.dist || this.#core.stopping) {
      this.#failFrame(node, frame);
      return;
    }
    let q = this.#pending.get(node);
    if (q === undefined) {
      // A node in backoff (or over the dial rate) is unreachable for now: the frame is dropped, as Erlang drops a
      // send to a node it cannot connect to, and a link or monitor it carried breaks with noconnection.
      if (!this.#dialing.has(node) && !this.#mayDial(node)) {
        this.#failFrame(node, frame);
        this.#forgetUnreached(node);
        return;
      }
      q = [];
      this.#pending.set(node, q);
      this.#dial(node);
    }
    if (q.length >= this.#core.opts.maxPendingPerNode) {
      this.#failFrame(node, frame);
      return;
    }
    q.push(frame);
  }

  /** Nothing may stay behind for a node that was never reached. */
  #forgetUnreached(node: string): void {
    const st = this.#nodeState.get(node);
    if (st && !this.#connected.has(node) && st.links.size + st.outMonitors.size + st.inMonitors.size === 0) {
      this.#nodeState.delete(node);
    }
  }

  /** The port to dial `node` on: a trusted one, else one learned from gossip that has not expired. */
  #portOf(node: string): number | undefined {
    const trusted = this.#ports.get(node);
    if (trusted !== undefined) return trusted;
    const d = this.#dials.get(node);
    if (d?.port === undefined) return undefined;
    if (Date.now() < d.portUntil) return d.port;
    d.port = undefined;
    return undefined;
  }

  /** The remembered state of `node`, made when absent (the oldest entry is forgotten when the map is full). */
  #dialState(node: string): DialState {
    let d = this.#dials.get(node);
    if (d === undefined) {
      if (this.#dials.size >= this.#core.opts.maxRememberedNodes) {
        const oldest = this.#dials.keys().next().value;
        if (oldest !== undefined) this.#dials.delete(oldest);
      }
      d = { failures: 0, retryAt: 0, port: undefined, portUntil: 0 };
      this.#dials.set(node, d);
    }
    return d;
  }

  /**
   * Whether an automatic dial to `node` may start now: not in backoff, and a token of the node-wide dial rate is
   * left (a token bucket of maxDialsPerSecond, refilled continuously). Counts the dials it refuses.
   */
  #mayDial(node: string): boolean {
    const now = Date.now();
    const d = this.#dials.get(node);
    if (d !== undefined && now < d.retryAt) {
      this.#core.stats.dialsSkipped++;
      return false;
    }
    const rate = this.#core.opts.maxDialsPerSecond;
    this.#dialTokens = Math.min(rate, this.#dialTokens + ((now - this.#dialTokensAt) * rate) / 1000);
    this.#dialTokensAt = now;
    if (this.#dialTokens < 1) {
      this.#core.stats.dialsSkipped++;
      return false;
    }
    this.#dialTokens--;
    return true;
  }

  /** An automatic dial (auto-connect or connect_all); frames pending for `node` fail if it does. */
  #dial(node: string): void {
    if (this.#dialing.has(node)) return;
    this.#dialing.add(node);
    const port = this.#portOf(node);
    this.#core.dist!.connect(node, port === undefined ? undefined : { port }).then(
      () => {
        this.#dialing.delete(node);
        // nodeup flushed the frames; if the connection is already gone again, they cannot go.
        if (!this.#connected.has(node)) this.#failPending(node);
      },
      (err: unknown) => {
        this.#dialing.delete(node);
        this.#core.log.debug({ peer: { node }, err }, 'automatic connect failed');
        if (this.#connected.has(node)) return;
        this.#dialFailed(node);
        this.#failPending(node);
        this.#forgetUnreached(node);
      },
    );
  }

  #failPending(node: string): void {
    const lost = this.#pending.get(node);
    this.#pending.delete(node);
    if (lost) for (const f of lost) this.#failFrame(node, f);
  }

  /**
   * A dial to `node` failed: automatic dials wait `min(max, initial * 2^(failures-1))`, with equal jitter (half of
   * it fixed, half random) so nodes that lost the same peer do not redial in step; a port learned from gossip is
   * forgotten (it was wrong, or the node is gone).
   */
  #dialFailed(node: string): void {
    if (this.#core.stopped) return;
    this.#core.stats.dialFailures++;
    const d = this.#dialState(node);
    d.failures++;
    d.port = undefined;
    const delay = Math.min(
      this.#core.opts.dialBackoffMaxMs,
      this.#core.opts.dialBackoffInitialMs * 2 ** Math.min(d.failures - 1, 30),
    );
    d.retryAt = Date.now() + delay / 2 + Math.random() * (delay / 2);
  }

  /** Like #remote for signals the runtime sends on its own (never throws). */
  sendQuiet(node: string, frame: unknown[]): void {
    try {
      this.sendControl(node, frame);
    } catch (err) {
      this.#core.log.warn({ peer: { node }, err }, 'could not send a signal');
    }
  }

  /** A frame that cannot reach its node: links and monitors it set up break with `noconnection`. */
  #failFrame(node: string, frame: unknown[]): void {
    this.#core.stats.droppedRemote++;
    const c = frame[0] as unknown[];
    if (c[0] === OP.LINK) {
      const p = this.#core.local(c[1] as Pid);
      const remote = c[2] as Pid;
      if (p) {
        this.#nodeState.get(node)?.links.delete(`${p.key}|${pidKey(remote)}`);
        this.#core.signals.signal(p, remote, 'noconnection', true);
      }
    } else if (c[0] === OP.SPAWN_REQUEST) {
      this.#core.rpc.spawnReply(refKey(c[1] as Ref), 'noconnection');
    } else if (c[0] === OP.MONITOR_P) {
      const ref = c[3] as Ref;
      const k = refKey(ref);
      const p = this.#nodeState.get(node)?.outMonitors.get(k);
      this.#nodeState.get(node)?.outMonitors.delete(k);
      const m = p?.monitors?.get(k);
      if (p && m) {
        p.monitors!.delete(k);
        this.#core.deliver(p, {
          type: 'DOWN',
          ref,
          item: m.item,
          reason: 'noconnection',
        } satisfies DownMessage);
      }
    }
  }

  onNodeup(node: string, info?: { hidden?: boolean; port?: number }): void {
    if (this.#core.stopped) return;
    // On a hidden node every connection is hidden (erl: nodes() is [] there, nodes(hidden) lists the peers).
    const hidden = info?.hidden === true || this.#core.hidden;
    this.#connected.set(node, { hidden });
    // It answered: no backoff, and what gossip said of it is replaced by what it says itself.
    this.#dials.delete(node);
    const b = this.#budgets.get(node);
    if (b !== undefined) b.cut = false;
    if (isPort(info?.port)) this.#ports.set(node, info.port);
    const q = this.#pending.get(node);
    this.#pending.delete(node);
    if (q) for (const f of q) this.sendQuiet(node, f);
    if (hidden) return;
    if (!this.#core.hidden && this.#core.opts.connectAll) {
      const known = this.visible()
        .filter((n) => n !== node)
        .map((n) => [n, this.#ports.get(n) ?? null]);
      this.sendQuiet(node, [
        [OP.REG_SEND, this.#core.systemPid, '', SYSTEM_NAMES.net],
        { type: 'peers', port: this.#core.opts.listenPort ?? null, nodes: known },
      ]);
    }
    for (const c of this.#core.pgControls.values()) c.nodeup(node);
    this.#core.signals.emitNode({ type: 'nodeup', node });
  }

  /**
   * A connect_all node list from a connected peer. A peer could name thousands of host:port pairs of its choice,
   * so at most maxNamesPerNetMessage legal names are taken (the rest are counted and dropped), each dial goes
   * through the backoff and the node-wide dial rate, and a port learned here is kept only until it expires or a
   * dial with it fails.
   */
  onNetMessage(from: string, msg: unknown): void {
    const m = msg as { type?: unknown; port?: unknown; nodes?: unknown };
    if (typeof m !== 'object' || m === null) throw new Error('kindred_net: not a map');
    if (m.type !== 'peers' || this.#core.hidden || !this.#core.opts.connectAll || !this.#core.dist) return;
    if (isPort(m.port)) this.#ports.set(from, m.port);
    if (!Array.isArray(m.nodes)) return;
    const n = m.nodes.length;
    const max = this.#core.opts.maxNamesPerNetMessage;
    if (n > max) this.#core.stats.netNamesDropped += n - max;
    const now = Date.now();
    for (let i = 0; i < n && i < max; i++) {
      const e: unknown = m.nodes[i];
      if (!Array.isArray(e) || !isNodeName(e[0]) || (e[1] !== null && e[1] !== undefined && !isPort(e[1]))) {
        this.#core.stats.netNamesDropped++;
        continue;
      }
      const node = e[0];
      if (node === this.#core.name || this.#connected.has(node) || this.#dialing.has(node)) continue;
      if (isPort(e[1]) && !this.#ports.has(node)) {
        const d = this.#dialState(node);
        d.port = e[1];
        d.portUntil = now + this.#core.opts.learnedPortTtlMs;
      }
      if (this.#pending.has(node) || !this.#mayDial(node)) continue;
      this.#dial(node);
    }
  }

  onNodedown(node: string, reason?: unknown): void {
    const was = this.#connected.get(node);
    this.#connected.delete(node);
    // A budget stays while messages of that peer wait in mailboxes (a reconnection must not start from zero), and
    // while the peer is cut (frames the transport had already decoded still arrive: they must stay dropped); the
    // budgets of other peers that are gone are dropped.
    for (const [n, b] of this.#budgets) {
      if (b.bytes === 0 && !b.cut && !this.#connected.has(n)) this.#budgets.delete(n);
    }
    this.#lastBudget = undefined;
    const st = this.#nodeState.get(node);
    this.#nodeState.delete(node);
    if (st) {
      // Undo everything tied to that node before signalling anyone, so no cleanup sends a signal back to it.
      for (const [k, p] of st.inMonitors) p.monitoredBy?.delete(k);
      for (const { local, remote } of st.links.values()) local.links?.delete(pidKey(remote));
      for (const { local, remote } of st.links.values())
        this.#core.signals.applyExit(local, remote, 'noconnection', true);
      for (const [k, p] of st.outMonitors) {
        const m = p.monitors?.get(k);
        if (m) {
          p.monitors!.delete(k);
          this.#core.deliver(p, {
            type: 'DOWN',
            ref: m.ref,
            item: m.item,
            reason: 'noconnection',
          } satisfies DownMessage);
        }
      }
    }
    this.#core.rpc.nodeDown(node);
    if (!was || was.hidden || this.#core.stopped) return;
    for (const c of this.#core.pgControls.values()) c.nodedown(node);
    this.#core.signals.emitNode({ type: 'nodedown', node, reason: reason ?? 'connection_closed' });
  }

  onMessage(node: string, raw: unknown, bytes?: number): void {
    let b = this.#lastBudget;
    if (b === undefined || b.node !== node) b = this.#budgetOf(node);
    // Frames still arriving from a peer being disconnected for going over its budget are in flight: lost.
    if (b.cut) return;
    this.#inBudget = b;
    this.#core.inCost = typeof bytes === 'number' && bytes > 0 ? bytes : 0;
    try {
      dispatchFrame(this.#core, node, raw);
    } catch (err) {
      if (err === SPOOFED) {
        this.#core.stats.spoofedSignals++;
        this.#core.log.debug(
          { peer: { node }, op: formatTerm((raw as unknown[])[0], 100) },
          'spoofed signal dropped',
        );
      } else {
        this.#core.stats.badControl++;
        this.#core.log.debug({ peer: { node }, err }, 'bad control message ignored');
      }
    }
    this.#core.inCost = 0;
  }
}
