import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { isIP, Socket } from 'node:net';
import type { Nameserver } from './resolv-conf.js';

// dns-packet ships no types; this is the slice of its API we use, typed here so nothing untyped leaks out.
interface PacketQuestion {
  name: string;
  type: string;
  class?: string;
}
interface PacketRecord {
  name: string;
  type: string;
  class?: string;
  ttl?: number;
  data?: unknown;
}
interface PacketMessage {
  id?: number;
  type?: 'query' | 'response';
  flags?: number;
  flag_qr?: boolean;
  flag_tc?: boolean;
  flag_aa?: boolean;
  opcode?: string;
  rcode?: string;
  questions?: PacketQuestion[];
  answers?: PacketRecord[];
  authorities?: PacketRecord[];
  additionals?: PacketRecord[];
}
interface DnsPacketModule {
  encode(message: PacketMessage): Buffer;
  decode(buf: Buffer): PacketMessage;
  streamEncode(message: PacketMessage): Buffer;
  RECURSION_DESIRED: number;
}
const packet = createRequire(import.meta.url)('dns-packet') as DnsPacketModule;

/** A decoded DNS message, reduced to what the resolver needs. */
export interface WireMessage {
  readonly id: number;
  /** The QR bit: a response, not a query (a reflected query must never pass for an answer). */
  readonly isResponse: boolean;
  readonly opcode: string;
  readonly rcode: string;
  readonly truncated: boolean;
  readonly authoritative: boolean;
  readonly question: { readonly name: string; readonly type: string; readonly class: string } | undefined;
  readonly answers: readonly WireRecord[];
  readonly authorities: readonly WireRecord[];
  readonly additionals: readonly WireRecord[];
}

/** One resource record as dns-packet decodes it (`data` depends on `type`). */
export interface WireRecord {
  readonly name: string;
  readonly type: string;
  readonly class: string;
  readonly ttl: number;
  readonly data: unknown;
}

/** What one exchange with one server produced. */
export type ExchangeResult =
  | { readonly kind: 'answer'; readonly message: WireMessage }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'unreachable'; readonly reason: string }
  | { readonly kind: 'bad-response'; readonly reason: string };

/** Counters a caller may observe (ignored spoofed/mismatched datagrams etc.). */
export interface WireCounters {
  mismatched: number;
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

/** Decodes a DNS message; throws on malformed input. */
export function decodeMessage(buf: Buffer): WireMessage {
  const m = packet.decode(buf);
  const q = m.questions?.[0];
  const toRecords = (rs: PacketRecord[] | undefined): WireRecord[] =>
    (rs ?? [])
      .filter((r) => r.type !== 'OPT')
      .map((r) => ({ name: r.name, type: r.type, class: r.class ?? 'IN', ttl: r.ttl ?? 0, data: r.data }));
  return {
    id: m.id ?? 0,
    isResponse: m.flag_qr === true,
    opcode: m.opcode ?? 'QUERY',
    rcode: m.rcode ?? 'NOERROR',
    truncated: m.flag_tc === true,
    authoritative: m.flag_aa === true,
    question:
      q === undefined || m.questions?.length !== 1
        ? undefined
        : { name: q.name, type: q.type, class: q.class ?? 'IN' },
    answers: toRecords(m.answers),
    authorities: toRecords(m.authorities),
    additionals: toRecords(m.additionals),
  };
}

/** Encodes a full message (used by tests and lab fakes to build responses). */
export function encodeMessage(message: PacketMessage): Buffer {
  return packet.encode(message);
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
 */
export function exchangeUdp(
  server: Nameserver,
  name: string,
  type: string,
  timeoutMs: number,
  counters: WireCounters,
): Promise<ExchangeResult> {
  const id = randomQueryId();
  const query = encodeQuery(id, name, type);
  const family = isIP(server.address.split('%')[0] ?? '') === 6 ? 'udp6' : 'udp4';
  return new Promise((resolve) => {
    const socket = createSocket({ type: family });
    let settled = false;
    const finish = (result: ExchangeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
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
 * chose, so a mismatching answer here is a broken server, reported as `bad-response`.
 */
export function exchangeTcp(
  server: Nameserver,
  name: string,
  type: string,
  timeoutMs: number,
): Promise<ExchangeResult> {
  const id = randomQueryId();
  const query = packet.streamEncode({
    id,
    type: 'query',
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
  });
  return new Promise((resolve) => {
    const socket = new Socket();
    let settled = false;
    let received = Buffer.alloc(0);
    const finish = (result: ExchangeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
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
      finish({ kind: 'answer', message });
    });
    socket.connect({ port: server.port, host: server.address }, () => socket.write(query));
  });
}
