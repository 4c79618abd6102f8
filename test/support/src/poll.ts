import { setTimeout as sleep } from 'node:timers/promises';

/** How {@link until} and {@link eventually} poll. */
export interface PollOptions {
  /** Give up after this long; default 15,000 ms. */
  readonly timeoutMs?: number;
  /** Wait between probes; default 10 ms. */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout's message. */
  readonly what?: string;
}

const DEFAULTS = Object.freeze({ timeoutMs: 15_000, intervalMs: 10 });

/**
 * Polls `probe` until it returns something other than `false`, `undefined` or `null`, and resolves with that
 * (`true` for a boolean probe). Rejects when `timeoutMs` passes, naming `what`; a probe that throws rejects at once.
 */
export async function until<T>(
  probe: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  opts: PollOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== false && v !== undefined && v !== null) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'the condition'}`);
    }
    await sleep(opts.intervalMs ?? DEFAULTS.intervalMs);
  }
}

/** Like {@link until}, but resolves to whether the probe came true in time instead of rejecting. */
export async function eventually(
  probe: () => boolean | Promise<boolean>,
  opts: PollOptions = {},
): Promise<boolean> {
  try {
    await until(async () => (await probe()) || undefined, opts);
    return true;
  } catch {
    return false;
  }
}

/** Lets `turns` event-loop turns pass (setImmediate each): what was scheduled by now has run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
