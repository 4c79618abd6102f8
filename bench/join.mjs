#!/usr/bin/env node
// Boot and join CPU of one pod (issue 18's 50-pod formation is bound by it): N peers already meshed in one process
// (bench/lib/join-peers.mjs, this build's runtime, on 127.77.0.x), then examples/simple-web-service started as
// the N+1th node with static discovery of all N; its CPU time (utime + stime) when its HTTP server first answers and
// when GET /nodes lists all N, and what accepting it cost the N peers together. No root, no namespaces.
//   node bench/join.mjs [--peers 49] [--rounds 5] [--base DIR] [--cpu-prof DIR] [--json]
// With --base, the app of the checkout at DIR (built) alternates with this build's, order swapping each round,
// against the same peers; rows are medians. See bench/README.md, "Boot and join CPU".
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds } from './lib/formation.mjs';

const USAGE = `usage: node bench/join.mjs [--peers N] [--rounds R] [--base DIR] [--cpu-prof DIR] [--json]
  --peers N       peers already meshed (default 49: the 50th pod of issue 18's lab)
  --rounds R      joins of each build (default 5); rows are medians
  --base DIR      A/B: also join with the app of the checkout at DIR (built), alternating with this build's
  --cpu-prof DIR  the joiners run under node --cpu-prof (profiles in DIR/this, DIR/base; summarise them with
                  node bench/lib/join-profile.mjs DIR/this/*.cpuprofile)
  --json          one JSON object on stdout`;

const argv = process.argv.slice(2);
const value = (flag) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const peers = Number(value('--peers') ?? 49);
const rounds = Number(value('--rounds') ?? 5);
if (!Number.isInteger(peers) || peers < 1 || peers > 250 || !Number.isInteger(rounds) || rounds < 1) {
  console.error(USAGE);
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const builds = [{ label: 'this', dir: root }];
if (value('--base') !== undefined) builds.push({ label: 'base', dir: resolve(value('--base')) });
const cpuProfDir = value('--cpu-prof') === undefined ? undefined : resolve(value('--cpu-prof'));
const json = argv.includes('--json');
const COOKIE = 'kindred-bench-join';

/** A free TCP port (listen on 0, read it, close). */
function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const peerPort = await freePort();
const peerProc = spawn(
  process.execPath,
  [
    join(root, 'bench/lib/join-peers.mjs'),
    join(root, 'packages/runtime/dist/index.js'),
    String(peers),
    String(peerPort),
    COOKIE,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await new Promise((res, rej) => {
  peerProc.once('exit', (code) => rej(new Error(`peers exited with ${code}`)));
  peerProc.stdout.on('data', (b) => {
    if (String(b).includes('meshed')) res();
  });
});
const spec = `static:${Array.from({ length: peers }, (_, i) => `p${i}@127.77.0.${i + 1}:${peerPort}`).join(',')}`;

/** One join: the app of `dir` as `joiner@127.77.1.1`; CPU seconds at HTTP up and at formation. */
async function joinOnce(dir, prof) {
  const kindredPort = await freePort();
  const peersBefore = cpuSeconds(peerProc.pid);
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`]),
      join(dir, 'examples/simple-web-service/dist/main.js'),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        KINDRED_NAME: 'joiner',
        KINDRED_HOST: '127.77.1.1',
        KINDRED_PORT: String(kindredPort),
        KINDRED_COOKIE: COOKIE,
        KINDRED_DISCOVERY: spec,
        KINDRED_DRAIN_MS: '0',
        HTTP_HOST: '127.77.1.1',
        PORT: '0',
        LOG_LEVEL: 'info',
      },
    },
  );
  let httpPort;
  let text = '';
  child.stdout.on('data', (b) => {
    if (httpPort !== undefined) return;
    text += b;
    const m = /"httpPort":(\d+)/.exec(text);
    if (m) httpPort = Number(m[1]);
  });
  let http;
  let formed;
  const deadline = performance.now() + 60_000;
  while (formed === undefined && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    if (httpPort === undefined) continue;
    try {
      const body = await (await fetch(`http://127.77.1.1:${httpPort}/nodes`)).json();
      http ??= { ms: Math.round(performance.now() - t0), cpuS: cpuSeconds(child.pid) };
      if (body.nodes.length >= peers)
        formed = { ms: Math.round(performance.now() - t0), cpuS: cpuSeconds(child.pid) };
    } catch {
      // not serving yet
    }
  }
  const peersCpuS = cpuSeconds(peerProc.pid) - peersBefore;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  if (formed === undefined) throw new Error(`${dir}: the joiner did not see ${peers} peers within 60 s`);
  // Let the peers notice the leave before the next join.
  await new Promise((r) => setTimeout(r, 500));
  return { httpMs: http.ms, httpCpuS: http.cpuS, formedMs: formed.ms, formedCpuS: formed.cpuS, peersCpuS };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const runs = Object.fromEntries(builds.map((b) => [b.label, []]));
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? builds : [...builds].reverse();
    for (const b of order) {
      const res = await joinOnce(b.dir, cpuProfDir === undefined ? undefined : join(cpuProfDir, b.label));
      runs[b.label].push(res);
      if (!json) process.stderr.write(`join: round ${r + 1} ${b.label} ${JSON.stringify(res)}\n`);
    }
  }
} finally {
  peerProc.kill('SIGTERM');
}
const rows = Object.fromEntries(
  Object.entries(runs).map(([label, rs]) => [
    label,
    Object.fromEntries(
      Object.keys(rs[0]).map((k) => [k, Math.round(median(rs.map((x) => x[k])) * 1000) / 1000]),
    ),
  ]),
);
const out = {
  command: `node bench/join.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`,
  peers,
  rounds,
  builds,
  rows,
  runs,
};
if (json) console.log(JSON.stringify(out, null, 2));
else {
  for (const [label, row] of Object.entries(rows)) {
    console.log(
      `${label.padEnd(5)} HTTP up ${row.httpMs} ms at ${row.httpCpuS} CPU-s; sees ${peers} peers ${row.formedMs} ms at ${row.formedCpuS} CPU-s; the ${peers} peers spent ${row.peersCpuS} CPU-s accepting it`,
    );
  }
  if (rows.base !== undefined) {
    console.log(
      `CPU at formation, this / base: ${(rows.this.formedCpuS / rows.base.formedCpuS).toFixed(2)}x`,
    );
  }
}
process.exit(0);
