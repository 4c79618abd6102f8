import { KindredError } from '@kindred/interface';
import { TRANSPORT_ERRORS } from './errors.js';

/**
 * The strict frame scanner (docs/protocol.md, "What a frame may hold"). It walks the msgpack values of a frame
 * BEFORE msgpackr decodes them and refuses anything kindred does not define, so msgpackr only ever sees bytes whose
 * shape is known: no msgpackr built-in extension (records, bundled strings, structured clone, Error, RegExp, Set,
 * typed arrays, BigInt extension: each of them decodes in msgpackr, and bundled strings with a negative offset loop
 * forever), no 0xc1, no claimed length that does not fit in the bytes left, no nesting deeper than
 * {@link DECODE_LIMITS}.maxDepth, no more allocated values than the caller's budget.
 *
 * The walk is iterative (a fixed stack of remaining item counts, no recursion) and allocates nothing but the costs
 * it appends to the caller's array.
 */

/** Fixed limits of the scanner. */
export const DECODE_LIMITS = Object.freeze({
  /**
   * Deepest nesting of arrays and maps in one message (a message that is an array is depth 1). msgpackr decodes
   * recursively, so this also bounds its stack; 128 is far above what kindred's own messages use (depth 4-6).
   */
  maxDepth: 128,
  /** Heap bytes counted per allocated value (array, map, string, bin, ext) in a message's cost estimate. */
  valueOverheadBytes: 64,
  /** Heap bytes counted per array element and per map entry (its slot in the JS array or object). */
  slotBytes: 8,
  /** Longest node name in a Pid or Ref body, bytes (the runtime's limit). */
  maxNodeBytes: 1023,
  /** Words a Ref body may carry (Erlang's references have 1 to 5). */
  minRefWords: 1,
  maxRefWords: 5,
});

/** msgpack ext type of a Pid (`P`). */
export const PID_EXT = 0x50;
/** msgpack ext type of a Ref (`R`). */
export const REF_EXT = 0x52;
/** msgpack's standard timestamp ext type, -1 (0xff as a byte). */
export const TIMESTAMP_EXT = 0xff;

/** What one scan allows. */
export interface ScanLimits {
  /** Most allocated values (arrays, maps, strings, bins, exts) in the whole scanned range. */
  readonly maxValues: number;
  /** Deepest nesting. Default {@link DECODE_LIMITS}.maxDepth. */
  readonly maxDepth?: number;
  /**
   * Which ext types are allowed: `true` for kindred's data frames (Pid 0x50, Ref 0x52, timestamp -1, and
   * `d4 00 00` for undefined), `false` for none (the handshake).
   */
  readonly extensions: boolean;
}

/** A frame or message the scanner refused; the connection closes with 4000 protocol_error. */
export class FrameRefusedError extends KindredError {
  /** Offset of the refused byte in the scanned buffer. */
  readonly offset: number;
  constructor(what: string, offset: number) {
    super(
      TRANSPORT_ERRORS.FRAME_REFUSED,
      `refused msgpack at byte ${offset}: ${what} (docs/protocol.md lists what a kindred frame may hold)`,
      { details: { offset } },
    );
    this.name = 'FrameRefusedError';
    this.offset = offset;
  }
}

const STACK_CAP = 1024;
// Remaining items (map entries count twice) of each open container, and whether it is a map. Counts fit in 31 bits:
// a count is checked against the bytes left, and a scanned range is refused past 2^31 - 1 bytes.
const remaining = new Int32Array(STACK_CAP + 1);
const isMap = new Uint8Array(STACK_CAP + 1);

/** True when bytes[start, end) are well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
export function isUtf8Range(u: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = u[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) {
      n = 1;
      min = 0x80;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      min = 0x800;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      min = 0x10000;
      cp = b & 0x07;
    } else return false;
    if (i + n >= end) return false;
    for (let k = 1; k <= n; k++) {
      const c = u[i + k] as number;
      if ((c & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

const u32At = (u: Uint8Array, i: number): number =>
  (u[i] as number) * 0x1000000 +
  (((u[i + 1] as number) << 16) | ((u[i + 2] as number) << 8) | (u[i + 3] as number));

/** Checks a Pid body (docs/protocol.md): id, serial, creation u32 BE, then 1..1023 bytes of UTF-8 node name. */
function pidBodyOk(u: Uint8Array, start: number, len: number): boolean {
  const nodeBytes = len - 12;
  return nodeBytes >= 1 && nodeBytes <= DECODE_LIMITS.maxNodeBytes && isUtf8Range(u, start + 12, start + len);
}

