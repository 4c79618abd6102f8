/** Every default of @kindred/runtime, in one place. */
export const RUNTIME_DEFAULTS = Object.freeze({
  /**
   * Messages a process may hold unread. The next message kills it with reason `mailbox_overflow`, an untrappable
   * exit signal its links and monitors see (like Erlang's max_heap_size kill). See docs/semantics.md.
   */
  maxMailboxSize: 100_000,
  /** Default timeout of `call` (gen_server's default). */
  callTimeoutMs: 5_000,
  /** Default timeout of `rpc`. */
  rpcTimeoutMs: 5_000,
  /** Messages kept for a node while a connection to it is being set up; more are dropped. */
  maxPendingPerNode: 10_000,
  /** Erlang's connect_all: a nodeup tells the peer which nodes this node knows, so the cluster is a full mesh. */
  connectAll: true,
  /** A hidden node is not in other nodes' `nodes()` and takes no part in the mesh or in pg. */
  hidden: false,
  /** The pg scope `node.pg` uses (Erlang's default scope is `pg`). */
  pgScope: 'pg',
  /** startNode: how often discovered peers that are not connected are dialled again. */
  reconnectIntervalMs: 2_000,
  /** Registered name of the process serving `rpc` (Erlang's `rex`). */
  rpcServerName: 'rex',
});

/** The names the runtime itself answers on every node: reserved, `register` refuses them. */
export const SYSTEM_NAMES = Object.freeze({
  /** Mesh messages (connect_all), like the node-list exchange Erlang's global does. */
  net: 'kindred_net',
});
