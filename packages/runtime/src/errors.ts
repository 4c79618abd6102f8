import { KindredError } from '@kindred/dns';

/** Stable codes of the errors the runtime throws; each is listed in docs/errors.md. */
export const RUNTIME_ERRORS = Object.freeze({
  /** An option has the wrong type or range; the message names it. */
  BAD_OPTION: 'KINDRED_ERR_RUNTIME_BAD_OPTION',
  /** A destination is not a pid, a registered name or `{ name, node }`. */
  BAD_DEST: 'KINDRED_ERR_BAD_DEST',
  /** A registered name is not a non-empty string, or is reserved by the runtime. */
  BAD_NAME: 'KINDRED_ERR_BAD_NAME',
  /** The name is already registered (Erlang's badarg from register/2). */
  NAME_TAKEN: 'KINDRED_ERR_NAME_TAKEN',
  /** The process already has a registered name. */
  ALREADY_REGISTERED: 'KINDRED_ERR_ALREADY_REGISTERED',
  /** The local process does not exist (dead or never existed). */
  NOPROC: 'KINDRED_ERR_NOPROC',
  /** The operation needs a process of this node, and the pid belongs to another node. */
  NOT_LOCAL: 'KINDRED_ERR_NOT_LOCAL',
  /** `call` got no reply within its timeout. */
  CALL_TIMEOUT: 'KINDRED_ERR_CALL_TIMEOUT',
  /** The callee went down before replying (`details.reason`: its exit reason, `noproc`, `noconnection`). */
  CALL_EXIT: 'KINDRED_ERR_CALL_EXIT',
  /** `rpc` named a handler the target node does not expose. */
  RPC_UNKNOWN_HANDLER: 'KINDRED_ERR_RPC_UNKNOWN_HANDLER',
  /** The rpc handler threw; `details.error` carries its name, message and code. */
  RPC_FAILED: 'KINDRED_ERR_RPC_FAILED',
  /** `spawnOn` failed; `details.reason` is `undef`, `noconnection` or `timeout`. */
  SPAWN_FAILED: 'KINDRED_ERR_SPAWN_FAILED',
  /** The process has exited; thrown inside it to unwind its function. */
  PROCESS_EXITED: 'KINDRED_ERR_PROCESS_EXITED',
  /** A process called `receive` while another `receive` of its own was still pending. */
  RECEIVE_PENDING: 'KINDRED_ERR_RECEIVE_PENDING',
  /** The node was stopped. */
  NODE_STOPPED: 'KINDRED_ERR_NODE_STOPPED',
});

/** Thrown inside a process whose life has ended (killed, exited, or its node stopped) to unwind its function. */
export class ProcessExitedError extends KindredError {
  /** The exit reason of the process. */
  readonly reason: unknown;
  /** @param reason - the process's exit reason */
  constructor(reason: unknown) {
    super(RUNTIME_ERRORS.PROCESS_EXITED, 'This process has exited; its function should return.', {
      details: { reason },
    });
    this.name = 'ProcessExitedError';
    this.reason = reason;
  }
}

/** Makes a {@link KindredError} for an invalid runtime option. */
export function badOption(option: string, expected: string, got: unknown): KindredError {
  return new KindredError(
    RUNTIME_ERRORS.BAD_OPTION,
    `Option ${option} must be ${expected} (got ${JSON.stringify(got) ?? String(got)}).`,
    { details: { option } },
  );
}
