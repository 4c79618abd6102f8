import type { WebSocket } from 'ws';
import { TRANSPORT_ERRORS, transportError } from './errors.js';
import { decodeFrame, FrameBuffer, TICK_FRAME } from './framing.js';
import { closeQuietly } from './handshake.js';
import { CLOSE } from './protocol.js';

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
}

/** The limits a connection enforces. */
export interface ConnectionLimits {
  readonly ticktimeMs: number;
  readonly tickIntensity: number;
  readonly maxMessageBytes: number;
  readonly maxQueueBytes: number;
  readonly flushAtBytes: number;
  readonly maxInflightBytes: number;
}

/** What a connection reports to its transport. */
export interface ConnectionHandlers {
  message(node: string, message: unknown): void;
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

  constructor(
    /** The peer's node name. */
    readonly node: string,
    private readonly ws: WebSocket,
    private readonly limits: ConnectionLimits,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.out = new FrameBuffer(limits.flushAtBytes);
    ws.on('message', (data: unknown, isBinary: boolean) => this.receive(data, isBinary));
    // Whatever code the peer closed with (even its own net_tick_timeout), this side saw the connection close:
    // Erlang's nodedown reason here is connection_closed.
    ws.on('close', () => this.end('connection_closed', null));
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
        TRANSPORT_ERRORS.QUEUE_FULL,
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
      this.ws.send(frame, { binary: true }, () => this.written(size));
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
      this.ws.send(frame, { binary: true }, () => this.written(bytes));
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
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
    this.receivedSinceTick = true;
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.close(CLOSE.PROTOCOL_ERROR, 'connection_closed');
      return;
    }
    if (data.length === 0) {
      this.stats.ticksIn++;
      return;
    }
    let messages: unknown[];
    try {
      messages = decodeFrame(data);
    } catch {
      this.close(CLOSE.PROTOCOL_ERROR, 'connection_closed');
      return;
    }
    this.stats.framesIn++;
    this.stats.bytesIn += data.length;
    this.stats.messagesIn += messages.length;
    for (const m of messages) {
      if (!this.open) return;
      this.handlers.message(this.node, m);
    }
  }

  private tick(): void {
    if (!this.open) return;
    if (this.receivedSinceTick) {
      this.receivedSinceTick = false;
      this.missedTicks = 0;
    } else if (++this.missedTicks >= this.limits.tickIntensity) {
      this.close(CLOSE.TICK_TIMEOUT, 'net_tick_timeout');
      return;
    }
    if (!this.sentSinceTick && this.head === this.queue.length && this.out.pending === 0) {
      this.stats.ticksOut++;
      this.ws.send(TICK_FRAME, { binary: true });
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
