import { fanoutTable } from './fanout.mjs';

// Renders a run's results as a terminal table and as bench/RESULTS.md. Every figure comes from the results object.
const fmtInt = (x) => (x == null ? '-' : Math.round(x).toLocaleString('en-US'));
const fmtUs = (x) => (x == null ? '-' : `${x.toFixed(1)} us`);
const fmtX = (x) => (x == null ? '-' : `${x}x`);
const nm = (x) => x?.notMeasured;

function rows(r) {
  const { erlang, raw1, raw256, transport, kindred } = r.remote;
  const remoteRow = (label, x, oneVsErl, p50VsErl, p99VsErl) =>
    nm(x)
      ? [label, `not measured: ${nm(x)}`, '', '', '', '', '']
      : [
          label,
          `${fmtInt(x.oneway.msgPerSec)} msg/s`,
          fmtUs(x.rtt?.p50Us),
          fmtUs(x.rtt?.p99Us),
          fmtX(oneVsErl),
          fmtX(p50VsErl),
          fmtX(p99VsErl),
        ];
  const ev = r.ratios;
  const vsErl = (x) =>
    nm(x) || nm(erlang)
      ? [null, null, null]
      : [
          Math.round((x.oneway.msgPerSec / erlang.oneway.msgPerSec) * 100) / 100,
          Math.round((x.rtt.p50Us / erlang.rtt.p50Us) * 100) / 100,
          Math.round((x.rtt.p99Us / erlang.rtt.p99Us) * 100) / 100,
        ];
  const remote = [
    [
      'system (two nodes, separate OS processes, loopback)',
      'one-way',
      'rtt p50',
      'rtt p99',
      'one-way vs Erlang',
      'p50 vs Erlang',
      'p99 vs Erlang',
    ],
    remoteRow(`Erlang distribution (OTP ${erlang.otp ?? r.machine.otp})`, erlang, 1, 1, 1),
    remoteRow('raw ws + msgpackr, 1 message per frame', raw1, ...vsErl(raw1)),
    remoteRow('raw ws + msgpackr, 256 messages per frame', raw256, ...vsErl(raw256)),
    ...(transport
      ? [remoteRow('@kindred/transport alone (no runtime, bare message)', transport, ...vsErl(transport))]
      : []),
    remoteRow(
      'kindred (@kindred/runtime, two nodes)',
      kindred,
      ev.onewayKindredVsErlang,
      ev.rttP50KindredVsErlang,
      ev.rttP99KindredVsErlang,
    ),
  ];
  const l = r.local;
  const local = [['kindred local', 'figure']];
  const idle = r.idle;
  if (idle !== undefined) {
    if (nm(idle)) local.push(['idle processes and servers vs the async floor', `not measured: ${nm(idle)}`]);
    else {
      const vs = (x) =>
        `${x.seconds.toFixed(2)} s (cpu ${x.cpuSeconds.toFixed(2)} s), ${fmtInt(x.bytesPerProcess)} bytes/process: ${x.timeVsFloor}x the floor's time (cpu ${x.cpuVsFloor}x), ${x.bytesVsFloor}x its bytes (median of ${idle.rounds} alternating rounds)`;
      local.push(
        [
          `floor: ${fmtInt(idle.floor.processes)} parked async functions (node --expose-gc, resolve kept)`,
          `${idle.floor.seconds.toFixed(2)} s (cpu ${idle.floor.cpuSeconds.toFixed(2)} s), ${fmtInt(idle.floor.bytesPerProcess)} bytes/function (median)`,
        ],
        [`${fmtInt(idle.spawn.processes)} idle processes (node.spawn, parked in receive)`, vs(idle.spawn)],
        [`${fmtInt(idle.server.processes)} idle servers (startServer, no traffic)`, vs(idle.server)],
      );
    }
  }
  if (nm(l)) local.push(['spawn / local send', `not measured: ${nm(l)}`]);
  else {
    local.push([
      `spawn ${fmtInt(l.spawn.processes)} idle processes`,
      `${l.spawn.seconds.toFixed(2)} s, ${fmtInt(l.spawn.bytesPerProcess)} bytes/process (heap+external after gc), ${(l.spawn.totalBytes / 2 ** 20).toFixed(0)} MiB total`,
    ]);
    if (l.spawn.stopSeconds !== undefined)
      local.push([
        `node.stop() with ${fmtInt(l.spawn.processes)} idle processes`,
        `${l.spawn.stopSeconds.toFixed(2)} s`,
      ]);
    if (l.spawnTuned)
      local.push([
        `spawn ${fmtInt(l.spawnTuned.processes)} idle processes under node ${l.spawnTuned.flag}`,
        `${l.spawnTuned.seconds.toFixed(2)} s, ${fmtInt(l.spawnTuned.bytesPerProcess)} bytes/process (for comparison; targets judged on the default row)`,
      ]);
    local.push([
      `local send, ${fmtInt(l.send.messages)} messages (sender yields every ${fmtInt(l.send.yieldEvery)})`,
      `${fmtInt(l.send.msgPerSec)} msg/s`,
    ]);
  }
  const f = r.formation;
  const formation = [
    [
      'cluster formation in the lab',
      'last pod started -> every node sees all others; then idle CPU per pod (share of one core)',
    ],
  ];
  for (const [k, label] of [
    ['pods5', '5 pods'],
    ['pods20', '20 pods'],
    ['pods50', '50 pods'],
  ]) {
    const x = nm(f) ? f : f[k];
    const idle = x?.idle
      ? `; idle ${x.idle.meanPctPerPod}% mean, ${x.idle.maxPctPerPod}% max per pod over ${fmtInt(x.idle.windowMs)} ms${x.idle.meshIntact ? '' : ' (the mesh broke while idle)'}`
      : '';
    formation.push([
      label,
      nm(x) ? `not measured: ${nm(x)}` : `${fmtInt(x.ms)} ms (poll interval ${x.pollIntervalMs} ms)${idle}`,
    ]);
  }
  const targets = [['target', 'value', 'status']];
  for (const t of r.targets)
    targets.push([
      t.target,
      t.value ?? '-',
      t.met === null
        ? `not measured: ${t.note}`
        : `${t.met ? 'met' : 'MISSED'}${t.note ? ` (${t.note})` : ''}`,
    ]);
  const extra = [
    ['ratio', 'value'],
    ['kindred one-way / raw 1 per frame', fmtX(ev.onewayKindredVsRaw1)],
    ['kindred one-way / raw 256 per frame', fmtX(ev.onewayKindredVsRaw256)],
    ['raw 256 per frame one-way / Erlang', fmtX(ev.onewayRaw256VsErlang)],
    ['kindred one-way / @kindred/transport alone', fmtX(ev.onewayKindredVsTransport)],
    ['@kindred/transport alone one-way / raw 256 per frame', fmtX(ev.onewayTransportVsRaw256)],
    ['kindred rtt p50 / raw 1 per frame', fmtX(ev.rttP50KindredVsRaw1)],
  ];
  const fanout = fanoutTable(r.fanout);
  return { remote, extra, local, fanout, formation, targets };
}

