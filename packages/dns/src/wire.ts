import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP, Socket } from 'node:net';
import { decodeMessage, packet, type WireMessage } from './message.js';
import type { Nameserver } from './resolv-conf.js';

/** What one exchange with one server produced. */
export type ExchangeResult =
  | { readonly kind: 'answer'; readonly message: WireMessage }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'unreachable'; readonly reason: string }
  | { readonly kind: 'bad-response'; readonly reason: string }
  /** The caller's signal aborted the exchange (a deadline passed); its socket is closed. */
  | { readonly kind: 'aborted' };

/** Counters a caller may observe (ignored spoofed/mismatched datagrams, malformed answers). */
export interface WireCounters {
  mismatched: number;
  /** Answers to our question and ID whose records were malformed ({@link WireMessage.malformed}). */
  malformed: number;
}

/** Encodes a recursion-desired query for `name`/`type` with the given ID. */
export function encodeQuery(id: number, name: string, type: string): Buffer {
  return packet.encode({
    id,
    type: 'query',
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
  });
}

/** Case-insensitive DNS name equality, ignoring one trailing dot. */
export function sameName(a: string, b: string): boolean {
  const strip = (s: string) => (s.endsWith('.') ? s.slice(0, -1) : s).toLowerCase();
  return strip(a) === strip(b);
}

/** A fresh random 16-bit query ID. */
export function randomQueryId(): number {
  return randomInt(0, 0x10000);
}

/** True when `message` is a response to exactly our question with our ID (anything else is ignored). */
function matches(message: WireMessage, id: number, name: string, type: string): boolean {
  return (
    message.isResponse &&
    message.opcode === 'QUERY' &&
    message.id === id &&
    message.question !== undefined &&
    sameName(message.question.name, name) &&
    message.question.type === type &&
    message.question.class === 'IN'
  );
}

/**
 * One UDP exchange with one server. A fresh socket per query, bound to port 0, so the kernel picks a random
 * ephemeral source port; a random ID. The socket is connected (as glibc does), so the kernel drops datagrams from any
 * other address, and an ICMP port-unreachable ends the exchange early. Responses whose ID or question do not match
 * are counted and ignored; we keep waiting until the timeout, so a spoofed answer cannot displace the real one.
 * An answer to our ID and question whose records are malformed is treated the same way (counted, and the real
 * answer still awaited); if none comes, the exchange ends as `bad-response` naming the fault, not as a timeout.
 * A truncated answer (TC) is returned even when its records are cut short: only its header is used, to go to TCP.
 */
export function exchangeUdp(
  server: Nameserver,
  name: string,
  type: string,
  timeoutMs: number,
  counters: WireCounters,
  signal?: AbortSignal,
): Promise<ExchangeResult> {
  const id = randomQueryId();
  const query = encodeQuery(id, name, type);
  const family = isIP(server.address.split('%')[0] ?? '') === 6 ? 'udp6' : 'udp4';
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    const socket = createSocket({ type: family });
    let settled = false;
    let malformed: string | undefined;
    const finish = (result: ExchangeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      resolve(result);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () =>
        finish(malformed === undefined ? { kind: 'timeout' } : { kind: 'bad-response', reason: malformed }),
      timeoutMs,
    );
    socket.on('error', (err: NodeJS.ErrnoException) => {
      finish({ kind: 'unreachable', reason: err.code ?? err.message });
    });
    socket.on('message', (buf) => {
      let message: WireMessage;
      try {
        message = decodeMessage(buf);
      } catch {
        counters.mismatched++;
        return;
      }
      if (!matches(message, id, name, type)) {
        counters.mismatched++;
        return;
      }
      if (message.malformed !== undefined && !message.truncated) {
        counters.malformed++;
        malformed = `malformed answer: ${message.malformed}`;
        return;
      }
      finish({ kind: 'answer', message });
    });
    socket.connect(server.port, server.address, () => {
      socket.send(query, (err) => {
        if (err) finish({ kind: 'unreachable', reason: (err as NodeJS.ErrnoException).code ?? err.message });
      });
    });
  });
}

/**
 * One TCP exchange (after a truncated UDP answer): 2-byte length prefix both ways. A connection is to the server we
 * chose, so a mismatching or malformed answer here is a broken server, reported as `bad-response`.
 */
export function exchangeTcp(
  server: Nameserver,
  name: string,
  type: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ExchangeResult> {
  const id = randomQueryId();
  const query = packet.streamEncode({
    id,
    type: 'query',
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
  });
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    const socket = new Socket();
    let settled = false;
    let received = Buffer.alloc(0);
    const finish = (result: ExchangeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish({ kind: 'unreachable', reason: err.code ?? err.message }),
    );
    socket.on('close', () =>
      finish({ kind: 'bad-response', reason: 'connection closed before a full answer' }),
    );
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length < length + 2) return;
      let message: WireMessage;
      try {
        message = decodeMessage(received.subarray(2, 2 + length));
      } catch (err) {
        finish({ kind: 'bad-response', reason: `undecodable TCP answer: ${(err as Error).message}` });
        return;
      }
      if (!matches(message, id, name, type)) {
        finish({ kind: 'bad-response', reason: 'TCP answer does not match the question or ID' });
        return;
      }
      if (message.malformed !== undefined) {
        finish({ kind: 'bad-response', reason: `malformed TCP answer: ${message.malformed}` });
        return;
      }
      finish({ kind: 'answer', message });
    });
    socket.connect({ port: server.port, host: server.address }, () => socket.write(query));
  });
}
