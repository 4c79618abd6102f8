// Both wires side by side with Erlang's own (issue 18): erl <-> erl, kindred <-> kindred on kindred's wire, kindred
// <-> kindred on Erlang's wire, and kindred <-> erl mixed both ways, each with its one-way throughput and round trip
// p50/p99 and their ratios to erl <-> erl in the same run. `node bench/run.mjs --only beam` prints it alone; the full
// run (`node bench/run.mjs`) carries it as `beam` in --json and RESULTS.md.
import { runErlToKindred, runKindredBeam, runKindredToErl } from './beam.mjs';
import { runErlang } from './erlang.mjs';
import { runKindredRemote } from './kindred.mjs';
import { round2 } from './message.mjs';

/** The rows: key, label, how to run it. */
export function beamSystems({ messages, rounds }) {
  return [
    [
      'erlang',
      'erl <-> erl (Erlang distribution, kbench.erl both sides)',
      () => runErlang({ messages, rounds }),
    ],
    ['kindredWire', "kindred <-> kindred, kindred's own wire", () => runKindredRemote({ messages, rounds })],
    ['kindredBeam', "kindred <-> kindred, Erlang's wire", () => runKindredBeam({ messages, rounds })],
    [
      'kindredToErl',
      "kindred -> erl, Erlang's wire (measured by kindred)",
      () => runKindredToErl({ messages, rounds }),
    ],
    [
      'erlToKindred',
      "erl -> kindred, Erlang's wire (measured by erl)",
      () => runErlToKindred({ messages, rounds }),
    ],
  ];
}

const ok = (x) => x && !x.notMeasured;
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : round2(a / b));

/** Each row's ratios to erl <-> erl: one-way (higher is better), p50 and p99 (lower is better). */
export function beamRatios(results) {
  const e = ok(results.erlang) ? results.erlang : null;
  const out = {};
  for (const [key, r] of Object.entries(results)) {
    if (key === 'erlang' || !ok(r) || !e) {
      out[key] = { onewayVsErlang: null, rttP50VsErlang: null, rttP99VsErlang: null };
      continue;
    }
    out[key] = {
      onewayVsErlang: ratio(r.oneway.msgPerSec, e.oneway.msgPerSec),
      rttP50VsErlang: ratio(r.rtt.p50Us, e.rtt.p50Us),
      rttP99VsErlang: ratio(r.rtt.p99Us, e.rtt.p99Us),
    };
  }
  return out;
}

/**
 * The targets of Erlang's wire (issue 18 "Both wires ... side by side with Erlang's own", this bench's README):
 * kindred on Erlang's wire at parity with erl <-> erl one-way in every direction, round trip p50 and p99 within 1.5x.
 */
export function beamTargets(beam) {
  const targets = [];
  const add = (target, value, met, note) => targets.push({ target, value, met, ...(note ? { note } : {}) });
  const rows = [
    ['kindredToErl', 'kindred -> erl'],
    ['erlToKindred', 'erl -> kindred'],
    ['kindredBeam', "kindred <-> kindred on Erlang's wire"],
  ];
  for (const [key, label] of rows) {
    const q = beam?.ratios?.[key];
    const why = beam?.results?.[key]?.notMeasured ?? beam?.results?.erlang?.notMeasured ?? 'not measured';
    if (q?.onewayVsErlang == null) {
      add(`${label} one-way >= 1x erl <-> erl`, null, null, why);
      add(`${label} round trip p50 <= 1.5x and p99 <= 1.5x erl <-> erl`, null, null, why);
      continue;
    }
    add(`${label} one-way >= 1x erl <-> erl`, `${q.onewayVsErlang}x`, q.onewayVsErlang >= 1);
    add(
      `${label} round trip p50 <= 1.5x and p99 <= 1.5x erl <-> erl`,
      `p50 ${q.rttP50VsErlang}x, p99 ${q.rttP99VsErlang}x`,
      q.rttP50VsErlang <= 1.5 && q.rttP99VsErlang <= 1.5,
    );
  }
  return targets;
}

const fmtInt = (x) => Math.round(x).toLocaleString('en-US');
const fmtX = (x) => (x == null ? '-' : `${x.toFixed(2)}x`);

/** The table as text lines (`markdown`: a Markdown table). */
export function beamLines(beam, { markdown = false } = {}) {
  const head = [
    'system',
    'msg/s one-way',
    'rtt p50 us',
    'rtt p99 us',
    'one-way vs erl',
    'p50 vs erl',
    'p99 vs erl',
  ];
  const body = beam.systems.map(([key, label]) => {
    const r = beam.results[key];
    if (!ok(r)) return [label, `not measured: ${r?.notMeasured ?? '-'}`, '', '', '', '', ''];
    const q =
      key === 'erlang' ? { onewayVsErlang: 1, rttP50VsErlang: 1, rttP99VsErlang: 1 } : beam.ratios[key];
    return [
      label,
      fmtInt(r.oneway.msgPerSec),
      String(r.rtt.p50Us),
      String(r.rtt.p99Us),
      fmtX(q.onewayVsErlang),
      fmtX(q.rttP50VsErlang),
      fmtX(q.rttP99VsErlang),
    ];
  });
  if (markdown) {
    return [head, head.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
  }
  // A "not measured" row does not widen the columns: its reason runs on past them.
  const measured = [head, ...body.filter((row) => row[2] !== '')];
  const widths = head.map((_, i) => Math.max(...measured.map((row) => String(row[i]).length)));
  return [head, ...body].map((cells) =>
    cells[2] === '' && cells !== head
      ? `${String(cells[0]).padEnd(widths[0])} | ${cells[1]}`
      : cells
          .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
          .join(' | '),
  );
}

/**
 * Runs every row `repeat` times, order alternating (forward, backward, ...), through `section` (run.mjs's: a failure
 * becomes "not measured"), and keeps each row's best with `bestOf`. Returns `{ systems, results, ratios, targets }`.
 */
export async function runBeamTable({ messages, rounds, repeat, section, bestOf }) {
  const systems = beamSystems({ messages, rounds });
  const runsOf = Object.fromEntries(systems.map(([k]) => [k, []]));
  for (let rep = 0; rep < repeat; rep++) {
    for (const [key, label, fn] of rep % 2 === 0 ? systems : [...systems].reverse()) {
      runsOf[key].push(await section(`${label} (run ${rep + 1} of ${repeat})`, fn));
    }
  }
  const results = Object.fromEntries(systems.map(([k]) => [k, bestOf(runsOf[k])]));
  const beam = { systems: systems.map(([k, label]) => [k, label]), results, ratios: beamRatios(results) };
  beam.targets = beamTargets(beam);
  return beam;
}
