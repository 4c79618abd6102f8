import type { WebSocket } from 'ws';
import { MAC_TAG_BYTES } from './constants.js';
import type { ScanLimits } from './decoder.js';
import { TRANSPORT_ERRORS, transportError } from './errors.js';
import { FrameTagKey } from './frame-tag.js';
import { decodeFrame, FrameBuffer, frameLimits, TICK_FRAME } from './framing.js';
import { CLOSE, type SessionKeys } from './protocol.js';
import { closeQuietly } from './ws-util.js';

/**
 * Frames up to this size are copied with their MAC tag into one WebSocket message; larger ones go as two fragments.
 * A copy of a few KiB costs less than the second frame (its header, the receiver's reassembly).
 */
const COPY_WITH_TAG_BYTES = 16 * 1024;

/** Counters for one peer, for /metrics. */
export interface PeerStats {
  /** Messages delivered to this side's 'message' listeners. */
  messagesIn: number;
  /** Messages accepted by send(). */
  messagesOut: number;
  /** Bytes of message frames received (ticks excluded). */
  bytesIn: number;
  /** Bytes of messages accepted by send(). */
  bytesOut: number;
  /** WebSocket data frames received / written. */
  framesIn: number;
  framesOut: number;
  /** Ticks received / written. */
  ticksIn: number;
  ticksOut: number;
  /** Bytes queued and not yet handed to the socket, plus bytes handed and not yet written. */
  queuedBytes: number;
  /** send() calls refused because the queue was full. */
  queueFullRejections: number;
  /** Frames refused for a wrong or missing MAC (each closes the connection with 4011 bad_mac). */
  macFailures: number;
  /**
   * When this side last saw the peer alive, ms since the epoch: the connection's start, then the tick check (every
   * ticktime / tickIntensity) that found a frame or tick received since the previous check. Read at the check, not
   * per frame, so the receive path pays nothing for it; it lags by at most one tick period.
   */
  lastInAt: number;
}

/** The limits a connection enforces. */
export interface ConnectionLimits {
  readonly ticktimeMs: number;
  readonly tickIntensity: number;
  readonly maxMessageBytes: number;
  readonly maxQueueBytes: number;
  readonly flushAtBytes: number;
  readonly maxInflightBytes: number;
  /** Most allocated values one received frame may decode into. */
  readonly maxFrameValues: number;
  /** The dialer masks its frames with a random key (TRANSPORT_DEFAULTS.maskFrames); false or absent: a zero key. */
  readonly maskFrames?: boolean;
}

/** The socket under a ws WebSocket (ws's own field) and whether ws is its server side. */
interface WsInternals {
  _socket?: {
    write(data: Buffer, cb: (err?: Error | null) => void): boolean;
    cork(): void;
    uncork(): void;
  };
  _isServer?: boolean;
}

/** ws's readyState of an open WebSocket. */
const WS_OPEN = 1;

/** What a connection reports to its transport. */
export interface ConnectionHandlers {
  /** One message, with the estimate of its decoded size in bytes. */
  message(node: string, message: unknown, bytes: number): void;
  /** A frame failed its MAC check (the connection is closing with 4011). */
  macFailure(node: string): void;
  closed(conn: Connection, reason: string): void;
  drain(node: string): void;
}

/**
 * One authenticated connection to a peer: batches sends into frames, keeps FIFO order, bounds its queue, ticks.
 */
export class Connection {
  /** Counters, live. */
  readonly stats: PeerStats = {
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    ticksIn: 0,
    ticksOut: 0,
    queuedBytes: 0,
    queueFullRejections: 0,
    macFailures: 0,
    lastInAt: Date.now(),
  };
  /** Runs of encoded messages (frames or parts of one) waiting to be written, in order, before {@link out}'s bytes. */
  private queue: Buffer[] = [];
  /** Messages encoded since the last entry of {@link queue}: the tail of the queue. */
  private readonly out: FrameBuffer;
  /** Index of the first entry in {@link queue} not yet written. */
  private head = 0;
  private queueBytes = 0;
  private inflightBytes = 0;
  private flushScheduled = false;
  private full = false;
  private open = true;
  private sentSinceTick = false;
  private receivedSinceTick = false;
  private missedTicks = 0;
  private readonly ticker: NodeJS.Timeout;
  private readonly scan: ScanLimits;
  /** Decoded-size estimates of the messages of the frame being delivered (reused). */
  private readonly costs: number[] = [];
  /** MAC state when frameIntegrity is on (docs/protocol.md, "Frame integrity"). */
  private readonly mac: FrameMac | undefined;
  /**
   * Bytes of the WebSocket masking key in this side's frame headers when small frames are written to the socket
   * directly (see {@link write}): 0 on the server side, 4 (a zero key) on the dialer's; -1 when the dialer masks
   * with a random key, so every frame goes through ws.
   */
  private readonly directMaskBytes: number;