/** Checks a Ref body: creation u32 BE, word count u8 (1..5), that many u32 BE words, then the node name. */
function refBodyOk(u: Uint8Array, start: number, len: number): boolean {
  if (len < 5) return false;
  const words = u[start + 4] as number;
  if (words < DECODE_LIMITS.minRefWords || words > DECODE_LIMITS.maxRefWords) return false;
  const nodeStart = 5 + 4 * words;
  const nodeBytes = len - nodeStart;
  return (
    nodeBytes >= 1 &&
    nodeBytes <= DECODE_LIMITS.maxNodeBytes &&
    isUtf8Range(u, start + nodeStart, start + len)
  );
}

/**
 * Scans bytes[start, end) as msgpack values laid end to end (one per message) and returns how many there are; for
 * each one appends to `costs` (when given) an estimate of its decoded heap size: its wire bytes, plus
 * {@link DECODE_LIMITS}.valueOverheadBytes per allocated value and .slotBytes per array element or map entry.
 * Throws {@link FrameRefusedError} for anything docs/protocol.md does not allow. Runs on every message sent and every
 * frame received, so the common bytes (fixints, fixstr, fixmap, fixarray) are tested first and the map-key rule is
 * only evaluated for the types it forbids.
 */
export function scanMessages(
  u: Uint8Array,
  start: number,
  end: number,
  limits: ScanLimits,
  costs?: number[],
): number {
  const maxDepth = Math.min(limits.maxDepth ?? DECODE_LIMITS.maxDepth, STACK_CAP);
  const maxValues = limits.maxValues;
  const exts = limits.extensions;
  if (end - start > 0x7fff_ffff) throw new FrameRefusedError('a frame of 2 GiB or more', start);
  let pos = start;
  let values = 0;
  let messages = 0;
  while (pos < end) {
    const msgStart = pos;
    let msgValues = 0;
    let slots = 0;
    let depth = 0;
    for (;;) {
      if (pos >= end) throw new FrameRefusedError('truncated value', pos);
      // After the decrement, an odd count left in a map means this value is a key.
      if (depth > 0) remaining[depth] = (remaining[depth] as number) - 1;
      const at = pos;
      const b = u[pos++] as number;
      if (b < 0x80 || b >= 0xe0) {
        // positive or negative fixint
      } else if (b >= 0xa0 && b <= 0xbf) {
        const n = b - 0xa0;
        if (n > end - pos) throw new FrameRefusedError('string longer than the bytes left', at);
        pos += n;
        msgValues++;
      } else if (b <= 0x9f || (b >= 0xdc && b <= 0xdf)) {
        if (depth > 0 && isMap[depth] === 1 && ((remaining[depth] as number) & 1) === 1) {
          throw new FrameRefusedError('a map key that is an array or a map', at);
        }
        let n: number;
        let map: boolean;
        if (b <= 0x8f) {
          n = b - 0x80;
          map = true;
        } else if (b <= 0x9f) {
          n = b - 0x90;
          map = false;
        } else {
          const wide = b === 0xdd || b === 0xdf;
          const hdr = wide ? 4 : 2;
          if (hdr > end - pos) throw new FrameRefusedError('truncated container header', at);
          n = wide ? u32At(u, pos) : ((u[pos] as number) << 8) | (u[pos + 1] as number);
          pos += hdr;
          map = b >= 0xde;
        }
        const items = map ? n * 2 : n;
        // Every item takes at least one byte: a count the bytes left cannot hold is a lie, refused before msgpackr
        // would allocate an array of that length.
        if (items > end - pos) throw new FrameRefusedError('container count larger than the bytes left', at);
        msgValues++;
        slots += n;
        if (items > 0) {
          if (depth >= maxDepth) throw new FrameRefusedError(`nesting deeper than ${maxDepth}`, at);
          depth++;
          remaining[depth] = items;
          isMap[depth] = map ? 1 : 0;
          continue;
        }
      } else {
        pos = scanOther(
          u,
          b,
          at,
          pos,
          end,
          exts,
          depth > 0 && isMap[depth] === 1 && ((remaining[depth] as number) & 1) === 1,
        );
        if (
          b !== 0xc0 &&
          b !== 0xc2 &&
          b !== 0xc3 &&
          !(b >= 0xca && b <= 0xd3) &&
          !(b === 0xd4 && u[at + 1] === 0)
        ) {
          msgValues++;
        }
      }
      while (depth > 0 && remaining[depth] === 0) depth--;
      if (depth === 0) break;
    }
    values += msgValues;
    if (values > maxValues) {
      throw new FrameRefusedError(`more than ${maxValues} allocated values (maxFrameValues)`, msgStart);
    }
    messages++;
    costs?.push(
      pos - msgStart + msgValues * DECODE_LIMITS.valueOverheadBytes + slots * DECODE_LIMITS.slotBytes,
    );
  }
  return messages;
}

