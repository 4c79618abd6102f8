import type { Pid, Ref } from './terms.js';

/** Where a message can go: a pid, a name registered on this node, or a name registered on another node. */
export type Dest = Pid | string | { readonly name: string; readonly node: string };

/** What `receive` resolves to when its timeout passed first (Erlang's `after` clause). */
export const TIMEOUT: unique symbol = Symbol('kindred.timeout');
/** The type of {@link TIMEOUT}. */
export type Timeout = typeof TIMEOUT;

/** The message a trapping process gets for an exit signal: Erlang's `{'EXIT', From, Reason}`. */
export interface ExitMessage {
  readonly type: 'EXIT';
  readonly from: Pid;
  readonly reason: unknown;
}

/** The message a monitor delivers: Erlang's `{'DOWN', Ref, process, Item, Reason}`. */
export interface DownMessage {
  readonly type: 'DOWN';
  readonly ref: Ref;
  /** The monitored pid, or `{ name, node }` when the monitor named a registered process. */
  readonly item: Pid | { readonly name: string; readonly node: string };
  readonly reason: unknown;
}

/** Node events (Erlang's `{nodeup, Node}` and `{nodedown, Node, [{nodedown_reason, R}]}`). */
export type NodeEvent =
  | { readonly type: 'nodeup'; readonly node: string }
  | { readonly type: 'nodedown'; readonly node: string; readonly reason: unknown };

/** Identifies a `call` to reply to: the caller and the call's reference (gen_server's `From`). */
export interface From {
  readonly pid: Pid;
  readonly ref: Ref;
}

/** A request made with `call`: gen_server's `{'$gen_call', From, Request}`. Answer it with `ctx.reply(from, x)`. */
export interface CallMessage<T = unknown> {
  readonly type: '$gen_call';
  readonly from: From;
  readonly request: T;
  /**
   * The caller's W3C trace context, when the call was traced (docs/protocol.md). From a peer it may be anything:
   * check it with `isTraceparent` before use (the runtime does for rpc and handler processes).
   */
  readonly traceparent?: string;
}

/** The answer to a `call`: gen_server's `{Tag, Reply}`. */
export interface ReplyMessage<T = unknown> {
  readonly type: '$gen_reply';
  readonly ref: Ref;
  readonly reply: T;
}

function tagged(m: unknown, type: string): boolean {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

/** True for an {@link ExitMessage}. */
export const isExitMessage = (m: unknown): m is ExitMessage => tagged(m, 'EXIT');
/** True for a {@link DownMessage}. */
export const isDownMessage = (m: unknown): m is DownMessage => tagged(m, 'DOWN');
/** True for a {@link CallMessage}. */
export const isCallMessage = (m: unknown): m is CallMessage => tagged(m, '$gen_call');
/** True for a {@link ReplyMessage}. */
export const isReplyMessage = (m: unknown): m is ReplyMessage => tagged(m, '$gen_reply');
/** True for a nodeup or nodedown {@link NodeEvent}. */
export const isNodeEvent = (m: unknown): m is NodeEvent => tagged(m, 'nodeup') || tagged(m, 'nodedown');

/**
 * The exit reason of a process whose function threw: `{ error, message, code? }` (Erlang's `{Reason, Stack}` without
 * the stack, which stays in the node's log). A value that is not an Error is kept as `{ error: 'throw', value }`.
 */
export interface CrashReason {
  readonly error: string;
  readonly message?: string;
  readonly code?: string;
  readonly value?: unknown;
}

/** The exit reason for a thrown value. */
export function crashReason(err: unknown): CrashReason {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string'
      ? { error: err.name, message: err.message, code }
      : { error: err.name, message: err.message };
  }
  return { error: 'throw', value: err };
}
