export { isKindredError, KindredError } from '@kindred/dns';
export type { PeerStats } from './connection.js';
export { TRANSPORT_DEFAULTS, type TransportDefaults } from './defaults.js';
export { TRANSPORT_ERRORS } from './errors.js';
export { CLOSE, PROTOCOL_VERSION, SUBPROTOCOL } from './protocol.js';
export {
  createTransport,
  type HostResolver,
  type NodeInfo,
  type Transport,
  type TransportEvents,
  type TransportOptions,
  type TransportStats,
  type TransportTlsOptions,
} from './transport.js';
