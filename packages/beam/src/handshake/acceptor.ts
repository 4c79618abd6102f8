import type { Socket } from 'node:net';
import { digestMatches, genDigest, newChallenge } from './digest.js';
import { handshakeError } from './failures.js';
import { missingFlags } from './flags.js';
import {
  decodeChallengeReply,
  decodeName,
  decodeStatus,
  encodeChallenge,
  encodeChallengeAck,
  encodeStatus,
  type HandshakeStatus,
  packet2,
} from './messages.js';
import { closeAfterFlush, PacketReader } from './packet-reader.js';
import type { HandshakeResult, HandshakeSelf } from './types.js';

/**
 * What the acceptor asks its owner (net_kernel's part) once it knows who is calling: `ok` to go on,
 * `ok_simultaneous` (we were dialing it too and give our attempt up), `nok` (our own attempt wins), `alive` (we
 * have a live connection to it: the initiator answers whether it is stale), `not_allowed`.
 */
export type AcceptDecision = (peerName: string, peerFlags: bigint) => HandshakeStatus;

/**
 * True for a name `is_name_ok/2` of dist_util takes: exactly one `@`, non-empty parts. The acceptor checks no more
 * (no naming mode, no host check): Erlang peers never expect it.
 */
export function isAcceptableNodeName(name: string): boolean {
  const at = name.indexOf('@');
  return at > 0 && at < name.length - 1 && name.indexOf('@', at + 1) === -1;
}

/**
 * The acceptor's side (dist_util's `handshake_other_started`), as named steps: recv_name, check_dflags (missing
 * required flags: `not_allowed` and erl's log line), is_name_ok, send_status (from `decide`; after `alive`, waits
 * for the initiator's `true`/`false`), send_challenge, recv_challenge_reply (wrong digest: erl's "Invalid challenge
 * reply." and the socket closed), send_challenge_ack.
 *
 * @throws KindredError `KINDRED_ERR_BEAM_HANDSHAKE` or `KINDRED_ERR_BEAM_SETUP_TIMEOUT`; the socket is closed (after the refusal is written).
 */
export async function acceptHandshake(
  socket: Socket,
  self: HandshakeSelf,
  decide: AcceptDecision,
): Promise<HandshakeResult> {
  const reader = new PacketReader(socket);
  let peer: Record<string, unknown> = { peer: { address: socket.remoteAddress } };
  const next = (): Promise<Buffer> => reader.next(self.setupTimeoutMs, peer);
  const parse = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw handshakeError('protocol_error', `the initiator sent a malformed ${what}`, peer, err);
    }
  };
  try {
    // recv_name
    const nameBody = await next();
    const name = parse('name message', () => decodeName(nameBody));
    peer = { peer: { name: name.name, address: socket.remoteAddress } };

    // check_dflags
    const missing = missingFlags(name.flags, self.requiredFlags);
    if (missing.length > 0) {
      socket.write(packet2(encodeStatus('not_allowed')));
      self.logger.error(
        { ...peer, missing },
        `** '${self.name}': Connection attempt from node '${name.name}' rejected since it cannot handle ${JSON.stringify(missing)}.**`,
      );
      throw handshakeError('missing_flags', `${name.name} cannot handle ${missing.join(', ')}`, {
        ...peer,
        missing,
      });
    }

    // is_name_ok, then the owner's decision
    if (!isAcceptableNodeName(name.name)) {
      socket.write(packet2(encodeStatus('not_allowed')));
      self.logger.error(peer, `** Connection attempt from disallowed node '${name.name}' ** `);
      throw handshakeError(
        'illegal_name',
        `the initiator's name ${JSON.stringify(name.name)} is not alive@host`,
        peer,
      );
    }
    const status = decide(name.name, name.flags);
    socket.write(packet2(encodeStatus(status)));
    if (status === 'not_allowed') {
      self.logger.error(peer, `** Connection attempt from disallowed node '${name.name}' ** `);
    }
    if (status === 'nok' || status === 'not_allowed') {
      throw handshakeError(status, `refused ${name.name} with ${status}`, peer);
    }
    if (status === 'alive') {
      const answerBody = await next();
      const answer = parse('alive answer', () => decodeStatus(answerBody));
      if (answer !== 'true') {
        throw handshakeError(
          'alive',
          `${name.name} keeps its existing connection (alive answered ${answer})`,
          peer,
        );
      }
    }

    // send_challenge
    const ourChallenge = newChallenge();
    socket.write(
      packet2(
        encodeChallenge({
          flags: self.flags,
          challenge: ourChallenge,
          creation: self.creation,
          name: self.name,
        }),
      ),
    );

    // recv_challenge_reply
    const replyBody = await next();
    const reply = parse('challenge reply', () => decodeChallengeReply(replyBody));
    if (!digestMatches(reply.digest, genDigest(ourChallenge, self.cookie))) {
      self.logger.error(
        peer,
        `** Connection attempt from node '${name.name}' rejected. Invalid challenge reply. **`,
      );
      throw handshakeError(
        'bad_cookie',
        `${name.name} answered our challenge with a wrong digest: the cookies differ`,
        peer,
      );
    }

    // send_challenge_ack
    socket.write(packet2(encodeChallengeAck(genDigest(reply.challenge, self.cookie))));
    return {
      socket,
      peerName: name.name,
      peerFlags: name.flags,
      peerCreation: name.creation,
      flags: self.flags & name.flags,
      rest: reader.detach(),
      role: 'acceptor',
    };
  } catch (err) {
    reader.detach();
    closeAfterFlush(socket);
    throw err;
  }
}
