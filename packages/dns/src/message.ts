import { createRequire } from 'node:module';
import { isIP } from 'node:net';

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
/** A message as dns-packet encodes it (used to build queries, and by tests and lab fakes to build responses). */
export interface PacketMessage {
  id?: number;
  type?: 'query' | 'response';
  flags?: number;
  questions?: PacketQuestion[];
  answers?: PacketRecord[];
  authorities?: PacketRecord[];
  additionals?: PacketRecord[];
}
/** A dns-packet decoder: reads at `offset`, reports what it consumed in `.bytes`. */
interface PacketDecoder<T> {
  (buf: Buffer, offset: number): T;
  bytes: number;
}
interface DnsPacketModule {
  encode(message: PacketMessage): Buffer;
  streamEncode(message: PacketMessage): Buffer;
  RECURSION_DESIRED: number;
  aaaa: { decode: PacketDecoder<string> };
  txt: { decode: PacketDecoder<Buffer[]> };
  soa: { decode: PacketDecoder<Record<string, unknown>> };
}
/** dns-packet, for encoding and for decoding names and rdata whose length has been checked here first. */
export const packet = createRequire(import.meta.url)('dns-packet') as DnsPacketModule;

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
  /**
   * Why the record sections could not be used (a record whose data does not fill its RDLENGTH exactly, an A record
   * that is not 4 bytes, a section running past the end), or undefined. When set, the three record lists are empty:
   * once one record is wrong nothing after it can be trusted, so no part of the answer is used.
   */
  readonly malformed: string | undefined;
  readonly answers: readonly WireRecord[];
  readonly authorities: readonly WireRecord[];
  readonly additionals: readonly WireRecord[];
}

/** One resource record, its `data` decoded for the types the resolver models (undefined for the others). */
export interface WireRecord {
  readonly name: string;
  readonly type: string;
  readonly class: string;
  readonly ttl: number;
  readonly data: unknown;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  41: 'OPT',
};
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
const HEADER_BYTES = 12;
/** Type, class, TTL and RDLENGTH after a record's owner name. */
const RECORD_FIXED_BYTES = 10;

const typeName = (n: number): string => TYPE_NAMES[n] ?? `TYPE${n}`;
const className = (n: number): string => (n === 1 ? 'IN' : `CLASS${n}`);

/** Thrown inside the record walk; turned into {@link WireMessage.malformed}. */
class Malformed extends Error {}

/**
 * Decodes a DNS message. The header and the question must decode, or this throws (the datagram cannot be matched
 * to a query at all). The record sections are framed here by each record's RDLENGTH, never by what a type decoder
 * happens to consume: dns-packet's decoders trust lengths (an A record is read as 4 bytes whatever its RDLENGTH says,
 * so 2 bytes at the end of a datagram became `10.undefined.undefined.undefined`; a CNAME, PTR or SRV name could run
 * past its RDLENGTH into the next record). Every record of a modelled type must fill its RDLENGTH exactly (A: 4
 * bytes, AAAA: 16, names: the name's wire length, SRV: 6 + name, SOA: 2 names + 20, TXT: its strings); anything else
 * sets {@link WireMessage.malformed} and no record of the message is returned.
 */
export function decodeMessage(buf: Buffer): WireMessage {
  if (buf.length < HEADER_BYTES) throw new Error(`${buf.length} bytes is shorter than a DNS header`);
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o)) as [number, number, number, number];
  let offset = HEADER_BYTES;
  const questions: { name: string; type: string; class: string }[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { name, bytes } = readName(buf, offset);
    offset += bytes;
    if (offset + 4 > buf.length) throw new Error('question runs past the end of the message');
    questions.push({
      name,
      type: typeName(buf.readUInt16BE(offset)),
      class: className(buf.readUInt16BE(offset + 2)),
    });
    offset += 4;
  }
  const header = {
    id: buf.readUInt16BE(0),
    isResponse: (flags & 0x8000) !== 0,
    opcode: ((flags >> 11) & 0xf) === 0 ? 'QUERY' : `OPCODE${(flags >> 11) & 0xf}`,
    rcode: RCODE_NAMES[flags & 0xf] ?? `RCODE${flags & 0xf}`,
    truncated: (flags & 0x0200) !== 0,
    authoritative: (flags & 0x0400) !== 0,
    question: questions.length === 1 ? questions[0] : undefined,
  };
  const sections: WireRecord[][] = [[], [], []];
  try {
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s + 1]!; i++) {
        const { record, next } = decodeRecord(buf, offset);
        offset = next;
        if (record.type !== 'OPT') sections[s]!.push(record);
      }
    }
  } catch (err) {
    const reason = err instanceof Malformed ? err.message : `undecodable record: ${(err as Error).message}`;
    return { ...header, malformed: reason, answers: [], authorities: [], additionals: [] };
  }
  const [answers, authorities, additionals] = sections as [WireRecord[], WireRecord[], WireRecord[]];
  return { ...header, malformed: undefined, answers, authorities, additionals };
}

