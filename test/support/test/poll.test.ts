import { describe, expect, it } from 'vitest';
import { eventually, settle, until } from '../src/poll.js';

describe('until', () => {
  it('resolves with the first value that is not false/undefined/null', async () => {
    let n = 0;
    expect(await until(() => (++n >= 3 ? `done after ${n}` : undefined))).toBe('done after 3');
    expect(await until(async () => true)).toBe(true);
    let m = 0;
    expect(await until(() => (++m > 2 ? 0 : null))).toBe(0);
  });

  it('rejects naming what it waited for when the time runs out, and passes a probe error through', async () => {
    await expect(until(() => false, { timeoutMs: 30, what: 'the moon' })).rejects.toThrow(
      'timed out after 30 ms waiting for the moon',
    );
    await expect(
      until(() => {
        throw new Error('probe broke');
      }),
    ).rejects.toThrow('probe broke');
  });
});

describe('eventually', () => {
  it('says whether the probe came true in time', async () => {
    let n = 0;
    expect(await eventually(() => ++n > 2)).toBe(true);
    expect(await eventually(() => false, { timeoutMs: 20 })).toBe(false);
  });
});

describe('settle', () => {
  it('lets the given number of event-loop turns pass', async () => {
    let turns = 0;
    const tick = () => {
      turns++;
      if (turns < 100) setImmediate(tick);
    };
    setImmediate(tick);
    await settle(3);
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(turns).toBeLessThanOrEqual(4);
  });
});
