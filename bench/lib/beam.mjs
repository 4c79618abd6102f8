// kindred on Erlang's distribution protocol (@kindred/beam) in the same run as erl <-> erl: a kindred node sending to
// erl, erl sending to a kindred node, and two kindred nodes both on Erlang's wire. Every pair shares a private epmd;
// erl runs bench/erlang/kbench.erl, kindred bench/kindred/beam-peer.mjs (against erl) or bench/kindred/peer.mjs with
// KBENCH_WIRE=erlang (kindred to kindred).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileKbench, fromKbench, startPrivateEpmd } from './erlang.mjs';
import { runKindredRemote } from './kindred.mjs';
import { runId, start } from './proc.mjs';

const BEAM_PEER = join(dirname(fileURLToPath(import.meta.url)), '..', 'kindred', 'beam-peer.mjs');

/** KBENCH_CPU_PROF=<dir> profiles the kindred side (as bench/lib/kindred.mjs does). */
function profFlags() {
  const dir = process.env.KBENCH_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

/** Lets a child exit on its own (a --cpu-prof profile is written at exit) for a few seconds, then kills it. */
async function exitOrKill(p, graceMs = 10_000) {
  let timer;
  await Promise.race([p.exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  await p.stop();
}

/** Runs `fn({ dir, env })` with kbench compiled into `dir` and a private epmd in `env`; cleans both up. */
async function withErl(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'kbench-beam-'));
  let epmd;
  try {
    compileKbench(dir);
    epmd = await startPrivateEpmd();
    return await fn({ dir, env: epmd.env });
  } finally {
    await epmd?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const erlArgs = (name, cookie, dir, evalExpr) => [
  '-name',
  name,
  '-setcookie',
  cookie,
  '-noshell',
  '-start_epmd',
  'false',
  '-pa',
  dir,
  '-eval',
  evalExpr,
];

/** A kindred node on Erlang's wire sends to erl's kbench:sink(): one-way and round trip measured by kindred. */
export async function runKindredToErl({ messages, rounds, timeoutMs = 180_000 }) {
  return withErl(async ({ dir, env }) => {
    const id = runId();
    const cookie = `kbench_${id}_${runId()}`;
    const erlName = `kbe_${id}@127.0.0.1`;
    const erl = start('erl', erlArgs(erlName, cookie, dir, 'kbench:sink(), io:format("READY~n").'), { env });
    try {
      await erl.waitFor(/^READY$/, 30_000, 'READY');
      const send = start(
        process.execPath,
        [...profFlags(), BEAM_PEER, 'sender', id, cookie, erlName, String(messages), String(rounds)],
        { env },
      );
      try {
        const [, json] = await send.waitFor(/^RESULT (.*)$/, timeoutMs, 'the RESULT line');
        return JSON.parse(json);
      } finally {
        await exitOrKill(send);
      }
    } finally {
      await erl.stop();
    }
  });
}

/** erl's kbench:run/3 sends to a kindred node on Erlang's wire: one-way and round trip measured by erl. */
export async function runErlToKindred({ messages, rounds, timeoutMs = 180_000 }) {
  return withErl(async ({ dir, env }) => {
    const id = runId();
    const cookie = `kbench_${id}_${runId()}`;
    const recv = start(process.execPath, [...profFlags(), BEAM_PEER, 'receiver', id, cookie], { env });
    try {
      const [, kname] = await recv.waitFor(/^READY (\S+)$/, 15_000, 'READY');
      const erl = start(
        'erl',
        erlArgs(`kbf_${id}@127.0.0.1`, cookie, dir, `kbench:run('${kname}', ${messages}, ${rounds}).`),
        { env },
      );
      try {
        const [, json] = await erl.waitFor(/^KBENCH (.*)$/, timeoutMs, 'the KBENCH result line');
        return fromKbench(JSON.parse(json));
      } finally {
        await erl.stop();
      }
    } finally {
      // SIGTERM first so a --cpu-prof receiver writes its profile (beam-peer.mjs exits on it); then SIGKILL.
      recv.child.kill('SIGTERM');
      await exitOrKill(recv);
    }
  });
}

/** Two kindred nodes, both on Erlang's wire (bench/kindred/peer.mjs with KBENCH_WIRE=erlang). */
export async function runKindredBeam({ messages, rounds }) {
  return withErl(({ env }) => runKindredRemote({ messages, rounds, env: { ...env, KBENCH_WIRE: 'erlang' } }));
}
