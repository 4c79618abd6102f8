/**
 * Timers: `sendAfter(dest, msg, ms)` and `cancelTimer(ref)` (erlang:send_after/3, erlang:cancel_timer/1). A timer
 * belongs to the process that set it (or, set from outside any process, to its destination when that is a local
 * pid, else to the node) and is cancelled when its owner exits or the node stops, so no Node.js timer outlives
 * what it was for, and none keeps a stopped node's event loop alive.
 * @internal
 */
import type { Core, TimersPart } from './core.js';
import { badOption } from './errors.js';
import { checkMessage, MESSAGE_DEPTH } from './message-check.js';
import type { Dest } from './messages.js';
import type { Proc } from './process.js';
import { type Pid, type Ref, refKey, toRef } from './terms.js';

/** Longest delay a timer takes: Node.js fires a longer `setTimeout` after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

interface TimerEntry {
  readonly handle: ReturnType<typeof setTimeout>;
  /** `performance.now()` when it fires. */
  readonly due: number;
  /** The owning process, or undefined when the node owns it. */
  readonly owner: Proc | undefined;
}

/** @internal See the module comment. */
export class Timers implements TimersPart {
  readonly #core: Core;
  readonly #table = new Map<string, TimerEntry>();

  constructor(core: Core) {
    this.#core = core;
  }

  /** Live timers (for tests and stats). */
  get size(): number {
    return this.#table.size;
  }

  sendAfter(owner: Proc | undefined, from: Pid, dest: Dest, msg: unknown, ms: number): Ref {
    if (!(Number.isInteger(ms) && ms >= 0 && ms <= MAX_TIMER_MS)) {
      throw badOption('ms', `an integer from 0 to ${MAX_TIMER_MS}`, ms);
    }
    const core = this.#core;
    core.checkDest(dest);
    // Checked now, where the caller can handle it, not when the timer fires.
    checkMessage(msg, MESSAGE_DEPTH.send, core.opts.wireClasses);
    const ref = core.makeRef();
    // A process that has exited sets no timer (its code may run on until its next receive).
    if (owner !== undefined && !owner.alive) return ref;
    const k = refKey(ref);
    const handle = setTimeout(() => {
      this.#forget(k);
      // A destination that went away is no error: the message is dropped, as any send to it.
      core.send(from, dest, msg);
    }, ms);
    this.#table.set(k, { handle, due: performance.now() + ms, owner });
    if (owner !== undefined) {
      const x = owner.ext();
      if (x.timers === undefined) x.timers = new Set();
      x.timers.add(k);
    }
    return ref;
  }

  cancel(ref: Ref): number | false {
    const r = toRef(ref);
    if (r === undefined) return false;
    const k = refKey(r);
    const t = this.#table.get(k);
    if (t === undefined) return false;
    clearTimeout(t.handle);
    this.#forget(k);
    return Math.max(0, Math.round(t.due - performance.now()));
  }

  ownerExited(p: Proc): void {
    const keys = p.x?.timers;
    if (keys === undefined) return;
    p.x!.timers = undefined;
    for (const k of keys) {
      const t = this.#table.get(k);
      if (t !== undefined) {
        clearTimeout(t.handle);
        this.#table.delete(k);
      }
    }
  }

  clear(): void {
    for (const t of this.#table.values()) clearTimeout(t.handle);
    this.#table.clear();
  }

  #forget(k: string): void {
    const t = this.#table.get(k);
    if (t === undefined) return;
    this.#table.delete(k);
    t.owner?.x?.timers?.delete(k);
  }
}
