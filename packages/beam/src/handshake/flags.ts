/**
 * Distribution flags (OTP's dist.hrl / dist.h), as `bigint`: the flag word is 64 bits and JavaScript's bitwise
 * operators on numbers are 32-bit.
 */
export const DFLAG = Object.freeze({
  PUBLISHED: 0x1n,
  ATOM_CACHE: 0x2n,
  EXTENDED_REFERENCES: 0x4n,
  DIST_MONITOR: 0x8n,
  FUN_TAGS: 0x10n,
  DIST_MONITOR_NAME: 0x20n,
  HIDDEN_ATOM_CACHE: 0x40n,
  NEW_FUN_TAGS: 0x80n,
  EXTENDED_PIDS_PORTS: 0x100n,
  EXPORT_PTR_TAG: 0x200n,
  BIT_BINARIES: 0x400n,
  NEW_FLOATS: 0x800n,
  UNICODE_IO: 0x1000n,
  DIST_HDR_ATOM_CACHE: 0x2000n,
  SMALL_ATOM_TAGS: 0x4000n,
  UTF8_ATOMS: 0x10000n,
  MAP_TAG: 0x20000n,
  BIG_CREATION: 0x40000n,
  SEND_SENDER: 0x80000n,
  BIG_SEQTRACE_LABELS: 0x100000n,
  EXIT_PAYLOAD: 0x400000n,
  FRAGMENTS: 0x800000n,
  HANDSHAKE_23: 0x1000000n,
  UNLINK_ID: 0x2000000n,
  /** Bit 26, not `1 bsl 36` as OTP 25's HTML says (dist.hrl, dist.h, Jinterface agree on bit 26). */
  MANDATORY_25_DIGEST: 0x4000000n,
  MULTISEND: 0x8000000n,
  SPAWN: 1n << 32n,
  NAME_ME: 1n << 33n,
  V4_NC: 1n << 34n,
  ALIAS: 1n << 35n,
});

/** A flag's name, as erl prints it in "cannot handle [...]". */
export type DistFlagName = keyof typeof DFLAG;

/** OTP 25's mandatory set (`erts_internal:get_dflags()` on 25.2.3: `16#1070F94`). */
export const MANDATORY_FLAGS_25 =
  DFLAG.EXTENDED_REFERENCES |
  DFLAG.FUN_TAGS |
  DFLAG.EXTENDED_PIDS_PORTS |
  DFLAG.NEW_FUN_TAGS |
  DFLAG.EXPORT_PTR_TAG |
  DFLAG.BIT_BINARIES |
  DFLAG.NEW_FLOATS |
  DFLAG.UTF8_ATOMS |
  DFLAG.MAP_TAG |
  DFLAG.BIG_CREATION |
  DFLAG.HANDSHAKE_23;

/** OTP 26's mandatory set: OTP 25's plus V4_NC and UNLINK_ID (erlang/otp PR #6072). */
export const MANDATORY_FLAGS_26 = MANDATORY_FLAGS_25 | DFLAG.V4_NC | DFLAG.UNLINK_ID;

/**
 * What kindred sends by default (reference §2.2): OTP 26's mandatory set, MANDATORY_25_DIGEST, the feature-bearing
 * flags (DIST_MONITOR(_NAME), SPAWN, SMALL_ATOM_TAGS, BIG_SEQTRACE_LABELS) and the cheap optional ones
 * (SEND_SENDER, EXIT_PAYLOAD, ALIAS). PUBLISHED is added per node unless it is hidden. The atom cache and
 * fragments stay off here, so erts frames every message as `'p'`; DIST_HDR_ATOM_CACHE can be turned on (the
 * connection reads the `131 68` header and its cache, and sends with one when its codec has `encodeFrame`), and
 * `BeamDistribution` does turn it on.
 */
export const KINDRED_DIST_FLAGS =
  MANDATORY_FLAGS_26 |
  DFLAG.MANDATORY_25_DIGEST |
  DFLAG.DIST_MONITOR |
  DFLAG.DIST_MONITOR_NAME |
  DFLAG.SPAWN |
  DFLAG.SMALL_ATOM_TAGS |
  DFLAG.BIG_SEQTRACE_LABELS |
  DFLAG.SEND_SENDER |
  DFLAG.EXIT_PAYLOAD |
  DFLAG.ALIAS;

/** `flags` with MANDATORY_25_DIGEST expanded into the 11 bits it stands for (dist_util:expand_mandatory_25_flag). */
export function expandMandatory25(flags: bigint): bigint {
  return (flags & DFLAG.MANDATORY_25_DIGEST) !== 0n ? flags | MANDATORY_FLAGS_25 : flags;
}

/** The names of the bits of `required` missing from `flags` (after expansion), in bit order. */
export function missingFlags(flags: bigint, required: bigint): DistFlagName[] {
  const have = expandMandatory25(flags);
  const out: DistFlagName[] = [];
  for (const [name, bit] of Object.entries(DFLAG) as [DistFlagName, bigint][]) {
    if ((required & bit) !== 0n && (have & bit) === 0n) out.push(name);
  }
  return out;
}

/** True when `flags` has every bit of `bit`. */
export function hasFlag(flags: bigint, bit: bigint): boolean {
  return (flags & bit) === bit;
}
