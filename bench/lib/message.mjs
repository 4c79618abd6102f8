// The ~100-byte benchmark message, the same shape in every system measured (Erlang: bench/erlang/kbench.erl).
export const TEXT = 'hello world hello world hello world';

/** The benchmark message number `n` addressed to process `id` on `node`. */
export function message(node, id, n) {
  return { to: { node, id }, body: { n, text: TEXT, ok: true } };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  const rank = Math.max(1, Math.min(sorted.length, Math.ceil(p * sorted.length)));
  return sorted[rank - 1];
}

/** p50/p99 in microseconds of an array of round trips in nanoseconds (bigint or number). */
export function rttSummary(samplesNs) {
  const us = samplesNs.map((x) => Number(x) / 1000).sort((a, b) => a - b);
  return { rounds: us.length, p50Us: round2(percentile(us, 0.5)), p99Us: round2(percentile(us, 0.99)) };
}

export function round2(x) {
  return Math.round(x * 100) / 100;
}
