/**
 * The process table: live processes by key. Keys only grow (core.ts hands out `1, 2, 3, ...`), so the recent ones
 * sit in an array indexed by `key - base` (8 bytes a process, and a push instead of a hash-table insert: a Map of a
 * million numbers costs ~30 bytes an entry and its rehashes ~0.15 s on this machine). When more than half of the
 * array is dead, its live entries move to a Map of older processes and the array starts again at the next key: the
 * array never holds more than about twice the processes it covers, and a process moves at most once.
 * @internal
 */
export class ProcTable<V> {
  /** Processes older than `base`, in key order. */
  #old = new Map<number, V>();
  /** `slots[i]` is the process with key `base + i`, or undefined once it ended. */
  #slots: Array<V | undefined> = [];
  #base = 0;
  /** Live entries in `slots`. */
  #live = 0;

  /** Number of live processes. */
  get size(): number {
    return this.#old.size + this.#live;
  }

  get(key: number): V | undefined {
    const i = key - this.#base;
    if (i >= 0) return i < this.#slots.length ? this.#slots[i] : undefined;
    return this.#old.get(key);
  }

  /** Adds the process with `key`, which must be greater than every key added before. */
  set(key: number, v: V): void {
    const slots = this.#slots;
    if (slots.length === 0) this.#base = key;
    const i = key - this.#base;
    while (slots.length < i) slots.push(undefined);
    slots.push(v);
    this.#live++;
  }

  delete(key: number): boolean {
    const i = key - this.#base;
    if (i < 0) return this.#old.delete(key);
    const slots = this.#slots;
    if (!Number.isInteger(i) || i >= slots.length || slots[i] === undefined) return false;
    slots[i] = undefined;
    this.#live--;
    const dead = slots.length - this.#live;
    if (dead >= 1024 && dead * 2 > slots.length) this.#compact();
    return true;
  }

  /** Live processes in key order (the order they were spawned). */
  *values(): IterableIterator<V> {
    yield* this.#old.values();
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) {
      const v = slots[i];
      if (v !== undefined) yield v;
    }
  }

  /** Moves the array's live entries to the Map of older processes; the next key starts a new array. */
  #compact(): void {
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) {
      const v = slots[i];
      if (v !== undefined) this.#old.set(this.#base + i, v);
    }
    this.#slots = [];
    this.#live = 0;
    // Every key so far is below base now (the Map's); the next `set` moves base to its key.
    this.#base = Number.MAX_SAFE_INTEGER;
  }
}
