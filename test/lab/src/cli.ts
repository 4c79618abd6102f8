import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type CommandIO, EXIT, parseCommandArgs, reportFailure, UsageError } from '@kindred/cli';
import { KindredError } from '@kindred/dns';
import { isPort } from '@kindred/interface';
import { callControl, currentFile, readRunState, runPaths } from './control.js';
import type { DaemonOptions } from './daemon.js';
import { LAB_DEFAULTS } from './defaults.js';
import { LAB_ERRORS } from './errors.js';
import { APP_MAIN, type LabStatus } from './lab.js';
import { assertLabPrerequisites, LabNetwork, newRunId } from './netns.js';

const HELP = `Usage: pnpm lab <command> [options]

The pod lab: a local stand-in for a Kubernetes Deployment of examples/simple-web-service. Pods are network + UTS
namespaces on a private bridge with kubelet's /etc/hosts and resolv.conf; a real BIND 9 at ${LAB_DEFAULTS.clusterDnsAddress} answers what
CoreDNS's kubernetes plugin would for the headless service ${LAB_DEFAULTS.service}. Needs root.

Commands:
  up [--replicas N] [--endpoint-pod-names on|off] [--publish-not-ready on|off] [--readiness http|started]
     [--wait-ms MS] [--erlang N [--erl-epmd-port P] [--erl-naming fqdn|pod-ip]] [--command CMD | -- CMD ARGS...]
                        start a lab (default 3 replicas, endpoint_pod_names off like kind, publishNotReadyAddresses
                        on like deploy/k8s) running the built app, or CMD, in every pod, and wait (up to
                        --wait-ms, default ${LAB_DEFAULTS.upTimeoutMs}) for every pod to be ready; fails
                        (and takes the lab down) if one is not by then; --wait-ms 0 returns at once.
                        --erlang N: a mixed cluster: N Erlang pods (Deployment erlang-app: real erl running
                        test/lab/erlang/lab_app.erl, polling the same SRV records like libcluster's DNSSRV) behind
                        the same headless Service, and the app on Erlang's wire (KINDRED_DISTRIBUTION=erlang);
                        --erl-epmd-port P makes the Erlang pods epmd-less (-erl_epmd_port P; give the kindred pods
                        a CMD that is epmd-less too, e.g. -- node packages/cli/bin/kindred.js start --erlang
                        --erl-epmd-port P --name app --discovery dns-srv:_discovery._tcp.SERVICE);
                        --erl-naming pod-ip: every pod named app@<pod IP> (KINDRED_NAMING=pod-ip) and found by
                        the Service's A records (KINDRED_DISCOVERY=dns-a:${LAB_DEFAULTS.service}), the Erlang pods
                        erl -name app@$POD_IP like libcluster's Kubernetes.DNS and dns_cluster (default fqdn)
  scale N [--deployment NAME]
                        set the replica count of the app's Deployment, or of NAME (erlang-app); removed pods get
                        SIGTERM and the grace period
  kill POD              SIGKILL the pod's container and delete it; a replacement pod is created
  delete POD            delete the pod gracefully (SIGTERM); a replacement pod is created
  restart               rolling restart (kubectl rollout restart, maxSurge 1, maxUnavailable 0): each pod is
                        replaced by a new one, the old one deleted (SIGTERM) once the new one is ready
  partition POD         take the pod's network link down
  heal POD              bring it back up
  dns down|up           stop or restart the cluster DNS server
  dns endpoint-pod-names on|off
                        switch CoreDNS's endpoint_pod_names (SRV targets: pod names or dashed IPs)
  dns publish-not-ready on|off
                        switch the headless service's publishNotReadyAddresses
  exec POD -- CMD...    run a command inside a pod, with the container's environment
  get POD PATH [--port P]
                        HTTP GET from the pod's app (default port ${LAB_DEFAULTS.httpPort}), e.g. 'get POD /nodes'
  logs POD              print the pod's log
  status [--json]       show pods, readiness, DNS settings
  list [--json]         every lab on this machine (by id), including leftovers of crashed runs or tests;
                        remove one with 'down --id ID'
  down                  stop everything and remove every namespace, link, file and process of the lab

Options:
  --id ID               act on the lab with this id (default: the last one started)
  --json                machine-readable output (status, up, scale, kill, get)
  -h, --help            this help

Exit codes: 0 done; 1 failed (the message says why and what to do); 2 bad command line.
Pod logs and the daemon's log live in ${LAB_DEFAULTS.stateDir}/<id>/ (KINDRED_LAB_STATE_DIR overrides the directory).`;

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const DAEMON_ARG = '__daemon';
const LAB_BIN = fileURLToPath(new URL('../bin/lab.js', import.meta.url));

