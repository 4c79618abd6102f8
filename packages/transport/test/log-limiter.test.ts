import { describe, expect, it } from 'vitest';
import { LogLimiter } from '../src/log-limiter.js';

describe('LogLimiter', () => {
  it('lets one line per key through per interval and reports how many it held back', () => {
    let now = 1_000;
    const limiter = new LogLimiter(10_000, 8, () => now);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('b')).toBe(0);
    now += 9_999;
    expect(limiter.take('a')).toBeUndefined();
    now += 1;
    expect(limiter.take('a')).toBe(3);
    expect(limiter.take('a')).toBeUndefined();
  });

  it('forgets the least recently logged key past maxKeys', () => {
    const limiter = new LogLimiter(10_000, 2, () => 0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('b')).toBe(0);
    expect(limiter.take('c')).toBe(0);
    // 'a' was forgotten, so it logs again at once; 'c' is still remembered.
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('c')).toBeUndefined();
  });
});
