import { addExtension, Packr, REUSE_BUFFER_MODE } from 'msgpackr';
import { DECODE_LIMITS, FrameRefusedError, type ScanLimits, scanMessages } from './decoder.js';
import { TRANSPORT_DEFAULTS } from './defaults.js';

/**
 * Data frames after the handshake (docs/protocol.md, "Frames"): one WebSocket binary message holds one or more
 * msgpack values laid end to end, each one message, in send order. A zero-length message is a tick.
 */

/** Packrs whose output goes on the wire: the encode guards below refuse for them what the decoder refuses. */
const strictPackrs = new WeakSet<object>();

// Without records (no shared structure state between the two ends), maps as objects. dataPackr writes straight
// into the chunks of the FrameBuffers (useBuffer); standalone encodes use their own Packr, so a slice it returns
// is never overwritten by a connection's next message. An invalid Date would be written as a 1-byte timestamp,
// which the decoder refuses: it throws here instead.
const PACKR_OPTIONS = {
  useRecords: false,
  mapsAsObjects: true,
  onInvalidDate: () => {
    throw new TypeError('an invalid Date cannot be sent');
  },
} as const;
const dataPackr = new Packr(PACKR_OPTIONS);
const singlePackr = new Packr(PACKR_OPTIONS);
strictPackrs.add(dataPackr);
strictPackrs.add(singlePackr);

/**
 * A message whose leading bytes are already msgpack: `head` (for the runtime, a 2-array's header and the control
 * tuple of a SEND, the same for every message to one pid) followed by the msgpack of `msg`. Packed by any Packr it
 * gives exactly `head` then `msg`'s bytes (no extension header), so the receiver sees plain msgpack. A connection's
 * {@link FrameBuffer} writes `head` straight before `msg` in its chunk, without msgpackr's extension machinery
 * (measured: that machinery cost about a third of encoding a 100-byte message).
 */
export class PrefixedMessage {
  constructor(
    /** msgpack bytes that go first; never modified. */
    readonly head: Uint8Array,
    /** The value encoded after them. */
    readonly msg: unknown,
  ) {}
}

/** msgpackr extension type of {@link PrefixedMessage}. Never on the wire: it writes plain msgpack. */
const PREFIXED_EXT_TYPE = 0x53;

type Alloc = (size: number) => { target: Uint8Array; position: number };

// msgpackr calls an extension's pack with a function that reserves bytes in its output and its own pack for values;
// returning nothing writes no extension header, so the output is the head's bytes followed by the message.
addExtension({
  Class: PrefixedMessage,
  type: PREFIXED_EXT_TYPE,
  pack: ((f: PrefixedMessage, alloc: Alloc, packValue: (v: unknown) => void) => {
    const { target, position } = alloc(f.head.length);
    target.set(f.head, position);
    packValue(f.msg);
  }) as unknown as (value: unknown) => Buffer,
  unpack: () => {
    throw new Error(`Unknown extension type ${PREFIXED_EXT_TYPE}`);
  },
} as unknown as Parameters<typeof addExtension>[0]);

/**
 * msgpackr (without moreTypes) writes a Set as an array, an Error as `[name, message, cause]`, a RegExp as
 * `[source, flags]` and any typed array's bytes as bin: the peer would get something else than was sent. For the
 * packrs above each of them throws instead (KINDRED_ERR_MESSAGE_ENCODE at send time); for any other Packr in the
 * process (msgpackr's extension table is module-wide) the guard writes what msgpackr writes without moreTypes.
 * Uint8Array and Buffer are not guarded: they are msgpack bin.
 */
function guard(
  Class: abstract new (...args: never[]) => unknown,
  what: string,
  plain: (v: never) => unknown,
): void {
  addExtension({
    Class: Class as unknown as new (...args: unknown[]) => unknown,
    write(this: unknown, value: unknown) {
      if (strictPackrs.has(this as object)) {
        throw new TypeError(`${what} cannot be sent: kindred messages are plain data (docs/protocol.md)`);
      }
      return plain(value as never);
    },
  } as unknown as Parameters<typeof addExtension>[0]);
}
const bytesOf = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
guard(Set, 'a Set', (v: Set<unknown>) => Array.from(v));
guard(Error, 'an Error', (v: Error) => [v.name, v.message, v.cause]);
guard(RegExp, 'a RegExp', (v: RegExp) => [v.source, v.flags]);
guard(ArrayBuffer, 'an ArrayBuffer', (v: ArrayBuffer) => Buffer.from(v));
guard(DataView, 'a DataView', bytesOf);
for (const T of [
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]) {
  guard(T, `a ${T.name}`, bytesOf);
}

