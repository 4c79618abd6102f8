/**
 * When process code runs. A spawned function starts from a start queue drained in a microtask (after the spawning
 * task, as Erlang promises nothing earlier). Handler processes (spawnHandler) run from one run queue drained in a
 * microtask, never inside the sender's send(), so a chain of handlers passing a message along does not grow the
 * stack; each gets a budget of messages per turn.
 * @internal
 */
import type { ProcessFn } from './api.js';
import type { Core, SchedulerPart } from './core.js';
import { withTraceContext } from './diagnostics.js';
import { type Proc, procReturned, procThrew } from './process.js';

/** Messages a handler process handles before others get a turn (Erlang counts reductions). */
export const HANDLER_BUDGET = 64;

/** @internal See the module comment. */
export class Scheduler implements SchedulerPart {
  readonly #core: Core;
  /** Processes to start; each one's function is its `fn`. */
  #startQueue: Proc[] = [];
  #runq: Proc[] = [];
  #runqScheduled = false;

  constructor(core: Core) {
    this.#core = core;
  }

  start(p: Proc, fn: ProcessFn): void {
    if (this.#startQueue.length === 0) queueMicrotask(this.#drainStart);
    p.fn = fn;
    this.#startQueue.push(p);
  }

  schedule(p: Proc): void {
    this.#runq.push(p);
    if (!this.#runqScheduled) {
      this.#runqScheduled = true;
      queueMicrotask(this.#drainRunq);
    }
  }

  clear(): void {
    this.#startQueue = [];
  }

  readonly #drainRunq = (): void => {
    const q = this.#runq;
    for (let i = 0; i < q.length; i++) {
      const p = q[i]!;
      q[i] = undefined as never;
      if (p.alive) this.#step(p);
    }
    this.#runq = [];
    this.#runqScheduled = false;
  };

  #step(p: Proc): void {
    for (let budget = HANDLER_BUDGET; budget > 0; budget--) {
      const mq = p.mq;
      if (!p.alive) return;
      if (mq === undefined || p.mqHead >= mq.length) {
        p.busy = false;
        return;
      }
      const msg = p.take(p.mqHead);
      let r: unknown;
      try {
        // A traced call is handled in its trace context, so the handler's own calls and rpcs continue the trace.
        const trace = (msg as { traceparent?: unknown } | null)?.traceparent;
        r = trace === undefined ? p.h!(msg, p) : withTraceContext(trace as string, () => p.h!(msg, p));
      } catch (err) {
        this.#core.ended(p, err, true);
        return;
      }
      if (r instanceof Promise) {
        r.then(
          () => {
            if (p.alive) this.schedule(p);
          },
          (err: unknown) => this.#core.ended(p, err, true),
        );
        return;
      }
    }
    if (p.alive) this.schedule(p);
  }

  readonly #drainStart = (): void => {
    const q = this.#startQueue;
    this.#startQueue = [];
    for (let i = 0; i < q.length; i++) {
      const p = q[i]!;
      if (p.alive) this.#run(p, p.fn!);
    }
  };

  // One closure pair per process is the cheapest way to learn that its function ended (an async wrapper costs more).
  #run(p: Proc, fn: ProcessFn): void {
    let r: unknown;
    try {
      r = fn(p);
    } catch (err) {
      this.#core.ended(p, err, true);
      return;
    }
    if (r instanceof Promise) {
      r.then(procReturned.bind(p), procThrew.bind(p));
    } else {
      this.#core.ended(p, undefined, false);
    }
  }
}
