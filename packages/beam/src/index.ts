/**
 * `@kindred/beam`: Erlang's own distribution protocol (the External Term Format, EPMD, the handshake and the
 * connection), so that BEAM nodes and kindred nodes can form one cluster. See README.md.
 *
 * @packageDocumentation
 */

/** The protocol version this package speaks in the handshake (the 'N' message, OTP 23 and later). */
export const BEAM_HANDSHAKE_VERSION = 6 as const;

export {
  type BeamCloseReason,
  BeamConnection,
  type BeamConnectionOptions,
  type BeamConnectionStats,
  type BeamMessage,
} from './connection/connection.js';
export { BEAM_CONNECTION_DEFAULTS } from './connection/defaults.js';
export { type BeamDiscoveryMode, BeamEndpoint, type BeamEndpointOptions } from './connection/endpoint.js';
export { createEtfCodec, type EtfCodecOptions } from './connection/etf-codec.js';
export type { TermCodec } from './connection/term-codec.js';
export {
  BeamDistribution,
  type BeamDistributionOptions,
  type BeamDistributionStats,
  type BeamPeerStats,
  type BeamRpcHandler,
  type BeamValueAdapter,
  createBeamDistribution,
} from './distribution.js';
export {
  EpmdClient,
  type EpmdClientOptions,
  type EpmdRegisterOptions,
  EpmdRegistration,
} from './epmd/client.js';
export { EPMD_DEFAULTS } from './epmd/defaults.js';
export { epmdPortFromEnv } from './epmd/env.js';
export { type BeamPortResolver, epmdPortResolver, fixedPortResolver } from './epmd/port-resolver.js';
export { EPMD_NODE_TYPE, type EpmdName, type EpmdNodeInfo } from './epmd/protocol.js';
export { EpmdResponder, type EpmdResponderOptions } from './epmd/responder.js';
export { BEAM_ERRORS } from './errors.js';
export { BEAM_NET_ERRORS } from './errors-net.js';
export {
  Atom,
  atom,
  BitBinary,
  charlist,
  type DecodeCallOptions,
  type DecodeResult,
  decodeTerm,
  type EncodeCallOptions,
  ErlMap,
  ETF_DEFAULTS,
  Export,
  encodeTerm,
  Float,
  type FromTermOptions,
  Fun,
  fromTerm,
  ImproperList,
  isAtom,
  Pid,
  Port,
  Ref,
  type Term,
  TermDecoder,
  type TermDecoderOptions,
  TermEncoder,
  type TermEncoderOptions,
  type ToTermOptions,
  Tuple,
  termEquals,
  toTerm,
  tuple,
} from './etf/index.js';
export { type AcceptDecision, acceptHandshake, isAcceptableNodeName } from './handshake/acceptor.js';
export { BEAM_HANDSHAKE_DEFAULTS } from './handshake/defaults.js';
export { genDigest } from './handshake/digest.js';
export { BEAM_HANDSHAKE_FAILURES, type BeamHandshakeFailure } from './handshake/failures.js';
export {
  DFLAG,
  type DistFlagName,
  expandMandatory25,
  KINDRED_DIST_FLAGS,
  MANDATORY_FLAGS_25,
  MANDATORY_FLAGS_26,
  missingFlags,
} from './handshake/flags.js';
export { initiateHandshake } from './handshake/initiator.js';
export type { HandshakeStatus } from './handshake/messages.js';
export type { HandshakeResult, HandshakeSelf } from './handshake/types.js';
export { groupName, groupTerm, type PgRead, type PgWireMessage, pgPayload, readPg } from './pg-wire.js';
