import { randomBytes, timingSafeEqual } from 'node:crypto';
import WebSocket from 'ws';
import { array, bin, int, str } from './msgpack.js';
import { readAll, readOne } from './reader.js';
import { type HandshakeTranscript, type SessionKeys, type WireProfile, wireProfile } from './wire.js';

/** How a connection ended: the WebSocket close code and reason the node sent (1006 when it just dropped). */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** What {@link connectHostile} needs. */
export interface HostileOptions {
  /** The node's port on `host`. */
  readonly port: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default `/kindred`. */
  readonly path?: string;
  /** This side's node name (the acceptor's host check wants a host that resolves to the connection's address). */
  readonly name: string;
  /** The name of the node dialed; the CHALLENGE must carry it. */
  readonly target: string;
  readonly cookie: string;
  /** Protocol rules; default version 2. */
  readonly profile?: WireProfile;
  /** NAME flags; default the profile's. */
  readonly flags?: number;
  /** Default 5 s. */
  readonly timeoutMs?: number;
}

/** The handshake did not end in ACK: the node refused (STATUS), closed, or sent something unexpected. */
export class HandshakeFailed extends Error {
  constructor(
    message: string,
    /** The close the node sent, when it closed. */
    readonly close?: CloseInfo,
    /** The STATUS message's status and reason, when it refused. */
    readonly status?: { readonly status: string; readonly reason: string },
  ) {
    super(message);
    this.name = 'HandshakeFailed';
  }
}

/**
 * An authenticated connection to a node, driven by a hostile peer: {@link send} tags a payload as the protocol
 * asks, so it reaches the node's decoder; {@link sendRaw} puts any bytes on the wire as one WebSocket message.
 * Messages the node sends are checked (tag) and read into {@link received}.
 */
export class HostileSession {
  /** Every message read from the node's data frames, in order. */
  readonly received: unknown[] = [];
  /** Frames from the node whose tag was wrong or that did not read (the node's fault, not ours). */
  badFrames = 0;
  /** Resolves when the connection is closed, with the node's close code. */
  readonly closed: Promise<CloseInfo>;
  #closeInfo: CloseInfo | undefined;
  #sendSeq = 0n;
  #recvSeq = 0n;
  #waiters = new Set<() => void>();

  /** @internal made by {@link connectHostile}. */
  constructor(
    private readonly ws: WebSocket,
    /** Protocol rules in force. */
    readonly profile: WireProfile,
    /** This side's name. */
    readonly self: string,
    /** The node's name. */
    readonly peer: string,
    /** The session keys, when integrity is on. */
    readonly keys: SessionKeys | undefined,
  ) {
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.#closeInfo = { code, reason: reason.toString() };
        resolve(this.#closeInfo);
        this.#wake();
      });
    });
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => this.#onFrame(data));
  }

  /** True while the WebSocket is open. */
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** The close info once closed. */
  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }

  /** Sends `payload` (msgpack values laid end to end) as one data frame, tagged when integrity is on. */
  send(payload: Uint8Array): Promise<void> {
    if (!this.keys) return this.sendRaw(payload);
    const tag = this.profile.tag(this.keys.i2a, this.#sendSeq++, payload);
    return this.sendRaw(Buffer.concat([payload, tag]));
  }

  /** Sends `payload` with a tag that is wrong (flipped bits), still counting the sequence number. */
  sendBadTag(payload: Uint8Array): Promise<void> {
    const tag = this.keys
      ? Buffer.from(this.profile.tag(this.keys.i2a, this.#sendSeq++, payload))
      : Buffer.alloc(16);
    for (let i = 0; i < tag.length; i++) tag[i] = (tag[i] as number) ^ 0x5a;
    return this.sendRaw(Buffer.concat([payload, tag]));
  }

  /** Sends the bytes as they are, as one binary WebSocket message. Resolves when written (or the socket is gone). */
  sendRaw(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState !== WebSocket.OPEN) {
        resolve();
        return;
      }
      this.ws.send(bytes, { binary: true }, () => resolve());
    });
  }

  /** A tick (an empty payload, tagged when integrity is on). */
  tick(): Promise<void> {
    return this.send(Buffer.alloc(0));
  }

  /**
   * Waits until a received message satisfies `pred` (resolves with it) or the connection closes or `timeoutMs`
   * passes (resolves undefined).
   */
  async waitFor(pred: (m: unknown) => boolean, timeoutMs: number): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.received.length; seen++) if (pred(this.received[seen])) return this.received[seen];
      const left = deadline - Date.now();
      if (left <= 0 || this.#closeInfo) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        const waiters = this.#waiters;
        function done() {
          clearTimeout(t);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Waits for the close; undefined when still open after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<CloseInfo | undefined> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      t = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Closes the connection (normal close) and waits for it, at most 2 s, then drops the socket. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, 'normal');
    if ((await this.waitClosed(2000)) === undefined) this.ws.terminate();
  }

  /** Drops the TCP connection without a close frame. */
  terminate(): void {
    this.ws.terminate();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  #onFrame(data: Buffer): void {
    let payload = data;
    if (this.keys) {
      const n = this.profile.tagBytes;
      if (data.length < n) {
        this.badFrames++;
        return;
      }
      payload = data.subarray(0, data.length - n);
      const expected = this.profile.tag(this.keys.a2i, this.#recvSeq++, payload);
      if (!timingSafeEqual(expected, data.subarray(data.length - n))) {
        this.badFrames++;
        return;
      }
    }
    if (payload.length === 0) return; // a tick
    try {
      this.received.push(...readAll(payload));
    } catch {
      this.badFrames++;
    }
    this.#wake();
  }
}

