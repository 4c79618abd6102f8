/**
 * Every default of `@kindred/transport`, in one frozen object. Units are in the names.
 */
export const TRANSPORT_DEFAULTS = Object.freeze({
  /** Listen port when neither the `port` option nor `KINDRED_PORT` is set; also the dial port without discovery. */
  port: 4370,
  /** Address the listener binds (all interfaces, IPv4 and IPv6). */
  host: '::',
  /** Erlang's net_ticktime: a peer silent for about this long is dropped with `net_tick_timeout`. */
  ticktimeMs: 60_000,
  /** Erlang's tick intensity: ticks per ticktime; a tick is sent every ticktimeMs / tickIntensity when idle. */
  tickIntensity: 4,
  /** Erlang's net_setuptime: each connection must finish its handshake within this time. */
  setupTimeoutMs: 7_000,
  /** Largest single encoded message; a larger one is refused to the sender with KINDRED_ERR_MESSAGE_TOO_LARGE. */
  maxMessageBytes: 8 * 1024 * 1024,
  /** Per-peer bound on bytes waiting to be written (queued plus handed to the socket and not yet written). */
  maxQueueBytes: 32 * 1024 * 1024,
  /** A batch is written as soon as it holds this many bytes, without waiting for the end of the tick. */
  flushAtBytes: 256 * 1024,
  /** Bytes handed to the socket and not yet written before further batches wait for the socket to drain. */
  maxInflightBytes: 4 * 1024 * 1024,
  /** Incoming connections still in their handshake; more are closed at once with `overloaded`. */
  maxPendingHandshakes: 128,
  /**
   * Incoming handshakes in progress from one source address; more from it are closed at once with `overloaded`,
   * so one source cannot fill maxPendingHandshakes and lock out the others.
   */
  maxPendingHandshakesPerSource: 32,
  /**
   * TCP (or TLS) connections accepted and not yet upgraded to WebSocket, listener-wide; more are destroyed on accept.
   * Bounds the file descriptors unauthenticated sockets can hold (a node at a 1,024-fd limit was locked out by 1,100).
   */
  maxRawConnections: 256,
  /** Connections not yet upgraded from one source address; more from it are destroyed on accept. */
  maxRawConnectionsPerSource: 32,
  /** A connection must have sent its whole WebSocket upgrade request (TLS included) within this time, or it is destroyed. */
  upgradeTimeoutMs: 3_000,
  /** After the upgrade, the initiator's first handshake message (NAME) must arrive within this time: `4007`. */
  firstMessageTimeoutMs: 3_000,
  /** The host check's lookups are cached per host, resolved or not, for this long. */
  hostCheckCacheTtlMs: 30_000,
  /** Hosts the host check's cache holds at most (the oldest entry goes first). */
  hostCheckCacheMaxEntries: 1_024,
  /** At most one log line per limit (and per refused host) in this interval; the lines in between are counted. */
  edgeLogIntervalMs: 10_000,
  /** Under long names, the acceptor checks that the initiator's host resolves to the connection's address. */
  verifyPeerHost: true,
  /**
   * Mask the dialer's frames with a random key, as RFC 6455 asks of clients. Masking protects HTTP intermediaries
   * from bytes crafted by untrusted browser scripts; kindred's peers are not browsers, and masking in JavaScript costs
   * about a sixth of a sender's CPU, so by default the key is zero, which ws skips on both ends.
   */
  maskFrames: false,
  /**
   * Every frame after the handshake carries a MAC under a per-connection session key (docs/protocol.md, "Frame
   * integrity"), so bytes injected into an established connection close it instead of reaching the decoder. Both
   * nodes must agree; TLS is still the way to get confidentiality.
   */
  frameIntegrity: true,
  /**
   * Most allocated values (arrays, maps, strings, bins, pids, refs, dates) one received frame may decode into; a
   * frame with more is refused (close 4000), so 8 MiB of empty maps cannot become 8 million objects.
   */
  maxFrameValues: 1_000_000,
  /** The WebSocket path the listener answers on. */
  path: '/kindred',
});

/** The options {@link TRANSPORT_DEFAULTS} fills in. */
export type TransportDefaults = typeof TRANSPORT_DEFAULTS;
