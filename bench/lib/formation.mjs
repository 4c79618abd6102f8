// Cluster formation in the pod lab (test/lab, built): N pods of examples/simple-web-service with CoreDNS's
// endpoint_pod_names on, discovering each other through the headless service's SRV record (real BIND).
// Measured: from the moment the last pod's process started (its start time in /proc, 10 ms resolution) to the moment
// every node sees all others (the latest nodeup event, timestamped by the app itself, once GET /nodes on every pod
// shows the full mesh). Needs root (network namespaces).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAB = join(REPO, 'test/lab/dist/index.js');
const APP = join(REPO, 'examples/simple-web-service/dist/main.js');
/** The app's discovery poll interval as deployed (its default, set explicitly so the figure says what it is). */
const POLL_INTERVAL_MS = 5_000;
const TIMEOUT_MS = 60_000;
const CHECK_EVERY_MS = 100;

let clockTicks;
/** Wall-clock start time (epoch ms) of process `pid`, from /proc. */
function processStartMs(pid) {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]); // field 22 of proc(5); fields[0] is field 3
  const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const bootMs = Date.now() - uptimeS * 1000;
  return bootMs + (startTicks / clockTicks) * 1000;
}

async function viewOf(lab, pod) {
  try {
    const res = await lab.http(pod.name, '/nodes');
    return res.status === 200 ? JSON.parse(res.body) : undefined;
  } catch {
    return undefined;
  }
}

async function formOnce(Lab, replicas) {
  const lab = await Lab.start({
    replicas,
    endpointPodNames: true,
    terminationGracePeriodMs: 2_000,
    env: { KINDRED_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS), LOG_LEVEL: 'warn' },
  });
  try {
    const startedAtResolve = Date.now();
    const pods = lab.pods();
    const starts = pods.map((p) => (p.pid === undefined ? startedAtResolve : processStartMs(p.pid)));
    const lastStart = Math.max(...starts);
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const views = await Promise.all(pods.map((p) => viewOf(lab, p)));
      const full = pods.every((p, i) => {
        const v = views[i];
        const expected = pods
          .filter((o) => o !== p)
          .map((o) => o.node)
          .sort();
        return v && v.self === p.node && JSON.stringify([...v.nodes].sort()) === JSON.stringify(expected);
      });
      if (full) {
        const seenAt = Date.now();
        // The latest nodeup any node logged: when the last link of the mesh came up (app clock = this clock).
        const ups = views.flatMap((v) =>
          (v.events ?? []).filter((e) => e.type === 'nodeup').map((e) => e.at),
        );
        const formedAt = ups.length > 0 ? Math.max(...ups) : seenAt;
        return {
          pods: replicas,
          ms: Math.round(formedAt - lastStart),
          observedMs: Math.round(seenAt - lastStart),
          podsStartSpreadMs: Math.round(lastStart - Math.min(...starts)),
          pollIntervalMs: POLL_INTERVAL_MS,
        };
      }
      if (Date.now() > deadline) {
        const seen = views.map((v) => (v ? v.nodes.length : 'no answer')).join(',');
        throw new Error(
          `no full mesh of ${replicas} pods within ${TIMEOUT_MS} ms (peers seen per pod: ${seen})`,
        );
      }
      await new Promise((r) => setTimeout(r, CHECK_EVERY_MS));
    }
  } finally {
    await lab.stop();
  }
}

/** 5 and 20 pods (5 only with --quick). */
export async function runFormation({ quick }) {
  if (process.getuid?.() !== 0) return { notMeasured: 'the lab needs root (network namespaces)' };
  if (!existsSync(LAB) || !existsSync(APP)) {
    return { notMeasured: 'lab or app not built: run pnpm run build' };
  }
  const { Lab } = await import(pathToFileURL(LAB).href);
  const result = {};
  for (const n of [5, 20]) {
    if (quick && n === 20) {
      result.pods20 = { notMeasured: 'skipped with --quick' };
      continue;
    }
    try {
      result[`pods${n}`] = await formOnce(Lab, n);
    } catch (err) {
      result[`pods${n}`] = { notMeasured: `failed: ${err.message.split('\n')[0]}` };
    }
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runFormation({ quick: process.argv[2] === '--quick' })));
  process.exit(0);
}
