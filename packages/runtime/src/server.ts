/**
 * A server behaviour, gen_server's shape: `init(args)` makes the state, `handleCall` answers requests (now, later
 * with `ctx.reply(from, value)`, or by stopping), `handleCast` and `handleInfo` take the rest, `terminate` runs when
 * the server stops, crashes in a callback, or (trapping exits) its parent exits. A server is a `spawnHandler`
 * process whose handler is one function bound to a small record (behaviour, state, parent): idle it costs what an
 * idle handler process costs plus that record (bench/local.mjs `server`). Calls use the runtime's `$gen_call`, so
 * they work from any node, and a {@link ServerRef} carries the call types to callers.
 */
import { KindredError } from '@kindred/dns';
import type { NodeApi, ProcessContext, SpawnOptions } from './api.js';
import { formatTerm, ProcessExitedError, RUNTIME_ERRORS } from './errors.js';
import { internalToken } from './message-check.js';
import {
  type CallMessage,
  crashReason,
  type Dest,
  type From,
  isCallMessage,
  isExitMessage,
} from './messages.js';
import type { CallSpec, ServerRef } from './server-ref.js';
import { type Pid, pidEquals, toPid, toRef } from './terms.js';

/** What `init` returns: the first state, or `{ stop: reason }` (the start fails and the process exits `reason`). */
export type InitResult<S> = { readonly state: S } | { readonly stop: unknown };

/**
 * What `handleCall` returns: `{ reply, state }` answers now; `{ noreply: true, state }` answers later with
 * `ctx.reply(from, value)` (or never); `{ stop, reply?, state }` stops the server with reason `stop` (after
 * `terminate`, then the reply if given, as gen_server does).
 */
export type CallResult<R, S> =
  | { readonly reply: R; readonly state: S }
  | { readonly noreply: true; readonly state: S }
  | { readonly stop: unknown; readonly reply?: R; readonly state: S };

/** What `handleCast` and `handleInfo` return: the next state, or `{ stop, state }`. */
export type CastResult<S> = { readonly state: S } | { readonly stop: unknown; readonly state: S };

type Maybe<T> = T | Promise<T>;

/**
 * The callbacks of a server with start arguments `A`, state `S`, calls `C` (a union of `{ request, reply }`) and
 * casts `K`. Each callback gets the server's `ctx` last. A callback that throws ends the server: `terminate` runs
 * with the crash reason, then the process exits with it.
 */
export interface ServerBehaviour<A, S, C extends CallSpec = CallSpec, K = unknown> {
  /** Makes the first state (may be async; `startServer` waits for it). */
  init(args: A, ctx: ProcessContext): Maybe<InitResult<S>>;
  /** Answers a call. Without it, a call crashes the server with `bad_call` (gen_server's default). */
  handleCall?(
    request: C['request'],
    from: From,
    state: S,
    ctx: ProcessContext,
  ): Maybe<CallResult<C['reply'], S>>;
  /** Takes a cast (`cast(ref, msg)`); without it casts are dropped. */
  handleCast?(msg: K, state: S, ctx: ProcessContext): Maybe<CastResult<S>>;
  /** Takes any other message (EXIT of a non-parent, DOWN, timers, plain sends); without it they are dropped. */
  handleInfo?(msg: unknown, state: S, ctx: ProcessContext): Maybe<CastResult<S>>;
  /** Runs once when the server stops with `reason` (not when it is killed: JavaScript cannot pre-empt). */
  terminate?(reason: unknown, state: S, ctx: ProcessContext): unknown;
}

/** Options of {@link startServer}. */
export interface StartServerOptions
  extends Pick<SpawnOptions, 'name' | 'maxMailboxSize' | 'maxMailboxBytes'> {
  /** Link the server to the starting process (gen_server:start_link); default true from a process, false from a node. */
  readonly link?: boolean;
  /** Start trapping exits (so `terminate` runs when the parent exits); `ctx.trapExit` in `init` does the same. */
  readonly trapExit?: boolean;
  /** How long `init` may take; past it the server is killed and the start fails. Default `Infinity`. */
  readonly timeoutMs?: number;
}

