import type { Socket } from 'node:net';
import type { Logger } from '@kindred/interface';

/** What both roles of the handshake need to know about this node. */
export interface HandshakeSelf {
  /** This node's full name, `alive@host`. */
  readonly name: string;
  /** The shared cookie. */
  readonly cookie: string;
  /** This node's creation (from the epmd registration, or random when epmd-less). */
  readonly creation: number;
  /** The distribution flags this node sends (PUBLISHED included unless hidden). */
  readonly flags: bigint;
  /** The flags a peer must have; the connection is refused otherwise. Default: OTP 25's mandatory set. */
  readonly requiredFlags: bigint;
  /** Each step's deadline (net_setuptime). */
  readonly setupTimeoutMs: number;
  readonly logger: Logger;
}

/** A finished handshake: the socket switches to 4-byte framing with these facts. */
export interface HandshakeResult {
  readonly socket: Socket;
  /** The peer's full node name. */
  readonly peerName: string;
  readonly peerFlags: bigint;
  readonly peerCreation: number;
  /** The negotiated flags: ours AND the peer's. */
  readonly flags: bigint;
  /** Bytes read after the last handshake message: the first bytes of the connection. */
  readonly rest: Buffer;
  /** Which side dialed. */
  readonly role: 'initiator' | 'acceptor';
}
