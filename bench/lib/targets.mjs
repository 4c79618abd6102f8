// Ratios against the baselines and the targets, each marked met / missed / not measured.

import { beamTargets } from './beam-table.mjs';
import { fanoutTargets } from './fanout.mjs';
import { round2 } from './message.mjs';

const GIB = 2 ** 30;

const ok = (x) => x && !x.notMeasured;
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : round2(a / b));

/**
 * The two-node targets of issue 18, each with its baseline (the figure of the system it is judged against, in the
 * same run) and the ratio: one-way >= 3x Erlang and >= 0.75x raw ws + msgpackr batched (256 per frame), round trip
 * p50 <= 0.9x and p99 <= 1.5x Erlang's.
 * @returns {Array<{target, value, met, note?, baseline?, ratio?}>}
 */
export function remoteTargets(remote, ratios) {
  const { erlang, raw256, kindred } = remote;
  const out = [];
  const rows = [
    [
      'remote one-way throughput >= 3x Erlang',
      erlang,
      (x) => x.oneway.msgPerSec,
      'msg/s',
      (q) => q >= 3,
      'onewayKindredVsErlang',
    ],
    [
      'remote one-way throughput >= 0.75x raw ws + msgpackr, 256 per frame',
      raw256,
      (x) => x.oneway.msgPerSec,
      'msg/s',
      (q) => q >= 0.75,
      'onewayKindredVsRaw256',
    ],
    [
      'round trip p50 <= 0.9x Erlang p50',
      erlang,
      (x) => x.rtt.p50Us,
      'us',
      (q) => q <= 0.9,
      'rttP50KindredVsErlang',
    ],
    [
      'round trip p99 <= 1.5x Erlang p99',
      erlang,
      (x) => x.rtt.p99Us,
      'us',
      (q) => q <= 1.5,
      'rttP99KindredVsErlang',
    ],
  ];
  for (const [target, base, fig, unit, meets, key] of rows) {
    if (!ok(kindred) || !ok(base)) {
      out.push({
        target,
        value: null,
        met: null,
        note: [kindred, base].find((x) => x?.notMeasured)?.notMeasured ?? 'not measured',
      });
      continue;
    }
    const q = ratios[key];
    const show = (v) =>
      unit === 'us' ? `${round2(v)} us` : `${Math.round(v).toLocaleString('en-US')} msg/s`;
    out.push({
      target,
      value: `${q}x (kindred ${show(fig(kindred))}, baseline ${show(fig(base))})`,
      met: meets(q),
      kindred: fig(kindred),
      baseline: fig(base),
      ratio: q,
    });
  }
  return out;
}

/** @returns {{ratios: object, targets: Array<{target, value, met, note?}>}} */
export function evaluate(r) {
  const { erlang, raw1, raw256, transport, kindred } = r.remote ?? {};
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
    mesh: meshRows(r.formation),
  };
  const why = (...xs) => xs.find((x) => x?.notMeasured)?.notMeasured ?? 'not measured';
  const targets = [];
  const add = (target, value, met, note) => targets.push({ target, value, met, ...(note ? { note } : {}) });

  targets.push(...remoteTargets(r.remote, ratios));
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
  if ('fanout' in r) {
    fanoutTargets(r.fanout, add);
    const f = ok(r.fanout) ? r.fanout : null;
    ratios.broadcastVsPointToPoint = f?.broadcast?.ratio ?? null;
    ratios.groupsBroadcastVsPointToPoint = f?.groups?.ratio ?? null;
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
  targets.push(...evaluateIdle(r.idle, r.sizes?.processes));
  if (ok(r.idle)) {
    ratios.idleSpawnTimeVsFloor = r.idle.spawn.timeVsFloor;
    ratios.idleSpawnCpuVsFloor = r.idle.spawn.cpuVsFloor;
    ratios.idleSpawnBytesVsFloor = r.idle.spawn.bytesVsFloor;
    ratios.idleServerTimeVsFloor = r.idle.server.timeVsFloor;
    ratios.idleServerCpuVsFloor = r.idle.server.cpuVsFloor;
    ratios.idleServerBytesVsFloor = r.idle.server.bytesVsFloor;
  }
  // Erlang's wire beside Erlang's own (bench/lib/beam-table.mjs): parity one-way, round trip within 1.5x.
  if (r.beam) targets.push(...beamTargets(r.beam));
  return { ratios, targets };
}