function mdTable(t) {
  const esc = (c) => String(c).replaceAll('|', '\\|');
  return [
    `| ${t[0].map(esc).join(' | ')} |`,
    `| ${t[0].map(() => '---').join(' | ')} |`,
    ...t.slice(1).map((row) => `| ${row.map(esc).join(' | ')} |`),
  ].join('\n');
}

function textTable(t) {
  const widths = t[0].map((_, i) => Math.max(...t.map((row) => String(row[i] ?? '').length)));
  return t
    .map((row) =>
      row
        .map((c, i) => String(c ?? '').padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function machineLine(r) {
  const m = r.machine;
  return `${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, Erlang/OTP ${m.otp}; load average (1/5/15 min) ${m.loadavgStart.join(' / ')} at start, ${m.loadavgEnd.join(' / ')} at end`;
}

function sizesLine(r) {
  const s = r.sizes;
  return `${fmtInt(s.messages)} one-way messages, ${fmtInt(s.rounds)} round trips, ${fmtInt(s.processes)} spawned processes, ${fmtInt(s.localMessages)} local messages; two-node figures are the median of ${s.remoteRuns ?? s.repeat} run${(s.remoteRuns ?? s.repeat) === 1 ? '' : 's'} per system, local figures the best of ${s.repeat} (alternating order; every run is in the raw figures)${r.quick ? ' (--quick: NOT the sizes the targets are defined for)' : ''}`;
}

export function renderText(r) {
  const t = rows(r);
  return [
    `kindred bench, ${r.date}, ${r.durationSeconds} s`,
    `machine: ${machineLine(r)}`,
    `sizes: ${sizesLine(r)}`,
    '',
    textTable(t.remote),
    '',
    textTable(t.extra),
    '',
    textTable(t.local),
    '',
    textTable(t.fanout),
    '',
    textTable(t.formation),
    '',
    textTable(t.targets),
  ].join('\n');
}

/** The two-node table, its ratios and targets alone (`run.mjs --only remote`). */
export function renderRemoteText(r) {
  const t = rows({ ...r, local: { notMeasured: '-' }, formation: { notMeasured: '-' } });
  return [
    `kindred bench, two nodes only, ${r.date}, ${r.durationSeconds} s`,
    `machine: ${machineLine(r)}`,
    `sizes: ${fmtInt(r.sizes.messages)} one-way messages, ${fmtInt(r.sizes.rounds)} round trips; each figure the median of ${r.sizes.remoteRuns} alternated run(s) per system`,
    '',
    textTable(t.remote),
    '',
    textTable(t.extra),
    '',
    textTable(t.targets),
  ].join('\n');
}

export function renderMarkdown(r) {
  const t = rows(r);
  // Judged by the load before the run: the bench itself keeps both cores busy, so the load at the end always looks
  // high and says nothing about other work.
  const busy = r.machine.loadavgStart[0] > r.machine.nproc * 0.5;
  return `# kindred bench results

Generated by \`${r.command}\` (do not edit by hand; run it again to refresh).

- Date: ${r.date} (run took ${r.durationSeconds} s)
- Machine: ${machineLine(r)}${busy ? `\n- **The machine was busy during this run** (load average above half the core count): other work shared the ${r.machine.nproc} cores, so every figure, baselines included, is lower and noisier than on an idle machine. The ratios, measured in the same run, are the more meaningful figures.` : ''}
- Sizes: ${sizesLine(r)}

## Two nodes: one-way throughput and round trip

${mdTable(t.remote)}

${mdTable(t.extra)}

## Local

${mdTable(t.local)}

## Fan-out and pg churn (3 nodes)

${mdTable(t.fanout)}

## Cluster formation

${mdTable(t.formation)}

## Targets (from the issue)

${mdTable(t.targets)}

Where the time goes for each missed target (profile summaries, the A/B runs behind each change, what would move it):
[bench/README.md](README.md): "kindred's own wire, issue 18" (remote throughput and round trip), "Idle processes
against the async floor", "Mesh scale" (50-pod formation), "Erlang's wire" (both wires beside Erlang's own).

## Raw figures

\`\`\`json
${JSON.stringify({ remote: r.remote, local: r.local, idle: r.idle, fanout: r.fanout, formation: r.formation, ratios: r.ratios }, null, 2)}
\`\`\`
`;
}
