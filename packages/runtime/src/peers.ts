/**
 * The peer table, net_kernel's role: which nodes are connected (and hidden or not), frames waiting for a connection
 * (auto-connect), ports, dial backoff and rate, each peer's byte budget for its messages waiting in mailboxes, and the
 * links and monitors that cross to each node (undone at nodedown). Inbound frames go to dispatch.ts.
 * @internal
 */
import { KindredError } from '@kindred/dns';
import { isPort } from '@kindred/interface';
import { isValidHostPart, isValidNamePart } from '@kindred/node-identity';
import { OP } from './control.js';
import type { Core, PeerLink, PeersPart } from './core.js';
import { SYSTEM_NAMES } from './defaults.js';
import { dispatchFrame, SPOOFED } from './dispatch.js';
import { formatTerm, RUNTIME_ERRORS } from './errors.js';
import type { DownMessage } from './messages.js';
import type { PeerBudget, Proc } from './process.js';
import { type Pid, pidKey, type Ref, refKey } from './terms.js';

/** Backoff and gossip of a node dialled without success or learned from gossip (bounded: maxRememberedNodes). */
interface DialState {
  /** Failed dials in a row (0: none yet). */
  failures: number;
  /** No automatic dial before this time (ms since the epoch). */
  retryAt: number;
  /** A port learned from a peers message, until `portUntil` or the first failed dial. */
  port: number | undefined;
  portUntil: number;
}

/** The links and monitors that cross to one node: what must be undone when it goes down. */
interface PeerSignals {
  /** Links between local processes and processes on that node: key `${localKey}|${remotePidKey}`. */
  links: Map<string, PeerLink>;
  /** Monitors held by local processes on processes of that node. */
  outMonitors: Map<string, Proc>;
  /** Monitors held by processes of that node on local processes. */
  inMonitors: Map<string, Proc>;
}

/**
 * Everything this node knows of one remote node (net_kernel's `#connection{}`): whether it is up, the frames waiting
 * for it, how to dial it, what its messages cost, and the signals tied to it. A record lives while any part is set
 * ({@link Peers.#gc} drops it when none is).
 */
interface PeerRecord {
  readonly node: string;
  /** Set while connected (`hidden`: the connection is hidden). */
  up: { readonly hidden: boolean } | undefined;
  /** Frames waiting for the connection an automatic dial sets up (auto-connect). */
  pending: unknown[][] | undefined;
  /** An automatic dial is in progress. */
  dialing: boolean;
  /** The port it listens on, trusted: it said so, discovery found it, or connect() was given it. Kept. */
  port: number | undefined;
  /** Backoff after failed dials and a port from gossip (remembered for at most maxRememberedNodes nodes). */
  dial: DialState | undefined;
  /** Bytes of its messages waiting in mailboxes (kept while any wait, or while it is cut). */
  budget: PeerBudget | undefined;
  /** Links and monitors across to it (until nodedown). */
  signals: PeerSignals | undefined;
}

/** A legal node name, `name@host` (Erlang's rules, @kindred/node-identity), as connect_all accepts from peers. */
function isNodeName(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 255) return false;
  const at = v.indexOf('@');
  return at > 0 && isValidNamePart(v.slice(0, at)) && isValidHostPart(v.slice(at + 1));
}

/** @internal See the module comment. */
export class Peers implements PeersPart {
  readonly #core: Core;
  /** One record per remote node this node knows something of. */
  readonly #peers = new Map<string, PeerRecord>();
  /** Nodes with a `dial` state, oldest first (at most maxRememberedNodes). */
  readonly #remembered = new Set<string>();
  #dialTokens = 0;
  #dialTokensAt = 0;
  readonly #queued = { bytes: 0 };
  /** The budget of the last peer a message came from (a peer sends many in a row). */
  #lastBudget: PeerBudget | undefined = undefined;
  /** Budget of the remote frame being dispatched (its cost is Core.inCost). */
  #inBudget: PeerBudget | undefined = undefined;

  constructor(core: Core) {
    this.#core = core;
  }

  isConnected(node: string): boolean {
    return this.#peers.get(node)?.up !== undefined;
  }

