/**
 * Remote calls and spawns: `expose`/`rpc` through the `rex` server (Erlang's rpc.erl), `exposeSpawn`/`spawnOn`
 * (SPAWN_REQUEST/SPAWN_REPLY), and `call` (gen_server:call) that both build on.
 * @internal
 */
import { KindredError } from '@kindred/dns';
import type { CallOptions, ProcessContext } from './api.js';
import { OP } from './control.js';
import { type Core, isName, type RpcPart } from './core.js';
import { RUNTIME_DEFAULTS } from './defaults.js';
import {
  type CallTraceContext,
  callTrace,
  childTraceparent,
  currentTraceparent,
  isTraceparent,
  type RpcTraceContext,
  rpcTrace,
  type SpawnOnTraceContext,
  spawnOnTrace,
  withTraceContext,
} from './diagnostics.js';
import { abortedError, badOption, formatTerm, RUNTIME_ERRORS } from './errors.js';
import { checkMessage, MESSAGE_DEPTH } from './message-check.js';
import {
  type CallMessage,
  crashReason,
  type Dest,
  type From,
  isDownMessage,
  isReplyMessage,
  TIMEOUT,
} from './messages.js';
import { callsOf, exitedRejection, type Proc } from './process.js';
import { type Pid, type Ref, refEquals, refKey, toPid, toRef } from './terms.js';

function spawnFailed(node: string, name: string, reason: string): KindredError {
  return new KindredError(
    RUNTIME_ERRORS.SPAWN_FAILED,
    `Could not spawn ${formatTerm(name, 100)} on ${formatTerm(node, 260)} (${formatTerm(reason, 100)}).`,
    { details: { node, name, reason } },
  );
}

interface SpawnRequest {
  node: string;
  name: string;
  resolve: (p: Pid) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** @internal See the module comment. */
export class Rpc implements RpcPart {
  readonly #core: Core;
  readonly #handlers = new Map<string, (...args: never[]) => unknown>();
  readonly #spawnables = new Map<string, (ctx: ProcessContext, ...args: unknown[]) => unknown>();
  readonly #requests = new Map<string, SpawnRequest>();
  #rex: Proc | undefined = undefined;

  constructor(core: Core) {
    this.#core = core;
  }

  get rex(): Proc | undefined {
    return this.#rex;
  }

  rexDied(reason: unknown): void {
    // rpc must outlive its server: a peer can exit(rex, kill) or send it anything (Erlang's kernel supervisor
    // restarts rex the same way). Restarted here, synchronously, so the name is never free for others to take.
    this.#rex = undefined;
    const core = this.#core;
    if (!core.stopping && !core.stopped) {
      core.stats.rexRestarts++;
      core.log.warn({ reason: formatTerm(reason) }, 'rpc server rex died; restarted');
      this.startRex();
    }
  }

  spawnable(name: string): ((ctx: ProcessContext, ...args: unknown[]) => unknown) | undefined {
    return this.#spawnables.get(name);
  }

  requestNode(k: string): string | undefined {
    return this.#requests.get(k)?.node;
  }