  constructor(
    /** The peer's node name. */
    readonly node: string,
    private readonly ws: WebSocket,
    private readonly limits: ConnectionLimits,
    private readonly handlers: ConnectionHandlers,
    /** The session keys from the handshake when both sides have frameIntegrity; without them frames carry no MAC. */
    keys?: SessionKeys,
  ) {
    this.scan = frameLimits(limits.maxFrameValues);
    this.out = new FrameBuffer(limits.flushAtBytes, this.scan);
    this.mac = keys === undefined ? undefined : new FrameMac(keys);
    this.directMaskBytes = (ws as unknown as WsInternals)._isServer ? 0 : limits.maskFrames ? -1 : 4;
    ws.on('message', (data: unknown, isBinary: boolean) => this.receive(data, isBinary));
    // Whatever code the peer closed with (even its own net_tick_timeout), this side saw the connection close:
    // Erlang's nodedown reason here is connection_closed. The one exception is a peer saying it leaves on purpose
    // (4012): nodedown `shutdown`, so a planned leave is not mistaken for a crash.
    ws.on('close', (code: number) =>
      this.end(code === CLOSE.LEAVE.code ? 'shutdown' : 'connection_closed', null),
    );
    ws.on('error', () => this.end('connection_closed', null));
    const tickMs = Math.max(1, Math.floor(limits.ticktimeMs / limits.tickIntensity));
    this.ticker = setInterval(() => this.tick(), tickMs);
    this.ticker.unref();
  }

  /** True while the connection can carry messages. */
  get isOpen(): boolean {
    return this.open;
  }