/** A cast: gen_server's `{'$gen_cast', Msg}`. */
export interface CastMessage<T = unknown> {
  readonly type: '$gen_cast';
  readonly request: T;
}

/** True for a {@link CastMessage}. */
export const isCastMessage = (m: unknown): m is CastMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === '$gen_cast';

/** @internal The message `stopServer` sends (gen_server:stop's system message); supervisors take it too. */
export interface StopMessage {
  readonly type: '$gen_stop';
  readonly reason: unknown;
}
/** @internal True for a {@link StopMessage}. */
export const isStopMessage = (m: unknown): m is StopMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === '$gen_stop';

/** The first message a server handles: its init, sent by the starter right after the spawn. */
const INIT = internalToken('kindred.server.init');

/**
 * A start waiting for init: what startServer's promise settles with. A class with methods rather than closures (a
 * million servers started at once hold a million of these until their inits ran).
 */
class Pending {
  readonly args: unknown;
  resolve: (pid: unknown) => void;
  reject: (err: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  pid: Pid | undefined = undefined;
  constructor(args: unknown) {
    this.args = args;
    capturedPromise = new Promise(captureSettle);
    this.resolve = capturedResolve!;
    this.reject = capturedReject!;
  }
  /** init returned a state. */
  ok(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.resolve(this.pid);
  }
  /** init failed with `reason` (or the start timed out). */
  fail(reason: unknown): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.reject(
      new KindredError(
        RUNTIME_ERRORS.SERVER_START_FAILED,
        `The server's init failed (reason ${formatTerm(reason)}).`,
        { details: { reason } },
      ),
    );
  }
}