/** One resource record at `offset`: the record and where the next one starts (offset + name + 10 + RDLENGTH). */
function decodeRecord(buf: Buffer, offset: number): { record: WireRecord; next: number } {
  const { name, bytes: nameBytes } = readName(buf, offset);
  const fixed = offset + nameBytes;
  if (fixed + RECORD_FIXED_BYTES > buf.length)
    throw new Malformed(`record ${name} runs past the end of the message`);
  const type = typeName(buf.readUInt16BE(fixed));
  const klass = className(buf.readUInt16BE(fixed + 2));
  const ttl = buf.readUInt32BE(fixed + 4);
  const rdlength = buf.readUInt16BE(fixed + 8);
  const rdata = fixed + RECORD_FIXED_BYTES;
  if (rdata + rdlength > buf.length) {
    throw new Malformed(`${type} record ${name}: RDLENGTH ${rdlength} runs past the end of the message`);
  }
  const data = decodeRdata(buf, type, rdata, rdlength, name);
  return { record: { name, type, class: klass, ttl, data }, next: rdata + rdlength };
}

/** The data of a record of a type we model, checked to fill its RDLENGTH exactly; undefined for other types. */
function decodeRdata(buf: Buffer, type: string, rdata: number, rdlength: number, owner: string): unknown {
  const wrong = (what: string) => new Malformed(`${type} record ${owner}: ${what} (RDLENGTH ${rdlength})`);
  // A name inside the RDATA: its wire bytes (up to a compression pointer) must stay inside the RDATA.
  const nameAt = (at: number): { name: string; bytes: number } => {
    const { name, bytes } = readName(buf, at);
    if (at + bytes > rdata + rdlength) throw wrong('a name runs past the record data');
    return { name, bytes };
  };
  switch (type) {
    case 'A': {
      if (rdlength !== 4) throw wrong('an IPv4 address is 4 bytes');
      const address = [...buf.subarray(rdata, rdata + 4)].join('.');
      if (isIP(address) !== 4) throw wrong(`"${address}" is not an IPv4 address`);
      return address;
    }
    case 'AAAA': {
      if (rdlength !== 16) throw wrong('an IPv6 address is 16 bytes');
      const address = packet.aaaa.decode(buf, rdata - 2);
      if (isIP(address) !== 6) throw wrong(`"${address}" is not an IPv6 address`);
      return address;
    }
    case 'CNAME':
    case 'PTR':
    case 'NS': {
      const { name, bytes } = nameAt(rdata);
      if (bytes !== rdlength) throw wrong(`the name takes ${bytes} bytes`);
      return name;
    }
    case 'SRV': {
      if (rdlength < 7) throw wrong('SRV data is priority, weight, port and a name: at least 7 bytes');
      const { name, bytes } = nameAt(rdata + 6);
      if (6 + bytes !== rdlength) throw wrong(`priority, weight, port and the name take ${6 + bytes} bytes`);
      return {
        priority: buf.readUInt16BE(rdata),
        weight: buf.readUInt16BE(rdata + 2),
        port: buf.readUInt16BE(rdata + 4),
        target: name,
      };
    }
    case 'TXT': {
      // dns-packet's TXT decoder walks the strings within RDLENGTH and throws when one overruns it.
      const strings = packet.txt.decode(buf, rdata - 2);
      if (packet.txt.decode.bytes !== rdlength + 2) throw wrong('the strings do not fill the record data');
      return strings;
    }
    case 'SOA': {
      const mname = nameAt(rdata);
      const rname = nameAt(rdata + mname.bytes);
      if (mname.bytes + rname.bytes + 20 !== rdlength) {
        throw wrong(`two names and five counters take ${mname.bytes + rname.bytes + 20} bytes`);
      }
      return packet.soa.decode(buf, rdata - 2);
    }
    default:
      return undefined;
  }
}

/** Compression pointers followed in one name; a name has at most 127 labels, so honest names need far fewer. */
const MAX_POINTER_HOPS = 32;
/** A name's wire length limit (RFC 1035 2.3.4), its length octets included. */
const MAX_NAME_BYTES = 255;

/**
 * Reads a (possibly compressed) name at `offset`: the name without a trailing dot (`.` for the root), and the bytes
 * it takes in place (up to and including its first pointer). Pointers must point backwards (as dns-packet requires)
 * and at most {@link MAX_POINTER_HOPS} are followed: with backward pointers alone, a 64 KiB answer whose names are
 * each a chain of thousands of pointers took about 175 ms of CPU to decode, per datagram, before any ID check.
 */
function readName(buf: Buffer, offset: number): { name: string; bytes: number } {
  const labels: string[] = [];
  let at = offset;
  let bytes: number | undefined;
  let hops = 0;
  let length = 1;
  let floor = offset; // a pointer must point before the label sequence it is part of
  for (;;) {
    if (at >= buf.length) throw new Error('name runs past the end of the message');
    const len = buf[at]!;
    if (len === 0) {
      bytes ??= at + 1 - offset;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= buf.length) throw new Error('name runs past the end of the message');
      const target = buf.readUInt16BE(at) & 0x3fff;
      if (target >= floor) throw new Error('compression pointer does not point backwards');
      if (++hops > MAX_POINTER_HOPS)
        throw new Error(`name follows more than ${MAX_POINTER_HOPS} compression pointers`);
      bytes ??= at + 2 - offset;
      at = target;
      floor = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Error(`unknown label type 0x${len.toString(16)}`);
    if (at + 1 + len > buf.length) throw new Error('name runs past the end of the message');
    length += len + 1;
    if (length > MAX_NAME_BYTES) throw new Error(`name is longer than ${MAX_NAME_BYTES} bytes`);
    labels.push(buf.toString('utf8', at + 1, at + 1 + len));
    at += len + 1;
  }
  return { name: labels.length === 0 ? '.' : labels.join('.'), bytes };
}

/** Encodes a full message (used for queries, and by tests and lab fakes to build responses). */
export function encodeMessage(message: PacketMessage): Buffer {
  return packet.encode(message);
}
