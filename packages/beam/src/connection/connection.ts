import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { checkInt, checkPositiveInt, childLogger, type KindredError, type Logger } from '@kindred/interface';
import { BEAM_NET_ERRORS, beamNetError } from '../errors-net.js';
import { ETF_DEFAULTS } from '../etf/defaults.js';
import type { Term } from '../etf/terms.js';
import { DFLAG } from '../handshake/flags.js';
import type { HandshakeResult } from '../handshake/types.js';
import { OutAtomCache } from './atom-cache-out.js';
import { ATOM_CACHE_SIZE, BEAM_CONNECTION_DEFAULTS } from './defaults.js';
import { FRAME_TAG, readDistHeader } from './dist-header.js';
import { createEtfCodec } from './etf-codec.js';
import { FrameDecoder, frame, TICK } from './framing.js';
import type { TermCodec } from './term-codec.js';

const EMPTY = Buffer.alloc(0);

/** Options of {@link BeamConnection}. */
export interface BeamConnectionOptions<T = Term> {
  /**
   * The term codec control messages and payloads go through, or a function making one per connection (so that a
   * codec's per-peer state, such as its atom table, is per connection). Default: {@link createEtfCodec} per
   * connection, with `maxInflatedBytes` no larger than `maxFrameBytes`.
   */
  readonly codec?: TermCodec<T> | (() => TermCodec<T>);
  /** net_ticktime; default 60 s. Both nodes should agree (erl's `-kernel net_ticktime`, in seconds). */
  readonly ticktimeMs?: number;
  /** net_tickintensity, 4-1000; default 4. */
  readonly tickIntensity?: number;
  /** Largest frame received or sent; default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** Bytes waiting to be written before sends are refused; default 32 MiB. */
  readonly maxQueueBytes?: number;
  readonly logger?: Logger;
}

/** One distribution message: the control tuple and, for the ops that carry one, the payload (the message). */
export interface BeamMessage<T> {
  readonly control: T;
  readonly payload?: T;
  /** The frame's size on the wire (bytes after the length prefix). */
  readonly bytes: number;
}

/** Why a connection closed: `normal` (closed here), `connection_closed` (by the peer or the network),
 * `net_tick_timeout` (the peer went silent), `frame_error` (it broke the protocol), `too_large`. */
export type BeamCloseReason =
  | 'normal'
  | 'connection_closed'
  | 'net_tick_timeout'
  | 'frame_error'
  | 'too_large'
  | string;

/** Counters of one connection. */
export interface BeamConnectionStats {
  framesIn: number;
  framesOut: number;
  ticksIn: number;
  ticksOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Atom cache references read in `131 68` headers (new entries and hits). */
  atomCacheRefsIn: number;
}

const OPTION = (option: string) => ({ option, code: BEAM_NET_ERRORS.BEAM_NET_OPTION });

/**
 * An established Erlang-distribution connection: 4-byte framing, ticks, and the two payload layouts the negotiated
 * flags imply (`'p'` + `131` terms when neither DIST_HDR_ATOM_CACHE nor FRAGMENTS was negotiated, else a
 * `131 68` header with the atom cache, which this side also sends with when the codec has `encodeFrame`). Control messages and
 * payloads go through the {@link TermCodec}.
 *
 * Events: `message` ({@link BeamMessage}), `drain` (the send queue emptied), `close` (reason, error?) once.
 */
