import { EventEmitter } from 'node:events';
import { KindredError } from '@kindred/dns';
import { pack, unpack } from 'msgpackr';
import type { Distribution } from './distribution.js';

/**
 * Heap bytes a delivered message is estimated to cost beyond its packed bytes (the decoded frame's arrays and the
 * message's outer value), so the runtime's byte caps see even empty messages.
 */
export const MEMORY_MESSAGE_OVERHEAD_BYTES = 64;

/**
 * An in-process network of {@link Distribution} endpoints.
 *
 * Why it exists: the semantics tests (links, monitors, pg, mesh, noconnection) need many nodes, exact control over
 * when a connection drops, and no timing noise, and they must run in milliseconds. Real nodes in separate OS processes
 * over the real transport are tested separately (test/cluster.integration.test.ts); this is not a mock of the
 * transport's behaviour on the wire but the same contract (FIFO per pair, nodeup before messages, nodedown after,
 * messages in flight when a connection drops are lost). Every message is packed and unpacked with msgpackr, as
 * on the wire, so a value that would not survive the real transport does not survive here either.
 */
export class MemoryNetwork {
  readonly #endpoints = new Map<string, MemoryEndpoint>();

  /** A new endpoint for `node`; `hidden` marks it hidden to its peers. */
  endpoint(node: string, opts: { hidden?: boolean } = {}): MemoryEndpoint {
    if (this.#endpoints.has(node)) {
      throw new KindredError(
        'KINDRED_ERR_RUNTIME_BAD_OPTION',
        `Node ${node} already exists in this network.`,
      );
    }
    const e = new MemoryEndpoint(this.#endpoints, node, opts.hidden === true);
    this.#endpoints.set(node, e);
    return e;
  }

  /** Cuts the connection between two nodes, as a network failure would (both see nodedown `reason`). */
  partition(a: string, b: string, reason: unknown = 'connection_closed'): void {
    const e = this.#endpoints.get(a);
    if (e) drop(e, b, reason, true);
  }
}

/** Cuts `e`'s link to `node` (set by MemoryEndpoint's static block: the network reaches a private method). */
let drop: (e: MemoryEndpoint, node: string, reason: unknown, both: boolean) => void;

interface Link {
  readonly peer: MemoryEndpoint;
  readonly queue: Buffer[];
  scheduled: boolean;
  open: boolean;
}

/** One node's end of a {@link MemoryNetwork}. */
export class MemoryEndpoint extends EventEmitter implements Distribution {
  readonly node: string;
  readonly hidden: boolean;
  /** The network's endpoints, by node. */
  readonly #net: Map<string, MemoryEndpoint>;
  readonly #links = new Map<string, Link>();
  #closed = false;

  static {
    drop = (e, node, reason, both) => e.#drop(node, reason, both);
  }

  /** Use {@link MemoryNetwork.endpoint}. */
  constructor(net: Map<string, MemoryEndpoint>, node: string, hidden: boolean) {
    super();
    this.#net = net;
    this.node = node;
    this.hidden = hidden;
  }

  send(node: string, message: unknown): void {
    const l = this.#links.get(node);
    if (!l?.open) return;
    l.queue.push(pack(message));
    if (!l.scheduled) {
      l.scheduled = true;
      setImmediate(() => this.#flush(l));
    }
  }

  #flush(l: Link): void {
    l.scheduled = false;
    const q = l.queue.splice(0);
    for (const buf of q) {
      if (!l.open) return;
      l.peer.emit('message', this.node, unpack(buf), buf.length + MEMORY_MESSAGE_OVERHEAD_BYTES);
    }
  }

  async connect(node: string): Promise<void> {
    if (this.#closed) throw new KindredError('KINDRED_ERR_NODE_STOPPED', 'endpoint closed');
    if (this.#links.has(node)) return;
    const peer = this.#net.get(node);
    if (!peer || node === this.node) {
      throw new KindredError('KINDRED_ERR_CONNECT_FAILED', `pang: no node ${node} in this memory network`);
    }
    await new Promise<void>((r) => setImmediate(r));
    if (this.#links.has(node) || this.#closed || peer.#closed) {
      if (this.#links.has(node)) return;
      throw new KindredError('KINDRED_ERR_CONNECT_FAILED', `pang: ${node} went away`);
    }
    const mine: Link = { peer, queue: [], scheduled: false, open: true };
    const theirs: Link = { peer: this, queue: [], scheduled: false, open: true };
    this.#links.set(node, mine);
    peer.#links.set(this.node, theirs);
    this.emit('nodeup', node, { hidden: peer.hidden });
    peer.emit('nodeup', this.node, { hidden: this.hidden });
  }

  #drop(node: string, reason: unknown, both: boolean): void {
    const l = this.#links.get(node);
    if (!l) return;
    l.open = false;
    this.#links.delete(node);
    if (both) l.peer.#drop(this.node, reason, false);
    this.emit('nodedown', node, reason);
  }

  disconnect(node: string): void {
    this.#drop(node, 'disconnect', false);
    const peer = this.#net.get(node);
    if (peer) peer.#drop(this.node, 'connection_closed', false);
  }

  nodes(): string[] {
    return [...this.#links].filter(([, l]) => !l.peer.hidden).map(([n]) => n);
  }

  /** Closes the endpoint: every peer sees nodedown `reason` (as when a node's process dies). */
  kill(reason: unknown = 'connection_closed'): void {
    this.#closed = true;
    for (const [n, l] of [...this.#links]) {
      l.open = false;
      this.#links.delete(n);
      l.peer.#drop(this.node, reason, false);
    }
    this.#net.delete(this.node);
  }

  async close(): Promise<void> {
    this.kill('connection_closed');
  }
}
