import type { KindredError } from '@kindred/interface';
import type { WebSocket } from 'ws';
import { MAC_TAG_BYTES } from './constants.js';
import { TRANSPORT_ERRORS, transportError } from './errors.js';
import { type FailureReason, failureError, failureOfClose, HANDSHAKE_FAILURES } from './failures.js';
import {
  type AcceptStatus,
  type ChallengeMsg,
  computeDigest,
  decodeHandshake,
  deriveSessionKeys,
  digestsEqual,
  encodeHandshake,
  FLAGS,
  HANDSHAKE_LIMITS,
  HandshakeDecodeError,
  type NameMsg,
  newChallenge,
  PROTOCOL_VERSION,
  type RefuseStatus,
  type SessionKeys,
} from './protocol.js';
import { closeQuietly, setMaxPayload } from './ws-util.js';

export { MAC_TAG_BYTES } from './constants.js';

/** True when the INTEGRITY bit of two flags values differs. */
export const integrityDiffers = (a: number, b: number): boolean => ((a ^ b) & FLAGS.INTEGRITY) !== 0;

/** The message of an integrity mismatch with `node`, this node's flags being `local`. */
export function integrityMismatchMessage(node: string, local: number): string {
  return `node ${node} has frameIntegrity ${(local & FLAGS.INTEGRITY) === 0}, this node ${(local & FLAGS.INTEGRITY) !== 0}: set frameIntegrity the same on every node`;
}

/** What both ends of a handshake need. */
export interface HandshakeParams {
  /** This node's full name. */
  readonly self: string;
  readonly cookie: string;
  /** This node's flags (FLAGS.HIDDEN, FLAGS.INTEGRITY). */
  readonly flags: number;
  readonly setupTimeoutMs: number;
  /** The largest message after the handshake (the WebSocket's maxPayload once authenticated). */
  readonly maxMessageBytes: number;
}

/** A finished handshake: the authenticated peer. */
export interface HandshakeResult {
  readonly name: string;
  readonly flags: number;
  /** The acceptor's status (`ok`, `ok_simultaneous`, `alive`). */
  readonly status: AcceptStatus;
  /** The session keys, when both sides set FLAGS.INTEGRITY. */
  readonly keys?: SessionKeys;
}

/** A failed handshake: the error, and the close code sent or received. */
export interface HandshakeFailure {
  readonly error: KindredError;
  /** Short reason for counters and logs: bad_cookie, name_mismatch, not_allowed, nok, setup_timeout, ... */
  readonly reason: string;
  /** The peer's claimed name, when it got that far. */
  readonly peer?: string;
}

type Done = (failure: HandshakeFailure | null, result?: HandshakeResult) => void;

function rawData(data: unknown): Buffer | null {
  if (Buffer.isBuffer(data)) return data;
  return null;
}

