import { createSocket, type RemoteInfo } from 'node:dgram';

// Byte-level DNS builders for tests: responses whose records say exactly what the test wants, including lengths that
// no encoder would write (an A record of 2 bytes, a name running past its RDLENGTH).

/** Record type numbers used by the tests. */
export const TYPE = Object.freeze({ A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 });

/** A name in uncompressed wire form. */
export function wireName(name: string): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  return Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
  ]);
}

/** One resource record: owner, type, class IN, TTL 30, then RDLENGTH (default: the real length) and `rdata`. */
export function rawRecord(name: string, type: number, rdata: Buffer, rdlength = rdata.length): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(30, 4);
  fixed.writeUInt16BE(rdlength, 8);
  return Buffer.concat([wireName(name), fixed, rdata]);
}

/** SRV RDATA: priority, weight, port, target. */
export function srvData(target: string, port: number, priority = 0, weight = 10): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(priority, 0);
  head.writeUInt16BE(weight, 2);
  head.writeUInt16BE(port, 4);
  return Buffer.concat([head, wireName(target)]);
}

/**
 * A response to `query` (its ID and question, QR and RD set, RA set) with the given raw records. `rcode` goes in the
 * low 4 bits of the flags; `truncated` sets TC.
 */
export function rawResponse(
  query: { id: number; name: string; type: number },
  sections: { answers?: Buffer[]; authorities?: Buffer[]; additionals?: Buffer[] } = {},
  options: { rcode?: number; truncated?: boolean } = {},
): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(0x8000 | 0x0100 | 0x0080 | (options.truncated ? 0x0200 : 0) | (options.rcode ?? 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(sections.answers?.length ?? 0, 6);
  header.writeUInt16BE(sections.authorities?.length ?? 0, 8);
  header.writeUInt16BE(sections.additionals?.length ?? 0, 10);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(query.type, 0);
  question.writeUInt16BE(1, 2);
  return Buffer.concat([
    header,
    wireName(query.name),
    question,
    ...(sections.answers ?? []),
    ...(sections.authorities ?? []),
    ...(sections.additionals ?? []),
  ]);
}

/** The ID, question name and question type number of a raw query (what a fake server needs to answer it). */
export function parseQuery(raw: Buffer): { id: number; name: string; type: number } {
  const labels: string[] = [];
  let offset = 12;
  while (raw[offset]! !== 0) {
    const len = raw[offset]!;
    labels.push(raw.toString('latin1', offset + 1, offset + 1 + len));
    offset += len + 1;
  }
  return { id: raw.readUInt16BE(0), name: labels.join('.'), type: raw.readUInt16BE(offset + 1) };
}

/** A raw DNS server on a UDP port of 127.0.0.1, answering each query with what `answer` returns (nothing: no answer). */
export interface RawDnsServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  close(): void;
}

/**
 * Starts a {@link RawDnsServer}: `answer` gets each query's ID, name and type and the raw query, and returns the
 * answer records (sent as {@link rawResponse}), raw response bytes, or undefined to stay silent.
 */
export async function startRawDnsServer(
  answer: (query: { id: number; name: string; type: number }, raw: Buffer) => Buffer[] | Buffer | undefined,
): Promise<RawDnsServer> {
  const socket = createSocket('udp4');
  socket.on('message', (raw: Buffer, from: RemoteInfo) => {
    const query = parseQuery(raw);
    const out = answer(query, raw);
    if (out === undefined) return;
    const bytes = Buffer.isBuffer(out) ? out : rawResponse(query, { answers: out });
    socket.send(bytes, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => socket.close() };
}