  /**
   * Encodes and queues one message. Throws KINDRED_ERR_MESSAGE_TOO_LARGE, _MESSAGE_ENCODE or _SEND_QUEUE_FULL; the
   * message is then not sent and the connection stays.
   */
  send(message: unknown): void {
    if (!this.open) {
      throw transportError(TRANSPORT_ERRORS.NOT_CONNECTED, `not connected to ${this.node}`, {
        node: this.node,
      });
    }
    let size: number;
    try {
      size = this.out.encode(message);
    } catch (err) {
      throw transportError(
        TRANSPORT_ERRORS.MESSAGE_ENCODE,
        `the message to ${this.node} cannot be encoded with msgpack (${(err as Error).message}); send plain data`,
        { node: this.node },
        err,
      );
    }
    if (size > this.limits.maxMessageBytes) {
      throw transportError(
        TRANSPORT_ERRORS.MESSAGE_TOO_LARGE,
        `a message of ${size} bytes to ${this.node} is over maxMessageBytes (${this.limits.maxMessageBytes}); split it or raise maxMessageBytes on both nodes`,
        { node: this.node, bytes: size, maxMessageBytes: this.limits.maxMessageBytes },
      );
    }
    if (this.queueBytes + this.inflightBytes + size > this.limits.maxQueueBytes) {
      this.full = true;
      this.stats.queueFullRejections++;
      throw transportError(
        TRANSPORT_ERRORS.SEND_QUEUE_FULL,
        `the send queue to ${this.node} is full (maxQueueBytes ${this.limits.maxQueueBytes}): the peer reads slower than this node writes; retry after the 'drain' event`,
        { node: this.node, queuedBytes: this.queueBytes + this.inflightBytes },
      );
    }
    this.stats.messagesOut++;
    this.stats.bytesOut += size;
    if (this.inflightBytes === 0 && this.head === this.queue.length && this.out.pending === 0) {
      // Nothing queued or unwritten: a lone message goes at once (a turn less latency); what follows it in this
      // turn waits for the batch, since this write is now in flight.
      this.out.commit(this.queue);
      const frame = this.head < this.queue.length ? (this.queue.pop() as Buffer) : this.out.take();
      this.inflightBytes = size;
      this.sentSinceTick = true;
      this.stats.framesOut++;
      this.stats.queuedBytes = size;
      this.write(frame, () => this.written(size));
      return;
    }
    this.out.commit(this.queue);
    this.queueBytes += size;
    this.stats.queuedBytes = this.queueBytes + this.inflightBytes;
    if (this.queueBytes >= this.limits.flushAtBytes) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.scheduledFlush);
    }
  }

  private readonly scheduledFlush = () => {
    this.flushScheduled = false;
    this.flush();
  };

  /**
   * Writes queued messages as frames of at most flushAtBytes (a larger single message goes alone), while fewer than
   * maxInflightBytes wait in the socket; the write callbacks resume it. So a frame never exceeds maxMessageBytes,
   * the receiver's limit.
   */
  private flush(force = false): void {
    while (this.open) {
      if (!force && this.inflightBytes >= this.limits.maxInflightBytes) break;
      // Each entry is already a frame (a run of messages of at most flushAtBytes, or one larger message); the
      // messages encoded since the last entry are the last frame.
      let frame: Buffer;
      if (this.head < this.queue.length) frame = this.queue[this.head++] as Buffer;
      else if (this.out.pending > 0) frame = this.out.take();
      else break;
      const bytes = frame.length;
      this.queueBytes -= bytes;
      this.inflightBytes += bytes;
      this.sentSinceTick = true;
      this.stats.framesOut++;
      this.write(frame, () => this.written(bytes));
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Writes one frame. With frameIntegrity the WebSocket message is the frame followed by its tag. A small frame is
   * copied (with its tag) into one buffer that also holds the WebSocket header and goes to the socket in one write,
   * while the WebSocket is open and this side needs no random masking key; else through ws. A larger one goes as two
   * fragments of one message, the payload (a view on the send chunk, not copied) with FIN clear and the tag with FIN
   * set, corked so both reach the socket in one write. Nothing is written between the two: all writes are here.
   */
  private write(frame: Buffer, cb: () => void): void {
    const mac = this.mac;
    const n = frame.length;
    if (n <= COPY_WITH_TAG_BYTES) {
      const socket = (this.ws as unknown as WsInternals)._socket;
      const maskBytes = this.directMaskBytes;
      if (maskBytes >= 0 && socket !== undefined && this.ws.readyState === WS_OPEN) {
        // The whole WebSocket frame in one buffer and one socket write: header (FIN, binary; 7- or 16-bit length;
        // on the dialer's side the mask bit and a zero key, which ws leaves unapplied), payload, tag. The bytes ws
        // would write, without its second buffer (a writev) and its per-send objects: most of a round trip's write.
        const len = mac === undefined ? n : n + MAC_TAG_BYTES;
        const at = (len > 125 ? 4 : 2) + maskBytes;
        const out = Buffer.allocUnsafe(at + len);
        out[0] = 0x82;
        if (len > 125) {
          out[1] = 126;
          out[2] = len >>> 8;
          out[3] = len & 0xff;
        } else out[1] = len;
        if (maskBytes !== 0) {
          out[1] = (out[1] as number) | 0x80;
          out.fill(0, at - 4, at);
        }
        out.set(frame, at);
        mac?.seal(frame, out, at + n);
        socket.write(out, cb);
        return;
      }
      if (mac === undefined) {
        this.ws.send(frame, { binary: true }, cb);
        return;
      }
      const out = Buffer.allocUnsafe(n + MAC_TAG_BYTES);
      out.set(frame, 0);
      mac.seal(frame, out, n);
      this.ws.send(out, { binary: true }, cb);
      return;
    }
    if (mac === undefined) {
      this.ws.send(frame, { binary: true }, cb);
      return;
    }
    const tag = Buffer.allocUnsafe(MAC_TAG_BYTES);
    mac.seal(frame, tag, 0);
    const socket = (this.ws as unknown as WsInternals)._socket;
    socket?.cork();
    this.ws.send(frame, { binary: true, fin: false });
    this.ws.send(tag, { binary: true, fin: true }, cb);
    socket?.uncork();
  }

  private written(bytes: number): void {
    this.inflightBytes -= bytes;
    this.stats.queuedBytes = this.queueBytes + this.inflightBytes;
    if (!this.open) return;
    if (
      (this.head < this.queue.length || this.out.pending > 0) &&
      !this.flushScheduled &&
      this.inflightBytes < this.limits.maxInflightBytes
    ) {
      this.flushScheduled = true;
      setImmediate(this.scheduledFlush);
    }
    if (this.full && this.queueBytes + this.inflightBytes <= this.limits.maxQueueBytes / 2) {
      this.full = false;
      this.handlers.drain(this.node);
    }
  }

  private receive(data: unknown, isBinary: boolean): void {
    if (!this.open) return;
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.close(CLOSE.PROTOCOL_ERROR, 'connection_closed');
      return;
    }
    let frame: Buffer = data;
    if (this.mac !== undefined) {
      const payload = this.mac.open(data);
      if (payload === undefined) {
        // Bytes the peer did not send (or altered): they never reach the decoder.
        this.stats.macFailures++;
        this.handlers.macFailure(this.node);
        this.close(CLOSE.BAD_MAC, 'connection_closed');
        return;
      }
      frame = payload;
    }
    this.receivedSinceTick = true;
    if (frame.length === 0) {
      this.stats.ticksIn++;
      return;
    }
    const costs = this.costs;
    costs.length = 0;
    let messages: unknown[];
    try {
      messages = decodeFrame(frame, this.scan, costs);
    } catch {
      this.close(CLOSE.PROTOCOL_ERROR, 'connection_closed');
      return;
    }
    this.stats.framesIn++;
    this.stats.bytesIn += frame.length;
    this.stats.messagesIn += messages.length;
    for (let i = 0; i < messages.length; i++) {
      if (!this.open) return;
      this.handlers.message(this.node, messages[i], costs[i] as number);
    }
  }

  /**
   * Runs every ticktime / intensity. Erlang's rule (net_kernel, dist_util): a peer is down when nothing arrived
   * during intensity - 1 whole tick periods in a row. The last byte arrived somewhere in the period before the
   * first empty one, so a silent peer is dropped between ticktime * (1 - 1/intensity) and ticktime after it went
   * quiet (45-60 s with the defaults).
   */
  private tick(): void {
    if (!this.open) return;
    if (this.receivedSinceTick) {
      this.receivedSinceTick = false;
      this.missedTicks = 0;
      this.stats.lastInAt = Date.now();
    } else if (++this.missedTicks >= this.limits.tickIntensity - 1) {
      this.close(CLOSE.TICK_TIMEOUT, 'net_tick_timeout');
      return;
    }
    if (!this.sentSinceTick && this.head === this.queue.length && this.out.pending === 0) {
      this.stats.ticksOut++;
      if (this.mac === undefined) this.ws.send(TICK_FRAME, { binary: true });
      else {
        const tag = Buffer.allocUnsafe(MAC_TAG_BYTES);
        this.mac.seal(TICK_FRAME, tag, 0);
        this.ws.send(tag, { binary: true });
      }
    }
    this.sentSinceTick = false;
  }

  /**
   * Closes the connection: writes what is queued, sends the close code, and reports `reason` as the nodedown reason.
   */
  close(close: { code: number; reason: string }, reason: string): void {
    if (!this.open) return;
    this.flush(true);
    closeQuietly(this.ws, close);
    this.end(reason, null);
  }

  private end(reason: string, _err: unknown): void {
    if (!this.open) return;
    this.open = false;
    clearInterval(this.ticker);
    this.queue = [];
    this.out.reset();
    this.head = 0;
    this.queueBytes = 0;
    this.handlers.closed(this, reason);
  }
}

