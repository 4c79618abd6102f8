import type { NodeSnapshot } from '@kindred/runtime';

/** Counters the app exports on /metrics, read from the node's transport and discovery. */
export interface ClusterStats {
  /** Connections that completed the handshake (both directions) since start. */
  readonly connects: number;
  /** Node-down events since start. */
  readonly disconnects: number;
  /** Failed handshakes by reason (bad_cookie, name_mismatch, not_allowed, setup_timeout, ...). */
  readonly handshakeFailures: Readonly<Record<string, number>>;
  /** Messages received from peers. */
  readonly messagesIn: number;
  /** Messages sent to peers. */
  readonly messagesOut: number;
  /** Completed discovery rounds. */
  readonly discoveryRuns: number;
  /** Failed discovery rounds (DNS errors). */
  readonly discoveryErrors: number;
}

/** A node up/down seen by this node, for the page. */
export interface ClusterEvent {
  readonly type: 'nodeup' | 'nodedown';
  readonly node: string;
  readonly reason?: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** The cluster singleton and the global names as one node sees them (GET /singleton). */
export interface SingletonView {
  /** The singleton's global name. */
  readonly name: string;
  /** The node its instance runs on, as this node sees it (null: none registered now). */
  readonly where: string | null;
  /** True while an instance started by this node is alive here. */
  readonly running: boolean;
  /** Every global name this node knows, with the node of its owner. */
  readonly names: Readonly<Record<string, string>>;
}

/** What the HTTP side needs from the running kindred node; the app adapts a runtime node to it. */
export interface ClusterView {
  /** This node's name, `name@host`. */
  readonly self: string;
  /** Connected peers, sorted. */
  nodes(): string[];
  /** True once discovery has completed at least one round (successful or not). */
  discovered(): boolean;
  /** True while the node is shutting down. */
  stopping(): boolean;
  /** Counters for /metrics. */
  stats(): ClusterStats;
  /** The last node up/down events, oldest first. */
  recentEvents(): readonly ClusterEvent[];
  /** The cluster singleton's state here (absent: the app runs none, GET /singleton is 404). */
  singleton?(): SingletonView;
  /**
   * The Prometheus text of the app's registry (@kindred/metrics, prom-client's default metrics, the app's own), for
   * /metrics. A view without it (a test's) gets the counters of {@link ClusterView.stats} rendered by metrics.ts.
   */
  metrics?(): Promise<string>;
  /** A look inside this node (`node.observe()`), for /observe; absent: /observe is 404. */
  observe?(): Promise<NodeSnapshot>;
}
