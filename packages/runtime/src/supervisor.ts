/**
 * Supervisors with OTP's semantics (supervisor.erl): child specs, the four strategies, restart intensity, ordered
 * start and reverse-order shutdown, and the calls that inspect and change the children. A supervisor is a process
 * that traps exits; it handles one thing at a time (a restart, a call), as OTP's does, so a child being shut down
 * blocks it until the child is gone or killed. Requests travel as `$gen_call`s, so the client functions work from
 * any node.
 */
import { KindredError } from '@kindred/dns';
import type { NodeApi, ProcessContext } from './api.js';
import { formatTerm, RUNTIME_ERRORS } from './errors.js';
import { internalMessage } from './message-check.js';
import {
  type CallMessage,
  crashReason,
  type Dest,
  type ExitMessage,
  isCallMessage,
  isExitMessage,
} from './messages.js';
import { isStopMessage } from './server.js';
import { shutdownChild, shutdownMany } from './supervisor-shutdown.js';
import {
  type ChildCounts,
  type ChildInfo,
  type ChildSpec,
  isNormalExit,
  type ResolvedChild,
  resolveChild,
  resolveSpec,
  type StartSupervisorOptions,
  type Strategy,
  type SupervisorSpec,
} from './supervisor-spec.js';
import { Pid, pidEquals, pidKey, toPid, toRef } from './terms.js';

interface Child {
  readonly spec: ResolvedChild;
  pid: Pid | 'restarting' | undefined;
  readonly args: readonly unknown[];
}

/** The requests a supervisor answers. */
type SupRequest =
  | { readonly $sup: 'which' }
  | { readonly $sup: 'count' }
  | { readonly $sup: 'start'; readonly spec?: ChildSpec; readonly args?: readonly unknown[] }
  | { readonly $sup: 'terminate'; readonly id: unknown }
  | { readonly $sup: 'restart'; readonly id: string }
  | { readonly $sup: 'delete'; readonly id: string };

/** A supervisor's answer: a value, or an error to raise in the caller. */
type SupReply =
  | { readonly ok: true; readonly value?: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly details: unknown };

/** A restart that failed, tried again later (OTP's try_again_restart cast). */
interface RetryMessage {
  readonly type: '$sup_retry';
  readonly key: string;
}
const isRetry = (m: unknown): m is RetryMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === '$sup_retry';

/** Raised inside the supervisor to end it: terminate the children, then exit with `reason`. */
class GiveUp {
  readonly reason: unknown;
  constructor(reason: unknown) {
    this.reason = reason;
  }
}

/** The supervisor process's state and behaviour. */
class Supervisor {
  readonly ctx: ProcessContext;
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly periodMs: number;
  readonly parent: Pid | undefined;
  /** Static children in start order. */
  children: Child[] = [];
  /** simple_one_for_one: the template and the dynamic children by pid key (insertion order is start order). */
  readonly template: ResolvedChild | undefined;
  readonly dynamic = new Map<string, Child>();
  restarts: number[] = [];

  constructor(
    ctx: ProcessContext,
    spec: Required<Omit<SupervisorSpec, 'children'>>,
    children: ResolvedChild[],
    parent: Pid | undefined,
  ) {
    this.ctx = ctx;
    this.strategy = spec.strategy;
    this.intensity = spec.intensity;
    this.periodMs = spec.periodMs;
    this.parent = parent;
    if (spec.strategy === 'simple_one_for_one') this.template = children[0];
    else this.children = children.map((s) => ({ spec: s, pid: undefined, args: [] }));
  }

  /** Starts the static children in order; on a failure, stops those started (reverse order) and throws. */
  async init(): Promise<void> {
    for (const c of this.children) {
      const r = await this.startChild(c);
      if (r !== undefined) {
        await this.terminateAll();
        throw childStartFailed(c.spec.id, r.reason);
      }
    }
  }

  /** Starts child c (its pid set); a failure is returned, not thrown. */
  async startChild(c: Child): Promise<{ reason: unknown } | undefined> {
    const ctx = this.ctx;
    let v: unknown;
    try {
      v = await c.spec.start(ctx, ...c.args);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const details = (err as { details?: { reason?: unknown } }).details;
      return { reason: code === RUNTIME_ERRORS.SERVER_START_FAILED ? details?.reason : crashReason(err) };
    }
    if (v === undefined) {
      c.pid = undefined;
      return undefined;
    }
    const pid = toPid(v);
    if (pid === undefined) return { reason: { error: 'bad_start_return', value: formatTerm(v) } };
    c.pid = pid;
    // A child must be linked to its supervisor; linking again is a no-op, and a child already dead is seen as an
    // exit (noproc) like any other.
    ctx.link(pid);
    return undefined;
  }

