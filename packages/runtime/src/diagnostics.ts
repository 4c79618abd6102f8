/**
 * What the runtime publishes for tracers and metrics: `node:diagnostics_channel` TracingChannels around send, call,
 * rpc and spawnOn, plain channels for nodeup and nodedown, and the W3C trace context (`traceparent`) a call carries
 * to the node it calls. Like undici, the library logs nothing on these paths: it publishes, and only when someone
 * subscribed (every publish is behind a `hasSubscribers` check, so an unobserved node pays one property read).
 *
 * The trace context flows by itself through `call` and `rpc`: a call made while a trace context is current (an rpc
 * handler, a handler process handling a traced call, code run in {@link withTraceContext}) carries a child of it, so
 * one trace id spans node A's call to B and B's rpc to C. A subscriber to a start event may set `traceparent` on the
 * context object (an OpenTelemetry span's), and that one is sent.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import * as diagnostics from 'node:diagnostics_channel';
import type { Dest } from './messages.js';
import type { Pid } from './terms.js';

/** Names of the runtime's diagnostics channels (TracingChannels publish on `tracing:<name>:start`, ...). */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  /** TracingChannel around every `send` by a process or the node (sync: start, end, error). */
  send: 'kindred:send',
  /** TracingChannel around every `call` (async: start, end, asyncStart, asyncEnd, error). */
  call: 'kindred:call',
  /** TracingChannel around every `rpc`. */
  rpc: 'kindred:rpc',
  /** TracingChannel around every `spawnOn`. */
  spawnOn: 'kindred:spawnOn',
  /** A connection to a peer is up ({@link NodeupEvent}). */
  nodeup: 'kindred:nodeup',
  /** A connection to a peer went down ({@link NodedownEvent}). */
  nodedown: 'kindred:nodedown',
});

/** The context object of a `kindred:send` trace. */
export interface SendTraceContext {
  /** The node sending. */
  readonly node: string;
  /** The sending process (the node's system pid for `node.send`). */
  readonly from: Pid;
  readonly dest: Dest;
  readonly message: unknown;
}

/** The context object of a `kindred:call` trace. */
export interface CallTraceContext {
  /** The node calling. */
  readonly node: string;
  readonly dest: Dest;
  readonly request: unknown;
  readonly timeoutMs: number;
  /** The trace context current when the call was made, if any. */
  readonly parent: string | undefined;
  /** The `traceparent` the call carries: a child of `parent`, or a new trace; a start subscriber may replace it. */
  traceparent: string | undefined;
  /** Set by TracingChannel: the reply, or the error. */
  result?: unknown;
  error?: unknown;
}

/** The context object of a `kindred:rpc` trace. */
export interface RpcTraceContext {
  /** The node calling. */
  readonly node: string;
  /** The node called. */
  readonly target: string;
  readonly handler: string;
  readonly args: readonly unknown[];
  readonly parent: string | undefined;
  /** The trace context the rpc runs in (its call carries a child of it); a start subscriber may replace it. */
  traceparent: string | undefined;
  result?: unknown;
  error?: unknown;
}

/** The context object of a `kindred:spawnOn` trace. */
export interface SpawnOnTraceContext {
  readonly node: string;
  readonly target: string;
  readonly name: string;
  readonly args: readonly unknown[];
  result?: unknown;
  error?: unknown;
}

/** Published on `kindred:nodeup`. */
export interface NodeupEvent {
  /** This node. */
  readonly node: string;
  /** The peer. */
  readonly peer: string;
  readonly hidden: boolean;
}

/** Published on `kindred:nodedown`. */
export interface NodedownEvent {
  readonly node: string;
  readonly peer: string;
  /** Erlang's nodedown reason (`connection_closed`, `net_tick_timeout`, `disconnect`, ...). */
  readonly reason: unknown;
}

/** @internal */
export const sendTrace = diagnostics.tracingChannel<string, SendTraceContext>(DIAGNOSTICS_CHANNELS.send);
/** @internal */
export const callTrace = diagnostics.tracingChannel<string, CallTraceContext>(DIAGNOSTICS_CHANNELS.call);
/** @internal */
export const rpcTrace = diagnostics.tracingChannel<string, RpcTraceContext>(DIAGNOSTICS_CHANNELS.rpc);
/** @internal */
export const spawnOnTrace = diagnostics.tracingChannel<string, SpawnOnTraceContext>(
  DIAGNOSTICS_CHANNELS.spawnOn,
);
/** @internal */
export const nodeupChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.nodeup);
/** @internal */
export const nodedownChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.nodedown);

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * True for a W3C `traceparent` of version 00 (`00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, ids not all
 * zero). A peer's value is used only when this holds; anything else is ignored, as W3C says a receiver must.
 */
export function isTraceparent(v: unknown): v is string {
  if (typeof v !== 'string' || v.length !== 55) return false;
  const m = TRACEPARENT.exec(v);
  return m !== null && m[1] !== ZERO_TRACE && m[2] !== ZERO_SPAN;
}

/** The trace id of a valid `traceparent`. */
export function traceIdOf(traceparent: string): string {
  return traceparent.slice(3, 35);
}

/** A child of `parent` (same trace id and flags, a new span id), or the root of a new sampled trace. */
export function childTraceparent(parent?: string): string {
  const span = randomBytes(8).toString('hex');
  if (parent !== undefined && isTraceparent(parent))
    return `00-${traceIdOf(parent)}-${span}-${parent.slice(53)}`;
  return `00-${randomBytes(16).toString('hex')}-${span}-01`;
}

const traceStore = new AsyncLocalStorage<string>();

/** The trace context current here (set by the runtime for rpc handlers and traced calls, or by {@link withTraceContext}). */
export function currentTraceparent(): string | undefined {
  return traceStore.getStore();
}

/**
 * Runs `fn` with `traceparent` as the current trace context: a `call` or `rpc` made inside (also after awaits)
 * carries a child of it. An invalid `traceparent` runs `fn` without one. For receive loops, which handle a call
 * message the runtime cannot wrap: `withTraceContext(msg.traceparent, () => handle(msg))`.
 */
export function withTraceContext<R>(traceparent: string | undefined, fn: () => R): R {
  return isTraceparent(traceparent) ? traceStore.run(traceparent, fn) : traceStore.exit(fn);
}
