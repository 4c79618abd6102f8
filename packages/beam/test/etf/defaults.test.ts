import { describe, expect, it } from 'vitest';
import { BEAM_ERRORS, ETF_DEFAULTS, TermDecoder } from '../../src/index.js';

describe('ETF_DEFAULTS', () => {
  it('is frozen and every limit is accepted as an option', () => {
    expect(Object.isFrozen(ETF_DEFAULTS)).toBe(true);
    expect(() => new TermDecoder({ ...ETF_DEFAULTS })).not.toThrow();
  });

  it('names the option in a refusal', () => {
    expect(() => new TermDecoder({ maxDepth: 1.5 })).toThrow(
      expect.objectContaining({ code: BEAM_ERRORS.ETF_BAD_OPTION, details: { option: 'maxDepth' } }),
    );
    expect(() => new TermDecoder({ maxInflatedBytes: 2 ** 32 })).toThrow(
      expect.objectContaining({ code: BEAM_ERRORS.ETF_BAD_OPTION, details: { option: 'maxInflatedBytes' } }),
    );
  });
});
