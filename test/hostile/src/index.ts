/**
 * A hostile peer for kindred nodes: its own initiator handshake, byte-level msgpack builders and the runtime's
 * message shapes, so tests can put any bytes into an authenticated connection.
 */
export {
  type CloseInfo,
  connectHostile,
  HandshakeFailed,
  type HostileOptions,
  HostileSession,
} from './client.js';
export { MessageBuilder, OP, rawPid, SYSTEM } from './messages.js';
export * as mp from './msgpack.js';
export { readAll, readOne, type WireExt, type WirePid, type WireRef } from './reader.js';
export {
  DEFAULT_VERSION,
  FLAG,
  type HandshakeTranscript,
  type SessionKeys,
  versionFromEnv,
  type WireProfile,
  wireProfile,
} from './wire.js';
