import { addExtension, pack } from 'msgpackr';
import { OP } from './control.js';
import './terms.js'; // the Pid extension must be registered before a head is encoded
import type { Pid } from './terms.js';

/** msgpackr extension type of {@link SendFrame}. Never on the wire: a SendFrame writes plain msgpack. */
export const SEND_FRAME_EXT_TYPE = 0x53;

/**
 * @internal The frame `[[SEND, '', to], msg]` (docs/protocol.md) with its control part encoded once per destination
 * pid: packed, it gives exactly the bytes of that array, so the receiving side sees no difference. Encoding the
 * control part (two arrays, the op, the unused field and the pid as an extension) for every message cost about a
 * third of encoding a 100-byte message.
 */
export class SendFrame {
  constructor(
    /** msgpack of the outer 2-array's header and of `[SEND, '', to]`. */
    readonly head: Uint8Array,
    /** The message. */
    readonly msg: unknown,
    /** The destination (for a distribution that does not encode with msgpackr: Erlang's wire). */
    readonly to: Pid,
  ) {}
}

const heads = new WeakMap<Pid, Uint8Array>();
let lastTo: Pid | undefined;
let lastHead: Uint8Array = new Uint8Array(0);

/** @internal The SEND frame of `msg` to the remote pid `to`. */
export function sendFrame(to: Pid, msg: unknown): SendFrame {
  if (to !== lastTo) {
    let h = heads.get(to);
    if (h === undefined) {
      const control = pack([OP.SEND, '', to]);
      h = new Uint8Array(control.length + 1);
      h[0] = 0x92; // fixarray of 2: control, message
      h.set(control, 1);
      heads.set(to, h);
    }
    lastTo = to;
    lastHead = h;
  }
  return new SendFrame(lastHead, msg, to);
}

type Alloc = (size: number) => { target: Uint8Array; position: number };

// msgpackr calls an extension's pack with a function that reserves bytes in its output and its own pack for values;
// returning nothing writes no extension header, so the output is the head's bytes followed by the message.
addExtension({
  Class: SendFrame,
  type: SEND_FRAME_EXT_TYPE,
  pack: ((f: SendFrame, alloc: Alloc, packValue: (v: unknown) => void) => {
    const { target, position } = alloc(f.head.length);
    target.set(f.head, position);
    packValue(f.msg);
  }) as unknown as (value: unknown) => Buffer,
  unpack: () => {
    throw new Error(`Unknown extension type ${SEND_FRAME_EXT_TYPE}`);
  },
});