function asHandshake(data: Buffer): unknown[] {
  const v = readOne(data);
  if (!Array.isArray(v) || typeof v[0] !== 'string') throw new Error('not a tagged array');
  return v;
}

/**
 * Opens a WebSocket to a node and runs the initiator's side of the handshake (docs/protocol.md, section 2) with the
 * profile's rules; resolves with the session once the node's ACK digest checked out. Rejects with
 * {@link HandshakeFailed} otherwise.
 */
export function connectHostile(opts: HostileOptions): Promise<HostileSession> {
  const profile = opts.profile ?? wireProfile();
  const flags = opts.flags ?? profile.defaultFlags;
  const challenge = randomBytes(32);
  const url = `ws://${opts.host ?? '127.0.0.1'}:${opts.port}${opts.path ?? '/kindred'}`;
  const ws = new WebSocket(url, [profile.subprotocol], {
    perMessageDeflate: false,
    maxPayload: 256 * 1024 * 1024,
    handshakeTimeout: opts.timeoutMs ?? 5000,
  });
  return new Promise((resolve, reject) => {
    let transcript: HandshakeTranscript | undefined;
    let settled = false;
    const fail = (message: string, close?: CloseInfo, status?: { status: string; reason: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners('message');
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      reject(new HandshakeFailed(message, close, status));
    };
    const timer = setTimeout(() => fail('handshake timed out'), opts.timeoutMs ?? 5000);
    ws.on('error', (err) => fail(`socket error: ${err.message}`));
    ws.on('close', (code, reason) =>
      fail(`closed during the handshake: ${code} ${reason}`, { code, reason: reason.toString() }),
    );
    ws.once('open', () => {
      ws.send(array([str('n'), int(profile.version), str(opts.name), bin(challenge), int(flags)]));
    });
    const onMessage = (data: Buffer) => {
      let m: unknown[];
      try {
        m = asHandshake(data);
      } catch (err) {
        fail(`unreadable handshake message: ${(err as Error).message}`);
        return;
      }
      if (m[0] === 's') {
        fail(`refused: ${String(m[1])} ${String(m[2])}`, undefined, {
          status: String(m[1]),
          reason: String(m[2]),
        });
      } else if (m[0] === 'c' && transcript === undefined) {
        const [, , name, ca, fa] = m;
        if (name !== opts.target || !(ca instanceof Buffer) || typeof fa !== 'number') {
          fail(`CHALLENGE from ${String(name)}, expected ${opts.target}`);
          return;
        }
        transcript = {
          initiator: opts.name,
          acceptor: opts.target,
          initiatorChallenge: challenge,
          acceptorChallenge: ca,
          initiatorFlags: flags,
          acceptorFlags: fa,
        };
        ws.send(array([str('r'), bin(profile.digest(opts.cookie, 'reply', transcript))]));
      } else if (m[0] === 'a' && transcript !== undefined) {
        const got = m[1];
        const want = profile.digest(opts.cookie, 'ack', transcript);
        if (!(got instanceof Buffer) || got.length !== 32 || !timingSafeEqual(got, want)) {
          fail('wrong ACK digest');
          return;
        }
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners('message');
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        resolve(
          new HostileSession(
            ws,
            profile,
            opts.name,
            opts.target,
            profile.sessionKeys(opts.cookie, transcript),
          ),
        );
      } else {
        fail(`unexpected handshake message '${String(m[0])}'`);
      }
    };
    ws.on('message', onMessage);
  });
}
