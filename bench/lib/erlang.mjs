// Baseline: two real Erlang nodes (Debian erlang-base) over loopback, with their own epmd on a random port so the
// shared epmd on 4369 is never touched. Code: bench/erlang/kbench.erl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runId, start } from './proc.mjs';

const ERL_SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'erlang', 'kbench.erl');

/** OTP release of the installed `erl`, e.g. "25". */
export function otpRelease() {
  return execFileSync(
    'erl',
    ['-noshell', '-eval', 'io:format("~s",[erlang:system_info(otp_release)]), halt().'],
    {
      encoding: 'utf8',
    },
  ).trim();
}

/** The shape runErlang returns, from kbench's KBENCH line (also what bench/lib/beam.mjs reports for erl's side). */
export function fromKbench(r) {
  return {
    otp: r.otp,
    oneway: {
      messages: r.oneway.messages,
      confirmed: r.oneway.confirmed,
      seconds: r.oneway.us / 1e6,
      msgPerSec: r.oneway.messages / (r.oneway.us / 1e6),
    },
    rtt: { rounds: r.rtt.rounds, p50Us: r.rtt.p50_us, p99Us: r.rtt.p99_us },
  };
}

/**
 * Run the Erlang baseline: one-way throughput of `messages` map messages and `rounds` sequential ping-pongs.
 * @returns {{oneway: {messages, confirmed, seconds, msgPerSec}, rtt: {rounds, p50Us, p99Us}}}
 */
export async function runErlang({ messages, rounds, timeoutMs = 180_000 }) {
  const dir = mkdtempSync(join(tmpdir(), 'kbench-erl-'));
  const procs = [];
  try {
    compileKbench(dir);
    const { proc: epmd, env } = await startPrivateEpmd();
    procs.push(epmd);
    const id = runId();
    const cookie = `kbench_${id}_${runId()}`;
    const recvName = `kbr_${id}@127.0.0.1`;
    const common = ['-setcookie', cookie, '-noshell', '-start_epmd', 'false', '-pa', dir];
    const recv = start(
      'erl',
      ['-name', recvName, ...common, '-eval', 'kbench:sink(), io:format("READY~n").'],
      { env },
    );
    procs.push(recv);
    await recv.waitFor(/^READY$/, 30_000, 'READY');
    const send = start(
      'erl',
      [
        '-name',
        `kbs_${id}@127.0.0.1`,
        ...common,
        '-eval',
        `kbench:run('${recvName}', ${messages}, ${rounds}).`,
      ],
      { env },
    );
    procs.push(send);
    const [, json] = await send.waitFor(/^KBENCH (.*)$/, timeoutMs, 'the KBENCH result line');
    return fromKbench(JSON.parse(json));
  } finally {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compiles bench/erlang/kbench.erl into `dir` (give erl `-pa dir`). */
export function compileKbench(dir) {
  execFileSync('erlc', ['-o', dir, ERL_SRC]);
}

/**
 * A private `epmd` on a free loopback port (never the shared one on 4369), up and answering.
 * @returns {Promise<{proc, port: number, env: NodeJS.ProcessEnv}>} `env` is process.env with ERL_EPMD_PORT set.
 */
export async function startPrivateEpmd() {
  const port = await freePort();
  const proc = start('epmd', ['-port', String(port), '-address', '127.0.0.1']);
  const env = { ...process.env, ERL_EPMD_PORT: String(port) };
  try {
    await waitEpmd(port, env);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { proc, port, env };
}

async function waitEpmd(port, env) {
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('epmd', ['-port', String(port), '-names'], { env, stdio: 'ignore' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`epmd on 127.0.0.1:${port} did not come up`);
}

// Stand-alone: node bench/lib/erlang.mjs [messages] [rounds]
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const messages = Number(process.argv[2] ?? 20_000);
  const rounds = Number(process.argv[3] ?? 2_000);
  console.log(JSON.stringify(await runErlang({ messages, rounds })));
}
