/**
 * A node's options: what `createNode` takes, and their checks and defaults (RUNTIME_DEFAULTS), resolved once
 * when the node is made.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from '@kindred/interface';
import { isName, type ResolvedNodeOptions } from './core.js';
import { RUNTIME_DEFAULTS } from './defaults.js';
import type { Distribution } from './distribution.js';
import { badOption } from './errors.js';

/** Options of `createNode` (./node.ts). */
export interface NodeOptions {
  /** This node's name, `name@host`. */
  readonly name: string;
  /** The layer that reaches other nodes; without one the node is not distributed (local processes only). */
  readonly distribution?: Distribution;
  /** This incarnation's creation (1..2^32-1); random by default, so pids of a previous run never match. */
  readonly creation?: number;
  /**
   * Classes whose instances messages may hold besides plain data, because `distribution` carries them faithfully
   * (startNode passes @kindred/beam's term classes on Erlang's wire). Default none.
   */
  readonly wireClasses?: readonly (abstract new (
    ...args: never[]
  ) => unknown)[];
  /** A hidden node stays out of others' `nodes()`, the mesh and pg. Default {@link RUNTIME_DEFAULTS.hidden}. */
  readonly hidden?: boolean;
  /** Erlang's connect_all. Default {@link RUNTIME_DEFAULTS.connectAll}. */
  readonly connectAll?: boolean;
  /** Mailbox cap per process. Default {@link RUNTIME_DEFAULTS.maxMailboxSize}. */
  readonly maxMailboxSize?: number;
  /** Mailbox cap per process in estimated bytes of remote messages. Default {@link RUNTIME_DEFAULTS.maxMailboxBytes}. */
  readonly maxMailboxBytes?: number;
  /** Bytes from one peer waiting in mailboxes. Default {@link RUNTIME_DEFAULTS.maxQueuedBytesPerPeer}. */
  readonly maxQueuedBytesPerPeer?: number;
  /** Bytes from all peers waiting in mailboxes. Default {@link RUNTIME_DEFAULTS.maxQueuedBytes}. */
  readonly maxQueuedBytes?: number;
  /** Names dialled from one connect_all message. Default {@link RUNTIME_DEFAULTS.maxNamesPerNetMessage}. */
  readonly maxNamesPerNetMessage?: number;
  /** First backoff after a failed automatic dial. Default {@link RUNTIME_DEFAULTS.dialBackoffInitialMs}. */
  readonly dialBackoffInitialMs?: number;
  /** Longest backoff between automatic dials. Default {@link RUNTIME_DEFAULTS.dialBackoffMaxMs}. */
  readonly dialBackoffMaxMs?: number;
  /** Automatic dials per second. Default {@link RUNTIME_DEFAULTS.maxDialsPerSecond}. */
  readonly maxDialsPerSecond?: number;
  /** Nodes remembered from gossip and failed dials. Default {@link RUNTIME_DEFAULTS.maxRememberedNodes}. */
  readonly maxRememberedNodes?: number;
  /** Lifetime of a port learned from gossip. Default {@link RUNTIME_DEFAULTS.learnedPortTtlMs}. */
  readonly learnedPortTtlMs?: number;
  /** Default `call` timeout. Default {@link RUNTIME_DEFAULTS.callTimeoutMs}. */
  readonly callTimeoutMs?: number;
  /** Default `rpc` timeout. Default {@link RUNTIME_DEFAULTS.rpcTimeoutMs}. */
  readonly rpcTimeoutMs?: number;
  /** Messages queued for a node during connection set-up. Default {@link RUNTIME_DEFAULTS.maxPendingPerNode}. */
  readonly maxPendingPerNode?: number;
  /** The port this node listens on, told to peers so connect_all can dial it. */
  readonly listenPort?: number;
  /** A logger (the `Logger` of @kindred/interface; pino fits); silent when absent (but crash reports then go to
   * stderr, see `crashReports`). */
  readonly logger?: Logger;
  /**
   * Report each process whose code threw (pid, registered name, reason, stack) once: through `logger` at error level,
   * or on stderr when no logger was given. Default {@link RUNTIME_DEFAULTS.crashReports}.
   */
  readonly crashReports?: boolean;
  /** Called at the end of `stop()` (startNode closes discovery and the transport here). */
  readonly onStop?: () => Promise<void> | void;
}