export class BeamConnection<T = Term> extends EventEmitter {
  /** The peer's full node name. */
  readonly peerName: string;
  /** The peer's creation. */
  readonly peerCreation: number;
  /** The negotiated flags (ours AND the peer's). */
  readonly flags: bigint;
  /** Which side dialed. */
  readonly role: 'initiator' | 'acceptor';
  readonly stats: BeamConnectionStats = {
    framesIn: 0,
    framesOut: 0,
    ticksIn: 0,
    ticksOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    atomCacheRefsIn: 0,
  };
  readonly #socket: Socket;
  readonly #codec: TermCodec<T>;
  readonly #decoder: FrameDecoder;
  readonly #maxFrameBytes: number;
  readonly #maxQueueBytes: number;
  readonly #withHeader: boolean;
  readonly #atomCache: (string | undefined)[] = new Array(ATOM_CACHE_SIZE);
  readonly #tickTimer: NodeJS.Timeout;
  readonly #tickIntensity: number;
  readonly #log: Logger;
  /**
   * Frames sent and not yet handed to the socket, in one buffer: `[#batchStart, #batchEnd)` of `#batch` is written
   * together at the end of the turn (or when the buffer is full); the rest of the buffer takes the next frames, so a
   * turn with one small frame does not cost a new buffer.
   */
  #batch: Buffer = EMPTY;
  #batchStart = 0;
  #batchEnd = 0;
  #flushQueued = false;
  #drainOwed = false;
  readonly #flushTask = (): void => {
    this.#flushQueued = false;
    if (this.#closed === undefined) this.#flush();
  };
  readonly #headroom: number;
  /** The atom cache this side sends with, when DIST_HDR_ATOM_CACHE was negotiated and the codec can use it. */
  readonly #outAtoms: OutAtomCache | undefined;
  #readSinceCheck = true;
  #wroteSinceCheck = false;
  #silentChecks = 0;
  #closed: { reason: BeamCloseReason; error: KindredError | undefined } | undefined;

