/**
 * Remote calls and spawns: `expose`/`rpc` through the `rex` server (Erlang's rpc.erl), `exposeSpawn`/`spawnOn`
 * (SPAWN_REQUEST/SPAWN_REPLY), and `call` (gen_server:call) that both build on.
 * @internal
 */
import { KindredError } from '@kindred/dns';
import type { ProcessContext } from './api.js';
import { OP } from './control.js';
import { type Core, isName, type RpcPart } from './core.js';
import { RUNTIME_DEFAULTS } from './defaults.js';
import { badOption, formatTerm, RUNTIME_ERRORS } from './errors.js';
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
import { callsOf, type Proc } from './process.js';
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

  /** A call from process p (gen_server:call): guarded by a monitor, answered by the reply with its ref. */
  async call(p: Proc, dest: Dest, request: unknown, timeoutMs?: number): Promise<unknown> {
    const t = timeoutMs ?? this.#core.opts.callTimeoutMs;
    if (!(t >= 0 && (Number.isFinite(t) || t === Number.POSITIVE_INFINITY))) {
      throw badOption('timeoutMs', 'a number >= 0 or Infinity', t);
    }
    checkMessage(request, MESSAGE_DEPTH.call);
    const ref = this.#core.signals.monitor(p, dest);
    const k = refKey(ref);
    callsOf(p).add(k);
    try {
      this.#core.send(p.self, dest, {
        type: '$gen_call',
        from: { pid: p.self, ref },
        request,
      } satisfies CallMessage);
      const m = await p.receive(
        (x) => (isReplyMessage(x) || isDownMessage(x)) && refEquals((x as { ref: Ref }).ref, ref),
        t,
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
      checkMessage(args, MESSAGE_DEPTH.send);
    } catch (err) {
      return Promise.reject(err);
    }
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
  async rpc<R = unknown>(
    node: string,
    handler: string,
    args: readonly unknown[] = [],
    timeoutMs?: number,
  ): Promise<R> {
    const reply = (await this.#core.api.call(
      { name: RUNTIME_DEFAULTS.rpcServerName, node },
      { handler, args },
      timeoutMs ?? this.#core.opts.rpcTimeoutMs,
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
      async (ctx) => {
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
          ctx.spawn(async (w) => {
            try {
              w.reply(from, { ok: true, value: await (fn as (...a: unknown[]) => unknown)(...args) });
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
