/**
 * Fixed numbers of the transport that are not options (the options' defaults are in TRANSPORT_DEFAULTS).
 */

/** Bytes of the MAC tag after each frame's payload when frameIntegrity is on (docs/protocol.md). */
export const MAC_TAG_BYTES = 16;

/**
 * How long a closing WebSocket waits for the peer's close frame before the socket is destroyed: a peer that never
 * answers the close must not hold the socket (and its file descriptor) open.
 */
export const CLOSE_GRACE_MS = 2_000;

/** How often the listener enforces its header deadline on half-sent HTTP requests (node's default is 30 s). */
export const CONNECTIONS_CHECK_MS = 1_000;
