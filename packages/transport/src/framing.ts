import { Packr } from 'msgpackr';

/**
 * Data frames after the handshake (docs/protocol.md, "Frames"): one WebSocket binary message holds one or more
 * msgpack values laid end to end, each one message, in send order. A zero-length message is a tick.
 */

// One Packr per process: without records (no shared structure state between the two ends), maps as objects.
// pack() returns a slice of a slab msgpackr keeps advancing, so slices stay valid until they are concatenated.
const dataPackr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Encodes one message; throws whatever msgpackr throws for a value it can't carry. */
export function encodeMessage(message: unknown): Buffer {
  return dataPackr.pack(message);
}

/** Decodes one data frame into its messages, in order. Throws on malformed input. */
export function decodeFrame(frame: Buffer): unknown[] {
  return dataPackr.unpackMultiple(frame) as unknown[];
}

/** A tick: the zero-length frame. */
export const TICK_FRAME: Buffer = Buffer.alloc(0);

/** Joins encoded messages into one frame. */
export function joinFrame(parts: Buffer[], totalBytes: number): Buffer {
  if (parts.length === 1) return parts[0] as Buffer;
  return Buffer.concat(parts, totalBytes);
}
