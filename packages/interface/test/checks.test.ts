import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkBoolean,
  checkInt,
  checkNonEmptyString,
  checkPort,
  checkPositiveInt,
  describeValue,
  isPort,
  parsePort,
} from '../src/checks.js';
import { isKindredError } from '../src/errors.js';

const ctx = { option: '--port', code: 'KINDRED_ERR_TEST_OPTION' };

function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isKindredError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('option checks', () => {
  it('checkPort takes 1-65535 (0 only with allowZero) and names the option and the value when it refuses', () => {
    expect(checkPort(ctx, 1)).toBe(1);
    expect(checkPort(ctx, 65_535)).toBe(65_535);
    expect(checkPort(ctx, 0, { allowZero: true })).toBe(0);
    for (const bad of [0, -1, 65_536, 1.5, '80', Number.NaN, undefined]) {
      const r = refusal(() => checkPort(ctx, bad));
      expect(r.code).toBe('KINDRED_ERR_TEST_OPTION');
      expect(r.message).toMatch(/^--port must be a port number 1-65535, got /);
    }
  });

  it('isPort is the one port-range rule (1-65535, 0 with allowZero)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -70_000, max: 70_000 }), fc.double(), fc.string()), (v) => {
        const whole = typeof v === 'number' && Number.isInteger(v);
        expect(isPort(v)).toBe(whole && v >= 1 && v <= 65_535);
        expect(isPort(v, { allowZero: true })).toBe(whole && v >= 0 && v <= 65_535);
      }),
    );
  });

  it('parsePort takes digits only', () => {
    expect(parsePort(ctx, '4370')).toBe(4370);
    for (const bad of ['', ' 80', '0x50', '1e3', '-1', '65536', '123456']) {
      expect(refusal(() => parsePort(ctx, bad)).message).toContain('--port must be a port number');
    }
    expect(parsePort(ctx, '0', { allowZero: true })).toBe(0);
  });

  it('checkInt/checkPositiveInt agree with Number.isInteger and the bounds for any number', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        const ok = Number.isInteger(v) && v >= 1 && v <= Number.MAX_SAFE_INTEGER;
        if (ok) expect(checkPositiveInt(ctx, v)).toBe(v);
        else expect(refusal(() => checkPositiveInt(ctx, v)).message).toContain('an integer >= 1');
      }),
    );
    expect(refusal(() => checkInt(ctx, 11, 0, 10)).message).toBe('--port must be an integer 0-10, got 11');
  });

  it('checkBoolean and checkNonEmptyString', () => {
    expect(checkBoolean(ctx, false)).toBe(false);
    expect(refusal(() => checkBoolean(ctx, 'yes')).message).toContain('true or false');
    expect(checkNonEmptyString(ctx, 'x')).toBe('x');
    expect(refusal(() => checkNonEmptyString(ctx, '')).message).toContain('a non-empty string');
  });

  it('describeValue is bounded and never throws, whatever the value', () => {
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    expect(describeValue(hostile)).toBe('[object Object]');
    expect(describeValue(10n)).toBe('10n');
    expect(describeValue('x'.repeat(1000)).length).toBeLessThanOrEqual(80);
    fc.assert(fc.property(fc.anything(), (v) => describeValue(v).length <= 80));
  });
});
