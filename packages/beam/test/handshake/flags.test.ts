import { describe, expect, it } from 'vitest';
import {
  DFLAG,
  expandMandatory25,
  KINDRED_DIST_FLAGS,
  MANDATORY_FLAGS_25,
  MANDATORY_FLAGS_26,
  missingFlags,
} from '../../src/index.js';

describe('distribution flags', () => {
  it("OTP 25's mandatory set is 16#1070F94 (erts_internal:get_dflags() on 25.2.3)", () => {
    expect(MANDATORY_FLAGS_25).toBe(0x1070f94n);
  });

  it("OTP 26's adds V4_NC and UNLINK_ID, and kindred sends all of it plus the feature flags", () => {
    expect(MANDATORY_FLAGS_26).toBe(0x1070f94n | (1n << 34n) | 0x2000000n);
    expect(missingFlags(KINDRED_DIST_FLAGS, MANDATORY_FLAGS_26)).toEqual([]);
    for (const f of ['DIST_MONITOR', 'DIST_MONITOR_NAME', 'SPAWN', 'MANDATORY_25_DIGEST'] as const) {
      expect(KINDRED_DIST_FLAGS & DFLAG[f]).toBe(DFLAG[f]);
    }
    for (const f of ['FRAGMENTS', 'DIST_HDR_ATOM_CACHE', 'NAME_ME', 'PUBLISHED'] as const) {
      expect(KINDRED_DIST_FLAGS & DFLAG[f]).toBe(0n);
    }
  });

  it('MANDATORY_25_DIGEST (bit 26) stands for the 11 bits', () => {
    expect(DFLAG.MANDATORY_25_DIGEST).toBe(1n << 26n);
    expect(expandMandatory25(DFLAG.MANDATORY_25_DIGEST)).toBe(DFLAG.MANDATORY_25_DIGEST | MANDATORY_FLAGS_25);
    expect(missingFlags(DFLAG.MANDATORY_25_DIGEST, MANDATORY_FLAGS_25)).toEqual([]);
  });

  it('names missing flags as erl prints them', () => {
    expect(missingFlags(MANDATORY_FLAGS_25 & ~DFLAG.BIG_CREATION, MANDATORY_FLAGS_25)).toEqual([
      'BIG_CREATION',
    ]);
    expect(missingFlags(MANDATORY_FLAGS_25, MANDATORY_FLAGS_26)).toEqual(['UNLINK_ID', 'V4_NC']);
  });
});
