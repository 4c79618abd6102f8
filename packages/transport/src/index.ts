/**
 * @packageDocumentation
 * Cookie-authenticated, name-checked node-to-node connections over WebSocket and msgpackr: one node's endpoint
 * ({@link createTransport}), its defaults, its error catalogue and the wire constants.
 */
export { isKindredError, KindredError } from '@kindred/interface';
export type { EdgeStats } from './admission.js';
export type { PeerStats } from './connection.js';
export { TRANSPORT_DEFAULTS, type TransportDefaults } from './defaults.js';
export { TRANSPORT_ERRORS } from './errors.js';
export { PrefixedMessage } from './framing.js';
export type { HostCheckStats, HostResolver } from './host-check.js';
export { CLOSE, PROTOCOL_VERSION, SUBPROTOCOL } from './protocol.js';
export { createTransport } from './transport.js';
export type {
  NodeInfo,
  Transport,
  TransportCloseOptions,
  TransportEvents,
  TransportOptions,
  TransportStats,
  TransportTlsOptions,
} from './types.js';
