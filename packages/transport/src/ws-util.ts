import type { WebSocket } from 'ws';
import { CLOSE_GRACE_MS } from './constants.js';

/**
 * Sets the largest WebSocket message `ws` accepts from now on. Before authentication a peer may send only handshake
 * messages, so the listener lowers the limit to HANDSHAKE_LIMITS.maxMessageBytes and raises it to maxMessageBytes
 * once the peer proved the cookie: unauthenticated peers then cannot make it buffer megabytes each. ws takes
 * maxPayload per server, not per connection, so this sets its receiver's field (ws 8); without that field the
 * server-wide maxPayload still holds.
 */
export function setMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } | null })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}

/**
 * Closes a WebSocket with a code, and makes sure the socket goes even if the peer never answers the close
 * (after {@link CLOSE_GRACE_MS}).
 */
export function closeQuietly(ws: WebSocket, close: { code: number; reason: string }): void {
  try {
    if (ws.readyState === ws.CONNECTING) {
      ws.terminate();
      return;
    }
    ws.close(close.code, close.reason);
    const t = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    t.unref();
  } catch {
    ws.terminate();
  }
}

/** A zero masking key: ws then neither masks on sending nor unmasks on receiving (TRANSPORT_DEFAULTS.maskFrames). */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}
