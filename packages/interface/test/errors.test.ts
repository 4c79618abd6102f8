import { describe, expect, it } from 'vitest';
import { isKindredError, KindredError } from '../src/errors.js';

describe('KindredError', () => {
  it('carries a code, details and a cause, and isKindredError matches on the code', () => {
    const cause = new Error('root');
    const err = new KindredError('KINDRED_ERR_X', 'what to do', { cause, details: { a: 1 } });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('KindredError');
    expect(err.code).toBe('KINDRED_ERR_X');
    expect(err.details).toEqual({ a: 1 });
    expect(err.cause).toBe(cause);
    expect(isKindredError(err)).toBe(true);
    expect(isKindredError(err, 'KINDRED_ERR_X')).toBe(true);
    expect(isKindredError(err, 'KINDRED_ERR_Y')).toBe(false);
    expect(isKindredError(new Error('x'))).toBe(false);
    expect(isKindredError({ code: 'KINDRED_ERR_X' })).toBe(false);
  });
});
