import { Packr, RESET_BUFFER_MODE, REUSE_BUFFER_MODE } from 'msgpackr';

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

/** Bounds of the chunk size of a {@link FrameBuffer}: its frame limit, but at least 64 KiB and at most 1 MiB. */
export const FRAME_CHUNK_BYTES = Object.freeze({ min: 64 * 1024, max: 1024 * 1024 });

/**
 * The send side of one connection: messages are encoded at send time (so the bytes are fixed when `send` returns,
 * Erlang's copy-on-send) and copied one after another into a chunk; the bytes written since the last
 * {@link FrameBuffer.take} become one frame without a further copy. Per message this costs one msgpackr encode into
 * its scratch space and one copy: no Buffer per message, no concatenation at flush.
 */
export class FrameBuffer {
  private chunk: Buffer | undefined = undefined;
  /** Start of the bytes not yet taken in {@link chunk}. */
  private start = 0;
  /** End of the bytes written in {@link chunk}. */
  private end = 0;
  /** The last {@link encode}'s bytes: msgpackr's scratch buffer and the range in it. */
  private scratch: Buffer | undefined = undefined;
  private scratchStart = 0;
  private scratchEnd = 0;

  /** Bytes of each chunk; a message of more than half of it gets a Buffer of its own. */
  private readonly chunkBytes: number;

  /** @param limit the largest run of messages one frame may hold, bytes (a larger single message goes alone) */
  constructor(private readonly limit: number) {
    this.chunkBytes = Math.min(Math.max(limit, FRAME_CHUNK_BYTES.min), FRAME_CHUNK_BYTES.max);
  }

  /** Bytes written and not yet taken. */
  get pending(): number {
    return this.end - this.start;
  }

  /**
   * Encodes `message` into scratch space and returns its size; {@link commit} then appends it. Throws whatever
   * msgpackr throws for a value it can't carry (nothing is appended then). Valid until the next encode.
   */
  encode(message: unknown): number {
    const t = dataPackr.pack(message, REUSE_BUFFER_MODE | RESET_BUFFER_MODE) as Buffer & {
      start: number;
      end: number;
    };
    this.scratch = t;
    this.scratchStart = t.start;
    this.scratchEnd = t.end;
    return t.end - t.start;
  }

  /**
   * Appends the last encoded message. When it cannot join the pending bytes (it would make them longer than the
   * limit, or the chunk is full) the pending bytes are first pushed onto `sealed` as a frame; a message larger than
   * half a chunk is pushed onto `sealed` as a Buffer of its own.
   */
  commit(sealed: Buffer[]): void {
    const s = this.scratch as Buffer;
    const size = this.scratchEnd - this.scratchStart;
    const big = size > this.chunkBytes / 2;
    let c = this.chunk;
    const fits = !big && c !== undefined && this.end + size <= c.length;
    if (this.end > this.start && (!fits || this.end - this.start + size > this.limit))
      sealed.push(this.take());
    if (big) {
      const own = Buffer.allocUnsafe(size);
      s.copy(own, 0, this.scratchStart, this.scratchEnd);
      sealed.push(own);
      return;
    }
    if (!fits) {
      // The old chunk stays alive only as long as frames taken from it do.
      c = Buffer.allocUnsafeSlow(this.chunkBytes);
      this.chunk = c;
      this.start = 0;
      this.end = 0;
    }
    s.copy(c as Buffer, this.end, this.scratchStart, this.scratchEnd);
    this.end += size;
  }

  /** The bytes written since the last take, as one frame (a view, not a copy). */
  take(): Buffer {
    const frame = (this.chunk as Buffer).subarray(this.start, this.end);
    this.start = this.end;
    return frame;
  }

  /** Forgets the chunk (a closed connection). */
  reset(): void {
    this.chunk = undefined;
    this.scratch = undefined;
    this.start = 0;
    this.end = 0;
  }
}