/** What the decoder of one connection allows (docs/protocol.md, "What a frame may hold"). */
export function frameLimits(maxFrameValues: number): ScanLimits {
  return { maxValues: maxFrameValues, maxDepth: DECODE_LIMITS.maxDepth, extensions: true };
}

/**
 * Checks that bytes[start, end) hold one message the peer's decoder accepts; throws {@link FrameRefusedError}.
 * Run on every encoded message, so nothing a peer would refuse (and close the connection for) leaves this node.
 */
export function checkEncoded(bytes: Uint8Array, start: number, end: number, limits: ScanLimits): void {
  const n = scanMessages(bytes, start, end, limits);
  if (n !== 1) throw new FrameRefusedError(`${n} values where one message was encoded`, start);
}

/** Encodes one message on its own; throws whatever msgpackr throws for a value it can't carry. */
export function encodeMessage(message: unknown): Buffer {
  const b = singlePackr.pack(message);
  checkEncoded(b, 0, b.length, DEFAULT_LIMITS);
  return b;
}

const DEFAULT_LIMITS: ScanLimits = frameLimits(TRANSPORT_DEFAULTS.maxFrameValues);

/**
 * Decodes one data frame into its messages, in order. The strict scanner runs first (so msgpackr only sees bytes
 * kindred defines); `costs`, when given, receives each message's estimated decoded size in bytes. Throws
 * {@link FrameRefusedError} on anything refused or malformed.
 */