let capturedResolve: ((v: unknown) => void) | undefined;
let capturedReject: ((e: unknown) => void) | undefined;
let capturedPromise: Promise<unknown> | undefined;
/** One shared executor hands the resolving functions over (no closure per start). */
function captureSettle(resolve: (v: unknown) => void, reject: (e: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

class ServerBox {
  readonly b: ServerBehaviour<unknown, unknown>;
  readonly parent: Pid | undefined;
  s: unknown = undefined;
  pending: Pending | undefined;
  constructor(b: ServerBehaviour<unknown, unknown>, parent: Pid | undefined, pending: Pending) {
    this.b = b;
    this.parent = parent;
    this.pending = pending;
  }
}

/** The handler of every server process (bound to its box: no closure per server). */
function serverStep(this: ServerBox, msg: unknown, ctx: ProcessContext): unknown {
  if (msg === INIT && this.pending !== undefined) return runInit(this, ctx);
  const b = this.b;
  try {
    if (isCallMessage(msg)) {
      const pid = toPid(msg.from?.pid);
      const ref = toRef(msg.from?.ref);
      // Whatever a peer sent: a call without a pid and ref to answer is dropped, as rex drops it.
      if (pid === undefined || ref === undefined) return undefined;
      const from: From = { pid, ref };
      if (b.handleCall === undefined) throw badCall(msg);
      return then(
        b.handleCall(msg.request, from, this.s, ctx),
        (r) => afterCall(this, r, from, ctx),
        this,
        ctx,
      );
    }
    if (isCastMessage(msg)) {
      if (b.handleCast === undefined) return undefined;
      return then(b.handleCast(msg.request, this.s, ctx), (r) => afterCast(this, r, ctx), this, ctx);
    }
    if (isStopMessage(msg)) return stop(this, msg.reason, ctx);
    if (isExitMessage(msg) && this.parent !== undefined && pidEquals(msg.from, this.parent)) {
      // gen_server: an exit signal from the parent, trapped, ends the server with the parent's reason.
      return stop(this, msg.reason, ctx);
    }
    if (b.handleInfo === undefined) return undefined;
    return then(b.handleInfo(msg, this.s, ctx), (r) => afterCast(this, r, ctx), this, ctx);
  } catch (err) {
    return crash(this, err, ctx);
  }
}

function badCall(msg: CallMessage): KindredError {
  return new KindredError(RUNTIME_ERRORS.SERVER_START_FAILED, 'This server has no handleCall.', {
    details: { reason: 'bad_call', request: formatTerm(msg.request) },
  });
}

/** Runs `k` on a callback's result, at once or when its promise settles; a rejection crashes the server. */
function then<T>(r: Maybe<T>, k: (v: T) => unknown, box: ServerBox, ctx: ProcessContext): unknown {
  if (r instanceof Promise) return r.then(k, (err: unknown) => crash(box, err, ctx));
  return k(r);
}

function afterCall(
  box: ServerBox,
  r: CallResult<unknown, unknown>,
  from: From,
  ctx: ProcessContext,
): unknown {
  if (typeof r !== 'object' || r === null) return crash(box, badReturn('handleCall', r), ctx);
  box.s = r.state;
  if ('stop' in r) {
    const done = stop(box, r.stop, ctx, () => {
      if ('reply' in r) ctx.reply(from, r.reply);
    });
    return done;
  }
  if (!('noreply' in r)) ctx.reply(from, r.reply);
  return undefined;
}

function afterCast(box: ServerBox, r: CastResult<unknown>, ctx: ProcessContext): unknown {
  if (typeof r !== 'object' || r === null) return crash(box, badReturn('a callback', r), ctx);
  box.s = r.state;
  if ('stop' in r) return stop(box, r.stop, ctx);
  return undefined;
}

function badReturn(callback: string, r: unknown): KindredError {
  return new KindredError(
    RUNTIME_ERRORS.SERVER_START_FAILED,
    `${callback} returned ${formatTerm(r)}; return { state }, { reply, state }, { noreply, state } or { stop, state }.`,
    { details: { reason: 'bad_return_value' } },
  );
}

/** Stops the server: `terminate(reason)`, then `after` (a stop's reply), then the exit with `reason`. */
function stop(box: ServerBox, reason: unknown, ctx: ProcessContext, after?: () => void): unknown {
  const t = box.b.terminate;
  const finish = (): never => {
    after?.();
    return ctx.exit(reason);
  };
  if (t === undefined) return finish();
  const r = t.call(box.b, reason, box.s, ctx);
  if (r instanceof Promise) return r.then(finish);
  return finish();
}

/** A callback threw: `terminate` with the crash reason, then the error goes on to end the process (and be logged). */
function crash(box: ServerBox, err: unknown, ctx: ProcessContext): never | Promise<never> {
  if (err instanceof ProcessExitedError) throw err;
  const t = box.b.terminate;
  if (t === undefined) throw err;
  const r = t.call(box.b, crashReason(err), box.s, ctx);
  if (r instanceof Promise) {
    return r.then(() => {
      throw err;
    });
  }
  throw err;
}

function runInit(box: ServerBox, ctx: ProcessContext): unknown {
  const p = box.pending!;
  box.pending = undefined;
  let r: Maybe<InitResult<unknown>>;
  try {
    r = box.b.init(p.args, ctx);
  } catch (err) {
    return initFailed(p, ctx, err);
  }
  if (r instanceof Promise) {
    return r.then(
      (v: InitResult<unknown>) => initDone(box, p, ctx, v),
      (err: unknown) => initFailed(p, ctx, err),
    );
  }
  return initDone(box, p, ctx, r);
}

function initFail(p: Pending, ctx: ProcessContext, reason: unknown, err?: unknown): never {
  p.fail(reason);
  if (err !== undefined) throw err;
  return ctx.exit(reason);
}

function initDone(box: ServerBox, p: Pending, ctx: ProcessContext, r: InitResult<unknown>): unknown {
  if (typeof r !== 'object' || r === null)
    return initFail(p, ctx, { error: 'bad_return_value', value: formatTerm(r) });
  if ('stop' in r) return initFail(p, ctx, r.stop);
  // Killed while an async init was awaiting something other than receive: it ran on, but the server is gone.
  if (!ctx.node.isAlive(ctx.self)) return initFail(p, ctx, 'noproc');
  box.s = r.state;
  p.ok();
  return undefined;
}

function initFailed(p: Pending, ctx: ProcessContext, err: unknown): never {
  if (err instanceof ProcessExitedError) return initFail(p, ctx, err.reason, err);
  return initFail(p, ctx, crashReason(err), err);
}

/** startServer's timeout: the init did not finish in time; the server is killed and the start fails. */
function initTimedOut(box: ServerBox, p: Pending, node: NodeApi): void {
  if (box.pending === undefined) return;
  box.pending = undefined;
  node.exit(p.pid!, 'kill');
  p.fail('timeout');
}

function isContext(c: ProcessContext | NodeApi): c is ProcessContext {
  return (c as ProcessContext).self !== undefined;
}

/**
 * Starts a server running `behaviour` with `args` (gen_server:start_link from a process, gen_server:start from a
 * node) and resolves once `init` returned its state, with the server's pid typed as a {@link ServerRef}. Rejects
 * with `KINDRED_ERR_SERVER_START_FAILED` (`details.reason`) when `init` returns `{ stop }`, throws or times out; the
 * process then exits with that reason (a linked starter that does not trap exits dies with it, as in Erlang).
 */
export function startServer<A, S, C extends CallSpec, K>(
  caller: ProcessContext | NodeApi,
  behaviour: ServerBehaviour<A, S, C, K>,
  args: A,
  opts: StartServerOptions = {},
): Promise<ServerRef<C, K>> {
  const fromProcess = isContext(caller);
  const link = opts.link ?? fromProcess;
  const parent = fromProcess ? caller.self : undefined;
  const pending = new Pending(args);
  const started = capturedPromise as Promise<ServerRef<C, K>>;
  capturedPromise = undefined;
  try {
    const box = new ServerBox(
      behaviour as ServerBehaviour<unknown, unknown>,
      link ? parent : undefined,
      pending,
    );
    const spawnOpts =
      opts.name === undefined &&
      opts.trapExit === undefined &&
      opts.maxMailboxSize === undefined &&
      opts.maxMailboxBytes === undefined
        ? undefined
        : {
            name: opts.name,
            trapExit: opts.trapExit,
            maxMailboxSize: opts.maxMailboxSize,
            maxMailboxBytes: opts.maxMailboxBytes,
          };
    const handler = serverStep.bind(box) as (msg: unknown, ctx: ProcessContext) => unknown;
    const pid = fromProcess
      ? caller.spawnHandler(handler, { ...spawnOpts, link })
      : caller.spawnHandler(handler, spawnOpts);
    pending.pid = pid;
    caller.send(pid, INIT);
    const t = opts.timeoutMs ?? Number.POSITIVE_INFINITY;
    if (Number.isFinite(t)) {
      pending.timer = setTimeout(initTimedOut, t, box, pending, fromProcess ? caller.node : caller);
    }
  } catch (err) {
    // As before: a start that cannot begin (a bad option, a taken name) rejects, it does not throw.
    pending.reject(err);
  }
  return started;
}

/** Sends `msg` as a cast (gen_server:cast): no reply, dropped if the server is not there. */
export function cast<C extends CallSpec, K>(
  caller: ProcessContext | NodeApi,
  ref: ServerRef<C, K>,
  msg: K,
): void {
  caller.send(ref as Dest, { type: '$gen_cast', request: msg } satisfies CastMessage<K>);
}

/**
 * Stops a server (gen_server:stop): it runs `terminate(reason)` and exits with `reason` (default `normal`); resolves
 * when it is gone. Rejects with `KINDRED_ERR_CALL_EXIT` when it was not running, or exited with another reason.
 */
export async function stopServer(
  caller: ProcessContext | NodeApi,
  ref: Dest,
  reason: unknown = 'normal',
): Promise<void> {
  const node = isContext(caller) ? caller.node : caller;
  const { down } = node.monitor(ref);
  node.send(ref, { type: '$gen_stop', reason } satisfies StopMessage);
  const m = await down;
  if (m.reason !== reason) {
    throw new KindredError(
      RUNTIME_ERRORS.CALL_EXIT,
      `The server exited with ${formatTerm(m.reason)} instead of stopping.`,
      { details: { reason: m.reason } },
    );
  }
}