async function currentId(explicit: string | undefined): Promise<string> {
  if (explicit) return explicit;
  const id = (await readFile(currentFile(), 'utf8').catch(() => '')).trim();
  if (!id) {
    throw new KindredError(LAB_ERRORS.LAB_NOT_RUNNING, "no lab is up: start one with 'pnpm lab up'");
  }
  return id;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function onOff(value: string | undefined, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new UsageError(`${option} must be 'on' or 'off', got '${value}'`);
}

function formatStatus(s: LabStatus): string {
  const yesNo = (b: boolean) => (b ? 'yes' : 'no');
  const lines = [
    `lab ${s.id}: deployment ${s.deployment}, ${s.replicas} replica(s), namespace ${s.namespace}`,
    `dns ${s.dns.up ? 'up' : 'DOWN'} at ${s.dns.address}; endpoint_pod_names ${s.dns.endpointPodNames ? 'on' : 'off'}; publishNotReadyAddresses ${s.dns.publishNotReadyAddresses ? 'on' : 'off'}; SRV ${s.dns.srvName}`,
  ];
  // A mixed lab: every Deployment behind the headless service (status from an older daemon has no list).
  if ((s.deployments?.length ?? 0) > 1) {
    lines.push(`deployments: ${s.deployments.map((d) => `${d.name} (${d.replicas})`).join(', ')}`);
  }
  if (s.dns.lastError) lines.push(`last DNS update failed: ${s.dns.lastError}`);
  const rows = [['POD', 'IP', 'READY', 'PHASE', 'IN DNS', 'LINK', 'RESTARTS', 'NODE']];
  for (const p of s.pods) {
    rows.push([
      p.name,
      p.ip,
      yesNo(p.ready),
      p.phase,
      yesNo(p.published),
      p.partitioned ? 'DOWN' : 'up',
      String(p.restarts),
      p.node,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    lines.push(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  if (s.pods.length === 0) lines.push('(no pods)');
  const recent = s.events.slice(-8);
  if (recent.length > 0) {
    lines.push('recent events:');
    for (const e of recent) {
      lines.push(
        `  ${new Date(e.at).toISOString().slice(11, 23)}  ${e.type.padEnd(11)} ${e.pod}${e.detail ? ` (${e.detail})` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

async function up(args: string[], io: Io, commandArgv: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    replicas: { type: 'string' },
    'endpoint-pod-names': { type: 'string' },
    'publish-not-ready': { type: 'string' },
    command: { type: 'string' },
    readiness: { type: 'string' },
    'wait-ms': { type: 'string' },
    erlang: { type: 'string' },
    'erl-epmd-port': { type: 'string' },
    'erl-naming': { type: 'string' },
    json: { type: 'boolean' },
  });
  const erlReplicas = values.erlang === undefined ? undefined : Number(values.erlang);
  if (erlReplicas !== undefined && (!Number.isInteger(erlReplicas) || erlReplicas < 0 || erlReplicas > 200)) {
    throw new UsageError(`--erlang must be an integer from 0 to 200, got '${values.erlang}'`);
  }
  const erlEpmdPort = values['erl-epmd-port'] === undefined ? undefined : Number(values['erl-epmd-port']);
  if (erlEpmdPort !== undefined && (erlReplicas === undefined || !isPort(erlEpmdPort))) {
    throw new UsageError(
      `--erl-epmd-port needs --erlang and a port number, got '${values['erl-epmd-port']}'`,
    );
  }
  const erlNaming = values['erl-naming'];
  if (
    erlNaming !== undefined &&
    (erlReplicas === undefined || (erlNaming !== 'fqdn' && erlNaming !== 'pod-ip'))
  ) {
    throw new UsageError(`--erl-naming needs --erlang and 'fqdn' or 'pod-ip', got '${erlNaming}'`);
  }
  // The pod-IP scheme on both sides: names app@<pod IP>, discovery by the Service's A records.
  const podIpEnv: Record<string, string> =
    erlNaming === 'pod-ip'
      ? { KINDRED_NAMING: 'pod-ip', KINDRED_DISCOVERY: `dns-a:${LAB_DEFAULTS.service}` }
      : {};
  const replicas = values.replicas === undefined ? LAB_DEFAULTS.replicas : Number(values.replicas);
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 200) {
    throw new UsageError(`--replicas must be an integer from 0 to 200, got '${values.replicas}'`);
  }
  if (values['wait-ms'] !== undefined && !(Number(values['wait-ms']) >= 0)) {
    throw new UsageError(`--wait-ms must be a number of milliseconds, got '${values['wait-ms']}'`);
  }
  if (values.readiness !== undefined && values.readiness !== 'http' && values.readiness !== 'started') {
    throw new UsageError(`--readiness must be 'http' or 'started', got '${values.readiness}'`);
  }
  const command =
    commandArgv.length > 0
      ? commandArgv
      : values.command?.trim()
        ? values.command.trim().split(/\s+/)
        : undefined;
  await assertLabPrerequisites();
  if (!command && !existsSync(APP_MAIN)) {
    throw new KindredError(
      LAB_ERRORS.LAB_NO_APP,
      `the app is not built (${APP_MAIN} is missing): run 'pnpm run build' first, or give --command`,
    );
  }
  const existing = (await readFile(currentFile(), 'utf8').catch(() => '')).trim();
  if (existing) {
    const state = await readRunState(existing);
    if (state && alive(state.pid)) {
      throw new KindredError(
        LAB_ERRORS.LAB_EXISTS,
        `a lab is already up (id ${existing}): use it, or remove it with 'pnpm lab down' first`,
      );
    }
    // Its daemon is gone (a crash, a reboot of the daemon only): remove what is left of it before starting anew.
    await LabNetwork.destroyById(existing).catch(() => undefined);
    await rm(runPaths(existing).runDir, { recursive: true, force: true });
    await rm(runPaths(existing).stateFile, { force: true });
    io.err(`lab: removed the leftovers of lab ${existing}, whose daemon was gone\n`);
  }
  const options: DaemonOptions = {
    replicas,
    endpointPodNames: onOff(values['endpoint-pod-names'], '--endpoint-pod-names'),
    publishNotReadyAddresses: onOff(values['publish-not-ready'], '--publish-not-ready'),
    command,
    readiness: values.readiness === 'started' ? 'started' : undefined,
    ...(erlReplicas === undefined
      ? {}
      : {
          erlang: { replicas: erlReplicas, erlEpmdPort, naming: erlNaming },
          // The app joins the Erlang pods on their wire; a CMD of one's own chooses its wire itself.
          env: command ? podIpEnv : { KINDRED_DISTRIBUTION: 'erlang', ...podIpEnv },
        }),
  };
  const id = newRunId();
  const paths = runPaths(id);
  mkdirSync(paths.runDir, { recursive: true });
  await writeFile(currentFile(), `${id}\n`);
  const fd = openSync(paths.daemonLog, 'a');
  const daemon = spawn(process.execPath, [LAB_BIN, DAEMON_ARG, id, JSON.stringify(options)], {
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exited = false;
  daemon.on('exit', () => {
    exited = true;
  });
  daemon.unref();
  const failUp = async (why: string) => {
    const log = readFileSync(paths.daemonLog, 'utf8').split('\n').slice(-15).join('\n');
    await LabNetwork.destroyById(id).catch(() => undefined);
    await rm(paths.runDir, { recursive: true, force: true });
    await rm(paths.stateFile, { force: true });
    await rm(currentFile(), { force: true });
    return new KindredError(
      LAB_ERRORS.LAB_START_FAILED,
      `the lab did not come up (${why}); its log ends:\n${log}`,
    );
  };
  const deadline = Date.now() + LAB_DEFAULTS.upTimeoutMs;
  let status: LabStatus | undefined;
  while (!status) {
    if (exited) throw await failUp('the lab daemon exited');
    if (Date.now() > deadline) {
      if (daemon.pid) alive(daemon.pid) && process.kill(daemon.pid, 'SIGKILL');
      throw await failUp(`no answer within ${LAB_DEFAULTS.upTimeoutMs} ms`);
    }
    status = (await callControl(paths.socket, { cmd: 'status' }, 5000).catch(() => undefined)) as
      | LabStatus
      | undefined;
    if (!status) await sleep(200);
  }
  const waitMs = values['wait-ms'] === undefined ? LAB_DEFAULTS.upTimeoutMs : Number(values['wait-ms']);
  const readyBy = Date.now() + waitMs;
  while (status.pods.some((p) => !p.ready) && Date.now() < readyBy) {
    await sleep(500);
    status = (await callControl(paths.socket, { cmd: 'status' })) as LabStatus;
  }
  const stuck = status.pods.filter((p) => !p.ready);
  if (waitMs > 0 && stuck.length > 0) {
    // A lab with pods that never turned ready is not up: say which and why, and leave nothing behind.
    const first = stuck[0]!;
    const tail = (() => {
      try {
        return readFileSync(first.logFile, 'utf8').split('\n').slice(-10).join('\n');
      } catch {
        return '(no log)';
      }
    })();
    await teardown(id);
    throw new KindredError(
      LAB_ERRORS.LAB_NOT_READY,
      `${stuck.length} of ${status.pods.length} pod(s) not ready after ${waitMs} ms (unreachable from the node, or the app not answering ${LAB_DEFAULTS.readinessPath}); lab ${id} was taken down. Not ready: ${stuck.map((p) => p.name).join(', ')}. The log of ${first.name} ends:\n${tail}`,
      { details: { id, notReady: stuck.map((p) => p.name), waitMs } },
    );
  }
  if (values.json) io.out(`${JSON.stringify(status)}\n`);
  else {
    io.out(formatStatus(status));
    if (stuck.length > 0)
      io.out(`${stuck.length} pod(s) not ready yet (--wait-ms 0): see 'pnpm lab logs POD'.\n`);
    io.out(
      `Next: 'pnpm lab exec ${status.pods[0]?.name ?? 'POD'} -- kindred doctor', 'pnpm lab get POD /nodes', 'pnpm lab down'.\n`,
    );
  }
  return EXIT.OK;
}

async function down(id: string | undefined, io: Io): Promise<number> {
  const labId = await currentId(id);
  await teardown(labId);
  io.out(`lab ${labId} is down: namespaces, links, processes and files removed.\n`);
  return EXIT.OK;
}

/** Stops lab `labId`'s daemon (or kills it) and removes everything named after the id, whatever the daemon did. */
async function teardown(labId: string): Promise<void> {
  const paths = runPaths(labId);
  const state = await readRunState(labId);
  await callControl(paths.socket, { cmd: 'down' }, LAB_DEFAULTS.downTimeoutMs).catch(() => undefined);
  if (state) {
    const deadline = Date.now() + LAB_DEFAULTS.downTimeoutMs;
    while (alive(state.pid) && Date.now() < deadline) await sleep(100);
    if (alive(state.pid)) process.kill(state.pid, 'SIGKILL');
  }
  // Whatever the daemon did or did not do: remove everything named after the id.
  await LabNetwork.destroyById(labId);
  await rm(paths.runDir, { recursive: true, force: true });
  await rm(paths.stateFile, { force: true });
  const current = (await readFile(currentFile(), 'utf8').catch(() => '')).trim();
  if (current === labId) await rm(currentFile(), { force: true });
}

async function execInPod(id: string, pod: string, argv: string[]): Promise<number> {
  const status = (await callControl(runPaths(id).socket, { cmd: 'status' })) as LabStatus;
  const p = status.pods.find((x) => x.name === pod);
  if (!p) {
    throw new KindredError(
      LAB_ERRORS.LAB_NO_SUCH_POD,
      `no pod named '${pod}' in lab ${id}; pods: ${status.pods.map((x) => x.name).join(', ') || '(none)'}`,
    );
  }
  const network = LabNetwork.attach({
    id,
    podSubnet: LAB_DEFAULTS.podSubnet,
    routes: [LAB_DEFAULTS.serviceSubnet],
    nextIndex: 0,
    hosts: [{ netns: p.netns, hostname: p.name, address: p.ip, index: 0, veth: '' }],
  });
  const child = network.host(p.name)!.spawn(argv, { env: p.env, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('error', () => resolve(EXIT.FAILED));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : EXIT.FAILED)));
  });
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  // `--id` and `--help` may come anywhere before `--`.
  const dashdash = argv.indexOf('--');
  const head = dashdash < 0 ? argv : argv.slice(0, dashdash);
  const tail = dashdash < 0 ? [] : argv.slice(dashdash + 1);
  if (head.length === 0 || head.includes('--help') || head.includes('-h') || head[0] === 'help') {
    io.out(`${HELP}\n`);
    return head.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  // Every command touches namespaces or root-owned state: say so first, whatever the command.
  if (head[0] !== DAEMON_ARG) await assertLabPrerequisites();
  let id: string | undefined;
  const idAt = head.indexOf('--id');
  if (idAt >= 0) {
    id = head[idAt + 1];
    if (!id) throw new UsageError('--id needs a value');
    head.splice(idAt, 2);
  }
  const [cmd, ...rest] = head;
  const json = rest.includes('--json');
  const positional = rest.filter((a) => a !== '--json');
  const needPod = () => {
    const pod = positional[0];
    if (!pod) throw new UsageError(`'${cmd}' needs a pod name (see 'pnpm lab status')`);
    return pod;
  };
  switch (cmd) {
    case 'up':
      return up(rest, io, tail);
    case 'down':
      await assertLabPrerequisites();
      return down(id, io);
    case 'status': {
      const labId = await currentId(id);
      const status = (await callControl(runPaths(labId).socket, { cmd: 'status' })) as LabStatus;
      io.out(json ? `${JSON.stringify(status)}\n` : formatStatus(status));
      return EXIT.OK;
    }
    case 'list': {
      const current = (await readFile(currentFile(), 'utf8').catch(() => '')).trim();
      const runs = await LabNetwork.listRuns();
      const rows = await Promise.all(
        runs.map(async (r) => {
          const state = await readRunState(r.id);
          return {
            id: r.id,
            namespaces: r.namespaces.length,
            daemon: state !== undefined && alive(state.pid),
            current: r.id === current,
          };
        }),
      );
      if (json) io.out(`${JSON.stringify(rows)}\n`);
      else if (rows.length === 0) io.out('no lab namespaces on this machine\n');
      else {
        for (const r of rows) {
          const what = r.daemon
            ? 'up (pnpm lab)'
            : r.current
              ? 'its daemon is gone'
              : 'in-process lab or leftover';
          io.out(`${r.id}  ${r.namespaces} namespace(s)  ${what}${r.current ? '  [current]' : ''}\n`);
        }
        io.out("Remove one with 'pnpm lab down --id ID' (only if no test or demo is using it).\n");
      }
      return EXIT.OK;
    }
    case 'scale': {
      const at = positional.indexOf('--deployment');
      const deployment = at < 0 ? undefined : positional[at + 1];
      if (at >= 0) {
        if (!deployment) throw new UsageError('--deployment needs a Deployment name');
        positional.splice(at, 2);
      }
      const n = Number(positional[0]);
      if (positional[0] === undefined || !Number.isInteger(n) || n < 0 || n > 200) {
        throw new UsageError(`scale needs a replica count from 0 to 200, got '${positional[0] ?? ''}'`);
      }
      const status = (await callControl(runPaths(await currentId(id)).socket, {
        cmd: 'scale',
        args: { replicas: n, ...(deployment === undefined ? {} : { deployment }) },
      })) as LabStatus;
      io.out(json ? `${JSON.stringify(status)}\n` : formatStatus(status));
      return EXIT.OK;
    }
    case 'restart': {
      const result = (await callControl(runPaths(await currentId(id)).socket, { cmd: 'restart' })) as {
        replaced: string[];
      };
      io.out(json ? `${JSON.stringify(result)}\n` : `restarted: ${result.replaced.join(', ')} replaced\n`);
      return EXIT.OK;
    }
    case 'kill':
    case 'delete':
    case 'partition':
    case 'heal': {
      const pod = needPod();
      const result = (await callControl(runPaths(await currentId(id)).socket, { cmd, args: { pod } })) as {
        replacement?: string;
      };
      if (json) io.out(`${JSON.stringify({ pod, ...result })}\n`);
      else {
        const done = {
          kill: 'killed (SIGKILL) and deleted',
          delete: 'deleted',
          partition: 'partitioned',
          heal: 'healed',
        };
        io.out(`${pod} ${done[cmd]}${result.replacement ? `; replacement: ${result.replacement}` : ''}\n`);
      }
      return EXIT.OK;
    }
    case 'dns': {
      const [what, value] = positional;
      const args: Record<string, string> = {};
      if (what === 'up' || what === 'down') args.up = what === 'up' ? 'on' : 'off';
      else if (what === 'endpoint-pod-names' && (value === 'on' || value === 'off'))
        args.endpointPodNames = value;
      else if (what === 'publish-not-ready' && (value === 'on' || value === 'off'))
        args.publishNotReadyAddresses = value;
      else
        throw new UsageError(
          "dns takes 'up', 'down', 'endpoint-pod-names on|off' or 'publish-not-ready on|off'",
        );
      const dns = await callControl(runPaths(await currentId(id)).socket, { cmd: 'dns', args });
      io.out(json ? `${JSON.stringify(dns)}\n` : `dns: ${JSON.stringify(dns)}\n`);
      return EXIT.OK;
    }
    case 'exec': {
      const pod = needPod();
      if (tail.length === 0)
        throw new UsageError("exec needs a command after '--', e.g. 'exec POD -- hostname -f'");
      await assertLabPrerequisites();
      return execInPod(await currentId(id), pod, tail);
    }
    case 'get': {
      const pod = needPod();
      const path = positional[1] ?? '/';
      const portAt = positional.indexOf('--port');
      const port = portAt >= 0 ? Number(positional[portAt + 1]) : LAB_DEFAULTS.httpPort;
      const res = (await callControl(runPaths(await currentId(id)).socket, {
        cmd: 'get',
        args: { pod, path, port },
      })) as { status: number; body: string };
      io.out(json ? `${JSON.stringify(res)}\n` : `${res.body}${res.body.endsWith('\n') ? '' : '\n'}`);
      return res.status >= 200 && res.status < 400 ? EXIT.OK : EXIT.FAILED;
    }
    case 'logs': {
      const pod = needPod();
      const file = `${runPaths(await currentId(id)).logDir}/${pod}.log`;
      if (!existsSync(file))
        throw new KindredError(LAB_ERRORS.LAB_NO_SUCH_POD, `no log for pod '${pod}' (${file})`);
      io.out(await readFile(file, 'utf8'));
      return EXIT.OK;
    }
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

/** Entry point of `pnpm lab` (test/lab/bin/lab.js): runs one command and resolves to its exit code. */
export async function main(argv: string[]): Promise<number> {
  const cmd: CommandIO = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stopSignal: new Promise<string>(() => {}),
  };
  const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
  if (argv[0] === DAEMON_ARG) {
    const { runDaemon } = await import('./daemon.js');
    try {
      await runDaemon(argv[1] ?? '', JSON.parse(argv[2] ?? '{}') as DaemonOptions);
      return new Promise<number>(() => {}); // serves until down or a signal exits the process
    } catch (err) {
      io.err(`lab daemon: ${err instanceof Error ? err.message : String(err)}\n`);
      await LabNetwork.destroyById(argv[1] ?? '').catch(() => undefined);
      return EXIT.FAILED;
    }
  }
  try {
    return await dispatch(argv, io);
  } catch (err) {
    return reportFailure(cmd, '', err, { label: 'lab', helpCommand: 'pnpm lab --help' });
  }
}