/**
 * The MACs of one connection (docs/protocol.md, "Frame integrity"): the tag of a WebSocket message is a MAC under
 * the sender's session key of u64 BE sequence number || payload (keyed BLAKE2s-128 up to 1 KiB, the Poly1305 tag of ChaCha20-Poly1305 past it: see
 * ./frame-tag.ts), the sequence counting every message (frames and ticks) one side sends on the connection, from 0. A replayed, dropped, reordered or injected message fails.
 */
class FrameMac {
  private readonly sendKey: FrameTagKey;
  private readonly receiveKey: FrameTagKey;
  private sendSeq = 0;
  private receiveSeq = 0;

  constructor(keys: SessionKeys) {
    this.sendKey = new FrameTagKey(keys.send);
    this.receiveKey = new FrameTagKey(keys.receive);
  }

  /** Writes the tag of the next message this side sends into `out[at..at+16)`. */
  seal(payload: Buffer, out: Buffer, at: number): void {
    this.sendKey.sign(this.sendSeq++, payload, out, at);
  }

  /**
   * The payload of a received message, or undefined when it is shorter than a tag or its tag is wrong (compared in
   * constant time, without allocating).
   */
  open(message: Buffer): Buffer | undefined {
    const n = message.length - MAC_TAG_BYTES;
    if (n < 0) return undefined;
    const payload = message.subarray(0, n);
    return this.receiveKey.verify(this.receiveSeq++, payload, message, n) ? payload : undefined;
  }
}
