// Ratios against the baselines and the targets, each marked met / missed / not measured.
import { beamTargets } from './beam-table.mjs';
import { round2 } from './message.mjs';

const GIB = 2 ** 30;

const ok = (x) => x && !x.notMeasured;
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : round2(a / b));

/** @returns {{ratios: object, targets: Array<{target, value, met, note?}>}} */
export function evaluate(r) {
  const { erlang, raw1, raw256, transport, kindred } = r.remote;
  const k = ok(kindred) ? kindred : null;
  const e = ok(erlang) ? erlang : null;
  const ratios = {
    onewayKindredVsErlang: ratio(k?.oneway.msgPerSec, e?.oneway.msgPerSec),
    onewayKindredVsRaw1: ratio(k?.oneway.msgPerSec, ok(raw1) ? raw1.oneway.msgPerSec : null),
    onewayKindredVsRaw256: ratio(k?.oneway.msgPerSec, ok(raw256) ? raw256.oneway.msgPerSec : null),
    onewayKindredVsTransport: ratio(k?.oneway.msgPerSec, ok(transport) ? transport.oneway.msgPerSec : null),
    onewayTransportVsRaw256: ratio(
      ok(transport) ? transport.oneway.msgPerSec : null,
      ok(raw256) ? raw256.oneway.msgPerSec : null,
    ),
    onewayRaw256VsErlang: ratio(ok(raw256) ? raw256.oneway.msgPerSec : null, e?.oneway.msgPerSec),
    rttP50KindredVsErlang: ratio(k?.rtt.p50Us, e?.rtt.p50Us),
    rttP99KindredVsErlang: ratio(k?.rtt.p99Us, e?.rtt.p99Us),
    rttP50KindredVsRaw1: ratio(k?.rtt.p50Us, ok(raw1) ? raw1.rtt.p50Us : null),
  };
  const why = (...xs) => xs.find((x) => x?.notMeasured)?.notMeasured ?? 'not measured';
  const targets = [];
  const add = (target, value, met, note) => targets.push({ target, value, met, ...(note ? { note } : {}) });

  if (k && e)
    add(
      'remote one-way throughput >= 2x Erlang',
      `${ratios.onewayKindredVsErlang}x`,
      ratios.onewayKindredVsErlang >= 2,
    );
  else add('remote one-way throughput >= 2x Erlang', null, null, why(kindred, erlang));
  if (k && e) {
    add(
      'round trip p50 <= Erlang p50',
      `${ratios.rttP50KindredVsErlang}x`,
      ratios.rttP50KindredVsErlang <= 1,
    );
    add(
      'round trip p99 <= 2x Erlang p99',
      `${ratios.rttP99KindredVsErlang}x`,
      ratios.rttP99KindredVsErlang <= 2,
    );
  } else {
    add('round trip p50 <= Erlang p50', null, null, why(kindred, erlang));
    add('round trip p99 <= 2x Erlang p99', null, null, why(kindred, erlang));
  }
  const f20 = r.formation?.pods20;
  if (ok(f20)) {
    const limit = f20.pollIntervalMs + 1000;
    add('20-pod formation <= one poll interval + 1 s', `${f20.ms} ms (limit ${limit} ms)`, f20.ms <= limit);
  } else add('20-pod formation <= one poll interval + 1 s', null, null, why(r.formation, f20));
  const f50 = r.formation?.pods50;
  if (ok(f50)) {
    const limit = f50.pollIntervalMs + 2000;
    add('50-pod formation <= one poll interval + 2 s', `${f50.ms} ms (limit ${limit} ms)`, f50.ms <= limit);
    if (f50.idle) {
      add(
        '50-pod idle CPU < 0.3% of a core per pod',
        `${f50.idle.meanPctPerPod}% mean, ${f50.idle.maxPctPerPod}% max`,
        f50.idle.meanPctPerPod < 0.3 && f50.idle.meshIntact,
        f50.idle.meshIntact ? undefined : 'the mesh broke while idle',
      );
    }
  } else {
    add('50-pod formation <= one poll interval + 2 s', null, null, why(r.formation, f50));
    add('50-pod idle CPU < 0.3% of a core per pod', null, null, why(r.formation, f50));
  }
  const s = ok(r.local) ? r.local.spawn : null;
  if (s && !s.notMeasured) {
    // Scale to 1,000,000 when a --quick run spawned fewer; the note says so.
    const scale = 1_000_000 / s.processes;
    const note = scale === 1 ? undefined : `extrapolated from ${s.processes} processes`;
    const bytes = s.bytesPerProcess * 1_000_000;
    add('1,000,000 idle processes < 1 GiB', `${round2(bytes / GIB)} GiB`, bytes < GIB, note);
    add('1,000,000 idle processes < 2 s', `${round2(s.seconds * scale)} s`, s.seconds * scale < 2, note);
  } else {
    add('1,000,000 idle processes < 1 GiB', null, null, why(r.local, s));
    add('1,000,000 idle processes < 2 s', null, null, why(r.local, s));
  }
  // Erlang's wire beside Erlang's own (bench/lib/beam-table.mjs): parity one-way, round trip within 1.5x.
  if (r.beam) targets.push(...beamTargets(r.beam));
  return { ratios, targets };
}
