#!/usr/bin/env node
// The kindred demo (`npm run demo`, which runs setup first).
//
// As root: starts the pod lab (network namespaces + a real BIND answering like CoreDNS) with 3 replicas of
// examples/simple-web-service. First as kind ships CoreDNS: no cluster forms and `kindred doctor` names the fix
// (endpoint_pod_names); with it enabled the cluster forms (node names, who sees whom) and doctor passes. Then it
// scales to 5, kills a pod and shows the nodedown and the recovery (its replacement joins), and serves the app's page
// on http://localhost:8080, forwarded into a pod, until Ctrl-C; then cleans up.
// Then a mixed cluster: a second lab runs the app on Erlang's wire (KINDRED_DISTRIBUTION=erlang) beside an Erlang
// Deployment (real erl, test/lab/erlang/lab_app.erl: `erl -name app@<pod FQDN>`, the seed's SRV lookup polled like
// libcluster's Kubernetes.DNSSRV); an erl pod joins and appears in every app's /nodes (the page), and killing it
// shows nodedown on every kindred node; the page is then served from this mixed cluster.
// With --pod-ip, the way without cluster-admin instead (deploy/kustomize/overlays/pod-ip): CoreDNS stays as kind
// ships it, nodes are app@<pod IP> and find each other by the headless Service's A records; the cluster forms at once.
// Without root: says so and runs the same story with 3 local processes and static discovery.
//
// Usage: node scripts/demo.mjs [--ci] [--local] [--pod-ip] [--port N]
//   --ci      non-interactive: the same steps, checks the forwarded page, exits 0 only if every step happened
//   --local   the local-process story even as root
//   --pod-ip  the lab story named by pod IP with dns-a discovery (no CoreDNS change; what needs no cluster-admin)
//   --port N  local port for the page (default 8080; with --ci a free port)
// Exit codes: 0 every step happened (or Ctrl-C after they did), 1 a step failed, 2 usage.
import { spawn } from 'node:child_process';
import { existsSync, unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const APP_MAIN = join(root, 'examples/simple-web-service/dist/main.js');
const KINDRED = join(root, 'packages/cli/bin/kindred.js');
const LAB_INDEX = join(root, 'test/lab/dist/index.js');
const STEP_TIMEOUT_MS = 30_000;
/** The app's discovery poll interval (APP_DEFAULTS.pollIntervalMs), which the lab's pods run with. */
const APP_POLL_MS = 5_000;
const POLL_MS = 200;

let args;
try {
  args = parseArgs({
    options: {
      ci: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      'pod-ip': { type: 'boolean', default: false },
      port: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  }).values;
} catch (err) {
  process.stderr.write(
    `demo: ${err.message}\nUsage: node scripts/demo.mjs [--ci] [--local] [--pod-ip] [--port N]\n`,
  );
  process.exit(2);
}
if (args.help) {
  process.stdout.write('Usage: node scripts/demo.mjs [--ci] [--local] [--pod-ip] [--port N]\n');
  process.exit(0);
}
const CI = args.ci;
const POD_IP = args['pod-ip'];
const PAGE_PORT = args.port === undefined ? (CI ? 0 : 8080) : Number(args.port);
if (!Number.isInteger(PAGE_PORT) || PAGE_PORT < 0 || PAGE_PORT > 65535) {
  process.stderr.write(`demo: --port must be a port number, got '${args.port}'\n`);
  process.exit(2);
}

const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const say = (text) => process.stdout.write(`[demo ${secs()}] ${text}\n`);
const steps = [];
/** Runs one step of the story; records whether it happened. */
async function step(name, fn) {
  const started = Date.now();
  say(`== ${name}`);
  try {
    const detail = await fn();
    steps.push({ name, ok: true, ms: Date.now() - started });
    if (detail) say(detail);
    return true;
  } catch (err) {
    steps.push({ name, ok: false, ms: Date.now() - started, error: err.message });
    say(`FAILED: ${err.message}`);
    return false;
  }
}

async function waitFor(what, check, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (${last.message})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const short = (node) => node.replace(/\.simple-web-service-headless\.default\.svc\.cluster\.local$/, '');

/** Prints who sees whom, and returns true when every view is the full mesh of `members`. */
function meshOf(views, members) {
  return views.every((v) => {
    const want = members.filter((m) => m !== v.self).sort();
    return v.nodes.length === want.length && want.every((n, i) => v.nodes[i] === n);
  });
}
function printViews(views) {
  for (const v of views) say(`  ${short(v.self)} sees ${v.nodes.map(short).join(', ') || 'nobody'}`);
}

const cleanups = [];
let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        say(`cleanup: ${err.message}`);
      }
    }
  })();
  return cleaning;
}

