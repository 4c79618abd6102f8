/**
 * Every default of kindred's EPMD client and embedded responder, in one frozen object. Units are in the names.
 */
export const EPMD_DEFAULTS = Object.freeze({
  /** EPMD's port when `ERL_EPMD_PORT` is not set (erlexec and epmd read the same variable). */
  port: 4369,
  /** The environment variable `erl` and `epmd` take EPMD's port from; a whole cluster must agree on it. */
  portEnv: 'ERL_EPMD_PORT',
  /** Where a node registers: erl_epmd always registers with the epmd on 127.0.0.1. */
  registerHost: '127.0.0.1',
  /** Highest and lowest distribution version sent in ALIVE2 (Jinterface sends 6 and 6; OTP 25 only speaks 6). */
  highestVersion: 6,
  lowestVersion: 6,
  /** One EPMD request (connect, send, whole answer) must finish within this time. */
  requestTimeoutMs: 5_000,
  /** After epmd dropped the registration socket, re-register this often (erl_epmd's RECONNECT_TIME). */
  reconnectIntervalMs: 2_000,
  /** Largest NAMES answer the client reads (a host with thousands of nodes still fits). */
  maxNamesReplyBytes: 1024 * 1024,
  /** The responder binds all interfaces: peers on other hosts ask it for this node's port. */
  responderHost: '::',
  /** Largest request the responder reads: a node name is at most 255 characters (1,020 UTF-8 bytes) plus headers. */
  responderMaxRequestBytes: 1_100,
  /** The responder closes a connection that has not sent its whole request within this time. */
  responderRequestTimeoutMs: 3_000,
  /** Connections the responder holds open at once; more are closed on accept. */
  responderMaxConnections: 64,
});
