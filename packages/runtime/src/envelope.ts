import { PrefixedMessage } from '@kindred/transport';
import { pack } from 'msgpackr';
import { OP } from './control.js';
import './terms.js'; // the Pid extension must be registered before a head is encoded
import type { Pid } from './terms.js';

/**
 * @internal The frame `[[SEND, '', to], msg]` (docs/protocol.md) with its control part encoded once per destination
 * pid: packed, it gives exactly the bytes of that array, so the receiving side sees no difference (a {@link PrefixedMessage} of @kindred/transport, which a connection
 * writes without msgpackr's extension machinery). Encoding the
 * control part (two arrays, the op, the unused field and the pid as an extension) for every message cost about a
 * third of encoding a 100-byte message.
 */
export class SendFrame extends PrefixedMessage {
  constructor(
    /** msgpack of the outer 2-array's header and of `[SEND, '', to]`. */
    head: Uint8Array,
    /** The message. */
    msg: unknown,
    /** The destination (for a distribution that does not encode with msgpackr: Erlang's wire). */
    readonly to: Pid,
  ) {
    super(head, msg);
  }
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