  /** The child whose pid is `pid`, with its index among the static children (-1 for a dynamic child). */
  find(pid: Pid): { c: Child; i: number } | undefined {
    if (this.template !== undefined) {
      const c = this.dynamic.get(pidKey(pid));
      return c === undefined ? undefined : { c, i: -1 };
    }
    const i = this.children.findIndex((c) => c.pid instanceof Pid && pidEquals(c.pid, pid));
    return i < 0 ? undefined : { c: this.children[i]!, i };
  }

  /** A child exited with `reason` (an EXIT message). */
  async childExited(pid: Pid, reason: unknown): Promise<void> {
    const f = this.find(pid);
    if (f === undefined) return; // not (or no longer) a child: OTP ignores it too
    const { c } = f;
    const restart =
      c.spec.restart === 'permanent' || (c.spec.restart === 'transient' && !isNormalExit(reason));
    if (!restart) {
      this.remove(c, c.spec.restart === 'temporary' || this.template !== undefined);
      return;
    }
    await this.restart(c);
  }

  /** Forgets c's pid; `drop` removes it altogether (temporary and dynamic children). */
  remove(c: Child, drop: boolean): void {
    if (this.template !== undefined) {
      if (c.pid instanceof Pid) this.dynamic.delete(pidKey(c.pid));
      return;
    }
    if (drop) this.children = this.children.filter((x) => x !== c);
    else c.pid = undefined;
  }

  /** Counts a restart; past the intensity, throws GiveUp('shutdown'). */
  addRestart(): void {
    const now = performance.now();
    this.restarts = this.restarts.filter((t) => now - t < this.periodMs);
    this.restarts.push(now);
    if (this.restarts.length > this.intensity) throw new GiveUp('shutdown');
  }

  /** Restarts c, and its siblings as the strategy says. */
  async restart(c: Child): Promise<void> {
    this.addRestart();
    if (this.template !== undefined) {
      const old = c.pid as Pid;
      this.dynamic.delete(pidKey(old));
      const r = await this.startChild(c);
      if (r !== undefined) this.retryLater(c, old);
      else if (c.pid instanceof Pid) this.dynamic.set(pidKey(c.pid), c);
      return;
    }
    c.pid = undefined;
    let group: Child[];
    if (this.strategy === 'one_for_one') group = [c];
    else {
      const i = this.children.indexOf(c);
      const others = this.strategy === 'one_for_all' ? this.children : this.children.slice(i);
      await this.terminateList(others.filter((x) => x !== c));
      group = (
        this.strategy === 'one_for_all' ? this.children : this.children.slice(this.children.indexOf(c))
      ).slice();
    }
    for (const g of group) {
      if (!this.children.includes(g)) continue;
      const r = await this.startChild(g);
      if (r !== undefined) {
        this.retryLater(g, undefined);
        return;
      }
    }
  }

  /** A restart failed: try again after the messages already queued (counts as another restart). */
  retryLater(c: Child, old: Pid | undefined): void {
    c.pid = 'restarting';
    const key = this.template !== undefined ? `dyn:${pidKey(old!)}` : `id:${c.spec.id}`;
    if (this.template !== undefined) this.pendingDynamic.set(key, c);
    this.ctx.send(this.ctx.self, { type: '$sup_retry', key } satisfies RetryMessage);
  }
  readonly pendingDynamic = new Map<string, Child>();

  async retry(key: string): Promise<void> {
    let c: Child | undefined;
    if (key.startsWith('dyn:')) {
      c = this.pendingDynamic.get(key);
      this.pendingDynamic.delete(key);
      if (c === undefined) return;
      this.addRestart();
      const r = await this.startChild(c);
      if (r !== undefined) {
        this.pendingDynamic.set(key, c);
        c.pid = 'restarting';
        this.ctx.send(this.ctx.self, { type: '$sup_retry', key } satisfies RetryMessage);
      } else if (c.pid instanceof Pid) this.dynamic.set(pidKey(c.pid), c);
      return;
    }
    c = this.children.find((x) => x.spec.id === key.slice(3));
    if (c === undefined || c.pid !== 'restarting') return;
    await this.restart(c);
  }

