import { describe, expect, it } from 'vitest';
import { CLI_ERRORS } from '../src/command.js';
import { LOG_LEVELS, logLevelFromEnv } from '../src/env.js';

describe('logLevelFromEnv', () => {
  it('takes every pino level and silent, and the fallback when unset or empty', () => {
    for (const level of LOG_LEVELS) expect(logLevelFromEnv({ KINDRED_LOG_LEVEL: level })).toBe(level);
    expect(logLevelFromEnv({})).toBe('info');
    expect(logLevelFromEnv({ KINDRED_LOG_LEVEL: '' }, 'warn')).toBe('warn');
  });

  it('refuses anything else with KINDRED_ERR_BAD_ENV naming the variable', () => {
    for (const bad of ['bogus', 'INFO', ' info', '30']) {
      expect(() => logLevelFromEnv({ KINDRED_LOG_LEVEL: bad })).toThrow(
        expect.objectContaining({
          code: CLI_ERRORS.BAD_ENV,
          variable: 'KINDRED_LOG_LEVEL',
          details: { variable: 'KINDRED_LOG_LEVEL' },
          message: expect.stringMatching(/^KINDRED_LOG_LEVEL must be one of trace, debug, .*silent, got /),
        }),
      );
    }
  });
});
