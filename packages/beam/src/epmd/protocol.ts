/**
 * EPMD's wire format (erts/epmd/src/epmd_srv.c, erl_dist_protocol "EPMD Protocol"): every request is
 * `Length:u16 | Request`, every integer big-endian. Pure functions only; the client and the responder own the
 * sockets.
 */

/** Request and response tags. */
export const EPMD_TAG = Object.freeze({
  ALIVE2_REQ: 120,
  ALIVE2_X_RESP: 118,
  ALIVE2_RESP: 121,
  PORT_PLEASE2_REQ: 122,
  PORT2_RESP: 119,
  NAMES_REQ: 110,
  DUMP_REQ: 100,
  KILL_REQ: 107,
  STOP_REQ: 115,
});

/** NodeType in ALIVE2 and PORT2_RESP: 77 'M' a normal (visible) node, 72 'H' a hidden one. */
export const EPMD_NODE_TYPE = Object.freeze({ normal: 77, hidden: 72 });

/** What a node registers and what PORT_PLEASE2 answers. */
export interface EpmdNodeInfo {
  /** The alive part of the node name (before `@`). */
  readonly name: string;
  /** The node's distribution listen port. */
  readonly port: number;
  /** 77 normal, 72 hidden. */
  readonly nodeType: number;
  /** 0 = TCP/IPv4. */
  readonly protocol: number;
  readonly highestVersion: number;
  readonly lowestVersion: number;
  /** Opaque extra bytes (empty for every OTP release). */
  readonly extra: Buffer;
}

function withLength(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}

/** `ALIVE2_REQ`, with its length prefix. */
export function encodeAlive2Request(info: EpmdNodeInfo): Buffer {
  const name = Buffer.from(info.name, 'utf8');
  const body = Buffer.alloc(13 + name.length + info.extra.length);
  let o = body.writeUInt8(EPMD_TAG.ALIVE2_REQ, 0);
  o = body.writeUInt16BE(info.port, o);
  o = body.writeUInt8(info.nodeType, o);
  o = body.writeUInt8(info.protocol, o);
  o = body.writeUInt16BE(info.highestVersion, o);
  o = body.writeUInt16BE(info.lowestVersion, o);
  o = body.writeUInt16BE(name.length, o);
  o += name.copy(body, o);
  o = body.writeUInt16BE(info.extra.length, o);
  info.extra.copy(body, o);
  return withLength(body);
}

/** `ALIVE2_X_RESP` (as the responder sends it): result 0 ok, anything else refused. */
export function encodeAlive2Response(result: number, creation: number): Buffer {
  const out = Buffer.alloc(6);
  out.writeUInt8(EPMD_TAG.ALIVE2_X_RESP, 0);
  out.writeUInt8(result, 1);
  out.writeUInt32BE(creation >>> 0, 2);
  return out;
}

/**
 * Decodes `ALIVE2_X_RESP` (or the old `ALIVE2_RESP`): `undefined` while `buf` is too short, else result and
 * creation. Throws a plain Error on a wrong tag (the caller wraps it).
 */
export function decodeAlive2Response(buf: Buffer): { result: number; creation: number } | undefined {
  if (buf.length < 1) return undefined;
  const tag = buf.readUInt8(0);
  if (tag === EPMD_TAG.ALIVE2_X_RESP) {
    if (buf.length < 6) return undefined;
    return { result: buf.readUInt8(1), creation: buf.readUInt32BE(2) };
  }
  if (tag === EPMD_TAG.ALIVE2_RESP) {
    if (buf.length < 4) return undefined;
    return { result: buf.readUInt8(1), creation: buf.readUInt16BE(2) };
  }
  throw new Error(`unexpected ALIVE2 answer tag ${tag}`);
}

/** `PORT_PLEASE2_REQ` for an alive name, with its length prefix. */
export function encodePortPleaseRequest(name: string): Buffer {
  return withLength(Buffer.concat([Buffer.from([EPMD_TAG.PORT_PLEASE2_REQ]), Buffer.from(name, 'utf8')]));
}