let interrupted = false;
let serving = false;
const stopRequested = new Promise((resolve) => {
  const onSignal = (sig) => {
    interrupted = true;
    say(`${sig}: cleaning up`);
    resolve(sig);
    // Mid-story: stop now. While serving, main() goes on to clean up and print the summary.
    if (!serving) void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
});

/** A local TCP server on PAGE_PORT whose connections `connectUpstream()` carries somewhere. */
async function startForwarder(connectUpstream) {
  const sockets = new Set();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    let upstream;
    try {
      upstream = connectUpstream();
    } catch {
      client.destroy();
      return;
    }
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${PAGE_PORT} is taken on this machine; run again with --port N`)
          : err,
      ),
    );
    server.listen(PAGE_PORT, '127.0.0.1', resolve);
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return server.address().port;
}

async function serveUntilStopped(port, describe) {
  await step(`serve the page on http://localhost:${port}`, async () => {
    const res = await fetch(`http://127.0.0.1:${port}/nodes`);
    const view = await res.json();
    const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    if (!page.includes('<title>kindred')) throw new Error('the forwarded page is not the app page');
    return `http://localhost:${port} is ${describe(view)}: it sees ${view.nodes.length} peers`;
  });
  if (!CI && !interrupted && steps.every((s) => s.ok)) {
    serving = true;
    say(`open http://localhost:${port} in a browser (it updates live); Ctrl-C to stop and clean up`);
    await stopRequested;
  }
}

