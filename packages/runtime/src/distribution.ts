/**
 * What the runtime needs from the layer that carries messages between nodes: the subset of @kindred/transport's
 * `Transport` (docs/architecture.md) the runtime uses. Keeping it this small lets the same runtime run over the real
 * transport and over {@link MemoryNetwork} in tests.
 */
/** Counters of one peer that a distribution layer may offer (the transport's `stats().peers` entries have them). */
export interface DistributionPeerStats {
  readonly direction?: 'in' | 'out';
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  readonly messagesIn?: number;
  readonly messagesOut?: number;
  readonly queuedBytes?: number;
  readonly lastInAt?: number;
}

export interface Distribution {
  /**
   * Sends `message` to `node`; FIFO per peer. Throws when the message is too large; the connection stays. The
   * message is a frame `[control, payload?]`, or for SEND to a connected node a `SendFrame` object that msgpackr
   * (module-wide extension) packs to the same bytes: implementations must encode with msgpackr, as both do.
   */
  send(node: string, message: unknown): void;
  /** Connects to `node` (rejects when it cannot: Erlang's pang). */
  connect(node: string, opts?: { port?: number; address?: string }): Promise<void>;
  /** Drops the connection to `node` (a nodedown follows). */
  disconnect(node: string): void;
  /** Connected visible peers. */
  nodes(): string[];
  /**
   * Subscribes to a message from a connected peer. `bytes` estimates what the decoded message holds on the heap (its
   * wire bytes plus an overhead per allocated value); the runtime charges it to the mailbox it waits in
   * (`maxMailboxBytes`, `maxQueuedBytesPerPeer`). An implementation that does not measure passes nothing (taken as 0).
   */
  on(event: 'message', listener: (node: string, message: unknown, bytes?: number) => void): unknown;
  /** Subscribes to a new connection; `info.hidden` is true for a hidden peer. */
  on(event: 'nodeup', listener: (node: string, info?: { hidden?: boolean; port?: number }) => void): unknown;
  /** Subscribes to a lost connection, with Erlang's nodedown reason (`connection_closed`, `net_tick_timeout`, ...). */
  on(event: 'nodedown', listener: (node: string, reason?: unknown) => void): unknown;
  /** Unsubscribes. */
  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's own signature, so an EventEmitter implements this.
  off(event: string, listener: (...args: any[]) => void): unknown;
  /** Counters per connected peer, for `node.observe()`; optional (the memory network has none). */
  stats?(): { readonly peers: Readonly<Record<string, DistributionPeerStats>> };
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}
