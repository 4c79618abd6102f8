#!/usr/bin/env node
// A/B of two commits on the figures a refactor must not move: kindred's one-way throughput and round trip between
// two nodes, and the local spawn of idle processes. Each commit is checked out in its own temporary worktree,
// installed and built; then the runs alternate (A B B A A B ...) so load on the shared machine falls on both alike,
// and the medians and their ratio B/A are printed. See bench/README.md ("A/B of two commits").
//   node bench/ab.mjs <refA> <refB> [--runs N] [--messages N] [--rounds N] [--processes N] [--json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const USAGE = `usage: node bench/ab.mjs <refA> <refB> [--runs N] [--messages N] [--rounds N] [--processes N] [--json]
  refA, refB      commits (any git ref) to compare; B/A ratios are printed (one-way > 1 is faster, latency and
                  spawn time < 1 are faster)
  --runs N        runs per commit, alternated A B B A ... (default 4)
  --messages N    one-way messages per run (default 300000)
  --rounds N      round trips per run (default 5000)
  --processes N   idle processes spawned per run (default 300000)
  --json          print one JSON object instead of the table
Exit codes: 0 measured, 1 a run failed (the message says which), 2 usage error.`;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const opts = { runs: 4, messages: 300_000, rounds: 5_000, processes: 300_000, json: false };
const refs = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--help' || a === '-h') {
    console.log(USAGE);
    process.exit(0);
  } else if (a === '--json') opts.json = true;
  else if (['--runs', '--messages', '--rounds', '--processes'].includes(a)) {
    const n = Number(argv[++i]);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`${a} needs a positive integer\n${USAGE}`);
      process.exit(2);
    }
    opts[a.slice(2)] = n;
  } else if (a.startsWith('-')) {
    console.error(`unknown option ${a}\n${USAGE}`);
    process.exit(2);
  } else refs.push(a);
}
if (refs.length !== 2) {
  console.error(`need exactly two refs\n${USAGE}`);
  process.exit(2);
}
const say = (s) => {
  if (!opts.json) process.stderr.write(`ab: ${s}\n`);
};

function git(...args) {
  return execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();
}

/** A built checkout of `ref` in a temporary worktree. */
function prepare(ref, base) {
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(base, sha.slice(0, 12));
  git('worktree', 'add', '--detach', dir, sha);
  say(`${ref} (${sha.slice(0, 12)}): installing and building in ${dir}`);
  const sh = (cmd) => execFileSync('bash', ['-c', cmd], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  sh('bash scripts/pnpm.sh install --frozen-lockfile --prefer-offline --reporter=silent');
  sh('bash scripts/pnpm.sh run --silent build');
  return { ref, sha, dir };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const base = mkdtempSync(join(tmpdir(), 'kindred-ab-'));
const sides = [];
let failed = false;
try {
  for (const ref of refs) sides.push(prepare(ref, base));
  const drivers = await Promise.all(
    sides.map((s) => import(pathToFileURL(join(s.dir, 'bench', 'lib', 'kindred.mjs')).href)),
  );
  const results = sides.map(() => ({ oneway: [], p50: [], p99: [], spawn: [] }));
  // A B B A A B B A ...: each pair of runs swaps the order, so neither side always runs first.
  const order = [];
  for (let i = 0; i < opts.runs; i++) order.push(...(i % 2 === 0 ? [0, 1] : [1, 0]));
  for (const [k, side] of order.entries()) {
    const d = drivers[side];
    say(`run ${k + 1}/${order.length}: ${sides[side].ref}`);
    const remote = await d.runKindredRemote({ messages: opts.messages, rounds: opts.rounds });
    const local = await d.runKindredLocal({ processes: opts.processes, messages: 1_000, repeat: 1 });
    const r = results[side];
    r.oneway.push(remote.oneway.msgPerSec);
    r.p50.push(remote.rtt.p50Us);
    r.p99.push(remote.rtt.p99Us);
    r.spawn.push(local.spawn.seconds);
  }
  const summary = sides.map((s, i) => ({
    ref: s.ref,
    sha: s.sha,
    onewayMsgPerSec: Math.round(median(results[i].oneway)),
    rttP50Us: median(results[i].p50),
    rttP99Us: median(results[i].p99),
    spawnSeconds: Math.round(median(results[i].spawn) * 1000) / 1000,
    runs: results[i],
  }));
  const [a, b] = summary;
  const ratio = (k) => Math.round((b[k] / a[k]) * 1000) / 1000;
  const out = {
    command: `node bench/ab.mjs ${process.argv.slice(2).join(' ')}`,
    sizes: { runs: opts.runs, messages: opts.messages, rounds: opts.rounds, processes: opts.processes },
    a,
    b,
    ratioBOverA: {
      onewayMsgPerSec: ratio('onewayMsgPerSec'),
      rttP50Us: ratio('rttP50Us'),
      rttP99Us: ratio('rttP99Us'),
      spawnSeconds: ratio('spawnSeconds'),
    },
  };
  if (opts.json) console.log(JSON.stringify(out));
  else {
    const row = (name, k, unit) =>
      `${name.padEnd(22)} ${`${a[k]}${unit}`.padStart(14)} ${`${b[k]}${unit}`.padStart(14)} ${String(out.ratioBOverA[k]).padStart(8)}`;
    console.log(`medians of ${opts.runs} alternated runs each; ${out.command}`);
    console.log(
      `${''.padEnd(22)} ${`A ${a.sha.slice(0, 8)}`.padStart(14)} ${`B ${b.sha.slice(0, 8)}`.padStart(14)} ${'B/A'.padStart(8)}`,
    );
    console.log(row('one-way (msg/s)', 'onewayMsgPerSec', ''));
    console.log(row('round trip p50', 'rttP50Us', ' us'));
    console.log(row('round trip p99', 'rttP99Us', ' us'));
    console.log(row(`spawn ${opts.processes}`, 'spawnSeconds', ' s'));
  }
} catch (err) {
  failed = true;
  console.error(`ab: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  for (const s of sides) {
    try {
      git('worktree', 'remove', '--force', s.dir);
    } catch {}
  }
  rmSync(base, { recursive: true, force: true });
  git('worktree', 'prune');
}
process.exit(failed ? 1 : 0);