  /** Stops the children of `list` in reverse order; temporary ones are removed (OTP's terminate_children). */
  async terminateList(list: readonly Child[]): Promise<void> {
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i]!;
      if (c.pid instanceof Pid) await shutdownChild(this.ctx, c.pid, c.spec.shutdown);
      if (c.spec.restart === 'temporary') this.children = this.children.filter((x) => x !== c);
      else c.pid = undefined;
    }
  }

  /** Stops every child: static ones in reverse start order; dynamic ones all at once (as OTP does). */
  async terminateAll(): Promise<void> {
    if (this.template === undefined) {
      await this.terminateList(this.children);
      return;
    }
    const pids = [...this.dynamic.values()].map((c) => c.pid as Pid);
    this.dynamic.clear();
    this.pendingDynamic.clear();
    await shutdownMany(this.ctx, pids, this.template.shutdown);
  }

  /** Answers one request. */
  async handle(req: SupRequest): Promise<SupReply> {
    switch (req?.$sup) {
      case 'which':
        return { ok: true, value: this.which() };
      case 'count': {
        const rows = this.which();
        const specs = this.template !== undefined ? 1 : rows.length;
        const sup = this.template?.type === 'supervisor';
        return {
          ok: true,
          value: {
            specs,
            active: rows.filter((r) => r.pid instanceof Pid).length,
            supervisors:
              this.template !== undefined
                ? sup
                  ? rows.length
                  : 0
                : rows.filter((r) => r.type === 'supervisor').length,
            workers:
              this.template !== undefined
                ? sup
                  ? 0
                  : rows.length
                : rows.filter((r) => r.type === 'worker').length,
          } satisfies ChildCounts,
        };
      }
      case 'start':
        return this.addChild(req.spec, req.args ?? []);
      case 'terminate':
        return this.terminateOne(req.id);
      case 'restart':
        return this.restartOne(req.id);
      case 'delete':
        return this.deleteOne(req.id);
      default:
        return fail(RUNTIME_ERRORS.SUPERVISOR_BAD_OPERATION, 'Unknown supervisor request.', {});
    }
  }

  which(): ChildInfo[] {
    if (this.template !== undefined) {
      const t = this.template;
      return [...this.dynamic.values(), ...this.pendingDynamic.values()].map((c) => ({
        id: t.id,
        pid: c.pid,
        type: t.type,
      }));
    }
    return this.children.map((c) => ({ id: c.spec.id, pid: c.pid, type: c.spec.type }));
  }

  async addChild(spec: ChildSpec | undefined, args: readonly unknown[]): Promise<SupReply> {
    if (this.template !== undefined) {
      const c: Child = { spec: this.template, pid: undefined, args: Array.isArray(args) ? args : [] };
      const r = await this.startChild(c);
      if (r !== undefined) return failStart(this.template.id, r.reason);
      if (c.pid instanceof Pid) this.dynamic.set(pidKey(c.pid), c);
      return { ok: true, value: c.pid };
    }
    let s: ResolvedChild;
    try {
      s = resolveChild(spec as ChildSpec);
    } catch (err) {
      const e = err as KindredError;
      return fail(e.code, e.message, e.details);
    }
    const existing = this.children.find((x) => x.spec.id === s.id);
    if (existing !== undefined) {
      return fail(RUNTIME_ERRORS.CHILD_EXISTS, `A child with id ${s.id} exists already.`, {
        id: s.id,
        pid: existing.pid,
      });
    }
    const c: Child = { spec: s, pid: undefined, args: [] };
    const r = await this.startChild(c);
    if (r !== undefined) return failStart(s.id, r.reason);
    // A temporary child that was ignored is not kept (OTP).
    if (!(c.pid === undefined && s.restart === 'temporary')) this.children.push(c);
    return { ok: true, value: c.pid };
  }

  async terminateOne(id: unknown): Promise<SupReply> {
    if (this.template !== undefined) {
      const pid = toPid(id);
      const c = pid === undefined ? undefined : this.dynamic.get(pidKey(pid));
      if (c === undefined) return notFound(id);
      this.dynamic.delete(pidKey(pid!));
      await shutdownChild(this.ctx, pid!, c.spec.shutdown);
      return { ok: true };
    }
    const pid = toPid(id);
    const c = this.children.find((x) =>
      pid === undefined ? x.spec.id === id : x.pid instanceof Pid && pidEquals(x.pid, pid),
    );
    if (c === undefined) return notFound(id);
    if (c.pid instanceof Pid) await shutdownChild(this.ctx, c.pid, c.spec.shutdown);
    this.remove(c, c.spec.restart === 'temporary');
    return { ok: true };
  }

  async restartOne(id: string): Promise<SupReply> {
    if (this.template !== undefined) return badOperation('restartChild');
    const c = this.children.find((x) => x.spec.id === id);
    if (c === undefined) return notFound(id);
    if (c.pid !== undefined)
      return fail(RUNTIME_ERRORS.CHILD_RUNNING, `Child ${id} is running; terminate it first.`, { id });
    const r = await this.startChild(c);
    if (r !== undefined) return failStart(id, r.reason);
    return { ok: true, value: c.pid };
  }

  deleteOne(id: string): SupReply {
    if (this.template !== undefined) return badOperation('deleteChild');
    const c = this.children.find((x) => x.spec.id === id);
    if (c === undefined) return notFound(id);
    if (c.pid !== undefined)
      return fail(RUNTIME_ERRORS.CHILD_RUNNING, `Child ${id} is running; terminate it first.`, { id });
    this.children = this.children.filter((x) => x !== c);
    return { ok: true };
  }

  /** The loop: child exits, requests, retries, the parent's exit, a stop. */
  async run(): Promise<never> {
    const ctx = this.ctx;
    for (;;) {
      const m = await ctx.receive();
      try {
        if (isExitMessage(m)) await this.onExit(m);
        else if (isCallMessage(m)) await this.onCall(m as CallMessage<SupRequest>);
        else if (isRetry(m)) await this.retry(m.key);
        else if (isStopMessage(m)) throw new GiveUp(m.reason);
        // Anything else is dropped (OTP logs "unexpected message").
      } catch (err) {
        if (!(err instanceof GiveUp)) throw err;
        await this.terminateAll();
        return ctx.exit(err.reason);
      }
    }
  }

  async onExit(m: ExitMessage): Promise<void> {
    if (this.parent !== undefined && pidEquals(m.from, this.parent)) throw new GiveUp(m.reason);
    await this.childExited(m.from, m.reason);
  }

  async onCall(m: CallMessage<SupRequest>): Promise<void> {
    const pid = toPid(m.from?.pid);
    const ref = toRef(m.from?.ref);
    if (pid === undefined || ref === undefined) return;
    this.ctx.reply({ pid, ref }, await this.handle(m.request));
  }
}