/** `PORT2_RESP`: the node's info, or the error form (`119, 1`) when `info` is undefined. */
export function encodePort2Response(info: EpmdNodeInfo | undefined): Buffer {
  if (info === undefined) return Buffer.from([EPMD_TAG.PORT2_RESP, 1]);
  const name = Buffer.from(info.name, 'utf8');
  const out = Buffer.alloc(14 + name.length + info.extra.length);
  let o = out.writeUInt8(EPMD_TAG.PORT2_RESP, 0);
  o = out.writeUInt8(0, o);
  o = out.writeUInt16BE(info.port, o);
  o = out.writeUInt8(info.nodeType, o);
  o = out.writeUInt8(info.protocol, o);
  o = out.writeUInt16BE(info.highestVersion, o);
  o = out.writeUInt16BE(info.lowestVersion, o);
  o = out.writeUInt16BE(name.length, o);
  o += name.copy(out, o);
  o = out.writeUInt16BE(info.extra.length, o);
  info.extra.copy(out, o);
  return out;
}

/**
 * Decodes `PORT2_RESP`: `'short'` while incomplete, `null` for the error form (the name is not registered, Erlang's
 * pang), else the node's info. Throws a plain Error on a wrong tag or lengths that overrun.
 */
export function decodePort2Response(buf: Buffer): EpmdNodeInfo | null | 'short' {
  if (buf.length < 2) return 'short';
  const tag = buf.readUInt8(0);
  if (tag !== EPMD_TAG.PORT2_RESP) throw new Error(`unexpected PORT_PLEASE2 answer tag ${tag}`);
  if (buf.readUInt8(1) !== 0) return null;
  if (buf.length < 12) return 'short';
  const nlen = buf.readUInt16BE(10);
  if (buf.length < 14 + nlen) return 'short';
  const elen = buf.readUInt16BE(12 + nlen);
  if (buf.length < 14 + nlen + elen) return 'short';
  return {
    port: buf.readUInt16BE(2),
    nodeType: buf.readUInt8(4),
    protocol: buf.readUInt8(5),
    highestVersion: buf.readUInt16BE(6),
    lowestVersion: buf.readUInt16BE(8),
    name: buf.toString('utf8', 12, 12 + nlen),
    extra: Buffer.from(buf.subarray(14 + nlen, 14 + nlen + elen)),
  };
}

/** `NAMES_REQ`, with its length prefix. */
export function encodeNamesRequest(): Buffer {
  return withLength(Buffer.from([EPMD_TAG.NAMES_REQ]));
}

/** One line of a NAMES answer. */
export interface EpmdName {
  readonly name: string;
  readonly port: number;
}

/** The NAMES answer: `EPMDPortNo:u32` then `name <N> at port <P>\n` lines. */
export function encodeNamesResponse(epmdPort: number, names: readonly EpmdName[]): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(epmdPort, 0);
  return Buffer.concat([
    head,
    Buffer.from(names.map((n) => `name ${n.name} at port ${n.port}\n`).join(''), 'utf8'),
  ]);
}

/** Decodes a whole NAMES answer (epmd closes after it); lines that are not `name N at port P` are skipped. */
export function decodeNamesResponse(buf: Buffer): { epmdPort: number; names: EpmdName[] } {
  if (buf.length < 4) throw new Error(`NAMES answer of ${buf.length} bytes, want at least 4`);
  const names: EpmdName[] = [];
  for (const line of buf.toString('utf8', 4).split('\n')) {
    const m = /^name (.+) at port (\d{1,5})$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) names.push({ name: m[1], port: Number(m[2]) });
  }
  return { epmdPort: buf.readUInt32BE(0), names };
}

/** A request the responder read: the tag and the bytes after it. */
export interface EpmdRequest {
  readonly tag: number;
  readonly body: Buffer;
}

/**
 * Splits one length-prefixed request off `buf`: `'short'` while incomplete, `'too_large'` when the declared length
 * is over `maxBytes` (or zero), else the request.
 */
export function readRequest(buf: Buffer, maxBytes: number): EpmdRequest | 'short' | 'too_large' {
  if (buf.length < 2) return 'short';
  const len = buf.readUInt16BE(0);
  if (len === 0 || len > maxBytes) return 'too_large';
  if (buf.length < 2 + len) return 'short';
  return { tag: buf.readUInt8(2), body: Buffer.from(buf.subarray(3, 2 + len)) };
}