  nodeDown(node: string): void {
    for (const [k, r] of this.#requests) if (r.node === node) this.spawnReply(k, 'noconnection');
  }

  /** Rejects every pending spawn request with `error` (stop). */
  clear(error: Error): void {
    for (const r of this.#requests.values()) {
      clearTimeout(r.timer);
      r.reject(error);
    }
    this.#requests.clear();
  }

  /**
   * A call from process p, or (p undefined, or a signal given) from a short-lived process of its own, linked to p
   * while it waits: when the caller gives up (signal aborted, timeout) that process exits with
   * `{ callAbandoned: 'aborted' | 'timeout' }`, so a callee monitoring `from.pid` learns it (OTP's gen:call
   * monitors the callee; the callee monitoring its caller is the other half).
   * Traced on `kindred:call`; the call carries a child of the caller's trace context (taken now, before a process
   * of its own runs), if there is one.
   */
  call(p: Proc | undefined, dest: Dest, request: unknown, opts?: number | CallOptions): Promise<unknown> {
    let t: number | undefined;
    let signal: AbortSignal | undefined;
    if (typeof opts === 'object' && opts !== null) {
      t = opts.timeoutMs;
      signal = opts.signal;
    } else t = opts;
    t ??= this.#core.opts.callTimeoutMs;
    if (!(t >= 0 && (Number.isFinite(t) || t === Number.POSITIVE_INFINITY))) {
      return Promise.reject(badOption('timeoutMs', 'a number >= 0 or Infinity', t));
    }
    try {
      checkMessage(request, MESSAGE_DEPTH.call, this.#core.opts.wireClasses);
    } catch (err) {
      return Promise.reject(err);
    }
    const from = currentTraceparent();
    if (!callTrace.hasSubscribers) {
      return this.#start(
        p,
        dest,
        request,
        t,
        signal,
        from === undefined ? undefined : childTraceparent(from),
      );
    }
    const ctx: CallTraceContext = {
      node: this.#core.name,
      dest,
      request,
      timeoutMs: t,
      parent: from,
      traceparent: childTraceparent(from),
    };
    const timeoutMs = t;
    return callTrace.tracePromise(
      () =>
        this.#start(
          p,
          dest,
          request,
          timeoutMs,
          signal,
          isTraceparent(ctx.traceparent) ? ctx.traceparent : undefined,
        ),
      ctx,
    );
  }