function summary() {
  const failed = steps.filter((s) => !s.ok);
  say('== summary');
  for (const s of steps)
    say(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${(s.ms / 1000).toFixed(1)} s)${s.ok ? '' : `: ${s.error}`}`);
  process.stdout.write(`demo: ${steps.length - failed.length} passed, ${failed.length} failed\n`);
  return failed.length === 0 && !(interrupted && CI) ? 0 : 1;
}

// ---------------------------------------------------------------- the lab (root)

async function labDemo() {
  const { Lab, compileErlangApp, erlangDeployment } = await import(LAB_INDEX);
  let lab;
  const nodesOf = async (pod) => {
    const res = await lab.http(pod.name, '/nodes');
    if (res.status !== 200) throw new Error(`${pod.name} /nodes answered ${res.status}`);
    return JSON.parse(res.body);
  };
  const running = () => lab.pods().filter((p) => p.phase === 'Running');
  const viewsWhenMesh = async () => {
    const pods = running();
    const views = await Promise.all(pods.map(nodesOf));
    return (
      meshOf(
        views,
        pods.map((p) => p.node),
      ) && views
    );
  };

  const started = await step(
    POD_IP
      ? 'start the lab: 3 replicas, CoreDNS as kind ships it, nodes named app@<pod IP>, dns-a discovery'
      : 'start the lab: 3 replicas, CoreDNS as kind ships it (no endpoint_pod_names)',
    async () => {
      lab = await Lab.start({
        replicas: 3,
        endpointPodNames: false,
        terminationGracePeriodMs: 5_000,
        // What deploy/kustomize/overlays/pod-ip sets: $(POD_IP) is expanded as kubelet does.
        ...(POD_IP
          ? { env: { KINDRED_HOST: '$(POD_IP)', KINDRED_DISCOVERY: 'dns-a:simple-web-service-headless' } }
          : {}),
      });
      cleanups.push(() => lab.stop());
      const pods = lab.pods();
      for (const p of pods) say(`  pod ${p.name}  ${p.ip}  node ${p.node}`);
      return `lab ${lab.status().id}: SRV ${lab.srvName}`;
    },
  );
  if (!started) return;

  const doctor = async () => {
    const pod = running()[0];
    const res = await lab.exec(pod.name, [process.execPath, KINDRED, 'doctor']);
    for (const line of res.stdout.trimEnd().split('\n')) say(`  ${line}`);
    return { pod, res };
  };

  if (POD_IP) {
    await step('the cluster forms with CoreDNS untouched (no cluster-admin needed)', async () => {
      const views = await waitFor('a full mesh of 3', viewsWhenMesh);
      printViews(views);
      return `full mesh of ${views.length}, named by pod IP`;
    });
  } else await podNameSteps();
  async function podNameSteps() {
    await step('no cluster forms: the SRV targets are dashed IPs, not the names the nodes have', async () => {
      // Every pod has run discovery (ready) and then polled once more: still nobody may be connected.
      await waitFor('every pod ready', () => running().every((p) => p.ready));
      await new Promise((r) => setTimeout(r, APP_POLL_MS + 1_000));
      const views = await Promise.all(running().map(nodesOf));
      printViews(views);
      if (views.some((v) => v.nodes.length > 0))
        throw new Error('a cluster formed without endpoint_pod_names');
      return 'no node sees another';
    });

    await step('kindred doctor in a pod names the cause and the fix', async () => {
      const { res } = await doctor();
      if (res.code !== 1 || !res.stdout.includes('endpoint_pod_names')) {
        throw new Error(`expected doctor to fail pointing at endpoint_pod_names (exit ${res.code})`);
      }
      return 'doctor: enable endpoint_pod_names (deploy/coredns/patch-coredns.sh does it in a real cluster)';
    });

    await step('enable endpoint_pod_names: the cluster forms (every node sees the other two)', async () => {
      await lab.setEndpointPodNames(true);
      const views = await waitFor('a full mesh of 3', viewsWhenMesh);
      printViews(views);
      return `full mesh of ${views.length}`;
    });

    await step('kindred doctor in a pod: every check passes', async () => {
      const { pod, res } = await doctor();
      if (res.code !== 0) throw new Error(`kindred doctor exited ${res.code}`);
      return `doctor in ${pod.name}: all checks passed`;
    });
  }

  await step('scale to 5', async () => {
    await lab.scale(5);
    const views = await waitFor('a full mesh of 5', async () => running().length === 5 && viewsWhenMesh());
    printViews(views);
    return 'full mesh of 5';
  });

  await step('kill a pod: the others see nodedown, its replacement joins', async () => {
    const victim = running()[1];
    const others = running().filter((p) => p.name !== victim.name);
    say(`  SIGKILL ${victim.name}`);
    const replacement = await lab.kill(victim.name);
    const downs = await waitFor('nodedown everywhere', async () => {
      const views = await Promise.all(others.map(nodesOf));
      const seen = views.map((v) => v.events.find((e) => e.type === 'nodedown' && e.node === victim.node));
      return seen.every((e) => e !== undefined) && seen;
    });
    for (const [i, e] of downs.entries())
      say(`  ${short(others[i].node)}: nodedown ${short(e.node)} (${e.reason})`);
    say(`  replacement pod ${replacement}`);
    const views = await waitFor('the replacement in a full mesh of 5', async () => {
      const pods = running();
      return pods.length === 5 && pods.some((p) => p.name === replacement) && viewsWhenMesh();
    });
    printViews(views);
    return `recovered: full mesh of 5 with ${replacement}`;
  });

  await mixedSteps();
  async function mixedSteps() {
    const ERL = 'erlang-app';
    const kindredPods = () => running().filter((p) => p.deployment !== ERL);
    const erlPods = () => running().filter((p) => p.deployment === ERL);
    const mixedStarted = await step(
      "a mixed cluster: 3 app pods on Erlang's wire (KINDRED_DISTRIBUTION=erlang) and an Erlang Deployment at 0",
      async () => {
        const codeDir = await compileErlangApp();
        cleanups.push(() => rm(codeDir, { recursive: true, force: true }));
        await lab.stop();
        // With --pod-ip both sides are named by pod IP and poll the Service's A records (libcluster's
        // Kubernetes.DNS, dns_cluster), CoreDNS untouched; otherwise pod FQDNs from SRV (Kubernetes.DNSSRV).
        lab = await Lab.start({
          replicas: 3,
          endpointPodNames: !POD_IP,
          terminationGracePeriodMs: 5_000,
          env: POD_IP
            ? {
                KINDRED_DISTRIBUTION: 'erlang',
                KINDRED_NAMING: 'pod-ip',
                KINDRED_DISCOVERY: 'dns-a:simple-web-service-headless',
              }
            : { KINDRED_DISTRIBUTION: 'erlang' },
          deployments: [
            erlangDeployment({ name: ERL, replicas: 0, codeDir, ...(POD_IP ? { naming: 'pod-ip' } : {}) }),
          ],
        });
        cleanups.push(() => lab.stop());
        const views = await waitFor('a full mesh of 3', viewsWhenMesh);
        printViews(views);
        return `lab ${lab.status().id}: full mesh of 3 on Erlang's wire`;
      },
    );
    if (!mixedStarted) return;

    await step(
      POD_IP
        ? 'an Erlang pod joins (erl -name app@<pod IP>, A records like libcluster Kubernetes.DNS): on every app page'
        : 'an Erlang pod joins (erl -name app@<pod FQDN>, DNSSRV like libcluster): on every app page',
      async () => {
        await lab.scale(1, ERL);
        const [erl] = erlPods();
        say(`  pod ${erl.name}  ${erl.ip}  node ${erl.node}  (${erl.deployment})`);
        const views = await waitFor(
          `${erl.node} in a full mesh of 4`,
          async () => running().length === 4 && viewsWhenMesh(),
        );
        printViews(views);
        return `${short(erl.node)} is in every app's /nodes`;
      },
    );

    await step(
      "kindred doctor in an app pod of the mixed cluster: every check passes, Erlang's too",
      async () => {
        // The pod's KINDRED_DISTRIBUTION=erlang turns on doctor's Erlang checks: the erl pod is pinged on Erlang's
        // wire, EPMD answers on this host and on every peer, the cookie's source, the naming scheme vs discovery.
        const [pod] = kindredPods();
        const res = await lab.exec(pod.name, [process.execPath, KINDRED, 'doctor']);
        for (const line of res.stdout.trimEnd().split('\n')) say(`  ${line}`);
        if (res.code !== 0) throw new Error(`kindred doctor exited ${res.code}`);
        return `doctor in ${pod.name}: all checks passed, epmd, cookie and naming included`;
      },
    );

    await step('kill the Erlang pod: every kindred node sees nodedown, its replacement joins', async () => {
      const [victim] = erlPods();
      say(`  SIGKILL ${victim.name}`);
      const replacement = await lab.kill(victim.name);
      const downs = await waitFor('nodedown on every kindred node', async () => {
        const views = await Promise.all(kindredPods().map(nodesOf));
        const seen = views.map((v) => v.events.find((e) => e.type === 'nodedown' && e.node === victim.node));
        return seen.every((e) => e !== undefined) && seen.map((e, i) => [views[i].self, e]);
      });
      for (const [self, e] of downs) say(`  ${short(self)}: nodedown ${short(e.node)} (${e.reason})`);
      say(`  replacement pod ${replacement}`);
      const views = await waitFor('the replacement in a full mesh of 4', async () => {
        const pods = running();
        return pods.length === 4 && pods.some((p) => p.name === replacement) && viewsWhenMesh();
      });
      printViews(views);
      return `recovered: full mesh of 4 with ${replacement}`;
    });
  }

  let port;
  const forwarding = await step('forward a local port into a pod', async () => {
    // The pods live behind the lab's bridge in its router namespace. A relay started there (ip netns exec) listens
    // on a unix socket, which both namespaces share through the filesystem; the local TCP server hands it the pod
    // to reach on the first line of each connection.
    const sock = join(tmpdir(), `kindred-demo-${lab.status().id}.sock`);
    const relay = `
      const net = require('node:net'); const fs = require('node:fs'); const sock = process.argv[1];
      try { fs.unlinkSync(sock); } catch {}
      net.createServer((c) => {
        let buf = Buffer.alloc(0);
        const onData = (d) => {
          buf = Buffer.concat([buf, d]); const nl = buf.indexOf(10); if (nl < 0) return;
          c.off('data', onData); c.pause();
          const [ip, port] = buf.subarray(0, nl).toString().split(' '); const rest = buf.subarray(nl + 1);
          const up = net.connect(Number(port), ip, () => { if (rest.length) up.write(rest); c.pipe(up); up.pipe(c); });
          up.on('error', () => c.destroy()); c.on('error', () => up.destroy());
        };
        c.on('data', onData);
      }).listen(sock, () => process.stdout.write('ready\\n'));`;
    const child = lab.network.spawnInRouter([process.execPath, '-e', relay, sock]);
    cleanups.push(() => {
      child.kill('SIGKILL');
      try {
        unlinkSync(sock);
      } catch {}
    });
    await waitFor(
      'the relay in the router namespace',
      () => new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).includes('ready')))),
    );
    let target;
    port = await startForwarder(() => {
      // Stick to one pod while it lives, so the page shows one node's view; move on when it is gone.
      // An app pod (a mixed lab's Erlang pods serve no page).
      const pods = running().filter((p) => p.ready && p.deployment === 'simple-web-service');
      if (!pods.some((p) => p.name === target?.name)) target = pods[0];
      if (target === undefined) throw new Error('no ready pod');
      const up = netConnect(sock);
      up.write(`${target.ip} 8080\n`);
      return up;
    });
    return `http://localhost:${port} -> router namespace -> ${running().find((p) => p.deployment === 'simple-web-service')?.ip}:8080`;
  });
  if (forwarding) await serveUntilStopped(port, (view) => `served by ${short(view.self)} inside the lab`);
}

