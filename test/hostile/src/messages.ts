import { type Encodable, encode, pid, Raw } from './msgpack.js';
import type { WireProfile } from './wire.js';

/**
 * The runtime's messages after the handshake (packages/runtime/src/control.ts, node.ts, pg.ts): a frame value is
 * `[control]` or `[control, payload]`, control a tuple led by Erlang's operation number. These build well-formed
 * ones from their parts; the parts may be anything ({@link Raw} bytes included), so a test builds extreme ones too.
 */

/** Erlang's operation numbers, as the runtime uses them. */
export const OP = Object.freeze({
  LINK: 1,
  SEND: 2,
  EXIT: 3,
  REG_SEND: 6,
  EXIT2: 8,
  MONITOR_P: 19,
  DEMONITOR_P: 20,
  MONITOR_P_EXIT: 21,
  SEND_SENDER: 22,
  SPAWN_REQUEST: 29,
  SPAWN_REPLY: 31,
  UNLINK_ID: 35,
  UNLINK_ID_ACK: 36,
});

/** Names the runtime answers itself on every node. */
export const SYSTEM = Object.freeze({ net: 'kindred_net', pg: 'pg', rex: 'rex' });

/** A pid as {@link Raw} bytes, for use inside {@link encode}d values. */
export const rawPid = (node: string, id: number, serial = 0, creation = 1): Raw =>
  new Raw(pid(node, id, serial, creation));

/** Builds the messages of one connection: the peer's identity and the profile's reference layout. */
export class MessageBuilder {
  #nextRef = 1;
  constructor(
    readonly profile: WireProfile,
    /** This (hostile) node's name: pids and refs it makes carry it. */
    readonly self: string,
  ) {}

  /** A pid of this node. */
  pid(id: number, serial = 0, creation = 1): Raw {
    return rawPid(this.self, id, serial, creation);
  }

  /** A fresh reference of this node (three words, like the runtime's). */
  ref(words?: readonly number[]): Raw {
    return new Raw(this.profile.ref(this.self, words ?? [this.#nextRef++, 0, 0], 1));
  }

  /** One frame value `[control]` or `[control, payload]`. */
  frame(control: readonly Encodable[], ...payload: Encodable[]): Buffer {
    return encode(payload.length === 0 ? [control] : [control, payload[0]]);
  }

  /** REG_SEND from `from` to the registered name `name` on the node. */
  regSend(name: string, msg: Encodable, from: Encodable = this.pid(1)): Buffer {
    return this.frame([OP.REG_SEND, from, '', name], msg);
  }

  /** SEND to `to`. */
  send(to: Encodable, msg: Encodable): Buffer {
    return this.frame([OP.SEND, '', to], msg);
  }

  /** A pg message to the node's default scope. */
  pg(msg: Encodable): Buffer {
    return this.regSend(SYSTEM.pg, msg);
  }

  /** A connect_all peer list to the node's mesh handler. */
  peers(nodes: readonly (readonly [string, number | null])[], port: number | null = null): Buffer {
    return this.regSend(SYSTEM.net, { type: 'peers', port, nodes: nodes.map(([n, p]) => [n, p]) });
  }

  /**
   * gen_server's call to the registered name `name` (rex: `{handler, args}`); the answer is a SEND to `from` of
   * `{type: '$gen_reply', ref, reply}`.
   */
  call(name: string, request: Encodable, from: Raw, ref: Raw): Buffer {
    return this.regSend(name, { type: '$gen_call', from: { pid: from, ref }, request }, from);
  }
}
