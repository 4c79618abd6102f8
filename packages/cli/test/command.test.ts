import { describe, expect, it } from 'vitest';
import {
  CLI_ERRORS,
  EnvError,
  EXIT,
  parseCommandArgs,
  parsePortArg,
  reportFailure,
  UsageError,
} from '../src/command.js';
import { captureIO } from './support.js';

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

describe('parsePortArg of an environment variable', () => {
  it('throws KINDRED_ERR_BAD_ENV naming the variable', () => {
    expect(() => parsePortArg('99999', 'KINDRED_PORT')).toThrow(
      expect.objectContaining({
        code: CLI_ERRORS.BAD_ENV,
        details: { variable: 'KINDRED_PORT' },
        message: 'KINDRED_PORT must be a port number 1-65535, got "99999"',
      }),
    );
  });
});

describe('parseCommandArgs', () => {
  const OPTIONS = { json: { type: 'boolean', default: false }, name: { type: 'string' } } as const;

  it('takes --output json as --json, and --output text as the default', () => {
    expect(parseCommandArgs(['--output', 'json'], OPTIONS).values).toEqual({ json: true });
    expect(parseCommandArgs(['--output=json'], OPTIONS).values).toEqual({ json: true });
    expect(parseCommandArgs(['--output', 'text'], OPTIONS).values).toEqual({ json: false });
    expect(parseCommandArgs(['--json'], OPTIONS).values).toEqual({ json: true });
    expect(parseCommandArgs(['--json', '--output', 'json'], OPTIONS).values).toEqual({ json: true });
  });

  it('refuses another format, and --json with --output text', () => {
    expect(() => parseCommandArgs(['--output', 'yaml'], OPTIONS)).toThrow(
      expect.objectContaining({
        code: CLI_ERRORS.USAGE,
        message: '--output must be json or text, got "yaml"',
      }),
    );
    expect(() => parseCommandArgs(['--json', '--output', 'text'], OPTIONS)).toThrow(UsageError);
  });

  it('has no --output where a command has no --json', () => {
    expect(() => parseCommandArgs(['--output', 'json'], { name: { type: 'string' } })).toThrow(UsageError);
  });

  it('suggests the option meant for an unknown one', () => {
    expect(() => parseCommandArgs(['--jsn'], OPTIONS)).toThrow(
      expect.objectContaining({
        code: CLI_ERRORS.USAGE,
        message: "Unknown option '--jsn'. Did you mean --json?",
      }),
    );
    expect(() => parseCommandArgs(['--nmae', 'x'], OPTIONS)).toThrow(/Did you mean --name\?/);
    expect(() => parseCommandArgs(['--frobnicate'], OPTIONS)).toThrow(
      expect.objectContaining({ message: "Unknown option '--frobnicate'" }),
    );
  });
});

describe('reportFailure', () => {
  it('prints an EnvError with its code and exits 2', () => {
    const io = captureIO();
    expect(reportFailure(io, 'start', new EnvError('KINDRED_X', 'KINDRED_X is bad'))).toBe(EXIT.USAGE);
    expect(io.err()).toBe('kindred start: KINDRED_X is bad (KINDRED_ERR_BAD_ENV)\n');
  });
});
