import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { Writable } from 'node:stream';
import { blake2s } from '@noble/hashes/blake2.js';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import {
  computeDigest,
  decodeHandshake,
  deriveSessionKeys,
  encodeHandshake,
  FLAGS,
  newChallenge,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
} from '../src/protocol.js';
import { createTransport } from '../src/transport.js';
import type { Transport, TransportOptions } from '../src/types.js';

/** A pino logger writing JSON lines into `lines`, to assert on log messages. */
export function captureLogger(): { logger: pino.Logger; lines: () => Array<{ msg: string; level: number }> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l)),
  };
}

/** A transport on loopback with a free port; long names on 127.0.0.1 by default. */
export async function startNode(
  name: string,
  extra: Partial<TransportOptions> = {},
): Promise<{ t: Transport; port: number }> {
  const t = createTransport({ self: { node: name }, cookie: 'secret', port: 0, host: '127.0.0.1', ...extra });
  const { port } = await t.listen();
  return { t, port };
}

/** Opens a raw WebSocket to a listener, speaking the kindred subprotocol. */
export function rawSocket(
  port: number,
  protocol: string = SUBPROTOCOL,
  maxPayload = 100 * 1024 * 1024,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/kindred`, [protocol], {
      perMessageDeflate: false,
      maxPayload,
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Resolves with the close code when `ws` closes. */
export function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) resolve(-1);
    ws.once('close', (code) => resolve(code));
  });
}

/** The next binary message on `ws`. */
export function nextMessage(ws: WebSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(data as Buffer));
    ws.once('close', (code) => reject(new Error(`closed ${code}`)));
  });
}

/** The MACs of a raw peer's connection (docs/protocol.md, "Frame integrity"), written from the spec. */
export interface RawMac {
  /** `payload || tag` for the next message this peer sends. */
  seal(payload: Buffer): Buffer;
  /** The payload of a received message; throws when its tag is wrong. */
  open(message: Buffer): Buffer;
}

const rawMacs = new WeakMap<WebSocket, RawMac>();

/** The MAC state of a socket from {@link rawHandshake} with integrity. */
export function rawMac(ws: WebSocket): RawMac {
  const m = rawMacs.get(ws);
  if (m === undefined) throw new Error('no integrity on this socket');
  return m;
}

/**
 * docs/protocol.md's frame tag written from the document, with BLAKE2s from an independent implementation
 * (@noble/hashes, audited) and Poly1305 from node:crypto: what src/frame-tag.ts must equal, and what a raw peer sends.
 */
export function referenceTag(key: Uint8Array, seq: number, payload: Uint8Array): Buffer {
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(BigInt(seq));
  const sub = (label: string) => createHmac('sha256', key).update(label).digest();
  if (payload.length <= 1024) {
    return Buffer.from(
      blake2s(Buffer.concat([s, payload]), { key: sub('kindred-dist-2 frame tag small'), dkLen: 16 }),
    );
  }
  // Longer payloads: the Poly1305 tag of ChaCha20-Poly1305 (RFC 8439) with the payload as associated data, nothing
  // to encrypt, and the nonce 00 00 00 00 || u64be(seq).
  const nonce = Buffer.concat([Buffer.alloc(4), s]);
  const aead = createCipheriv('chacha20-poly1305', sub('kindred-dist-2 frame tag large'), nonce, {
    authTagLength: 16,
  });
  aead.setAAD(payload, { plaintextLength: 0 });
  aead.final();
  return aead.getAuthTag();
}

/**
 * Runs the initiator side of the handshake by hand; resolves with the open socket once ACK arrived. With
 * `integrity` (the default, as TRANSPORT_DEFAULTS.frameIntegrity) it sets FLAGS.INTEGRITY and {@link rawMac} gives
 * the frame MACs.
 */
export async function rawHandshake(
  port: number,
  self: string,
  acceptor: string,
  cookie = 'secret',
  maxPayload?: number,
  integrity = true,
): Promise<WebSocket> {
  const ws = await rawSocket(port, SUBPROTOCOL, maxPayload);
  const challenge = newChallenge();
  const flags = integrity ? FLAGS.INTEGRITY : 0;
  const reply = nextMessage(ws);
  ws.send(encodeHandshake({ tag: 'n', version: PROTOCOL_VERSION, name: self, challenge, flags }));
  const c = decodeHandshake(await reply);
  if (c.tag !== 'c') throw new Error(`expected challenge, got ${JSON.stringify(c)}`);
  const digest = computeDigest(cookie, {
    role: 'reply',
    initiator: self,
    acceptor,
    initiatorChallenge: challenge,
    acceptorChallenge: c.challenge,
    initiatorFlags: flags,
    acceptorFlags: c.flags,
  });
  const ack = nextMessage(ws);
  ws.send(encodeHandshake({ tag: 'r', digest }));
  const a = decodeHandshake(await ack);
  if (a.tag !== 'a') throw new Error('expected ack');
  if (integrity) {
    const keys = deriveSessionKeys(cookie, 'initiator', {
      initiator: self,
      acceptor,
      initiatorChallenge: challenge,
      acceptorChallenge: c.challenge,
    });
    let sendSeq = 0;
    let receiveSeq = 0;
    rawMacs.set(ws, {
      seal: (payload) => Buffer.concat([payload, referenceTag(keys.send, sendSeq++, payload)]),
      open: (message) => {
        const payload = message.subarray(0, message.length - 16);
        if (
          !timingSafeEqual(
            referenceTag(keys.receive, receiveSeq++, payload),
            message.subarray(message.length - 16),
          )
        ) {
          throw new Error('bad MAC from the node');
        }
        return payload;
      },
    });
  }
  return ws;
}

/** Waits for one event. */
export function once<T extends unknown[]>(
  emitter: { once(event: string, fn: (...args: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}
