import type { KindredError } from '@kindred/interface';
import { TRANSPORT_ERRORS, transportError } from './errors.js';
import { CLOSE, closeReasonOf } from './protocol.js';

/**
 * Every way a handshake fails, in one table: the reason (counted in `stats().handshakeFailures`, logged, and put on
 * the error as `details.reason`, the pang reason), the WebSocket close sent for it, and the error code. A failure
 * is named once, by its reason; the close and the code follow. Refusals the acceptor sends as STATUS carry a finer
 * reason of their own (`host_mismatch`, `disallowed`, ...) in `details.reason`.
 */
export const HANDSHAKE_FAILURES = Object.freeze({
  protocol_error: { close: CLOSE.PROTOCOL_ERROR, code: TRANSPORT_ERRORS.CONNECT_FAILED },
  bad_version: { close: CLOSE.BAD_VERSION, code: TRANSPORT_ERRORS.PROTOCOL_VERSION },
  too_large: { close: CLOSE.TOO_LARGE, code: TRANSPORT_ERRORS.CONNECT_FAILED },
  bad_cookie: { close: CLOSE.BAD_COOKIE, code: TRANSPORT_ERRORS.BAD_COOKIE },
  not_allowed: { close: CLOSE.NOT_ALLOWED, code: TRANSPORT_ERRORS.NOT_ALLOWED },
  /** frameIntegrity differs: refused as not_allowed on the wire, its own code to the caller. */
  integrity_mismatch: { close: CLOSE.NOT_ALLOWED, code: TRANSPORT_ERRORS.INTEGRITY_MISMATCH },
  name_mismatch: { close: CLOSE.NAME_MISMATCH, code: TRANSPORT_ERRORS.NAME_MISMATCH },
  nok: { close: CLOSE.NOK, code: TRANSPORT_ERRORS.CONNECT_FAILED },
  /** This side lost a simultaneous connect (Erlang's rule: the lower name's dial wins). */
  simultaneous: { close: CLOSE.NOK, code: TRANSPORT_ERRORS.CONNECT_FAILED },
  setup_timeout: { close: CLOSE.SETUP_TIMEOUT, code: TRANSPORT_ERRORS.SETUP_TIMEOUT },
  /** The initiator sent nothing within firstMessageTimeoutMs of its upgrade. */
  first_message_timeout: { close: CLOSE.SETUP_TIMEOUT, code: TRANSPORT_ERRORS.SETUP_TIMEOUT },
  overloaded: { close: CLOSE.OVERLOADED, code: TRANSPORT_ERRORS.CONNECT_FAILED },
  /** The transport is closing. */
  shutdown: { close: CLOSE.NORMAL, code: TRANSPORT_ERRORS.TRANSPORT_CLOSED },
} as const);

/** A reason of {@link HANDSHAKE_FAILURES}. */
export type FailureReason = keyof typeof HANDSHAKE_FAILURES;

/** The failure a close code received during the handshake stands for; `connection_closed` for any other code. */
export function failureOfClose(code: number): {
  readonly reason: string;
  readonly code: string;
} {
  const reason = closeReasonOf(code) ?? 'connection_closed';
  const entry: { readonly code: string } | undefined = HANDSHAKE_FAILURES[reason as FailureReason];
  return { reason, code: entry?.code ?? TRANSPORT_ERRORS.CONNECT_FAILED };
}

/**
 * The error for a failure: its code from the table, `details.reason` set to the failure's reason unless the caller
 * gives a finer one.
 */
export function failureError(
  reason: FailureReason,
  message: string,
  details: Record<string, unknown> = {},
): KindredError {
  return transportError(HANDSHAKE_FAILURES[reason].code, message, { reason, ...details });
}