abstract class Handshake {
  protected finished = false;
  readonly #timer: NodeJS.Timeout;
  readonly #onMessage = (data: unknown, isBinary: boolean) => this.#receive(data, isBinary);
  readonly #onClose = (code: number, reason: Buffer) => this.#closed(code, reason.toString('utf8'));
  /** The socket's last error (ECONNREFUSED, a certificate error), for the failure message. */
  protected lastError: Error | undefined;
  readonly #onError = (err: Error) => {
    this.lastError = err;
  };

  readonly #done: Done;

  constructor(
    protected readonly ws: WebSocket,
    protected readonly params: HandshakeParams,
    done: Done,
  ) {
    this.#done = done;
    this.#timer = setTimeout(() => {
      this.fail(
        'setup_timeout',
        `the handshake did not finish within ${params.setupTimeoutMs} ms (net_setuptime); is the peer overloaded?`,
        this.peerDetails(),
      );
    }, params.setupTimeoutMs);
    this.#timer.unref();
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
    ws.on('error', this.#onError);
  }

  /** True once the handshake succeeded or failed. */
  get isFinished(): boolean {
    return this.finished;
  }

  protected abstract peerDetails(): Record<string, unknown>;
  protected abstract step(data: Buffer): void;
  /** The message for a close received during the handshake, whose failure `failureOfClose` looked up. */
  protected abstract closedMessage(
    failure: { reason: string; code: string },
    code: number,
    reason: string,
  ): string;
  /** The peer's name for the failure record, once known. */
  protected abstract peerName(): string | undefined;

  #detach(): void {
    clearTimeout(this.#timer);
    this.ws.off('message', this.#onMessage);
    this.ws.off('close', this.#onClose);
    this.ws.off('error', this.#onError);
  }

  #receive(data: unknown, isBinary: boolean): void {
    if (this.finished) return;
    const buf = rawData(data);
    if (!isBinary || buf === null) {
      this.fail(
        'protocol_error',
        this.protocolMessage('a text message during the handshake'),
        this.peerDetails(),
      );
      return;
    }
    try {
      this.step(buf);
    } catch (err) {
      const decodeError = err instanceof HandshakeDecodeError;
      const reason = (decodeError ? err.close.reason : 'protocol_error') as FailureReason;
      this.fail(
        reason in HANDSHAKE_FAILURES ? reason : 'protocol_error',
        this.protocolMessage(decodeError ? err.message : String(err)),
        this.peerDetails(),
      );
    }
  }

  protected protocolMessage(what: string): string {
    return `the peer broke the kindred handshake (${what}); is it a kindred node of the same version?`;
  }

  /** The peer closed before the end: the close code is looked up in the failure table. */
  #closed(code: number, reason: string): void {
    if (this.finished) return;
    // A dial the peer's host refused (nothing listens there: a node restarting, a dead one redialled) never reached
    // the handshake: its own reason, so the transport counts it apart from handshakes that failed.
    const failure =
      (this.lastError as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED'
        ? { reason: 'connection_refused', code: TRANSPORT_ERRORS.CONNECT_FAILED }
        : failureOfClose(code);
    const peer = this.peerName();
    this.finish({
      reason: failure.reason,
      ...(peer === undefined ? {} : { peer }),
      error: transportError(failure.code, this.closedMessage(failure, code, reason), {
        reason: failure.reason,
        ...this.peerDetails(),
        code,
        ...(reason === '' ? {} : { closeReason: reason }),
        ...(this.lastError === undefined ? {} : { cause: this.lastError.message }),
      }),
    });
  }

  protected send(buf: Buffer): void {
    this.ws.send(buf, { binary: true });
  }

  /**
   * Ends the handshake with the failure `reason`: the close and the error code come from HANDSHAKE_FAILURES; the
   * error's `details.reason` is `reason` unless `details` gives a finer one.
   */
  protected fail(
    reason: FailureReason,
    message: string,
    details: Record<string, unknown>,
    peer?: string,
  ): void {
    if (this.finished) return;
    closeQuietly(this.ws, HANDSHAKE_FAILURES[reason].close);
    this.finish({
      error: failureError(reason, message, details),
      reason,
      ...(peer === undefined ? {} : { peer }),
    });
  }

  protected finish(failure: HandshakeFailure | null, result?: HandshakeResult): void {
    if (this.finished) return;
    this.finished = true;
    this.#detach();
    if (failure === null) {
      const tag = (this.params.flags & FLAGS.INTEGRITY) !== 0 ? MAC_TAG_BYTES : 0;
      setMaxPayload(this.ws, this.params.maxMessageBytes + tag);
    }
    this.#done(failure, result);
  }

  /** `{ keys }` for the result when this side has frameIntegrity (the peer's flag was checked to match). */
  protected sessionKeys(
    role: 'initiator' | 'acceptor',
    initiator: string,
    acceptor: string,
    initiatorChallenge: Buffer,
    acceptorChallenge: Buffer,
  ): { keys?: SessionKeys } {
    if ((this.params.flags & FLAGS.INTEGRITY) === 0) return {};
    return {
      keys: deriveSessionKeys(this.params.cookie, role, {
        initiator,
        acceptor,
        initiatorChallenge,
        acceptorChallenge,
      }),
    };
  }

  /** Abandons the handshake from outside (simultaneous connect lost, superseded, first message late, shutdown). */
  abort(reason: FailureReason, message: string, details: Record<string, unknown> = {}): void {
    this.fail(reason, message, { ...this.peerDetails(), ...details });
  }
}

/** What the initiator says when the acceptor closed during the handshake, by failure reason. */
const INITIATOR_CLOSED: Record<string, (node: string) => string> = {
  bad_cookie: (node) =>
    `node ${node} rejected this node's challenge reply: the cookies differ; give both nodes the same cookie`,
  not_allowed: (node) => `node ${node} refused this node`,
  nok: (node) => `node ${node} chose another connection`,
  bad_version: (node) =>
    `node ${node} does not speak kindred protocol ${PROTOCOL_VERSION}; run the same kindred version on both`,
  setup_timeout: (node) => `node ${node} timed out the handshake`,
};

/**
 * The dialing side: sends NAME, checks that the acceptor is the node it dialed (Erlang's name-matching rule), proves
 * the cookie with REPLY and checks the acceptor's ACK.
 */
export class InitiatorHandshake extends Handshake {
  readonly #challenge = newChallenge();
  #state: 'open' | 'challenge' | 'ack' = 'open';
  #peerChallenge: Buffer | undefined;
  #peerStatus: AcceptStatus = 'ok';
  #peerFlags = 0;

  readonly #dialed: string;

  constructor(ws: WebSocket, dialed: string, params: HandshakeParams, done: Done) {
    super(ws, params, done);
    this.#dialed = dialed;
    ws.once('open', () => {
      if (this.finished) return;
      if (ws.protocol !== '' && !ws.protocol.startsWith('kindred-dist.')) {
        this.fail('bad_version', this.protocolMessage(`subprotocol ${ws.protocol}`), this.peerDetails());
        return;
      }
      setMaxPayload(ws, HANDSHAKE_LIMITS.maxMessageBytes);
      const name: NameMsg = {
        tag: 'n',
        version: PROTOCOL_VERSION,
        name: params.self,
        challenge: this.#challenge,
        flags: params.flags,
      };
      this.send(encodeHandshake(name));
      this.#state = 'challenge';
    });
  }

  protected peerDetails(): Record<string, unknown> {
    return { node: this.#dialed };
  }

  protected peerName(): string | undefined {
    return this.#dialed;
  }

  protected step(data: Buffer): void {
    const msg = decodeHandshake(data);
    // A refusal comes instead of CHALLENGE (name rules, allow list, duplicates) or instead of ACK (host check).
    if ((this.#state === 'challenge' || this.#state === 'ack') && msg.tag === 's') {
      this.#refused(msg.status, msg.reason);
      return;
    }
    if (this.#state === 'challenge' && msg.tag === 'c') {
      this.#challenged(msg);
      return;
    }
    if (this.#state === 'ack' && msg.tag === 'a') {
      const expected = computeDigest(this.params.cookie, {
        role: 'ack',
        initiator: this.params.self,
        acceptor: this.#dialed,
        initiatorChallenge: this.#challenge,
        acceptorChallenge: this.#peerChallenge as Buffer,
        initiatorFlags: this.params.flags,
        acceptorFlags: this.#peerFlags,
      });
      if (!digestsEqual(msg.digest, expected)) {
        this.fail(
          'bad_cookie',
          `node ${this.#dialed} answered with an invalid challenge ack: the cookies differ; give both nodes the same cookie`,
          { node: this.#dialed },
          this.#dialed,
        );
        return;
      }
      this.finish(null, {
        name: this.#dialed,
        flags: this.#peerFlags,
        status: this.#peerStatus,
        ...this.sessionKeys(
          'initiator',
          this.params.self,
          this.#dialed,
          this.#challenge,
          this.#peerChallenge as Buffer,
        ),
      });
      return;
    }
    throw new HandshakeDecodeError(`unexpected '${msg.tag}' message`);
  }

  #refused(status: RefuseStatus, reason: string): void {
    const node = this.#dialed;
    if (status === 'not_allowed' && reason === 'integrity_mismatch') {
      this.fail('integrity_mismatch', integrityMismatchMessage(node, this.params.flags), { node });
      return;
    }
    if (status === 'nok') {
      this.fail('nok', `node ${node} already has a connection with this node in progress (${reason})`, {
        node,
        status,
        reason,
      });
      return;
    }
    this.fail(
      'not_allowed',
      `node ${node} refused this node (${reason}); check the allow list and that this node's host name resolves to its address`,
      { node, status, reason },
    );
  }

  #challenged(msg: ChallengeMsg): void {
    if (msg.name !== this.#dialed) {
      this.fail(
        'name_mismatch',
        `dialed ${this.#dialed} but the node there is ${msg.name}; dial it by the name it gives itself (hostname -f)`,
        { node: this.#dialed, actual: msg.name },
        this.#dialed,
      );
      return;
    }
    if (integrityDiffers(msg.flags, this.params.flags)) {
      this.fail('integrity_mismatch', integrityMismatchMessage(this.#dialed, this.params.flags), {
        node: this.#dialed,
      });
      return;
    }
    this.#peerChallenge = msg.challenge;
    this.#peerStatus = msg.status;
    this.#peerFlags = msg.flags;
    const digest = computeDigest(this.params.cookie, {
      role: 'reply',
      initiator: this.params.self,
      acceptor: this.#dialed,
      initiatorChallenge: this.#challenge,
      acceptorChallenge: msg.challenge,
      initiatorFlags: this.params.flags,
      acceptorFlags: msg.flags,
    });
    this.send(encodeHandshake({ tag: 'r', digest }));
    this.#state = 'ack';
  }

  protected closedMessage(failure: { reason: string }, code: number, reason: string): string {
    const node = this.#dialed;
    const known = INITIATOR_CLOSED[failure.reason];
    if (known !== undefined) return known(node);
    return this.lastError !== undefined
      ? `cannot connect to ${node}: ${this.lastError.message}; is a kindred node listening there, with a certificate this node trusts?`
      : `the connection to ${node} closed during the handshake (code ${code}${reason ? `, ${reason}` : ''}); is a kindred node listening there?`;
  }
}

/** What the acceptor decides about an initiator after reading its NAME. */
export type AcceptDecision =
  | { readonly accept: AcceptStatus }
  | { readonly refuse: RefuseStatus; readonly reason: string };

/** A refusal: the STATUS sent to the initiator and its reason. */
export type Refusal = { readonly refuse: RefuseStatus; readonly reason: string };

/** The acceptor's checks after the initiator proved the cookie (the host check): null to go on, or a refusal. */
export type VerifyAuthenticated = (peer: NameMsg, remoteAddress: string) => Promise<Refusal | null>;

/**
 * The listening side: reads NAME, asks the transport whether to accept this initiator (its accept policy: integrity
 * flag, name rules, allow list; then duplicates), sends its CHALLENGE, checks REPLY in constant time, then runs
 * `verify` (the host check: only for an initiator that proved the cookie, so an unauthenticated peer costs no DNS
 * query) and answers with ACK or refuses.
 */
export class AcceptorHandshake extends Handshake {
  #state: 'name' | 'deciding' | 'reply' | 'verifying' = 'name';
  #peer: NameMsg | undefined;
  readonly #challenge = newChallenge();
  #status: AcceptStatus = 'ok';

  readonly #remoteAddress: string;
  readonly #decide: (peer: NameMsg, remoteAddress: string) => Promise<AcceptDecision>;
  readonly #verify: VerifyAuthenticated | undefined;

  constructor(
    ws: WebSocket,
    remoteAddress: string,
    params: HandshakeParams,
    decide: (peer: NameMsg, remoteAddress: string) => Promise<AcceptDecision>,
    done: Done,
    verify?: VerifyAuthenticated,
  ) {
    super(ws, params, done);
    this.#remoteAddress = remoteAddress;
    this.#decide = decide;
    this.#verify = verify;
    setMaxPayload(ws, HANDSHAKE_LIMITS.maxMessageBytes);
  }

  /** The name the initiator claims, once NAME arrived. */
  get claimedName(): string | undefined {
    return this.#peer?.name;
  }

  protected peerDetails(): Record<string, unknown> {
    return { address: this.#remoteAddress, ...(this.#peer ? { node: this.#peer.name } : {}) };
  }

  protected peerName(): string | undefined {
    return this.#peer?.name;
  }

  protected step(data: Buffer): void {
    const msg = decodeHandshake(data);
    if (this.#state === 'name' && msg.tag === 'n') {
      this.#peer = msg;
      this.#state = 'deciding';
      this.#decide(msg, this.#remoteAddress).then(
        (decision) => this.#decided(decision),
        (err: unknown) => this.#checkFailed(err),
      );
      return;
    }
    if (this.#state === 'reply' && msg.tag === 'r') {
      const peer = this.#peer as NameMsg;
      const expected = this.#digest('reply', peer);
      if (!digestsEqual(msg.digest, expected)) {
        this.fail(
          'bad_cookie',
          `Connection attempt from node ${peer.name} rejected. Invalid challenge reply.`,
          { node: peer.name, address: this.#remoteAddress },
          peer.name,
        );
        return;
      }
      if (this.#verify === undefined) {
        this.#acknowledge();
        return;
      }
      this.#state = 'verifying';
      this.#verify(peer, this.#remoteAddress).then(
        (refusal) => (refusal === null ? this.#acknowledge() : this.#refuse(refusal, undefined)),
        (err: unknown) => this.#checkFailed(err),
      );
      return;
    }
    throw new HandshakeDecodeError(`unexpected '${msg.tag}' message in state ${this.#state}`);
  }

  /** The digest of `role` for this handshake with `peer` (docs/protocol.md: both names, challenges and flags). */
  #digest(role: 'reply' | 'ack', peer: NameMsg): Buffer {
    return computeDigest(this.params.cookie, {
      role,
      initiator: peer.name,
      acceptor: this.params.self,
      initiatorChallenge: peer.challenge,
      acceptorChallenge: this.#challenge,
      initiatorFlags: peer.flags,
      acceptorFlags: this.params.flags,
    });
  }

  /** A check (the accept policy, the host check) threw: refused as not_allowed, reason check_failed. */
  #checkFailed(err: unknown): void {
    this.#refuse(
      { refuse: 'not_allowed', reason: 'check_failed' },
      `the acceptor's check failed: ${String(err)}`,
    );
  }

  /** The initiator proved the cookie and passed the checks: ACK, and the connection is up. */
  #acknowledge(): void {
    if (this.finished) return;
    const peer = this.#peer as NameMsg;
    const ack = this.#digest('ack', peer);
    this.send(encodeHandshake({ tag: 'a', digest: ack }));
    this.finish(null, {
      name: peer.name,
      flags: peer.flags,
      status: this.#status,
      ...this.sessionKeys('acceptor', peer.name, this.params.self, peer.challenge, this.#challenge),
    });
  }

  #decided(decision: AcceptDecision): void {
    if (this.finished) return;
    if ('refuse' in decision) {
      this.#refuse(decision, undefined);
      return;
    }
    this.#status = decision.accept;
    this.send(
      encodeHandshake({
        tag: 'c',
        status: decision.accept,
        name: this.params.self,
        challenge: this.#challenge,
        flags: this.params.flags,
      }),
    );
    this.#state = 'reply';
  }

  /** Sends STATUS, then closes: 4006 nok or 4004 not_allowed; the refusal's own reason goes in `details.reason`. */
  #refuse(decision: Refusal, why: string | undefined): void {
    if (this.finished) return;
    const peer = this.#peer as NameMsg;
    try {
      this.send(encodeHandshake({ tag: 's', status: decision.refuse, reason: decision.reason }));
    } catch {
      // the socket is already gone; the close below still counts the failure
    }
    const message =
      why ??
      (decision.reason === 'integrity_mismatch'
        ? integrityMismatchMessage(peer.name, this.params.flags)
        : `Connection attempt from node ${peer.name} refused (${decision.reason})`);
    this.fail(
      decision.refuse,
      message,
      { node: peer.name, address: this.#remoteAddress, reason: decision.reason },
      peer.name,
    );
  }

  protected closedMessage(failure: { reason: string }, code: number, reason: string): string {
    return `the initiator closed the connection during the handshake (code ${code}, ${reason || failure.reason})`;
  }
}
