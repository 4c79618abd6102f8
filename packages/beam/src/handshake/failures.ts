import type { KindredError } from '@kindred/interface';
import { BEAM_NET_ERRORS, beamNetError } from '../errors-net.js';

/**
 * Every way an Erlang handshake fails, named once by its reason (the pang reason, put on the error as
 * `details.reason`); the error code follows from the reason. Mirrors @kindred/transport's HANDSHAKE_FAILURES.
 */
export const BEAM_HANDSHAKE_FAILURES = Object.freeze({
  /** The peer sent bytes that are not the handshake (or an old 'n' name message, which OTP 25 drops too). */
  protocol_error: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** A handshake packet over MAX_HANDSHAKE_PACKET_BYTES. */
  too_large: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** The cookies differ: a digest did not match. The acceptor logs erl's "Invalid challenge reply." */
  bad_cookie: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** The acceptor calls itself by another name than the one dialed (erl's silent pang). */
  name_mismatch: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** The peer's name is not `alive@host` (exactly one `@`, both parts non-empty), or not dialable in this mode. */
  illegal_name: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** The peer lacks a mandatory distribution flag (erl: "cannot handle [...]"). */
  missing_flags: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** The acceptor refused this node (status `not_allowed`). */
  not_allowed: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** A simultaneous connect this side lost (status `nok`). */
  nok: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** The acceptor has a live connection to us and we (or it) kept the old one (`alive`, then `false`). */
  alive: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** The peer closed the connection mid-handshake (what erl does after a bad digest or a name it refuses). */
  connection_closed: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
  /** The handshake did not finish within setupTimeoutMs. */
  setup_timeout: BEAM_NET_ERRORS.BEAM_SETUP_TIMEOUT,
  /** The endpoint is closing. */
  shutdown: BEAM_NET_ERRORS.BEAM_CLOSED,
} as const);

/** A reason of {@link BEAM_HANDSHAKE_FAILURES}. */
export type BeamHandshakeFailure = keyof typeof BEAM_HANDSHAKE_FAILURES;

/** The error for a handshake failure: the reason's code, `details.reason` = the reason. */
export function handshakeError(
  reason: BeamHandshakeFailure,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): KindredError {
  return beamNetError(BEAM_HANDSHAKE_FAILURES[reason], message, { reason, ...details }, cause);
}
