/**
 * Lets at most one log line per key through in each interval and counts the ones it held back, so a flood of
 * refusals (a source over its limit, a peer whose host does not check out) costs one line per interval, not one per
 * connection. Bounded: past `maxKeys` keys the oldest is forgotten (it may then log once more early).
 */
export class LogLimiter {
  readonly #keys = new Map<string, { last: number; suppressed: number }>();

  readonly #intervalMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(intervalMs: number, maxKeys: number, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#maxKeys = maxKeys;
    this.#now = now;
  }

  /**
   * Call before logging a line under `key`: returns how many lines under `key` were held back since the last one that
   * went through (log now, with that count), or undefined (do not log; this one is counted).
   */
  take(key: string): number | undefined {
    const t = this.#now();
    const entry = this.#keys.get(key);
    if (entry !== undefined && t - entry.last < this.#intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    // Re-inserted so that Map order is the order of last use: the first key is the one to forget.
    this.#keys.delete(key);
    this.#keys.set(key, { last: t, suppressed: 0 });
    if (this.#keys.size > this.#maxKeys) {
      const oldest = this.#keys.keys().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
    return suppressed;
  }
}