function fail(code: string, message: string, details: unknown): SupReply {
  return { ok: false, code, message, details };
}
function notFound(id: unknown): SupReply {
  return fail(RUNTIME_ERRORS.CHILD_NOT_FOUND, `No child ${formatTerm(id)} under this supervisor.`, { id });
}
function badOperation(op: string): SupReply {
  return fail(
    RUNTIME_ERRORS.SUPERVISOR_BAD_OPERATION,
    `${op} does not apply to a simple_one_for_one supervisor.`,
    {
      op,
    },
  );
}
function failStart(id: string, reason: unknown): SupReply {
  const e = childStartFailed(id, reason);
  return fail(e.code, e.message, e.details);
}
function childStartFailed(id: string, reason: unknown): KindredError {
  return new KindredError(
    RUNTIME_ERRORS.CHILD_START_FAILED,
    `Child ${id} failed to start (reason ${formatTerm(reason)}).`,
    { details: { id, reason } },
  );
}

function isContext(c: ProcessContext | NodeApi): c is ProcessContext {
  return (c as ProcessContext).self !== undefined;
}

/**
 * Starts a supervisor (supervisor:start_link from a process, linked to it; from a node, not linked, and a
 * `node.exit(pid, 'shutdown')` stops it as its parent's exit would). Resolves with its pid once every child
 * started, in order. Rejects with `KINDRED_ERR_SUPERVISOR_BAD_SPEC` for a malformed spec, and with
 * `KINDRED_ERR_CHILD_START_FAILED` (`details.id`, `details.reason`) when a child failed to start: the children
 * started are then stopped in reverse order and the supervisor exits with
 * `{ shutdown: { failedToStartChild: id, reason } }`.
 */