// ---------------------------------------------------------------- local processes (no root)

async function localDemo() {
  const { freePorts } = await (async () => ({
    freePorts: async (n) => {
      const ports = [];
      const servers = [];
      for (let i = 0; i < n; i++) {
        const s = createServer();
        await new Promise((r) => s.listen(0, '127.0.0.1', r));
        servers.push(s);
        ports.push(s.address().port);
      }
      for (const s of servers) await new Promise((r) => s.close(r));
      return ports;
    },
  }))();
  const names = ['a', 'b', 'c'];
  const kindredPorts = await freePorts(3);
  const httpPorts = await freePorts(3);
  const spec = `static:${names.map((n, i) => `${n}@127.0.0.1:${kindredPorts[i]}`).join(',')}`;
  const procs = new Map();
  const cookie = `demo-${process.pid}-${Date.now()}`;
  const start = (i) => {
    const child = spawn(process.execPath, [APP_MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        KINDRED_NAME: names[i],
        KINDRED_HOST: '127.0.0.1',
        KINDRED_COOKIE: cookie,
        KINDRED_PORT: String(kindredPorts[i]),
        KINDRED_DISCOVERY: spec,
        KINDRED_POLL_INTERVAL_MS: '1000',
        PORT: String(httpPorts[i]),
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      // Pipes rather than 'ignore': some sandboxes refuse an unprivileged open of /dev/null.
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdin.end();
    child.stdout.resume();
    procs.set(i, child);
    return child;
  };
  cleanups.push(async () => {
    for (const child of procs.values()) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
    }
  });
  const nodesOf = async (i) => (await fetch(`http://127.0.0.1:${httpPorts[i]}/nodes`)).json();
  const mesh = async (idx) => {
    const views = await Promise.all(idx.map(nodesOf));
    return (
      meshOf(
        views,
        idx.map((i) => `${names[i]}@127.0.0.1`),
      ) && views
    );
  };

  await step('start 3 local processes with static discovery', async () => {
    for (let i = 0; i < 3; i++) {
      start(i);
      say(`  ${names[i]}@127.0.0.1  kindred port ${kindredPorts[i]}  http port ${httpPorts[i]}`);
    }
    return `KINDRED_DISCOVERY=${spec}`;
  });
  await step('the cluster forms (every node sees the other two)', async () => {
    const views = await waitFor('a full mesh of 3', () => mesh([0, 1, 2]));
    printViews(views);
    return 'full mesh of 3';
  });
  await step('kill b: the others see nodedown; b restarts and rejoins', async () => {
    say('  SIGKILL b@127.0.0.1');
    const victim = procs.get(1);
    const gone = new Promise((r) => victim.once('exit', r));
    victim.kill('SIGKILL');
    await gone;
    const downs = await waitFor('nodedown on a and c', async () => {
      const views = await Promise.all([0, 2].map(nodesOf));
      const seen = views.map((v) => v.events.find((e) => e.type === 'nodedown' && e.node === 'b@127.0.0.1'));
      return seen.every((e) => e !== undefined) && seen;
    });
    for (const [k, e] of downs.entries())
      say(`  ${names[[0, 2][k]]}@127.0.0.1: nodedown ${e.node} (${e.reason})`);
    start(1);
    const views = await waitFor('b back in a full mesh of 3', () => mesh([0, 1, 2]));
    printViews(views);
    return 'recovered: full mesh of 3';
  });
  let port;
  const forwarding = await step('forward a local port to node a', async () => {
    port = await startForwarder(() => netConnect(httpPorts[0], '127.0.0.1'));
    return `http://localhost:${port} -> a@127.0.0.1's http port ${httpPorts[0]}`;
  });
  if (forwarding) await serveUntilStopped(port, (view) => `served by ${view.self}`);
}

// ---------------------------------------------------------------- main

async function main() {
  const missing = [APP_MAIN, KINDRED].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    process.stderr.write(
      `demo: ${missing.join(', ')} missing: run 'npm run setup' (or 'pnpm run build') first\n`,
    );
    return 1;
  }
  if (args.local) {
    if (POD_IP) say('--pod-ip is a lab story: ignored with --local');
    say('--local: 3 local processes with static discovery');
    await localDemo();
  } else if (process.getuid?.() === 0) {
    if (!existsSync(LAB_INDEX)) {
      process.stderr.write(`demo: ${LAB_INDEX} missing: run 'pnpm run build' first\n`);
      return 1;
    }
    say('running as root: the pod lab (network namespaces, real BIND answering like CoreDNS)');
    await labDemo();
  } else {
    say(
      'not root, so no pod lab (it needs network namespaces): running 3 local processes with static discovery',
    );
    say('run as root (sudo npm run demo) for the Kubernetes-like lab');
    await localDemo();
  }
  await cleanup();
  return summary();
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    say(`unexpected error: ${err.stack ?? err}`);
    await cleanup();
    process.exit(1);
  },
);
