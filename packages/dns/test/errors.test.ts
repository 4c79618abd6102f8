import { describe, expect, it } from 'vitest';
import { isKindredError, KindredError } from '../src/errors.js';

describe('KindredError', () => {
  it('carries a code, details and a cause', () => {
    const cause = new Error('inner');
    const err = new KindredError('KINDRED_ERR_X', 'something broke', { cause, details: { host: 'a' } });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('KINDRED_ERR_X');
    expect(err.details).toEqual({ host: 'a' });
    expect(err.cause).toBe(cause);
    expect(isKindredError(err, 'KINDRED_ERR_X')).toBe(true);
    expect(isKindredError(err, 'KINDRED_ERR_Y')).toBe(false);
    expect(isKindredError(new Error('plain'))).toBe(false);
  });
});
