/** Every default of @kindred/runtime, in one place. */
export const RUNTIME_DEFAULTS = Object.freeze({
  /**
   * Messages a process may hold unread. The next message kills it with reason `mailbox_overflow`, an untrappable
   * exit signal its links and monitors see (like Erlang's max_heap_size kill). See docs/semantics.md.
   */
  maxMailboxSize: 100_000,
  /**
   * Estimated heap bytes of messages from other nodes a process may hold unread (the transport's estimate of each
   * decoded message). A message that would go over it kills the process with `mailbox_overflow`, like
   * {@link RUNTIME_DEFAULTS.maxMailboxSize}. Local sends are passed by reference and not measured.
   */
  maxMailboxBytes: 64 * 1024 * 1024,
  /**
   * Estimated heap bytes of messages from one peer waiting unread in this node's mailboxes, all processes together.
   * A message that would go over it disconnects that peer (counted in `stats().peerOverflows`, logged), so many
   * processes each just under {@link RUNTIME_DEFAULTS.maxMailboxBytes} cannot add up to an out-of-memory.
   */
  maxQueuedBytesPerPeer: 256 * 1024 * 1024,
  /** The same bound for all peers together; the peer whose message crosses it is disconnected. */
  maxQueuedBytes: 1024 * 1024 * 1024,
  /** Default timeout of `call` (gen_server's default). */
  callTimeoutMs: 5_000,
  /** Default timeout of `rpc`. */
  rpcTimeoutMs: 5_000,
  /** Messages kept for a node while a connection to it is being set up; more are dropped. */
  maxPendingPerNode: 10_000,
  /** Erlang's connect_all: a nodeup tells the peer which nodes this node knows, so the cluster is a full mesh. */
  connectAll: true,
  /** connect_all: node names taken from one peers message; the rest are dropped (`stats().netNamesDropped`). */
  maxNamesPerNetMessage: 32,
  /** First wait after a failed dial to a node before it is dialled again automatically (doubles per failure). */
  dialBackoffInitialMs: 1_000,
  /** Longest wait between automatic dials to a node that does not answer. */
  dialBackoffMaxMs: 30_000,
  /** Automatic dials (auto-connect and connect_all) this node starts per second at most, all peers together. */
  maxDialsPerSecond: 20,
  /** Nodes whose port or failed dials are remembered from gossip and auto-connect (oldest forgotten first). */
  maxRememberedNodes: 1_024,
  /** A port learned from a peers message is forgotten after this long, or at its first failed dial. */
  learnedPortTtlMs: 10 * 60 * 1000,
  /** A hidden node is not in other nodes' `nodes()` and takes no part in the mesh or in pg. */
  hidden: false,
  /** The pg scope `node.pg` uses (Erlang's default scope is `pg`). */
  pgScope: 'pg',
  /** startNode: how often discovered peers that are not connected are dialled again. */
  reconnectIntervalMs: 2_000,
  /**
   * startNode: how long discovery leaves alone a peer that left on purpose (nodedown `shutdown`): about a DNS TTL
   * (30 s on kind/kubeadm) plus the time a terminating pod is still listed. It may dial this node itself.
   */
  leaveHoldMs: 60_000,
  /**
   * startNode: a visible node that connects to this one while discovery does not list it means DNS changed since the
   * last poll (a new replica found this node first), so discovery polls at once rather than at its next interval;
   * at most once per this many ms. While a cluster forms, every early replica thus finds the late ones (and the
   * others they now see) when the first late one dials it.
   */
  unknownPeerPollGapMs: 1_000,
  /** Supervisors: restarts allowed within `supervisorPeriodMs` before the supervisor gives up (OTP's default 1). */
  supervisorIntensity: 1,
  /** Supervisors: the window of `supervisorIntensity`, in ms (OTP's default period, 5 s). */
  supervisorPeriodMs: 5_000,
  /** Supervisors: how long a worker child gets to exit after `shutdown` before it is killed (OTP's 5000). */
  workerShutdownMs: 5_000,
  /** Registered name of the process serving `rpc` (Erlang's `rex`). */
  rpcServerName: 'rex',
  /**
   * How long `node.global.registerName` tries to take the cluster-wide lock on a name (peers that hold it, or do not
   * answer before their nodedown) before it fails with `KINDRED_ERR_GLOBAL_LOCK_TIMEOUT`.
   */
  globalLockTimeoutMs: 30_000,
  /**
   * Singletons: first wait before this node starts an instance again after its start function threw, or after an
   * instance it started ended within this long (doubles per failure, at most 30 s).
   */
  singletonRetryMs: 1_000,
  /**
   * Singletons with the `majority` guard: a member not seen for this long (down, or gone for good) stops counting
   * among the last known members.
   */
  singletonForgetMs: 5 * 60 * 1000,
  /**
   * Report a process whose code threw (pid, name, reason, stack) once, through the node's logger at error level, or
   * on stderr without one (OTP logs a crash report by default).
   */
  crashReports: true,
  /** Processes an observe snapshot lists at most (the rest are counted). */
  observeMaxProcesses: 1_000,
});

/** The names the runtime itself answers on every node: reserved, `register` refuses them. */
export const SYSTEM_NAMES = Object.freeze({
  /** Mesh messages (connect_all), like the node-list exchange Erlang's global does. */
  net: 'kindred_net',
  /** Cluster-wide names (node.global), like Erlang's global_name_server. */
  global: 'kindred_global',
  /** Observe requests (`node.observe(peer)`, `kindred observe`): see observer.ts. */
  observe: 'kindred_observe',
});