  /** The call of {@link call}, from p itself or from a process of its own. */
  #start(
    p: Proc | undefined,
    dest: Dest,
    request: unknown,
    t: number,
    signal: AbortSignal | undefined,
    traceparent: string | undefined,
  ): Promise<unknown> {
    if (p !== undefined && signal === undefined)
      return this.#callFrom(p, dest, request, t, undefined, traceparent);
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (p !== undefined && !p.alive) return exitedRejection(p.exitReason);
    const core = this.#core;
    const timeoutMs = t;
    return new Promise<unknown>((resolve, reject) => {
      const h: Proc = core.spawn(async () => {
        try {
          resolve(await this.#callFrom(h, dest, request, timeoutMs, signal, traceparent));
          if (p !== undefined) core.signals.unlink(h, p.self);
        } catch (err) {
          reject(err);
          if (p !== undefined) core.signals.unlink(h, p.self);
          const code = (err as { code?: unknown }).code;
          if (code === RUNTIME_ERRORS.ABORTED || code === RUNTIME_ERRORS.CALL_TIMEOUT) {
            h.exit({ callAbandoned: code === RUNTIME_ERRORS.ABORTED ? 'aborted' : 'timeout' });
          }
        }
      });
      // The call process dies with its caller, so a callee monitoring it learns that too.
      if (p !== undefined) core.signals.link(h, p.self);
    });
  }

  /** gen_server:call from process p: guarded by a monitor, answered by the reply with its ref. */
  async #callFrom(
    p: Proc,
    dest: Dest,
    request: unknown,
    t: number,
    signal: AbortSignal | undefined,
    traceparent: string | undefined,
  ): Promise<unknown> {
    const ref = this.#core.signals.monitor(p, dest);
    const k = refKey(ref);
    callsOf(p).add(k);
    try {
      // `traceparent` only when there is one: an untraced call is the same map as before it existed.
      this.#core.send(
        p.self,
        dest,
        (traceparent === undefined
          ? { type: '$gen_call', from: { pid: p.self, ref }, request }
          : { type: '$gen_call', from: { pid: p.self, ref }, request, traceparent }) satisfies CallMessage,
      );
      const m = await p.receive(
        (x) => (isReplyMessage(x) || isDownMessage(x)) && refEquals((x as { ref: Ref }).ref, ref),
        { timeoutMs: t, signal },
      );
      if (m === TIMEOUT) {
        throw new KindredError(
          RUNTIME_ERRORS.CALL_TIMEOUT,
          `No reply within ${t} ms; the callee may be busy or stuck.`,
          {
            details: { timeoutMs: t },
          },
        );
      }
      if (isDownMessage(m)) {
        throw new KindredError(
          RUNTIME_ERRORS.CALL_EXIT,
          `The callee exited before replying (reason ${formatTerm(m.reason)}).`,
          { details: { reason: m.reason } },
        );
      }
      return (m as { reply: unknown }).reply;
    } finally {
      p.calls?.delete(k);
      if (p.alive) p.demonitor(ref, { flush: true });
    }
  }

  /**
   * Makes `fn` callable by `rpc(thisNode, name, args)` from any node. It runs in its own process per call; its result
   * must be plain data (docs/semantics.md, "What a message may hold"), else the caller gets KINDRED_ERR_RPC_FAILED.
   */
  expose(name: string, fn: (...args: never[]) => unknown): void {
    if (!isName(name)) throw badOption('name', 'a string of 1-255 characters', name);
    if (typeof fn !== 'function') throw badOption('fn', 'a function', typeof fn);
    this.#handlers.set(name, fn);
  }

  /**
   * Makes `fn` spawnable from other nodes as a process body: `spawnOn(thisNode, name, args)` runs
   * `fn(ctx, ...args)` in a new process here (Erlang's spawn/4 with the function named, as code cannot travel).
   */
  exposeSpawn(name: string, fn: (ctx: ProcessContext, ...args: never[]) => unknown): void {
    if (!isName(name)) throw badOption('name', 'a string of 1-255 characters', name);
    if (typeof fn !== 'function') throw badOption('fn', 'a function', typeof fn);
    this.#spawnables.set(name, fn as (ctx: ProcessContext, ...args: unknown[]) => unknown);
  }

  /**
   * Spawns the body `name` exposed with `exposeSpawn` on `node` with `args` (SPAWN_REQUEST/SPAWN_REPLY); resolves
   * with the new pid. Rejects with `KINDRED_ERR_SPAWN_FAILED` (`details.reason`: `undef` when `node` exposes no such
   * body, `noconnection` when the node is lost, `timeout`).
   */
  spawnOn(node: string, name: string, args: readonly unknown[] = [], timeoutMs?: number): Promise<Pid> {
    try {
      checkMessage(args, MESSAGE_DEPTH.send, this.#core.opts.wireClasses);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!spawnOnTrace.hasSubscribers) return this.#spawnOn(node, name, args, timeoutMs);
    const ctx: SpawnOnTraceContext = { node: this.#core.name, target: node, name, args };
    return spawnOnTrace.tracePromise(() => this.#spawnOn(node, name, args, timeoutMs), ctx);
  }

  #spawnOn(
    node: string,
    name: string,
    args: readonly unknown[],
    timeoutMs: number | undefined,
  ): Promise<Pid> {
    const t = timeoutMs ?? this.#core.opts.callTimeoutMs;
    if (node === this.#core.name) {
      const fn = this.#spawnables.get(name);
      if (!fn) return Promise.reject(spawnFailed(node, name, 'undef'));
      return Promise.resolve(this.#core.spawn((ctx) => fn(ctx, ...args)).self);
    }
    const ref = this.#core.makeRef();
    const k = refKey(ref);
    return new Promise<Pid>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#requests.delete(k);
        reject(spawnFailed(node, name, 'timeout'));
      }, t);
      this.#requests.set(k, { node, name, resolve, reject, timer });
      try {
        this.#core.peers.sendControl(node, [
          [
            OP.SPAWN_REQUEST,
            ref,
            this.#core.systemPid,
            this.#core.systemPid,
            ['kindred', name, args.length],
            [],
          ],
          args,
        ]);
      } catch (err) {
        clearTimeout(timer);
        this.#requests.delete(k);
        reject(err);
      }
    });
  }

  spawnReply(k: string, result: unknown): void {
    const r = this.#requests.get(k);
    if (!r) return;
    this.#requests.delete(k);
    clearTimeout(r.timer);
    const pid = toPid(result);
    if (pid) r.resolve(pid);
    else r.reject(spawnFailed(r.node, r.name, typeof result === 'string' ? result : 'badarg'));
  }

  /** Stops exposing a handler. */
  unexpose(name: string): void {
    this.#handlers.delete(name);
  }

  /** Calls handler `handler` exposed by `node` with `args` (Erlang's rpc:call through the `rex` server). */
  rpc<R = unknown>(
    node: string,
    handler: string,
    args: readonly unknown[] = [],
    opts?: number | CallOptions,
  ): Promise<R> {
    if (!rpcTrace.hasSubscribers) return this.#rpc<R>(node, handler, args, opts);
    const parent = currentTraceparent();
    const ctx: RpcTraceContext = {
      node: this.#core.name,
      target: node,
      handler,
      args,
      parent,
      traceparent: childTraceparent(parent),
    };
    // The rpc's span is the current context of its call, so the call is its child.
    return rpcTrace.tracePromise(
      () => withTraceContext(ctx.traceparent, () => this.#rpc<R>(node, handler, args, opts)),
      ctx,
    );
  }

  async #rpc<R>(
    node: string,
    handler: string,
    args: readonly unknown[],
    opts: number | CallOptions | undefined,
  ): Promise<R> {
    const o = typeof opts === 'object' && opts !== null ? opts : { timeoutMs: opts };
    const reply = (await this.call(
      undefined,
      { name: RUNTIME_DEFAULTS.rpcServerName, node },
      { handler, args },
      { timeoutMs: o.timeoutMs ?? this.#core.opts.rpcTimeoutMs, signal: o.signal },
    )) as { ok: boolean; value?: unknown; error?: { error?: string; message?: string; code?: string } };
    if (reply?.ok) return reply.value as R;
    const e = typeof reply?.error === 'object' && reply.error !== null ? reply.error : {};
    if (e.code === RUNTIME_ERRORS.RPC_UNKNOWN_HANDLER) {
      throw new KindredError(
        RUNTIME_ERRORS.RPC_UNKNOWN_HANDLER,
        `Node ${formatTerm(node, 260)} exposes no handler ${formatTerm(handler, 100)}.`,
        {
          details: { node, handler },
        },
      );
    }
    throw new KindredError(
      RUNTIME_ERRORS.RPC_FAILED,
      `Handler ${formatTerm(handler, 100)} on ${node} failed: ${typeof e.message === 'string' ? e.message.slice(0, 500) : formatTerm(e.message ?? 'error')}`,
      {
        details: { node, handler, error: e },
      },
    );
  }

  startRex(): void {
    const handlers = this.#handlers;
    this.#rex = this.#core.spawn(
      // Named, so observe shows its current function as `rex`.
      async function rex(ctx) {
        for (;;) {
          const m = (await ctx.receive()) as CallMessage<{ handler?: unknown; args?: unknown }>;
          if (m?.type !== '$gen_call') continue;
          // Whatever a peer sent: a call without a pid and ref to answer is ignored, not a crash of rex.
          const pid = toPid(m.from?.pid);
          const ref = toRef(m.from?.ref);
          if (pid === undefined || ref === undefined) continue;
          const from: From = { pid, ref };
          const request = m.request;
          const fn = typeof request?.handler === 'string' ? handlers.get(request.handler) : undefined;
          if (!fn) {
            ctx.reply(from, {
              ok: false,
              error: { error: 'undef', message: 'unknown handler', code: RUNTIME_ERRORS.RPC_UNKNOWN_HANDLER },
            });
            continue;
          }
          const args = Array.isArray(request.args) ? request.args : [];
          // A peer's traceparent is used only when valid; the handler runs in it, so its calls continue the trace.
          const trace = isTraceparent(m.traceparent) ? m.traceparent : undefined;
          ctx.spawn(async (w) => {
            try {
              const run = (fn as (...a: unknown[]) => unknown).bind(undefined, ...args);
              w.reply(from, { ok: true, value: await withTraceContext(trace, run) });
            } catch (err) {
              w.reply(from, { ok: false, error: crashReason(err) });
            }
          });
        }
      },
      { name: RUNTIME_DEFAULTS.rpcServerName },
    );
  }
}
