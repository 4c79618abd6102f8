import { describe, expect, it } from 'vitest';
import { CLI_ERRORS, parsePortArg } from '../src/command.js';

describe('parsePortArg', () => {
  it('is the one port parser of ping, start and doctor: digits only, 1-65535, 0 only where allowed', () => {
    expect(parsePortArg(undefined, '--port')).toBeUndefined();
    expect(parsePortArg('', 'KINDRED_PORT')).toBeUndefined();
    expect(parsePortArg('4370', '--port')).toBe(4370);
    expect(parsePortArg('0', '--port', { allowZero: true })).toBe(0);
    for (const bad of ['0', '65536', ' 80', '0x50', '1e3', '-1', 'x']) {
      expect(() => parsePortArg(bad, '--port')).toThrow(
        expect.objectContaining({
          code: CLI_ERRORS.USAGE,
          message: `--port must be a port number 1-65535, got ${JSON.stringify(bad)}`,
        }),
      );
    }
  });
});
