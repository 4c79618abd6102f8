import type { Socket } from 'node:net';
import { digestMatches, genDigest, newChallenge } from './digest.js';
import { handshakeError } from './failures.js';
import { missingFlags } from './flags.js';
import {
  decodeChallenge,
  decodeChallengeAck,
  decodeStatus,
  encodeChallengeReply,
  encodeName,
  encodeStatus,
  packet2,
} from './messages.js';
import { closeAfterFlush, PacketReader } from './packet-reader.js';
import type { HandshakeResult, HandshakeSelf } from './types.js';

/**
 * The initiator's side (dist_util's `handshake_we_started`), as named steps: send_name, recv_status (answering
 * `alive` with `true`: this node dials only when it has no live connection to the peer), recv_challenge (the name
 * must be exactly the one dialed, the flags must hold the required set), send_challenge_reply, recv_challenge_ack.
 *
 * @param dialed - the node name dialed, compared byte for byte with the name in the challenge
 * @throws KindredError `KINDRED_ERR_BEAM_HANDSHAKE` (`details.reason`: `nok`, `not_allowed`, `alive`,
 *   `name_mismatch`, `missing_flags`, `bad_cookie`, `connection_closed`, `protocol_error`, `too_large`) or
 *   `KINDRED_ERR_BEAM_SETUP_TIMEOUT`. The socket is closed on failure.
 */
export async function initiateHandshake(
  socket: Socket,
  self: HandshakeSelf,
  dialed: string,
): Promise<HandshakeResult> {
  const reader = new PacketReader(socket);
  const peer = { peer: { name: dialed } };
  const next = (): Promise<Buffer> => reader.next(self.setupTimeoutMs, peer);
  const parse = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw handshakeError('protocol_error', `${dialed} sent a malformed ${what}`, peer, err);
    }
  };
  try {
    // send_name
    socket.write(packet2(encodeName({ flags: self.flags, creation: self.creation, name: self.name })));

    // recv_status
    const statusBody = await next();
    await recvStatus(
      parse('status', () => decodeStatus(statusBody)),
      socket,
      dialed,
      peer,
    );

    // recv_challenge
    const body = await next();
    const challenge = parse('challenge', () => decodeChallenge(body));
    if (challenge.name !== dialed) {
      // dist_util recv_challenge: {recv_challenge_failed, no_node, Name}; erl's pang, no log.
      throw handshakeError(
        'name_mismatch',
        `the node at ${dialed}'s address calls itself ${JSON.stringify(challenge.name)} (pang): dial the name it ` +
          'gives itself, byte for byte (usually its hostname -f)',
        { ...peer, answered: challenge.name },
      );
    }
    const missing = missingFlags(challenge.flags, self.requiredFlags);
    if (missing.length > 0) {
      self.logger.error(
        { peer: { name: dialed }, missing },
        `** '${self.name}': Connection attempt to node '${dialed}' aborted since it cannot handle ${JSON.stringify(missing)}.**`,
      );
      throw handshakeError('missing_flags', `${dialed} cannot handle ${missing.join(', ')}`, {
        ...peer,
        missing,
      });
    }

    // send_challenge_reply
    const ourChallenge = newChallenge();
    socket.write(packet2(encodeChallengeReply(ourChallenge, genDigest(challenge.challenge, self.cookie))));

    // recv_challenge_ack. An OTP acceptor answers a right digest with the ack unconditionally and closes on a
    // wrong one (logging "Invalid challenge reply."), so a close here means the cookies differ.
    let ackBody: Buffer;
    try {
      ackBody = await next();
    } catch (err) {
      if ((err as { details?: { reason?: string } }).details?.reason !== 'connection_closed') throw err;
      throw handshakeError(
        'bad_cookie',
        `${dialed} closed the connection after our challenge reply: the cookies differ; give both nodes the same cookie`,
        { ...peer, observed: 'connection_closed' },
        err,
      );
    }
    const ack = parse('challenge ack', () => decodeChallengeAck(ackBody));
    if (!digestMatches(ack, genDigest(ourChallenge, self.cookie))) {
      throw handshakeError(
        'bad_cookie',
        `${dialed} answered our challenge with a wrong digest: the cookies differ; give both nodes the same cookie`,
        peer,
      );
    }
    return {
      socket,
      peerName: challenge.name,
      peerFlags: challenge.flags,
      peerCreation: challenge.creation,
      flags: self.flags & challenge.flags,
      rest: reader.detach(),
      role: 'initiator',
    };
  } catch (err) {
    reader.detach();
    closeAfterFlush(socket);
    throw err;
  }
}

async function recvStatus(
  status: string,
  socket: Socket,
  dialed: string,
  peer: Record<string, unknown>,
): Promise<void> {
  switch (status) {
    case 'ok':
    case 'ok_simultaneous':
      return;
    case 'alive':
      // The acceptor still holds a connection to us we no longer have: tell it to drop the old one.
      socket.write(packet2(encodeStatus('true')));
      return;
    case 'nok':
      throw handshakeError(
        'nok',
        `${dialed} is dialing this node at the same time and its attempt wins (nok)`,
        peer,
      );
    case 'not_allowed':
      throw handshakeError(
        'not_allowed',
        `${dialed} refused this node (not_allowed): a missing distribution flag, or not in its allow list`,
        peer,
      );
    default:
      throw handshakeError(
        'protocol_error',
        `${dialed} answered the name with status ${JSON.stringify(status)}`,
        {
          ...peer,
          status,
        },
      );
  }
}
