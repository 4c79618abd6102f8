import { checkDialable, type NamingMode } from '@kindred/node-identity';
import { integrityDiffers } from './handshake.js';

/** What the accept policy needs to know about this node. */
export interface AcceptRules {
  /** This node's full name. */
  readonly self: string;
  /** Its naming mode: the initiator's name must be legal in it. */
  readonly mode: NamingMode;
  /** This node's handshake flags; the initiator's FLAGS.INTEGRITY must equal ours. */
  readonly flags: number;
  /** Like net_kernel:allow/1: only these names may connect. Undefined: any. */
  readonly allow?: readonly string[] | undefined;
}

/** The initiator as its NAME message shows it. */
export interface Initiator {
  readonly name: string;
  readonly flags: number;
}

/**
 * The policy's verdict: `accept` (the peer table decides next, on duplicates and simultaneous connects), or a
 * refusal with its STATUS reason; `detail` says why a name is illegal, for the log line.
 */
export type PolicyVerdict =
  | { readonly accept: true }
  | {
      readonly accept: false;
      readonly reason: 'integrity_mismatch' | 'illegal_name' | 'own_name' | 'disallowed';
      readonly detail?: string;
    };

/**
 * The acceptor's rules on an initiator's NAME, in order, like OTP's `dist_util:is_allowed/1` kept apart from the
 * connection bookkeeping: the frame-integrity flag agrees (checked first: a peer that could never exchange a frame
 * costs no other check), the name is legal in this node's naming mode, it is not this node's own name, and it is in
 * the allow list when there is one. Pure: no socket, no DNS, no state. The host check (the initiator's host resolves
 * to the connection's address) is not here: it runs only after the initiator proved the cookie.
 */
export function acceptPolicy(initiator: Initiator, rules: AcceptRules): PolicyVerdict {
  if (integrityDiffers(initiator.flags, rules.flags)) return { accept: false, reason: 'integrity_mismatch' };
  try {
    checkDialable(initiator.name, rules.mode);
  } catch (err) {
    return { accept: false, reason: 'illegal_name', detail: (err as Error).message.replaceAll('\n', ' ') };
  }
  if (initiator.name === rules.self) return { accept: false, reason: 'own_name' };
  if (rules.allow !== undefined && !rules.allow.includes(initiator.name)) {
    return { accept: false, reason: 'disallowed' };
  }
  return { accept: true };
}
