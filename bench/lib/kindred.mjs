// kindred measurements, each in separate OS processes: two nodes over loopback (bench/kindred/peer.mjs) and the
// local figures (bench/kindred/local.mjs). KBENCH_CPU_PROF=<dir> adds `--cpu-prof --cpu-prof-dir <dir>` to them.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runId, start } from './proc.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const LOCAL = join(HERE, '..', 'kindred', 'local.mjs');
const PEER = join(HERE, '..', 'kindred', 'peer.mjs');
const TRANSPORT_PEER = join(HERE, '..', 'kindred', 'transport-peer.mjs');

function profFlags() {
  const dir = process.env.KBENCH_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

/** V8 flag an operator can set (NODE_OPTIONS) that changes spawn time most; measured as an extra row. */
export const SPAWN_TUNED_FLAG = '--max-semi-space-size=128';

/**
 * Local spawn of `processes` idle processes and local send of `messages`, each in a fresh process. The default-flag
 * spawn (the figure the targets are judged on) and the send run `repeat` times and keep their best; the spawn under
 * {@link SPAWN_TUNED_FLAG} and the time `node.stop()` takes for all those processes are measured once.
 */
export async function runKindredLocal({ processes, messages, repeat = 1, timeoutMs = 180_000 }) {
  const run = async (flags, args) => {
    const p = start(process.execPath, ['--expose-gc', ...flags, ...profFlags(), LOCAL, ...args]);
    try {
      const [, json] = await p.waitFor(/^RESULT (.*)$/, timeoutMs, 'the RESULT line');
      return JSON.parse(json);
    } finally {
      await exitOrKill(p);
    }
  };
  const spawns = [];
  const sends = [];
  for (let i = 0; i < repeat; i++) {
    spawns.push(await run([], ['spawn', String(processes), ...(i === 0 ? ['stop'] : [])]));
    sends.push(await run([], ['send', String(messages)]));
  }
  const tuned = await run([SPAWN_TUNED_FLAG], ['spawn', String(processes)]);
  const fastest = spawns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return {
    spawn: { ...fastest, stopSeconds: spawns[0].stopSeconds },
    send: sends.reduce((a, b) => (b.msgPerSec > a.msgPerSec ? b : a)),
    spawnTuned: { flag: SPAWN_TUNED_FLAG, ...tuned },
    runs: spawns.map((s, i) => ({ spawnSeconds: s.seconds, sendMsgPerSec: Math.round(sends[i].msgPerSec) })),
  };
}

/**
 * One-way throughput and round trip between two kindred nodes in separate processes. `frameIntegrity` (both
 * nodes) sets the transport option of that name; undefined leaves the default. `env` replaces the children's
 * environment (process.env by default).
 */
export async function runKindredRemote({
  messages,
  rounds,
  nodeFlags = [],
  transportOnly = false,
  frameIntegrity = undefined,
  env: baseEnv = process.env,
  timeoutMs = 180_000,
}) {
  const script = transportOnly ? TRANSPORT_PEER : PEER;
  const id = runId();
  const cookie = `kbench-${runId()}${runId()}`;
  const env = {
    env:
      frameIntegrity === undefined
        ? baseEnv
        : { ...baseEnv, KBENCH_FRAME_INTEGRITY: frameIntegrity ? '1' : '0' },
  };
  const recv = start(process.execPath, [...nodeFlags, ...profFlags(), script, 'receiver', id, cookie], env);
  try {
    const [, node, port] = await recv.waitFor(/^READY (\S+) (\d+)$/, 15_000, 'READY');
    const send = start(
      process.execPath,
      [
        ...nodeFlags,
        ...profFlags(),
        script,
        'sender',
        id,
        cookie,
        node,
        port,
        String(messages),
        String(rounds),
      ],
      env,
    );
    try {
      const [, json] = await send.waitFor(/^RESULT (.*)$/, timeoutMs, 'the RESULT line');
      return JSON.parse(json);
    } finally {
      await exitOrKill(send);
    }
  } finally {
    // SIGTERM first so a --cpu-prof receiver writes its profile; then SIGKILL.
    recv.child.kill('SIGTERM');
    await exitOrKill(recv);
  }
}

/** Let a child finish on its own (its profile is written at exit) for a few seconds, then kill it. */
async function exitOrKill(p, graceMs = 10_000) {
  let timer;
  await Promise.race([p.exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  await p.stop();
}
