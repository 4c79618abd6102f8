import { KindredError } from '@kindred/interface';

/**
 * Every error code the network half of `@kindred/beam` (EPMD, the handshake, the connection) throws or closes with,
 * listed in docs/errors.md; each key is its code without the `KINDRED_ERR_` prefix. Match on these constants, not
 * on messages. The codec's codes live in its own catalogue.
 */
export const BEAM_NET_ERRORS = Object.freeze({
  /** An option of the EPMD client, the responder, the handshake or the connection is missing or out of range. */
  BEAM_NET_OPTION: 'KINDRED_ERR_BEAM_NET_OPTION',
  /**
   * EPMD failed: no epmd answers on the port (`ERL_EPMD_PORT`), the name is already registered (ALIVE2 result 1),
   * the name is unknown (PORT_PLEASE2 result 1), epmd broke the protocol, or it did not answer in time.
   */
  EPMD: 'KINDRED_ERR_EPMD',
  /**
   * The Erlang handshake failed; `details.reason` is the pang reason (`bad_cookie`, `name_mismatch`, `nok`,
   * `not_allowed`, `alive`, `missing_flags`, `illegal_name`, `protocol_error`, `connection_closed`, ...).
   */
  BEAM_HANDSHAKE: 'KINDRED_ERR_BEAM_HANDSHAKE',
  /** The handshake did not finish within setupTimeoutMs (Erlang's net_setuptime). */
  BEAM_SETUP_TIMEOUT: 'KINDRED_ERR_BEAM_SETUP_TIMEOUT',
  /**
   * A frame on an established connection broke the protocol: a declared length over maxFrameBytes, an unknown
   * layout, a bad distribution header, a control message that does not decode. The connection is closed.
   */
  BEAM_FRAME: 'KINDRED_ERR_BEAM_FRAME',
  /** The peer sent nothing (not even a tick) for about net_ticktime: the connection closed with `net_tick_timeout`. */
  BEAM_TICK_TIMEOUT: 'KINDRED_ERR_BEAM_TICK_TIMEOUT',
  /** A message larger than maxFrameBytes was not sent; the connection stays. */
  BEAM_MESSAGE_TOO_LARGE: 'KINDRED_ERR_BEAM_MESSAGE_TOO_LARGE',
  /** The send queue to the peer holds maxQueueBytes: nothing was queued; retry after 'drain'. */
  BEAM_SEND_QUEUE_FULL: 'KINDRED_ERR_BEAM_SEND_QUEUE_FULL',
  /** The connection (or the endpoint) is closed. */
  BEAM_CLOSED: 'KINDRED_ERR_BEAM_CLOSED',
});

/** Creates a network {@link KindredError} of `@kindred/beam`. */
export function beamNetError(
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
