/**
 * Splits the connected phase's `{packet, 4}` stream into frames: `Length:u32 | Payload`, where length 0 is a tick.
 * A declared length over `maxFrameBytes` is refused before any of it is buffered.
 */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #size = 0;
  readonly #maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Bytes buffered and not yet a whole frame. */
  get buffered(): number {
    return this.#size;
  }

  /**
   * Adds `chunk` and returns every whole frame now available (a tick is an empty Buffer).
   *
   * @throws RangeError with `declared` when a frame declares more than maxFrameBytes.
   */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    const frames: Buffer[] = [];
    let buf =
      this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#size);
    let o = 0;
    while (buf.length - o >= 4) {
      const len = buf.readUInt32BE(o);
      if (len > this.#maxFrameBytes) {
        throw Object.assign(
          new RangeError(`frame of ${len} bytes declared (at most ${this.#maxFrameBytes})`),
          {
            declared: len,
          },
        );
      }
      if (buf.length - o - 4 < len) break;
      frames.push(buf.subarray(o + 4, o + 4 + len));
      o += 4 + len;
    }
    buf = buf.subarray(o);
    this.#chunks = buf.length === 0 ? [] : [buf];
    this.#size = buf.length;
    return frames;
  }
}

/** `Length:u32` + the parts, as one buffer. */
export function frame(parts: readonly Buffer[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = Buffer.allocUnsafe(4 + len);
  out.writeUInt32BE(len, 0);
  let o = 4;
  for (const p of parts) o += p.copy(out, o);
  return out;
}

/** The tick: a frame of length zero. */
export const TICK = Buffer.alloc(4);