  /** The record of `node`, made when absent. */
  #peer(node: string): PeerRecord {
    let r = this.#peers.get(node);
    if (r === undefined) {
      r = {
        node,
        up: undefined,
        pending: undefined,
        dialing: false,
        port: undefined,
        dial: undefined,
        budget: undefined,
        signals: undefined,
      };
      this.#peers.set(node, r);
    }
    return r;
  }

  /** Drops the record of a node this node holds nothing of any more. */
  #gc(r: PeerRecord): void {
    if (
      r.up === undefined &&
      r.pending === undefined &&
      !r.dialing &&
      r.port === undefined &&
      r.dial === undefined &&
      r.budget === undefined &&
      r.signals === undefined
    ) {
      this.#peers.delete(r.node);
    }
  }

  #signalsOf(node: string): PeerSignals {
    const r = this.#peer(node);
    r.signals ??= { links: new Map(), outMonitors: new Map(), inMonitors: new Map() };
    return r.signals;
  }

  links(node: string): Map<string, PeerLink> {
    return this.#signalsOf(node).links;
  }

  outMonitors(node: string): Map<string, Proc> {
    return this.#signalsOf(node).outMonitors;
  }

  inMonitors(node: string): Map<string, Proc> {
    return this.#signalsOf(node).inMonitors;
  }

  record(node: string): PeerSignals | undefined {
    return this.#peers.get(node)?.signals;
  }

  /** Counters for stats(). */
  counts(): { queuedBytes: number; rememberedNodes: number; remoteLinks: number; remoteMonitors: number } {
    let remoteLinks = 0;
    let remoteMonitors = 0;
    for (const r of this.#peers.values()) {
      const st = r.signals;
      if (st === undefined) continue;
      remoteLinks += st.links.size;
      remoteMonitors += st.outMonitors.size + st.inMonitors.size;
    }
    return {
      queuedBytes: this.#queued.bytes,
      rememberedNodes: this.#remembered.size,
      remoteLinks,
      remoteMonitors,
    };
  }

  /** Forgets every connection, pending frame and signal (stop); ports, backoff and budgets stay, as before. */
  clear(): void {
    for (const r of [...this.#peers.values()]) {
      r.up = undefined;
      r.pending = undefined;
      r.signals = undefined;
      this.#gc(r);
    }
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
    const r = this.#peer(node);
    let b = r.budget;
    if (b === undefined) {
      b = { node, bytes: 0, total: this.#queued, cut: false };
      r.budget = b;
    }
    this.#lastBudget = b;
    return b;
  }

  /** Connected hidden nodes (nodes(hidden)). */
  hidden(): string[] {
    const out: string[] = [];
    for (const r of this.#peers.values()) if (r.up?.hidden === true) out.push(r.node);
    return out;
  }

  visible(): string[] {
    const out: string[] = [];
    for (const r of this.#peers.values()) if (r.up?.hidden === false) out.push(r.node);
    return out;
  }

  /**
   * Connects to `node` (rejects with the transport's code when it cannot: pang). An explicit connect (net_adm:ping)
   * is made even while automatic dials to `node` are in backoff; its failure counts as one more failed dial.
   */
  async connect(node: string, opts?: { port?: number; address?: string }): Promise<void> {
    if (!this.#core.dist) throw this.#notDistributed();
    if (opts?.port !== undefined) this.#peer(node).port = opts.port;
    if (this.isConnected(node)) return;
    const port = opts?.port ?? this.#portOf(node);
    try {
      await this.#core.dist.connect(node, port === undefined ? opts : { ...opts, port });
    } catch (err) {
      if (!this.isConnected(node)) this.#dialFailed(node);
      throw err;
    }
  }

  #notDistributed(): KindredError {
    return new KindredError(
      RUNTIME_ERRORS.RUNTIME_BAD_OPTION,
      'This node is not distributed; start it with startNode().',
    );
  }

  /** Sends a frame to `node`, setting up the connection first when needed (Erlang's auto-connect). */
  sendControl(node: string, frame: unknown[]): void {
    if (node === this.#core.name) return;
    const r = this.#peers.get(node);
    if (r?.up !== undefined) {
      this.#core.dist!.send(node, frame);
      return;
    }
    if (!this.#core.dist || this.#core.stopping) {
      this.#failFrame(node, frame);
      if (r !== undefined) this.#gc(r);
      return;
    }
    let q = r?.pending;
    if (q === undefined) {
      // A node in backoff (or over the dial rate) is unreachable for now: the frame is dropped, as Erlang drops a
      // send to a node it cannot connect to, and a link or monitor it carried breaks with noconnection.
      if (r?.dialing !== true && !this.#mayDial(node)) {
        this.#failFrame(node, frame);
        this.#forgetUnreached(node);
        return;
      }
      q = [];
      this.#peer(node).pending = q;
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
    const r = this.#peers.get(node);
    if (r === undefined) return;
    const st = r.signals;
    if (st && r.up === undefined && st.links.size + st.outMonitors.size + st.inMonitors.size === 0) {
      r.signals = undefined;
    }
    this.#gc(r);
  }

  /** The port to dial `node` on: a trusted one, else one learned from gossip that has not expired. */
  #portOf(node: string): number | undefined {
    const r = this.#peers.get(node);
    if (r?.port !== undefined) return r.port;
    const d = r?.dial;
    if (d?.port === undefined) return undefined;
    if (Date.now() < d.portUntil) return d.port;
    d.port = undefined;
    return undefined;
  }

  /** The dial state of `node`, made when absent (the oldest one is forgotten when maxRememberedNodes are kept). */
  #dialState(node: string): DialState {
    const r = this.#peer(node);
    let d = r.dial;
    if (d === undefined) {
      if (this.#remembered.size >= this.#core.opts.maxRememberedNodes) {
        const oldest = this.#remembered.values().next().value;
        if (oldest !== undefined) this.#forgetDial(oldest);
      }
      d = { failures: 0, retryAt: 0, port: undefined, portUntil: 0 };
      r.dial = d;
      this.#remembered.add(node);
    }
    return d;
  }

  /** Forgets the backoff and gossiped port of `node`. */
  #forgetDial(node: string): void {
    if (!this.#remembered.delete(node)) return;
    const r = this.#peers.get(node);
    if (r === undefined) return;
    r.dial = undefined;
    this.#gc(r);
  }

  /**
   * Whether an automatic dial to `node` may start now: not in backoff, and a token of the node-wide dial rate is
   * left (a token bucket of maxDialsPerSecond, refilled continuously). Counts the dials it refuses.
   */
  #mayDial(node: string): boolean {
    const now = Date.now();
    const d = this.#peers.get(node)?.dial;
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
    const r = this.#peer(node);
    if (r.dialing) return;
    r.dialing = true;
    const port = this.#portOf(node);
    // The record is looked up again when the dial ends: it may have been dropped and made anew meanwhile.
    const done = (): PeerRecord | undefined => {
      const now = this.#peers.get(node);
      if (now !== undefined) now.dialing = false;
      return now;
    };
    this.#core.dist!.connect(node, port === undefined ? undefined : { port }).then(
      () => {
        const now = done();
        // nodeup flushed the frames; if the connection is already gone again, they cannot go.
        if (now !== undefined && now.up === undefined) {
          this.#failPending(node);
          this.#gc(now);
        }
      },
      (err: unknown) => {
        const now = done();
        this.#core.log.debug({ peer: { node }, err }, 'automatic connect failed');
        if (now?.up !== undefined) return;
        this.#dialFailed(node);
        this.#failPending(node);
        this.#forgetUnreached(node);
      },
    );
  }

  #failPending(node: string): void {
    const r = this.#peers.get(node);
    const lost = r?.pending;
    if (r !== undefined) r.pending = undefined;
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
        this.record(node)?.links.delete(`${p.key}|${pidKey(remote)}`);
        this.#core.signals.signal(p, remote, 'noconnection', true);
      }
    } else if (c[0] === OP.SPAWN_REQUEST) {
      this.#core.rpc.spawnReply(refKey(c[1] as Ref), 'noconnection');
    } else if (c[0] === OP.MONITOR_P) {
      const ref = c[3] as Ref;
      const k = refKey(ref);
      const st = this.record(node);
      const p = st?.outMonitors.get(k);
      st?.outMonitors.delete(k);
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
    const r = this.#peer(node);
    r.up = { hidden };
    // It answered: no backoff, and what gossip said of it is replaced by what it says itself.
    if (r.dial !== undefined) {
      r.dial = undefined;
      this.#remembered.delete(node);
    }
    if (r.budget !== undefined) r.budget.cut = false;
    if (isPort(info?.port)) r.port = info.port;
    const q = r.pending;
    r.pending = undefined;
    if (q) for (const f of q) this.sendQuiet(node, f);
    if (hidden) return;
    if (!this.#core.hidden && this.#core.opts.connectAll) {
      const known = this.visible()
        .filter((n) => n !== node)
        .map((n) => [n, this.#peers.get(n)?.port ?? null]);
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
    if (isPort(m.port)) this.#peer(from).port = m.port;
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
      const r = this.#peers.get(node);
      if (node === this.#core.name || r?.up !== undefined || r?.dialing === true) continue;
      if (isPort(e[1]) && r?.port === undefined) {
        const d = this.#dialState(node);
        d.port = e[1];
        d.portUntil = now + this.#core.opts.learnedPortTtlMs;
      }
      if (r?.pending !== undefined || !this.#mayDial(node)) continue;
      this.#dial(node);
    }
  }

  onNodedown(node: string, reason?: unknown): void {
    const r = this.#peers.get(node);
    const was = r?.up;
    let st: PeerSignals | undefined;
    if (r !== undefined) {
      r.up = undefined;
      st = r.signals;
      r.signals = undefined;
    }
    // A budget stays while messages of that peer wait in mailboxes (a reconnection must not start from zero), and
    // while the peer is cut (frames the transport had already decoded still arrive: they must stay dropped); the
    // budgets of other peers that are gone are dropped.
    for (const o of [...this.#peers.values()]) {
      const b = o.budget;
      if (b !== undefined && b.bytes === 0 && !b.cut && o.up === undefined) o.budget = undefined;
      if (o !== r) this.#gc(o);
    }
    this.#lastBudget = undefined;
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
    if (r !== undefined) this.#gc(r);
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
