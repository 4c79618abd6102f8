// A Docker engine for the `docker` test project: a private dockerd (its own socket, data root and exec root under a
// scratch folder) started by the suite and stopped by it, and a view of the root network namespace taken before it
// starts, so that stopping it can undo what dockerd changed there (docker0, br-* bridges, its iptables chains and
// rules, the FORWARD policy, ip_forward) and the suite can assert the machine's network is as it found it.
// deploy/README.md ("Docker in `npm test`") describes the whole run.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Output of a command, or a thrown error that carries its stderr. */
export async function run(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

async function has(cmd: string): Promise<boolean> {
  try {
    await execFileP('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the `docker` suite cannot run on this machine, or undefined when it can. Only "not Linux" and "not root" are
 * reasons to skip; a root Linux machine without the engine's packages is a failed set-up (scripts/setup-docker.sh).
 */
export function dockerSkipReason(): string | undefined {
  if (process.platform !== 'linux') {
    return `not Linux (${process.platform}): the suite starts its own dockerd, which needs Linux`;
  }
  if (process.getuid?.() !== 0) {
    return 'not root: the suite starts its own dockerd and undoes its network changes, which needs root';
  }
  return undefined;
}

/** What dockerd may change in the root network namespace, normalised so two views of an unchanged machine agree. */
export interface NetworkView {
  /** `name kind` of every link (bridges, veths, ...). */
  readonly links: string[];
  /** IPv4 routes of the main table. */
  readonly routes: string[];
  /** iptables-save and ip6tables-save, without comments and counters. */
  readonly iptables: string;
  /** nft list ruleset, without counters. */
  readonly nft: string;
  /** net.ipv4.ip_forward and net.ipv6.conf.all.forwarding. */
  readonly sysctls: Record<string, string>;
}

const SYSCTLS = ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding'];

function stripSave(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]'))
    .join('\n');
}

/** The root network namespace as dockerd could change it. */
export async function networkView(): Promise<NetworkView> {
  const links = (
    JSON.parse(await run('ip', ['-d', '-j', 'link', 'show'])) as {
      ifname: string;
      linkinfo?: { info_kind?: string };
    }[]
  )
    .map((l) => `${l.ifname} ${l.linkinfo?.info_kind ?? '-'}`)
    .sort();
  const routes = (await run('ip', ['-4', 'route', 'show'])).split('\n').filter(Boolean).sort();
  const iptables = `${stripSave(await run('iptables-save', []))}\n--\n${stripSave(await run('ip6tables-save', []))}`;
  const nft = (await run('nft', ['list', 'ruleset'])).replace(/counter packets \d+ bytes \d+/g, 'counter');
  const sysctls: Record<string, string> = {};
  for (const s of SYSCTLS) sysctls[s] = readFileSync(`/proc/sys/${s}`, 'utf8').trim();
  return { links, routes, iptables, nft, sysctls };
}

interface SaveTable {
  chains: Map<string, string>;
  rules: string[];
}

function parseSave(text: string): Map<string, SaveTable> {
  const tables = new Map<string, SaveTable>();
  let cur: SaveTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      cur = { chains: new Map(), rules: [] };
      tables.set(line.slice(1), cur);
    } else if (line.startsWith(':') && cur) {
      const [name = '', policy = ''] = line.slice(1).split(' ');
      cur.chains.set(name, policy);
    } else if (line.startsWith('-A ') && cur) {
      cur.rules.push(line.slice(3));
    }
  }
  return tables;
}

// iptables-save quotes an argument with spaces in double quotes (comments); docker's rules have none, but split
// them properly anyway.
function words(rule: string): string[] {
  return [...rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/**
 * Undoes in the iptables of one family what was added since `before` (rules, chains, policies), keeping every rule
 * that was there; a table that did not exist before is deleted (nft), so the ruleset is as it was.
 */
async function restoreTables(family: 'ip' | 'ip6', before: string): Promise<void> {
  const cmd = family === 'ip' ? 'iptables' : 'ip6tables';
  const was = parseSave(before);
  const now = parseSave(await run(`${cmd}-save`, []));
  for (const [table, t] of now) {
    const old = was.get(table);
    const kept = [...(old?.rules ?? [])];
    // Delete the added rules, last first (a jump is removed before its target chain).
    for (const rule of [...t.rules].reverse()) {
      const i = kept.indexOf(rule);
      if (i >= 0) kept.splice(i, 1);
      else await run(cmd, ['-t', table, '-D', ...words(rule)]);
    }
    for (const [chain, policy] of t.chains) {
      const oldPolicy = old?.chains.get(chain);
      if (oldPolicy === undefined) {
        if (policy === '-') await run(cmd, ['-t', table, '-X', chain]);
      } else if (oldPolicy !== policy && oldPolicy !== '-') {
        await run(cmd, ['-t', table, '-P', chain, oldPolicy]);
      }
    }
    if (!old) await run('nft', ['delete', 'table', family, table]);
  }
}

/** A running Docker engine, started by the suite or found already running. */
export interface Engine {
  /** Environment for `docker`, `docker compose` and testcontainers to reach this engine. */
  readonly env: NodeJS.ProcessEnv;
  /** True when the suite started it (and stop() stops it); false for an engine that was already running. */
  readonly ours: boolean;
  /** The network namespace as it was before the engine started. */
  readonly before: NetworkView;
  /** The suite's own engine's scratch folder, a tmpfs (socket, data root, exec root, log); '' for an existing one. */
  readonly root: string;
  /** Stops the engine if the suite started it and undoes its network changes. Idempotent. */
  stop(): Promise<void>;
}

/**
 * How long dockerd gets to answer `docker info` and to exit on SIGTERM, and the size cap of the tmpfs its scratch
 * folder is (images, build cache and containers take about 1.5 GB; a tmpfs only holds what is written to it).
 */
const ENGINE_DEFAULTS = Object.freeze({
  startTimeoutMs: 60_000,
  stopTimeoutMs: 30_000,
  pollMs: 250,
  scratchSize: '8g',
});

async function answers(env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    await execFileP('docker', ['info', '--format', '{{.ServerVersion}}'], { env });
    return true;
  } catch {
    return false;
  }
}

function engineEnv(host: string): NodeJS.ProcessEnv {
  // testcontainers: the reaper's image can't be pulled here, and /.dockerenv must not make it look for a gateway.
  return {
    ...process.env,
    DOCKER_HOST: host,
    TESTCONTAINERS_RYUK_DISABLED: 'true',
    TESTCONTAINERS_HOST_OVERRIDE: 'localhost',
  };
}

/**
 * Uses the engine that DOCKER_HOST or /var/run/docker.sock names if one answers; otherwise starts a private dockerd
 * with its own socket, data root and exec root in a scratch folder, recording the network before it starts.
 */
export async function startEngine(log: (line: string) => void = () => {}): Promise<Engine> {
  for (const cmd of ['dockerd', 'docker', 'iptables-save', 'nft', 'ip']) {
    if (!(await has(cmd))) throw new Error(`'${cmd}' is missing: run scripts/setup.sh (as root) first`);
  }
  const before = await networkView();
  const existing = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (await answers(engineEnv(existing))) {
    log(`using the Docker engine already running at ${existing}`);
    return { env: engineEnv(existing), ours: false, before, root: '', stop: async () => {} };
  }
  // The scratch folder is a tmpfs: the engine's many small files never wait for the disk, and removing them all is
  // one umount instead of minutes of unlinking on a busy disk.
  const dir = mkdtempSync(join(tmpdir(), 'kindred-docker-'));
  const tmpfs = ['-t', 'tmpfs', '-o', `mode=0700,size=${ENGINE_DEFAULTS.scratchSize}`, 'kindred-docker', dir];
  try {
    await run('mount', tmpfs);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const sock = `unix://${dir}/docker.sock`;
  const logFd = openSync(join(dir, 'dockerd.log'), 'a');
  const args = [
    `--host=${sock}`,
    `--data-root=${dir}/data`,
    `--exec-root=${dir}/exec`,
    `--pidfile=${dir}/dockerd.pid`,
    '--iptables=true',
  ];
  log(`starting dockerd ${args.join(' ')}`);
  const child: ChildProcess = spawn('dockerd', args, { stdio: ['ignore', logFd, logFd] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const env = engineEnv(sock);
  const deadline = Date.now() + ENGINE_DEFAULTS.startTimeoutMs;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const t0 = Date.now();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ENGINE_DEFAULTS.stopTimeoutMs);
      await exited;
      clearTimeout(timer);
      log(`dockerd exited (${child.signalCode ?? child.exitCode}) ${Date.now() - t0} ms after SIGTERM`);
    }
    closeSync(logFd);
    await restoreNetwork(before, log);
    // Anything dockerd left mounted under its roots (it unmounts on a clean stop), then the tmpfs itself.
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(dir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) await run('umount', ['-l', m]);
    rmSync(dir, { recursive: true, force: true });
  };
  while (!(await answers(env))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = readFileSync(join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-20).join('\n');
      await stop();
      throw new Error(
        `dockerd did not answer within ${ENGINE_DEFAULTS.startTimeoutMs} ms; its log ends:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, ENGINE_DEFAULTS.pollMs));
  }
  return { env, ours: true, before, root: dir, stop };
}

/** Undoes dockerd's changes to the root network namespace: links, iptables, sysctls, back to `before`. */
async function restoreNetwork(before: NetworkView, log: (line: string) => void): Promise<void> {
  const had = new Set(before.links.map((l) => l.split(' ')[0]));
  const now = await networkView();
  for (const l of now.links) {
    const [name = '', kind] = l.split(' ');
    if (!had.has(name) && (kind === 'bridge' || kind === 'veth')) {
      log(`deleting link ${name}`);
      await run('ip', ['link', 'del', name]).catch(() => {}); // a veth goes with its peer
    }
  }
  const [v4 = '', v6 = ''] = before.iptables.split('\n--\n');
  await restoreTables('ip', v4);
  await restoreTables('ip6', v6);
  for (const [s, value] of Object.entries(before.sysctls)) {
    if (readFileSync(`/proc/sys/${s}`, 'utf8').trim() !== value) {
      log(`restoring ${s} to ${value}`);
      writeFileSync(`/proc/sys/${s}`, value);
    }
  }
}
