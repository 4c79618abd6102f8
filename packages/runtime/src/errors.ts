import { KindredError } from '@kindred/dns';
import { Pid, Ref } from './terms.js';

/** Stable codes of the errors the runtime throws; each is listed in docs/errors.md. */
export const RUNTIME_ERRORS = Object.freeze({
  /** An option has the wrong type or range; the message names it. */
  RUNTIME_BAD_OPTION: 'KINDRED_ERR_RUNTIME_BAD_OPTION',
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
  /** An observe request was not `{ type: 'observe', maxProcesses? }` with a valid maxProcesses (the observer's answer). */
  OBSERVE_BAD_REQUEST: 'KINDRED_ERR_OBSERVE_BAD_REQUEST',
  /** `observe(node)` got no snapshot from the node: its observer refused the request, or answered garbage. */
  OBSERVE_FAILED: 'KINDRED_ERR_OBSERVE_FAILED',
  /** The node was stopped. */
  NODE_STOPPED: 'KINDRED_ERR_NODE_STOPPED',
  /** No process is registered under the global name (`sendName`, `node.global.call`). */
  GLOBAL_NOT_REGISTERED: 'KINDRED_ERR_GLOBAL_NOT_REGISTERED',
  /** The cluster-wide lock on a global name could not be taken within `globalLockTimeoutMs`. */
  GLOBAL_LOCK_TIMEOUT: 'KINDRED_ERR_GLOBAL_LOCK_TIMEOUT',
  /** A `receive`, `call` or `rpc` was aborted through its AbortSignal; `details.reason` is `signal.reason`. */
  ABORTED: 'KINDRED_ERR_ABORTED',
  /** A server's `init` returned `{ stop }` or threw; `details.reason` is the reason. */
  SERVER_START_FAILED: 'KINDRED_ERR_SERVER_START_FAILED',
  /** A supervisor's spec or a child spec is malformed; the message names the field. */
  SUPERVISOR_BAD_SPEC: 'KINDRED_ERR_SUPERVISOR_BAD_SPEC',
  /** A child's start function failed (threw, or returned something other than a pid); `details`: `id`, `reason`. */
  CHILD_START_FAILED: 'KINDRED_ERR_CHILD_START_FAILED',
  /** No child with that id (or pid) under the supervisor. */
  CHILD_NOT_FOUND: 'KINDRED_ERR_CHILD_NOT_FOUND',
  /** A child with that id exists already (`details.pid`: its pid when running). */
  CHILD_EXISTS: 'KINDRED_ERR_CHILD_EXISTS',
  /** `restartChild`/`deleteChild` of a child that is running; `terminateChild` it first. */
  CHILD_RUNNING: 'KINDRED_ERR_CHILD_RUNNING',
  /** The operation does not apply to this supervisor's strategy (e.g. restartChild under `simple_one_for_one`). */
  SUPERVISOR_BAD_OPERATION: 'KINDRED_ERR_SUPERVISOR_BAD_OPERATION',
});

/** The error of an aborted `receive`, `call` or `rpc`: `details.reason` (and `cause`) is the signal's reason. */
export function abortedError(signal: AbortSignal): KindredError {
  return new KindredError(RUNTIME_ERRORS.ABORTED, 'Aborted by its AbortSignal.', {
    details: { reason: signal.reason },
    cause: signal.reason,
  });
}

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
    RUNTIME_ERRORS.RUNTIME_BAD_OPTION,
    `Option ${option} must be ${expected} (got ${formatTerm(got)}).`,
    {
      details: { option },
    },
  );
}

/** Longest text {@link formatTerm} returns by default. */
const FORMAT_MAX_CHARS = 200;
/** Nesting {@link formatTerm} descends into; deeper values print as `…`. */
const FORMAT_MAX_DEPTH = 4;
/** Elements or keys of one array or object {@link formatTerm} prints. */
const FORMAT_MAX_ITEMS = 8;

/**
 * A short, JSON-like text for any value, for error messages and logs: never throws, whatever the value (a BigInt, an
 * object whose `toString` throws or is not a function, a getter that throws, a cycle, a million elements, nesting a
 * thousand deep), and costs at most a few hundred steps. Values from peers (exit reasons, rpc errors) go through it:
 * `JSON.stringify` throws on a BigInt and template strings throw on `{ toString: 1 }`.
 */
export function formatTerm(v: unknown, maxChars: number = FORMAT_MAX_CHARS): string {
  const out: string[] = [];
  let left = maxChars;
  const put = (s: string): boolean => {
    if (left <= 0) return false;
    out.push(s.length > left ? `${s.slice(0, left)}…` : s);
    left -= s.length;
    return left > 0;
  };
  const walk = (x: unknown, depth: number): void => {
    switch (typeof x) {
      case 'string':
        put(JSON.stringify(x.length > maxChars ? `${x.slice(0, maxChars)}…` : x));
        return;
      case 'number':
      case 'boolean':
      case 'undefined':
        put(String(x));
        return;
      case 'bigint':
        // A huge BigInt's decimal form costs quadratic time; its size says enough.
        put(
          x >= -(2n ** 256n) && x <= 2n ** 256n
            ? `${x.toString()}n`
            : `<bigint of ${x.toString(16).length * 4} bits>`,
        );
        return;
      case 'symbol':
        put(`Symbol(${formatTerm(x.description ?? '', 40)})`);
        return;
      case 'function':
        put('[function]');
        return;
    }
    if (x === null) {
      put('null');
      return;
    }
    if (x instanceof Pid || x instanceof Ref) {
      put(x.toString());
      return;
    }
    if (depth >= FORMAT_MAX_DEPTH) {
      put('…');
      return;
    }
    try {
      if (Array.isArray(x)) {
        put('[');
        const n = x.length;
        for (let i = 0; i < n && i < FORMAT_MAX_ITEMS; i++) {
          if (i > 0 && !put(', ')) return;
          walk(x[i], depth + 1);
          if (left <= 0) return;
        }
        if (n > FORMAT_MAX_ITEMS) put(`, … ${n - FORMAT_MAX_ITEMS} more`);
        put(']');
        return;
      }
      if (x instanceof Error) {
        put(`${formatTerm(x.name, 40).slice(1, -1)}: `);
        walk(x.message, depth + 1);
        return;
      }
      put('{');
      let i = 0;
      for (const k in x as object) {
        if (!Object.hasOwn(x as object, k)) continue;
        if (i >= FORMAT_MAX_ITEMS) {
          put(', …');
          break;
        }
        if (i++ > 0 && !put(', ')) return;
        put(`${JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k)}: `);
        walk((x as Record<string, unknown>)[k], depth + 1);
        if (left <= 0) return;
      }
      put('}');
    } catch {
      put('<unprintable>');
    }
  };
  try {
    walk(v, 0);
  } catch {
    return '<unprintable>';
  }
  return out.join('');
}