export function startSupervisor(
  caller: ProcessContext | NodeApi,
  spec: SupervisorSpec,
  opts: StartSupervisorOptions = {},
): Promise<Pid> {
  let resolved: ReturnType<typeof resolveSpec>;
  try {
    resolved = resolveSpec(spec);
  } catch (err) {
    return Promise.reject(err);
  }
  const fromProcess = isContext(caller);
  const link = opts.link ?? fromProcess;
  const node = fromProcess ? caller.node : caller;
  // From a node the parent is the node itself (pid 0.0: what node.exit sends from).
  const parent = fromProcess ? (link ? caller.self : undefined) : new Pid(node.name, 0, 0, node.creation);
  return new Promise<Pid>((resolve, reject) => {
    const body = async (ctx: ProcessContext): Promise<void> => {
      const sup = new Supervisor(ctx, resolved.sup, resolved.children, parent);
      try {
        await sup.init();
      } catch (err) {
        reject(err);
        const details = (err as KindredError).details as { id?: unknown; reason?: unknown } | undefined;
        return ctx.exit({ shutdown: { failedToStartChild: details?.id, reason: details?.reason } });
      }
      resolve(ctx.self);
      await sup.run();
    };
    const spawnOpts = { name: opts.name, trapExit: true };
    if (fromProcess) caller.spawn(body, { ...spawnOpts, link });
    else caller.spawn(body, spawnOpts);
  });
}

async function request(
  caller: ProcessContext | NodeApi,
  sup: Dest,
  req: SupRequest,
  timeoutMs?: number,
): Promise<unknown> {
  const r = (await caller.call(sup, req, timeoutMs ?? Number.POSITIVE_INFINITY)) as SupReply;
  if (r?.ok === true) return r.value;
  const e = (r ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
  throw new KindredError(
    typeof e.code === 'string' ? e.code : RUNTIME_ERRORS.SUPERVISOR_BAD_OPERATION,
    typeof e.message === 'string' ? e.message : 'The supervisor refused the request.',
    {
      details: (typeof e.details === 'object' && e.details !== null ? e.details : {}) as Record<
        string,
        unknown
      >,
    },
  );
}

/** The children, in start order (supervisor:which_children). */
export async function whichChildren(caller: ProcessContext | NodeApi, sup: Dest): Promise<ChildInfo[]> {
  return (await request(caller, sup, { $sup: 'which' })) as ChildInfo[];
}

/** Counts of specs, running children, supervisors and workers (supervisor:count_children). */
export async function countChildren(caller: ProcessContext | NodeApi, sup: Dest): Promise<ChildCounts> {
  return (await request(caller, sup, { $sup: 'count' })) as ChildCounts;
}

/**
 * Adds and starts a child (supervisor:start_child): a `ChildSpec`, or under `simple_one_for_one` the extra
 * arguments passed to the template's `start` after `ctx`. Resolves with its pid (undefined if it ignored the start);
 * rejects with `KINDRED_ERR_CHILD_EXISTS` or `KINDRED_ERR_CHILD_START_FAILED`. Only a supervisor on this node can be
 * given a `ChildSpec` (its `start` is a function); extra arguments travel to any node.
 */
export async function startChild(
  caller: ProcessContext | NodeApi,
  sup: Dest,
  specOrArgs: ChildSpec | readonly unknown[],
): Promise<Pid | undefined> {
  const req: SupRequest = Array.isArray(specOrArgs)
    ? { $sup: 'start', args: specOrArgs }
    : internalMessage({ $sup: 'start', spec: specOrArgs as ChildSpec } as SupRequest);
  return (await request(caller, sup, req)) as Pid | undefined;
}

/**
 * Stops a child by id (or by pid; only by pid under `simple_one_for_one`) with its shutdown spec; a static child's
 * spec stays (restartChild starts it again) unless it is temporary. Rejects with `KINDRED_ERR_CHILD_NOT_FOUND`.
 */
export async function terminateChild(
  caller: ProcessContext | NodeApi,
  sup: Dest,
  idOrPid: string | Pid,
): Promise<void> {
  await request(caller, sup, { $sup: 'terminate', id: idOrPid });
}

/** Starts again a stopped child (supervisor:restart_child); `KINDRED_ERR_CHILD_RUNNING` when it runs. */
export async function restartChild(
  caller: ProcessContext | NodeApi,
  sup: Dest,
  id: string,
): Promise<Pid | undefined> {
  return (await request(caller, sup, { $sup: 'restart', id })) as Pid | undefined;
}

/** Removes a stopped child's spec (supervisor:delete_child); `KINDRED_ERR_CHILD_RUNNING` when it runs. */
export async function deleteChild(caller: ProcessContext | NodeApi, sup: Dest, id: string): Promise<void> {
  await request(caller, sup, { $sup: 'delete', id });
}