export function decodeFrame(frame: Buffer, limits: ScanLimits = DEFAULT_LIMITS, costs?: number[]): unknown[] {
  scanMessages(frame, 0, frame.length, limits, costs);
  try {
    return dataPackr.unpackMultiple(frame) as unknown[];
  } catch (err) {
    // Not expected after the scan: any difference between the scanner and msgpackr is still a refused frame.
    throw new FrameRefusedError(`msgpackr: ${(err as Error).message}`, 0);
  }
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

/** The FrameBuffer whose chunk dataPackr currently writes into (msgpackr's target), if any. */
let packrOwner: FrameBuffer | undefined;

type Target = Buffer & { start: number; end: number };

/**
 * The send side of one connection: messages are encoded at send time (so the bytes are fixed when `send` returns,
 * Erlang's copy-on-send) by msgpackr straight into a chunk, one after another; the bytes written since the last
 * {@link FrameBuffer.take} become one frame, a view on the chunk. No Buffer per message, no copy, no concatenation
 * at flush (msgpackr starts each value at a multiple of 8; the gap of up to 7 bytes is closed with copyWithin).
 */
export class FrameBuffer {
  private chunk: Buffer | undefined = undefined;
  /** Start of the bytes not yet taken in {@link chunk}. */
  private start = 0;
  /** End of the bytes written in {@link chunk}. */
  private end = 0;
  /** Where the last {@link encode} wrote: {@link chunk}, or a buffer msgpackr allocated when it did not fit. */
  private enc: Target | undefined = undefined;
  /** Bytes of each chunk. */
  private readonly chunkBytes: number;

  /**
   * @param limit the largest run of messages one frame may hold, bytes (a larger single message goes alone)
   * @param scan what the peer's decoder accepts: every encoded message is checked against it
   */
  constructor(
    private readonly limit: number,
    private readonly scan: ScanLimits = DEFAULT_LIMITS,
  ) {
    this.chunkBytes = Math.min(Math.max(limit, FRAME_CHUNK_BYTES.min), FRAME_CHUNK_BYTES.max);
  }

  /** Bytes written and not yet taken. */
  get pending(): number {
    return this.end - this.start;
  }

  /**
   * Encodes `message` after the bytes written so far and returns its size; {@link commit} then appends it. Throws
   * whatever msgpackr throws for a value it can't carry, or {@link FrameRefusedError} for bytes the peer's decoder
   * would refuse (nothing is appended then). Until commit, the next encode
   * overwrites it.
   */
  encode(message: unknown): number {
    if (message instanceof PrefixedMessage) {
      const size = this.encodePrefixed(message);
      if (size >= 0) return size;
    }
    const c = this.ownChunk();
    dataPackr.position = this.end;
    let t: Target;
    try {
      t = dataPackr.pack(message, REUSE_BUFFER_MODE) as Target;
    } catch (err) {
      packrOwner = undefined;
      throw err;
    }
    // Not in the chunk: msgpackr needed more room and allocated (and now writes into) a buffer of its own.
    if (t !== c) packrOwner = undefined;
    checkEncoded(t, t.start, t.end, this.scan);
    this.enc = t;
    return t.end - t.start;
  }

  /** The chunk (allocated on first use), with the shared msgpackr encoder writing into it. */
  private ownChunk(): Buffer {
    let c = this.chunk;
    if (c === undefined) {
      c = Buffer.allocUnsafeSlow(this.chunkBytes);
      this.chunk = c;
      this.start = 0;
      this.end = 0;
    }
    if (packrOwner !== this) {
      dataPackr.useBuffer(c);
      packrOwner = this;
    }
    return c;
  }

  /**
   * {@link encode} of a PrefixedMessage: msgpackr encodes `msg` at a multiple of 8 chosen so that `head` fits right
   * before it (msgpackr starts a value at the next multiple of 8 of its position), then `head` is copied there. When
   * msgpackr moved to a buffer of its own (the chunk's end), returns -1 and nothing is kept: encode's general path
   * (the extension) does it again.
   */
  private encodePrefixed(message: PrefixedMessage): number {
    const c = this.ownChunk();
    const head = message.head;
    const headAt = ((this.end + head.length + 7) & ~7) - head.length;
    dataPackr.position = headAt + head.length;
    let t: Target;
    try {
      t = dataPackr.pack(message.msg, REUSE_BUFFER_MODE) as Target;
    } catch (err) {
      packrOwner = undefined;
      throw err;
    }
    if (t !== c) {
      packrOwner = undefined;
      return -1;
    }
    if (t.start !== headAt + head.length) return -1;
    c.set(head, headAt);
    t.start = headAt;
    checkEncoded(t, headAt, t.end, this.scan);
    this.enc = t;
    return t.end - headAt;
  }

  /**
   * Appends the last encoded message. When it cannot join the pending bytes (they would grow past the limit, or
   * it did not fit the chunk) the pending bytes are first pushed onto `sealed` as a frame; a message msgpackr had to
   * put in a buffer larger than any chunk is pushed onto `sealed` as a frame of its own.
   */
  commit(sealed: Buffer[]): void {
    const t = this.enc as Target;
    const size = t.end - t.start;
    const c = this.chunk as Buffer;
    if (this.end > this.start && (t !== c || this.end - this.start + size > this.limit)) {
      sealed.push(c.subarray(this.start, this.end));
      this.start = this.end;
    }
    if (t === c) {
      if (t.start !== this.end) c.copyWithin(this.end, t.start, t.end);
      this.end += size;
      return;
    }
    if (t.length > FRAME_CHUNK_BYTES.max) {
      sealed.push(t.subarray(t.start, t.end));
      return;
    }
    // The buffer msgpackr moved to becomes the chunk; the old one lives on only in frames taken from it.
    this.chunk = t;
    this.start = t.start;
    this.end = t.end;
    packrOwner = this;
  }

  /** The bytes written since the last take, as one frame (a view, not a copy). */
  take(): Buffer {
    const frame = (this.chunk as Buffer).subarray(this.start, this.end);
    this.start = this.end;
    return frame;
  }

  /** Forgets the chunk (a closed connection). */
  reset(): void {
    if (packrOwner === this) packrOwner = undefined;
    this.chunk = undefined;
    this.enc = undefined;
    this.start = 0;
    this.end = 0;
  }
}