  /** Takes over a finished handshake's socket. */
  constructor(handshake: HandshakeResult, options: BeamConnectionOptions<T>) {
    super();
    this.peerName = handshake.peerName;
    this.peerCreation = handshake.peerCreation;
    this.flags = handshake.flags;
    this.role = handshake.role;
    this.#socket = handshake.socket;
    const ticktimeMs = checkPositiveInt(
      OPTION('ticktimeMs'),
      options.ticktimeMs ?? BEAM_CONNECTION_DEFAULTS.ticktimeMs,
    );
    this.#tickIntensity = checkInt(
      OPTION('tickIntensity'),
      options.tickIntensity ?? BEAM_CONNECTION_DEFAULTS.tickIntensity,
      4,
      1000,
    );
    this.#maxFrameBytes = checkPositiveInt(
      OPTION('maxFrameBytes'),
      options.maxFrameBytes ?? BEAM_CONNECTION_DEFAULTS.maxFrameBytes,
    );
    this.#maxQueueBytes = checkPositiveInt(
      OPTION('maxQueueBytes'),
      options.maxQueueBytes ?? BEAM_CONNECTION_DEFAULTS.maxQueueBytes,
    );
    const codec = options.codec;
    this.#codec =
      codec === undefined
        ? (createEtfCodec({
            decoder: { maxInflatedBytes: Math.min(this.#maxFrameBytes, ETF_DEFAULTS.maxInflatedBytes) },
          }) as unknown as TermCodec<T>)
        : typeof codec === 'function'
          ? codec()
          : codec;
    this.#withHeader = (this.flags & (DFLAG.DIST_HDR_ATOM_CACHE | DFLAG.FRAGMENTS)) !== 0n;
    // Length:u32, then 'p' (each term then has its 131), or 131 68 and a header with no atom cache refs.
    this.#headroom = this.#withHeader ? 7 : 5;
    this.#outAtoms =
      (this.flags & DFLAG.DIST_HDR_ATOM_CACHE) !== 0n && this.#codec.encodeFrame !== undefined
        ? new OutAtomCache()
        : undefined;
    this.#decoder = new FrameDecoder(this.#maxFrameBytes);
    this.#log = childLogger(options.logger, { component: 'beam-connection' });

    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.emit('drain'));
    socket.on('error', (err) =>
      this.#finish(
        'connection_closed',
        beamNetError(
          BEAM_NET_ERRORS.BEAM_CLOSED,
          `connection to ${this.peerName} failed: ${err.message}`,
          { reason: 'connection_closed', peer: { name: this.peerName } },
          err,
        ),
      ),
    );
    socket.on('close', () => this.#finish('connection_closed', undefined));
    socket.on('end', () => socket.end());
    this.#tickTimer = setInterval(
      () => this.#checkTick(),
      Math.max(1, Math.floor(ticktimeMs / this.#tickIntensity)),
    );
    this.#tickTimer.unref();
    // The handshake's leftover bytes, then whatever the socket buffered while paused.
    queueMicrotask(() => {
      if (handshake.rest.length > 0) this.#onData(handshake.rest);
      if (this.#closed === undefined) socket.resume();
    });
  }

  /** True until the connection closed. */
  get open(): boolean {
    return this.#closed === undefined;
  }

  /** Why it closed, once closed. */
  get closeReason(): BeamCloseReason | undefined {
    return this.#closed?.reason;
  }

  /**
   * dist_util's ticker: every ticktime/intensity, send a tick if nothing was written since the last check, and
   * drop the peer after `intensity` checks in a row with nothing read (`net_tick_timeout`).
   */
  #checkTick(): void {
    if (this.#closed !== undefined) return;
    if (this.#readSinceCheck) this.#silentChecks = 0;
    else this.#silentChecks++;
    this.#readSinceCheck = false;
    if (this.#silentChecks >= this.#tickIntensity) {
      this.#log.info({ peer: { name: this.peerName } }, 'net_tick_timeout');
      this.#finish(
        'net_tick_timeout',
        beamNetError(
          BEAM_NET_ERRORS.BEAM_TICK_TIMEOUT,
          `${this.peerName} sent nothing for about net_ticktime: dropped (net_tick_timeout)`,
          { reason: 'net_tick_timeout', peer: { name: this.peerName } },
        ),
      );
      return;
    }
    if (!this.#wroteSinceCheck) {
      this.#flush();
      this.#socket.write(TICK);
      this.stats.ticksOut++;
    }
    this.#wroteSinceCheck = false;
  }

  #onData(chunk: Buffer): void {
    if (this.#closed !== undefined) return;
    this.#readSinceCheck = true;
    this.stats.bytesIn += chunk.length;
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      this.#protocolError('too_large', (err as Error).message, err);
      return;
    }
    for (const f of frames) {
      if (this.#closed !== undefined) return;
      if (f.length === 0) {
        this.stats.ticksIn++;
        continue;
      }
      this.stats.framesIn++;
      let msg: BeamMessage<T>;
      try {
        msg = this.#decodeFrame(f);
      } catch (err) {
        this.#protocolError('frame_error', (err as Error).message, err);
        return;
      }
      this.emit('message', msg);
    }
  }

  #decodeFrame(f: Buffer): BeamMessage<T> {
    const first = f.readUInt8(0);
    if (!this.#withHeader) {
      if (first !== FRAME_TAG.PASS_THROUGH) throw new Error(`frame starts with ${first}, want 112 ('p')`);
      return this.#decodeTerms(f, 1, [], true);
    }
    if (first !== FRAME_TAG.VERSION || f.length < 2)
      throw new Error(`frame starts with ${first}, want 131 68`);
    const second = f.readUInt8(1);
    if (second !== FRAME_TAG.DIST_HEADER) {
      throw new Error(
        second === FRAME_TAG.DIST_FRAG_HEADER || second === FRAME_TAG.DIST_FRAG_CONT
          ? 'a fragment arrived but FRAGMENTS is not supported'
          : `distribution header ${second}, want 68`,
      );
    }
    const { refs, end } = readDistHeader(f, 2, this.#atomCache);
    this.stats.atomCacheRefsIn += refs.length;
    return this.#decodeTerms(f, end, refs, false);
  }

  #decodeTerms(f: Buffer, offset: number, refs: readonly string[], versioned: boolean): BeamMessage<T> {
    const term = (at: number): { term: T; end: number } => {
      let o = at;
      if (versioned) {
        if (f.readUInt8(o) !== FRAME_TAG.VERSION) throw new Error(`term at ${o} lacks the version byte 131`);
        o++;
      }
      const r = this.#codec.decode(f, o, refs);
      if (r.end <= o || r.end > f.length) throw new Error('the codec overran the frame');
      return r;
    };
    if (offset >= f.length) throw new Error('frame has no control message');
    const control = term(offset);
    if (control.end === f.length) return { control: control.term, bytes: f.length };
    const payload = term(control.end);
    if (payload.end !== f.length) throw new Error(`${f.length - payload.end} bytes after the payload`);
    return { control: control.term, payload: payload.term, bytes: f.length };
  }

  #protocolError(reason: 'too_large' | 'frame_error', detail: string, cause: unknown): void {
    const error = beamNetError(
      BEAM_NET_ERRORS.BEAM_FRAME,
      `${this.peerName} broke the distribution protocol (${reason}): ${detail}; the connection is closed`,
      { reason, peer: { name: this.peerName } },
      cause,
    );
    this.#log.warn(
      { peer: { name: this.peerName }, reason, detail },
      'closing a connection that broke the protocol',
    );
    this.#finish(reason, error);
  }

  /**
   * Sends one distribution message: `control` (the control tuple) and, for SEND, REG_SEND and the other ops that
   * carry one, `payload`.
   *
   * @throws KindredError `KINDRED_ERR_BEAM_CLOSED`, `KINDRED_ERR_BEAM_MESSAGE_TOO_LARGE` (nothing sent, the
   *   connection stays), `KINDRED_ERR_BEAM_SEND_QUEUE_FULL` (nothing queued; retry after `drain`); the codec's
   *   own errors when a term cannot be encoded.
   */
  send(control: T, payload?: T): void {
    if (this.#closed !== undefined) {
      throw beamNetError(
        BEAM_NET_ERRORS.BEAM_CLOSED,
        `the connection to ${this.peerName} is closed (${this.#closed.reason})`,
        {
          reason: this.#closed.reason,
          peer: { name: this.peerName },
        },
      );
    }
    const cache = this.#outAtoms;
    // A view (valid until the codec's next call) or a frame of its own; with the atom cache, the terms alone.
    let out: Buffer;
    let length: number;
    let headerLength = 0;
    if (cache === undefined) {
      out = this.#encodeFrame(control, payload);
      length = out.length;
    } else {
      cache.begin();
      out = this.#codec.encodeFrame!(control, payload, 0, false, cache.ref);
      headerLength = cache.headerLength();
      length = 6 + headerLength + out.length;
    }
    const size = length - 4;
    if (size > this.#maxFrameBytes) {
      throw beamNetError(
        BEAM_NET_ERRORS.BEAM_MESSAGE_TOO_LARGE,
        `a message of ${size} bytes to ${this.peerName} is over maxFrameBytes (${this.#maxFrameBytes}); not sent`,
        { size, max: this.#maxFrameBytes, peer: { name: this.peerName } },
      );
    }
    let queued = this.#socket.writableLength + this.#batchEnd - this.#batchStart;
    if (queued + length > this.#maxQueueBytes && this.#batchEnd > this.#batchStart) {
      // Hand this turn's frames to the socket first: what it cannot write at once it reports with 'drain' later,
      // which a refusal here promises (frames still held here would never bring one).
      this.#flush();
      queued = this.#socket.writableLength;
    }
    if (queued + length > this.#maxQueueBytes) {
      this.#oweDrain();
      throw beamNetError(
        BEAM_NET_ERRORS.BEAM_SEND_QUEUE_FULL,
        `the send queue to ${this.peerName} holds ${queued} bytes (maxQueueBytes ` +
          `${this.#maxQueueBytes}): the peer reads slower than this node writes; retry after 'drain'`,
        { queued, max: this.#maxQueueBytes, peer: { name: this.peerName } },
      );
    }
    const batch = this.#room(length);
    const at = this.#batchEnd;
    this.#batchEnd += length;
    if (cache === undefined) out.copy(batch, at);
    else {
      batch.writeUInt32BE(length - 4, at);
      batch[at + 4] = FRAME_TAG.VERSION;
      batch[at + 5] = FRAME_TAG.DIST_HEADER;
      // The header's new entries become the peer's only now, when the frame is sure to go.
      cache.writeHeader(batch, at + 6);
      out.copy(batch, at + 6 + headerLength);
    }
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushTask);
    }
    this.#wroteSinceCheck = true;
    this.stats.framesOut++;
    this.stats.bytesOut += length;
  }

  /**
   * The batch buffer with room for `n` more bytes at `#batchEnd`: when the current one is full, its frames are
   * written and a new one (`writeBatchBytes`, or `n` when larger) takes over.
   */
  #room(n: number): Buffer {
    if (this.#batchEnd + n <= this.#batch.length) return this.#batch;
    this.#flush();
    this.#batch = Buffer.allocUnsafe(Math.max(BEAM_CONNECTION_DEFAULTS.writeBatchBytes, n));
    this.#batchStart = 0;
    this.#batchEnd = 0;
    return this.#batch;
  }

  /**
   * A refusal promises a 'drain'. The socket emits one only after a write it reported as over its high-water mark;
   * with a `maxQueueBytes` below that, it would not: an empty write's callback then says when the queue is written.
   */
  #oweDrain(): void {
    if (this.#drainOwed || this.#socket.writableNeedDrain) return;
    this.#drainOwed = true;
    this.#socket.write(EMPTY, () => {
      this.#drainOwed = false;
      if (this.#closed === undefined) this.emit('drain');
    });
  }

  /** The frame of one message, length prefix included. */
  #encodeFrame(control: T, payload: T | undefined): Buffer {
    const codec = this.#codec;
    if (codec.encodeFrame !== undefined) {
      // Possibly a view of the codec's memory: filled in here, copied into the batch by the caller.
      const out = codec.encodeFrame(control, payload, this.#headroom, !this.#withHeader);
      out.writeUInt32BE(out.length - 4, 0);
      if (this.#withHeader) {
        out[4] = FRAME_TAG.VERSION;
        out[5] = FRAME_TAG.DIST_HEADER;
        out[6] = 0;
      } else out[4] = FRAME_TAG.PASS_THROUGH;
      return out;
    }
    const ctl = codec.encode(control);
    const msg = payload === undefined ? undefined : codec.encode(payload);
    const parts = this.#withHeader
      ? [Buffer.from([FRAME_TAG.VERSION, FRAME_TAG.DIST_HEADER, 0]), ctl, ...(msg === undefined ? [] : [msg])]
      : [
          Buffer.from([FRAME_TAG.PASS_THROUGH, FRAME_TAG.VERSION]),
          ctl,
          ...(msg === undefined ? [] : [Buffer.from([FRAME_TAG.VERSION]), msg]),
        ];
    return frame(parts);
  }

  /** Hands the frames sent this turn to the socket, in one write (the socket owns those bytes from now on). */
  #flush(): void {
    if (this.#batchEnd === this.#batchStart) return;
    const data = this.#batch.subarray(this.#batchStart, this.#batchEnd);
    this.#batchStart = this.#batchEnd;
    this.#socket.write(data);
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#socket.writableLength + this.#batchEnd - this.#batchStart;
  }

  /** Closes the connection (after flushing what was sent) with `reason`; `close` is emitted once. */
  close(reason: BeamCloseReason = 'normal'): void {
    if (this.#closed !== undefined) return;
    this.#finish(reason, undefined);
  }

  #finish(reason: BeamCloseReason, error: KindredError | undefined): void {
    if (this.#closed !== undefined) return;
    this.#closed = { reason, error };
    clearInterval(this.#tickTimer);
    if (reason === 'normal' || reason === 'replaced') {
      this.#flush();
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1_000).unref();
    } else {
      this.#socket.destroy();
    }
    this.emit('close', reason, error);
  }
}