/**
 * The bytes 0xc0-0xdb other than containers: nil, booleans, numbers, bin, str 8/16/32, exts. Returns the position
 * after the value; `key` is true when the value is a map key (bins and exts are refused there).
 */
function scanOther(
  u: Uint8Array,
  b: number,
  at: number,
  pos: number,
  end: number,
  exts: boolean,
  key: boolean,
): number {
  switch (b) {
    case 0xc0: // nil, false, true
    case 0xc2:
    case 0xc3:
      return pos;
    case 0xca: // float32
    case 0xcb: // float64
    case 0xcc: // uint8
    case 0xcd:
    case 0xce:
    case 0xcf:
    case 0xd0: // int8
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const n = b === 0xca ? 4 : b === 0xcb ? 8 : 1 << ((b - 0xcc) & 3);
      if (n > end - pos) throw new FrameRefusedError('truncated number', at);
      return pos + n;
    }
    case 0xc4: // bin 8/16/32, str 8/16/32
    case 0xc5:
    case 0xc6:
    case 0xd9:
    case 0xda:
    case 0xdb: {
      if (key && b <= 0xc6) throw new FrameRefusedError('a map key that is binary', at);
      const hdr = b === 0xc4 || b === 0xd9 ? 1 : b === 0xc5 || b === 0xda ? 2 : 4;
      if (hdr > end - pos) throw new FrameRefusedError('truncated length', at);
      const n =
        hdr === 1
          ? (u[pos] as number)
          : hdr === 2
            ? ((u[pos] as number) << 8) | (u[pos + 1] as number)
            : u32At(u, pos);
      pos += hdr;
      if (n > end - pos) throw new FrameRefusedError('length larger than the bytes left', at);
      return pos + n;
    }
    case 0xd4: // fixext 1, 2, 4, 8, 16; ext 8, 16, 32
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
    case 0xc7:
    case 0xc8:
    case 0xc9: {
      if (!exts) throw new FrameRefusedError('an extension, none is allowed here', at);
      if (key) throw new FrameRefusedError('a map key that is an extension', at);
      let n: number;
      if (b >= 0xd4) n = 1 << (b - 0xd4);
      else {
        const hdr = b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4;
        if (hdr > end - pos) throw new FrameRefusedError('truncated extension length', at);
        n =
          hdr === 1
            ? (u[pos] as number)
            : hdr === 2
              ? ((u[pos] as number) << 8) | (u[pos + 1] as number)
              : u32At(u, pos);
        pos += hdr;
      }
      if (pos >= end) throw new FrameRefusedError('truncated extension type', at);
      const type = u[pos++] as number;
      if (n > end - pos) throw new FrameRefusedError('extension longer than the bytes left', at);
      let ok: boolean;
      if (type === PID_EXT) ok = pidBodyOk(u, pos, n);
      else if (type === REF_EXT) ok = refBodyOk(u, pos, n);
      else if (type === TIMESTAMP_EXT) ok = n === 4 || n === 8 || n === 12;
      // msgpackr (and notepack) write undefined as fixext 1, type 0, data 0.
      else if (type === 0) ok = b === 0xd4 && u[pos] === 0;
      else throw new FrameRefusedError(`extension type ${type} (kindred defines 0x50, 0x52, -1)`, at);
      if (!ok) throw new FrameRefusedError(`malformed body of extension type ${type}`, at);
      return pos + n;
    }
    default:
      // 0xc1 (never used) is the only byte left.
      throw new FrameRefusedError(`byte 0x${b.toString(16)}`, at);
  }
}
