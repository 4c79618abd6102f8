/**
 * How a supervisor stops its children (supervisor.erl's shutdown/2 and the simple_one_for_one terminate): monitor,
 * unlink, `shutdown`, then `kill` after the child's timeout. Runs inside the supervisor process (./supervisor.ts).
 */
import type { ProcessContext } from './api.js';
import { type ExitMessage, isDownMessage, isExitMessage, TIMEOUT } from './messages.js';
import type { ShutdownSpec } from './supervisor-spec.js';
import { Pid, pidEquals, pidKey, type Ref, refEquals } from './terms.js';

/** Waits for the DOWN of monitor `ref`; TIMEOUT after `ms`. */
function awaitDown(ctx: ProcessContext, ref: Ref, ms?: number): Promise<unknown> {
  const pat = (m: unknown): boolean => isDownMessage(m) && refEquals(m.ref, ref);
  return ms === undefined ? ctx.receive(pat) : ctx.receive(pat, ms);
}

/**
 * @internal OTP's shutdown/2: monitor the child, unlink it (taking an EXIT it already sent), then `kill` (brutal_kill) or
 * `shutdown` and `kill` after the timeout; returns the reason it exited with.
 */
export async function shutdownChild(ctx: ProcessContext, pid: Pid, how: ShutdownSpec): Promise<unknown> {
  const ref = ctx.monitor(pid);
  ctx.unlink(pid);
  const early = await ctx.receive((m) => isExitMessage(m) && pidEquals(m.from, pid), 0);
  if (early !== TIMEOUT) {
    await awaitDown(ctx, ref);
    return (early as ExitMessage).reason;
  }
  if (how === 'brutal_kill') {
    ctx.exit(pid, 'kill');
    return ((await awaitDown(ctx, ref)) as { reason: unknown }).reason;
  }
  ctx.exit(pid, 'shutdown');
  const d = await awaitDown(ctx, ref, how === 'infinity' ? undefined : how);
  if (d !== TIMEOUT) return (d as { reason: unknown }).reason;
  ctx.exit(pid, 'kill');
  return ((await awaitDown(ctx, ref)) as { reason: unknown }).reason;
}

/** @internal OTP's terminate of simple_one_for_one children: all told at once, then killed together after the timeout. */
export async function shutdownMany(
  ctx: ProcessContext,
  pids: readonly Pid[],
  how: ShutdownSpec,
): Promise<void> {
  const refs = new Map<string, { pid: Pid; ref: Ref }>();
  for (const pid of pids) {
    const ref = ctx.monitor(pid);
    ctx.unlink(pid);
    refs.set(pidKey(pid), { pid, ref });
    ctx.exit(pid, how === 'brutal_kill' ? 'kill' : 'shutdown');
  }
  const deadline = how === 'infinity' || how === 'brutal_kill' ? undefined : performance.now() + how;
  while (refs.size > 0) {
    const left = deadline === undefined ? undefined : Math.max(0, Math.ceil(deadline - performance.now()));
    const pat = (m: unknown): boolean =>
      isDownMessage(m) && m.item instanceof Pid && refs.has(pidKey(m.item));
    const d = left === undefined ? await ctx.receive(pat) : await ctx.receive(pat, left);
    if (d === TIMEOUT) {
      for (const { pid } of refs.values()) ctx.exit(pid, 'kill');
      continue;
    }
    refs.delete(pidKey((d as { item: Pid }).item));
  }
  // EXITs the children sent before the unlink are of no use now.
  for (;;) {
    const m = await ctx.receive((x) => isExitMessage(x) && pids.some((p) => pidEquals(p, x.from)), 0);
    if (m === TIMEOUT) break;
  }
}
