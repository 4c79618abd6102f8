import { KindredError } from '@kindred/interface';

/**
 * Every error code `@kindred/transport` throws or rejects with (listed in docs/errors.md); each key is its code
 * without the `KINDRED_ERR_` prefix. The codes are stable: match on these constants, not on messages.
 */
export const TRANSPORT_ERRORS = Object.freeze({
  /** An option is missing or out of range. */
  TRANSPORT_OPTION: 'KINDRED_ERR_TRANSPORT_OPTION',
  /** The acceptor's name differs from the dialed name (Erlang's pang after a successful TCP connect). */
  NAME_MISMATCH: 'KINDRED_ERR_NAME_MISMATCH',
  /** The two nodes do not share the cookie (one side's challenge digest was wrong). */
  BAD_COOKIE: 'KINDRED_ERR_BAD_COOKIE',
  /** The acceptor refused the initiator: illegal name for its mode, not in the allow list, or a host mismatch. */
  NOT_ALLOWED: 'KINDRED_ERR_NOT_ALLOWED',
  /** The connection could not be set up: refused, reset, unreachable, or the peer broke the protocol. */
  CONNECT_FAILED: 'KINDRED_ERR_CONNECT_FAILED',
  /** The handshake did not finish within setupTimeoutMs (Erlang's net_setuptime). */
  SETUP_TIMEOUT: 'KINDRED_ERR_SETUP_TIMEOUT',
  /** The peer speaks another version of the kindred protocol. */
  PROTOCOL_VERSION: 'KINDRED_ERR_PROTOCOL_VERSION',
  /** send() to a node with no connection; connect() first. */
  NOT_CONNECTED: 'KINDRED_ERR_NOT_CONNECTED',
  /** A message's encoding is larger than maxMessageBytes; it was not sent, the connection stays. */
  MESSAGE_TOO_LARGE: 'KINDRED_ERR_MESSAGE_TOO_LARGE',
  /** msgpackr could not encode the message; it was not sent. */
  MESSAGE_ENCODE: 'KINDRED_ERR_MESSAGE_ENCODE',
  /** The peer's send queue is full (maxQueueBytes): the peer reads slower than we write. Retry after 'drain'. */
  SEND_QUEUE_FULL: 'KINDRED_ERR_SEND_QUEUE_FULL',
  /**
   * A frame (or a message at send time) holds msgpack kindred does not define: an unknown extension, a lying
   * length, nesting past the depth limit, more values than maxFrameValues. A received one closes the connection
   * with 4000 protocol_error.
   */
  FRAME_REFUSED: 'KINDRED_ERR_FRAME_REFUSED',
  /** The two nodes disagree on frameIntegrity (the MAC on every frame); set it the same on every node. */
  INTEGRITY_MISMATCH: 'KINDRED_ERR_INTEGRITY_MISMATCH',
  /** The transport is closed or not listening. */
  TRANSPORT_CLOSED: 'KINDRED_ERR_TRANSPORT_CLOSED',
});

/** Creates a transport {@link KindredError}. */
export function transportError(
  code: string,
  message: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): KindredError {
  return new KindredError(code, message, {
    ...(details === undefined ? {} : { details }),
    ...(cause === undefined ? {} : { cause }),
  });
}
