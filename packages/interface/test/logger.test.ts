import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { childLogger, type Logger, SILENT_LOGGER } from '../src/logger.js';

describe('Logger', () => {
  it('is satisfied by a pino logger as is, and childLogger makes its child', () => {
    const lines: string[] = [];
    const root: Logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    childLogger(root, { component: 'x' }).info({ n: 1 }, 'hello');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ component: 'x', n: 1, msg: 'hello' });
  });

  it('is silent by default, and the silent logger is its own child', () => {
    const log = childLogger(undefined, { component: 'x' });
    expect(log).toBe(SILENT_LOGGER);
    expect(log.child({ a: 1 })).toBe(SILENT_LOGGER);
    expect(() => log.error(new Error('x'), 'nothing happens')).not.toThrow();
    expect(Object.isFrozen(SILENT_LOGGER)).toBe(true);
  });
});
