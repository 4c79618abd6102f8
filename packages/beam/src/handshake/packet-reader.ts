import type { Socket } from 'node:net';
import { handshakeError } from './failures.js';
import { MAX_HANDSHAKE_PACKET_BYTES } from './messages.js';

/**
 * Reads the handshake's `{packet, 2}` messages off a socket, one at a time, each within `stepTimeoutMs` (OTP
 * restarts its setup timer at each step). Bytes that arrive after the last handshake message (the peer may send
 * its first frame right after the ack) stay in {@link PacketReader.rest} for the connection.
 */
export class PacketReader {
  #buf: Buffer = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  #closed = false;
  readonly #socket: Socket;
  readonly #onData = (chunk: Buffer): void => {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    this.#waiter?.();
  };
  readonly #onClose = (): void => {
    this.#closed = true;
    this.#waiter?.();
  };

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('close', this.#onClose);
    socket.on('end', this.#onClose);
  }

  /** The next packet's body (after its u16 length). */
  async next(stepTimeoutMs: number, peer: Record<string, unknown>): Promise<Buffer> {
    const deadline = Date.now() + stepTimeoutMs;
    for (;;) {
      if (this.#buf.length >= 2) {
        const len = this.#buf.readUInt16BE(0);
        if (len === 0 || len > MAX_HANDSHAKE_PACKET_BYTES) {
          throw handshakeError(
            'too_large',
            `handshake packet of ${len} bytes (at most ${MAX_HANDSHAKE_PACKET_BYTES})`,
            peer,
          );
        }
        if (this.#buf.length >= 2 + len) {
          const body = this.#buf.subarray(2, 2 + len);
          this.#buf = this.#buf.subarray(2 + len);
          return body;
        }
      }
      if (this.#closed)
        throw handshakeError(
          'connection_closed',
          'the peer closed the connection during the handshake',
          peer,
        );
      const left = deadline - Date.now();
      if (left <= 0) {
        throw handshakeError(
          'setup_timeout',
          `the handshake step did not finish within ${stepTimeoutMs} ms (net_setuptime)`,
          peer,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
  }

  /** Stops reading, pauses the socket, and returns the bytes read past the last packet. */
  detach(): Buffer {
    this.#socket.off('data', this.#onData);
    this.#socket.off('close', this.#onClose);
    this.#socket.off('end', this.#onClose);
    // Paused so nothing is lost before the connection attaches its own reader (and resumes).
    this.#socket.pause();
    return this.#buf;
  }
}

/** Ends `socket` after what is written (a refusal status) is flushed, and destroys it if the peer lingers. */
export function closeAfterFlush(socket: Socket, lingerMs = 1_000): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), lingerMs).unref();
}
