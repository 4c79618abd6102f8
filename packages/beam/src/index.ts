/**
 * `@kindred/beam`: Erlang's own distribution protocol (the External Term Format, EPMD, the handshake and the
 * connection), so that BEAM nodes and kindred nodes can form one cluster. See README.md.
 *
 * @packageDocumentation
 */

/** The protocol version this package speaks in the handshake (the 'N' message, OTP 23 and later). */
export const BEAM_HANDSHAKE_VERSION = 6 as const;