/** @internal Checks `options` and fills in the defaults: the node's creation, whether it is hidden, the rest. */
export function resolveNodeOptions(options: NodeOptions): {
  creation: number;
  hidden: boolean;
  opts: ResolvedNodeOptions;
} {
  if (typeof options !== 'object' || options === null) throw badOption('options', 'an object', options);
  if (!isName(options.name) || !options.name.includes('@')) {
    throw badOption('name', 'a node name name@host', options.name);
  }
  const posInt = (k: keyof NodeOptions, d: number, min = 1): number => {
    const v = options[k];
    if (v === undefined) return d;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      throw badOption(k, `an integer >= ${min}`, v);
    return v;
  };
  const bool = (k: keyof NodeOptions, d: boolean): boolean => {
    const v = options[k];
    if (v === undefined) return d;
    if (typeof v !== 'boolean') throw badOption(k, 'a boolean', v);
    return v;
  };
  const creation = posInt('creation', randomInt(1, 2 ** 32 - 1));
  if (creation > 0xffffffff) throw badOption('creation', 'an integer 1..4294967295', creation);
  const hidden = bool('hidden', RUNTIME_DEFAULTS.hidden);
  const opts: ResolvedNodeOptions = {
    maxMailboxSize: posInt('maxMailboxSize', RUNTIME_DEFAULTS.maxMailboxSize),
    maxMailboxBytes: posInt('maxMailboxBytes', RUNTIME_DEFAULTS.maxMailboxBytes),
    maxQueuedBytesPerPeer: posInt('maxQueuedBytesPerPeer', RUNTIME_DEFAULTS.maxQueuedBytesPerPeer),
    maxQueuedBytes: posInt('maxQueuedBytes', RUNTIME_DEFAULTS.maxQueuedBytes),
    maxNamesPerNetMessage: posInt('maxNamesPerNetMessage', RUNTIME_DEFAULTS.maxNamesPerNetMessage, 0),
    dialBackoffInitialMs: posInt('dialBackoffInitialMs', RUNTIME_DEFAULTS.dialBackoffInitialMs),
    dialBackoffMaxMs: posInt('dialBackoffMaxMs', RUNTIME_DEFAULTS.dialBackoffMaxMs),
    maxDialsPerSecond: posInt('maxDialsPerSecond', RUNTIME_DEFAULTS.maxDialsPerSecond),
    maxRememberedNodes: posInt('maxRememberedNodes', RUNTIME_DEFAULTS.maxRememberedNodes),
    learnedPortTtlMs: posInt('learnedPortTtlMs', RUNTIME_DEFAULTS.learnedPortTtlMs),
    callTimeoutMs: posInt('callTimeoutMs', RUNTIME_DEFAULTS.callTimeoutMs, 0),
    rpcTimeoutMs: posInt('rpcTimeoutMs', RUNTIME_DEFAULTS.rpcTimeoutMs, 0),
    maxPendingPerNode: posInt('maxPendingPerNode', RUNTIME_DEFAULTS.maxPendingPerNode, 0),
    connectAll: bool('connectAll', RUNTIME_DEFAULTS.connectAll),
    listenPort: options.listenPort === undefined ? undefined : posInt('listenPort', 0),
    crashReports: !bool('crashReports', RUNTIME_DEFAULTS.crashReports)
      ? 'off'
      : options.logger === undefined
        ? 'stderr'
        : 'logger',
    wireClasses:
      options.wireClasses === undefined || options.wireClasses.length === 0
        ? undefined
        : new Set<unknown>(options.wireClasses),
  };
  return { creation, hidden, opts };
}