/**
 * Issue 18's idle targets, from bench/lib/idle.mjs's figures (ratios to the async-function floor of the same run):
 * idle processes <= 1.25x the floor in time and in bytes, idle servers <= 1x.
 */
export function evaluateIdle(idle, processes) {
  const out = [];
  const n = ok(idle) ? idle.floor.processes : processes;
  const note =
    n === 1_000_000
      ? undefined
      : `${n} processes, not 1,000,000: fixed costs (the runtime's code still cold) weigh more there`;
  const rows = [
    ['1,000,000 idle processes <= 1.25x the async floor in time', 'spawn', 'timeVsFloor', 1.25],
    ['1,000,000 idle processes <= 1.25x the async floor in memory', 'spawn', 'bytesVsFloor', 1.25],
    ['1,000,000 idle servers <= the async floor in time', 'server', 'timeVsFloor', 1],
    ['1,000,000 idle servers <= the async floor in memory', 'server', 'bytesVsFloor', 1],
  ];
  for (const [target, mode, key, limit] of rows) {
    if (!ok(idle)) out.push({ target, value: null, met: null, note: idle?.notMeasured ?? 'not measured' });
    else {
      const v = idle[mode][key];
      out.push({ target, value: `${v}x`, met: v <= limit, ...(note ? { note } : {}) });
    }
  }
  return out;
}

/** Issue 18's mesh-scale targets: formation within one poll interval + 2 s of the last start, idle CPU per pod. */
const MESH_SLACK_MS = 2000;
const MESH_IDLE_TARGET_PCT = 0.3;

/**
 * One row per lab size in `formation` (runFormation's result): formation time against its limit (poll interval + 2 s)
 * and idle CPU per pod against 0.3% of a core, each with its ratio to that baseline; with `ab` (bench/mesh.mjs
 * --base), the base build's figures and the ratios this / base.
 */
export function meshRows(formation, ab) {
  if (!formation || formation.notMeasured)
    return [{ pods: null, notMeasured: formation?.notMeasured ?? 'not run' }];
  return Object.entries(formation).map(([key, f]) => {
    const pods = Number(key.slice(4));
    const base = ab?.formation?.[key];
    const baseRow = base
      ? base.notMeasured
        ? { notMeasured: base.notMeasured }
        : { formationMs: base.ms, idleMeanPct: base.idle?.meanPctPerPod ?? null }
      : undefined;
    const extra = ab ? { base: baseRow, vsBase: ab.vsBase?.[key] } : {};
    if (!ok(f)) return { pods, notMeasured: f?.notMeasured ?? 'not measured', ...extra };
    const limitMs = f.pollIntervalMs + MESH_SLACK_MS;
    return {
      pods,
      formationMs: f.ms,
      limitMs,
      formationVsLimit: round2(f.ms / limitMs),
      formationMet: f.ms <= limitMs,
      startSpreadMs: f.podsStartSpreadMs,
      idleMeanPct: f.idle?.meanPctPerPod ?? null,
      idleMedianPct: f.idle?.medianPctPerPod ?? null,
      idleMaxPct: f.idle?.maxPctPerPod ?? null,
      idleTargetPct: MESH_IDLE_TARGET_PCT,
      idleVsTarget: f.idle ? round2(f.idle.meanPctPerPod / MESH_IDLE_TARGET_PCT) : null,
      idleMet: f.idle ? f.idle.meanPctPerPod < MESH_IDLE_TARGET_PCT && f.idle.meshIntact : null,
      meshIntact: f.idle?.meshIntact ?? null,
      // The next window of the same length, right after the first.
      idleLateMeanPct: f.idleLate?.meanPctPerPod ?? null,
      idleLateVsTarget: f.idleLate ? round2(f.idleLate.meanPctPerPod / MESH_IDLE_TARGET_PCT) : null,
      ...extra,
    };
  });
}
