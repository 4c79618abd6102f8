import { type ChildProcess, execFile, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { KindredError } from '@kindred/dns';
import { LAB_DEFAULTS } from './defaults.js';
import { LAB_ERRORS } from './errors.js';
import { kubeletHostsFile, kubeletResolvConf } from './kubelet.js';
import { releaseNeighbourLimits } from './neighbour-limits.js';

/** The result of a command run to completion. */
export interface ExecResult {
  /** Exit code, or `null` when the command died from a signal (see {@link ExecResult.signal}). */
  readonly code: number | null;
  /** The signal that ended the command, if any (SIGKILL after a timeout). */
  readonly signal: NodeJS.Signals | null;
  /** Everything written to stdout, UTF-8. */
  readonly stdout: string;
  /** Everything written to stderr, UTF-8. */
  readonly stderr: string;
  /** True when {@link ExecOptions.timeoutMs} elapsed and the command was killed. */
  readonly timedOut: boolean;
}

/** Options of {@link LabHost.exec}. */
export interface ExecOptions {
  /** Extra environment; added over a minimal `PATH` + `HOME`, not over this process's environment. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Kill the command (SIGKILL) after this long; default {@link LAB_DEFAULTS.execTimeoutMs}. */
  readonly timeoutMs?: number | undefined;
  /** Written to the command's stdin, which is then closed. */
  readonly input?: string | Buffer | undefined;
  /** Working directory; default this process's. */
  readonly cwd?: string | undefined;
}

/** Options of {@link LabHost.spawn}: those of `child_process.spawn` the lab lets through. */
export interface HostSpawnOptions {
  /** Extra environment, as in {@link ExecOptions.env}. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** As in `child_process.spawn`. */
  readonly stdio?: SpawnOptions['stdio'];
  /** As in `child_process.spawn`: run in its own process group, so the caller may exit first. */
  readonly detached?: boolean | undefined;
  /** Working directory. */
  readonly cwd?: string | undefined;
}

/** What {@link LabNetwork.addHost} needs. */
export interface AddHostOptions {
  /** The UTS hostname every command in the host sees (`hostname`, `os.hostname()`); a pod name, <= 63 chars. */
  readonly hostname: string;
  /** IPv4 address on the pod subnet, e.g. `10.244.1.5`. */
  readonly address: string;
  /** Extra addresses in CIDR form on the host's eth0, e.g. `10.96.0.10/32` for the cluster DNS service. */
  readonly extraAddresses?: readonly string[] | undefined;
  /** The host's /etc/hosts; default {@link kubeletHostsFile} for `hostname` without a subdomain. */
  readonly hostsFile?: string | undefined;
  /** The host's /etc/resolv.conf; default {@link kubeletResolvConf} with the lab's defaults. */
  readonly resolvConf?: string | undefined;
}

/** A lab host as persisted by {@link LabNetwork.toJSON}. */
export interface LabHostState {
  /** Network namespace name (`kl-<id>-<hostname>`). */
  readonly netns: string;
  /** UTS hostname. */
  readonly hostname: string;
  /** Pod-subnet address. */
  readonly address: string;
  /** Allocation index, used in the veth name. */
  readonly index: number;
  /** The router-side veth (`kv<id>n<index>`); the host side is `eth0`. */
  readonly veth: string;
}

/** A {@link LabNetwork} as persisted by {@link LabNetwork.toJSON}, enough for {@link LabNetwork.attach}. */
export interface LabNetworkState {
  /** The run id. */
  readonly id: string;
  /** Pod subnet in CIDR form. */
  readonly podSubnet: string;
  /** Subnets routed onto the bridge from every host. */
  readonly routes: readonly string[];
  /** Next host index. */
  readonly nextIndex: number;
  /** The hosts. */
  readonly hosts: readonly LabHostState[];
}

/** Options of {@link LabNetwork.create}. */
export interface LabNetworkOptions {
  /** Run id; default a fresh {@link newRunId}. Lowercase hex or alphanumerics, 4 to 8 characters. */
  readonly id?: string | undefined;
  /** Pod subnet; default {@link LAB_DEFAULTS.podSubnet}. */
  readonly podSubnet?: string | undefined;
  /** The router's address on the bridge; default {@link LAB_DEFAULTS.bridgeAddress}. */
  readonly bridgeAddress?: string | undefined;
  /** Extra subnets each host routes onto the bridge; default `[LAB_DEFAULTS.serviceSubnet]`. */
  readonly routes?: readonly string[] | undefined;
}

/** A fresh random run id: 6 lowercase hex characters. */
export function newRunId(): string {
  return randomBytes(Math.ceil(LAB_DEFAULTS.runIdHexChars / 2))
    .toString('hex')
    .slice(0, LAB_DEFAULTS.runIdHexChars);
}

/** The names a run id owns. Everything the lab creates is named from these, so a leftover never collides. */
export interface LabNames {
  /** Prefix of every network namespace of the run, `kl-<id>-`. */
  readonly netnsPrefix: string;
  /** The router namespace holding the bridge, `kl-<id>-router`. */
  readonly router: string;
  /** The bridge inside the router namespace, `kb<id>` (<= 15 chars). */
  readonly bridge: string;
  /** The router-side veth of host number `index`, `kv<id>n<index>` (<= 15 chars). */
  veth(index: number): string;
  /** The namespace of a host, `kl-<id>-<hostname>`. */
  netns(hostname: string): string;
}

const RUN_ID_PATTERN = /^[a-z0-9]{4,8}$/;
const HOSTNAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The names belonging to run `id`; throws KINDRED_ERR_LAB_BAD_OPTION for a malformed id. */
export function labNames(id: string): LabNames {
  if (!RUN_ID_PATTERN.test(id)) {
    throw new KindredError(
      LAB_ERRORS.LAB_BAD_OPTION,
      `id must be 4 to 8 lowercase letters or digits, got '${id}'`,
    );
  }
  const p = LAB_DEFAULTS.namePrefix;
  return {
    netnsPrefix: `${p}-${id}-`,
    router: `${p}-${id}-router`,
    bridge: `kb${id}`,
    veth: (index) => `kv${id}n${index}`,
    netns: (hostname) => `${p}-${id}-${hostname}`,
  };
}

/** Runs a command to completion, never rejecting for a non-zero exit. */
function run(
  cmd: string,
  args: readonly string[],
  options: ExecOptions & { fullEnv?: NodeJS.ProcessEnv } = {},
) {
  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: options.fullEnv ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? LAB_DEFAULTS.execTimeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => {}); // the command may exit without reading its input
    child.stdin.end(options.input);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
  });
}

/** Runs `ip ...`; throws KINDRED_ERR_LAB_COMMAND_FAILED with its stderr when it fails. */
async function ip(...args: string[]): Promise<string> {
  const result = await run('ip', args);
  if (result.code !== 0) {
    throw new KindredError(
      LAB_ERRORS.LAB_COMMAND_FAILED,
      `'ip ${args.join(' ')}' failed: ${result.stderr.trim() || `exit ${result.code}`}`,
      { details: { args, code: result.code } },
    );
  }
  return result.stdout;
}

/** Runs `ip ...`, ignoring failure (for cleanup of things that may already be gone). */
async function ipQuiet(...args: string[]): Promise<void> {
  await run('ip', args).catch(() => undefined);
}

function commandExists(cmd: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(cmd, args, (error) => resolve(!error || (error as NodeJS.ErrnoException).code !== 'ENOENT'));
  });
}

/**
 * Fails fast, with a message saying what to do, unless this process can build a lab: it must run as root
 * (KINDRED_ERR_LAB_NOT_ROOT) and `ip` (iproute2) and `unshare` (util-linux) must be installed
 * (KINDRED_ERR_LAB_TOOL_MISSING).
 */
export async function assertLabPrerequisites(): Promise<void> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new KindredError(
      LAB_ERRORS.LAB_NOT_ROOT,
      'the pod lab creates network namespaces and must run as root: run it again with sudo (or as root)',
    );
  }
  const tools: Array<[string, string[], string]> = [
    ['ip', ['-V'], 'iproute2'],
    ['unshare', ['--version'], 'util-linux'],
  ];
  for (const [cmd, args, pkg] of tools) {
    if (!(await commandExists(cmd, args))) {
      throw new KindredError(
        LAB_ERRORS.LAB_TOOL_MISSING,
        `the pod lab needs '${cmd}', which is not on PATH: install it (apt-get install ${pkg})`,
        { details: { tool: cmd } },
      );
    }
  }
}

function parseCidr(cidr: string, option: string, maxPrefix = 30): { base: number; prefix: number } {
  const [addr, len] = cidr.split('/');
  const prefix = Number(len);
  if (!addr || !isIPv4(addr) || !Number.isInteger(prefix) || prefix < 8 || prefix > maxPrefix) {
    throw new KindredError(
      LAB_ERRORS.LAB_BAD_OPTION,
      `${option} must be an IPv4 CIDR like 10.244.0.0/16, got '${cidr}'`,
    );
  }
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (ipToInt(addr) & mask) >>> 0, prefix };
}

function ipToInt(address: string): number {
  return address.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
}

function inSubnet(address: string, subnet: { base: number; prefix: number }): boolean {
  const mask = (~0 << (32 - subnet.prefix)) >>> 0;
  return (ipToInt(address) & mask) >>> 0 === subnet.base;
}

/** The network namespaces whose name starts with `prefix`. */
async function listNetns(prefix: string): Promise<string[]> {
  const out = await ip('netns', 'list');
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

/** Process ids inside a network namespace (none when it does not exist). */
async function netnsPids(netns: string): Promise<number[]> {
  const result = await run('ip', ['netns', 'pids', netns]);
  if (result.code !== 0) return [];
  return result.stdout
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGKILLs every process in a namespace, then waits (up to ~5 s) until none is left. */
async function killNetnsProcesses(netns: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = await netnsPids(netns);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
}

/** Kills a namespace's processes, deletes it and its /etc/netns directory. Idempotent. */
async function deleteNetns(netns: string): Promise<void> {
  await killNetnsProcesses(netns);
  await ipQuiet('netns', 'del', netns);
  await rm(join(LAB_DEFAULTS.etcNetnsDir, netns), { recursive: true, force: true });
}

/**
 * A lab host: a network namespace with one veth (`eth0`) on the lab's bridge, its own /etc/hosts and resolv.conf, and
 * a UTS hostname set for every command run in it. A pod is a LabHost with kubelet's files.
 */
export class LabHost {
  /** The network this host is attached to. */
  readonly network: LabNetwork;
  /** The network namespace name. */
  readonly netns: string;
  /** The UTS hostname. */
  readonly hostname: string;
  /** The host's pod-subnet address. */
  readonly address: string;
  /** Allocation index within the network. */
  readonly index: number;
  /** The router-side veth name. */
  readonly veth: string;

  /** @internal use {@link LabNetwork.addHost} */
  constructor(network: LabNetwork, state: LabHostState) {
    this.network = network;
    this.netns = state.netns;
    this.hostname = state.hostname;
    this.address = state.address;
    this.index = state.index;
    this.veth = state.veth;
  }

  /**
   * The full argv (starting with `ip`) that runs `argv` inside this host with its hostname set:
   * `ip netns exec <ns> unshare --uts -- sh -c 'hostname "$0" && exec "$@"' <hostname> argv...`. Every `ip netns
   * exec` also bind-mounts /etc/netns/<ns>/hosts and resolv.conf over /etc's. The final exec keeps the pid.
   */
  command(argv: readonly string[]): string[] {
    if (argv.length === 0) throw new KindredError(LAB_ERRORS.LAB_BAD_OPTION, 'argv must name a command');
    return [
      'ip',
      'netns',
      'exec',
      this.netns,
      'unshare',
      '--uts',
      '--',
      'sh',
      '-c',
      'hostname "$0" && exec "$@"',
      this.hostname,
      ...argv,
    ];
  }

  /** The environment a command in this host gets: a minimal PATH and HOME plus `extra`. */
  environment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: process.env.HOME ?? '/root',
      ...extra,
    };
  }

  /** Runs `argv` inside the host to completion. Never rejects for a non-zero exit; check `code`. */
  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const [cmd, ...args] = this.command(argv);
    return run(cmd!, args, { ...options, fullEnv: this.environment(options.env) });
  }

  /** Starts `argv` inside the host and returns the child; its pid is the command's own (every wrapper execs). */
  spawn(argv: readonly string[], options: HostSpawnOptions = {}): ChildProcess {
    const [cmd, ...args] = this.command(argv);
    return spawn(cmd!, args, {
      env: this.environment(options.env),
      stdio: options.stdio ?? 'pipe',
      detached: options.detached ?? false,
      cwd: options.cwd,
    });
  }

  /** Brings the host's link on the bridge down (a network partition: nothing in or out) or up again. */
  async setLink(up: boolean): Promise<void> {
    await ip('-n', this.network.names.router, 'link', 'set', this.veth, up ? 'up' : 'down');
    if (!up) return;
    // Wait (briefly) for carrier on both ends, so traffic sent right after a heal is not dropped.
    for (let i = 0; i < 40; i++) {
      const [outer, inner] = await Promise.all([
        run('ip', ['-n', this.network.names.router, '-o', 'link', 'show', this.veth]),
        run('ip', ['-n', this.netns, '-o', 'link', 'show', 'eth0']),
      ]);
      if (outer.stdout.includes('LOWER_UP') && inner.stdout.includes('LOWER_UP')) break;
      await sleep(50);
    }
    // Neighbour entries that failed during the partition would answer EHOSTUNREACH for a while: forget them.
    await ipQuiet('-n', this.network.names.router, 'neigh', 'flush', 'to', this.address);
    await ipQuiet('-n', this.netns, 'neigh', 'flush', 'dev', 'eth0');
    for (const other of this.network.hosts()) {
      if (other !== this) await ipQuiet('-n', other.netns, 'neigh', 'flush', 'to', this.address);
    }
  }

  /** Whether the host's link is up (false while partitioned). */
  async linkUp(): Promise<boolean> {
    const out = await ip('-n', this.network.names.router, '-o', 'link', 'show', this.veth);
    return /[<,]UP[,>]/.test(out);
  }

  /** Replaces the host's /etc/hosts (seen by commands started afterwards). */
  async writeHostsFile(text: string): Promise<void> {
    await writeEtcFile(this.netns, 'hosts', text);
  }

  /** Replaces the host's /etc/resolv.conf (seen by commands started afterwards). */
  async writeResolvConf(text: string): Promise<void> {
    await writeEtcFile(this.netns, 'resolv.conf', text);
  }

  /** The ids of the processes running in the host. */
  pids(): Promise<number[]> {
    return netnsPids(this.netns);
  }

  /** Kills every process in the host and deletes its namespace, veth and /etc/netns files. Idempotent. */
  async remove(): Promise<void> {
    await deleteNetns(this.netns);
    await ipQuiet('-n', this.network.names.router, 'link', 'del', this.veth);
    this.network.forget(this);
  }
}

async function writeEtcFile(netns: string, file: string, text: string): Promise<void> {
  const dir = join(LAB_DEFAULTS.etcNetnsDir, netns);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, file), text);
}

/**
 * The lab's network: a dedicated router namespace (`kl-<id>-router`) holding a Linux bridge (`kb<id>`) at
 * {@link LAB_DEFAULTS.bridgeAddress}, and hosts attached to it by veths. Nothing is attached to the root namespace,
 * so lab traffic never leaves the lab. Every name carries the run id; {@link LabNetwork.destroyById} removes a run's
 * leftovers even after a crash.
 *
 * @example
 * const net = await LabNetwork.create();
 * try {
 *   const a = await net.addHost({ hostname: 'a', address: '10.244.1.2' });
 *   const { stdout } = await a.exec(['hostname']);   // 'a\n'
 * } finally {
 *   await net.destroy();
 * }
 */
export class LabNetwork {
  /** The run id. */
  readonly id: string;
  /** Names derived from {@link LabNetwork.id}. */
  readonly names: LabNames;
  /** The pod subnet in CIDR form. */
  readonly podSubnet: string;
  /** Subnets each host routes onto the bridge. */
  readonly routes: readonly string[];
  private readonly subnet: { base: number; prefix: number };
  private readonly hostMap = new Map<string, LabHost>();
  private nextIndex: number;

  private constructor(state: LabNetworkState) {
    this.id = state.id;
    this.names = labNames(state.id);
    this.podSubnet = state.podSubnet;
    this.subnet = parseCidr(state.podSubnet, 'podSubnet');
    this.routes = state.routes;
    this.nextIndex = state.nextIndex;
    for (const h of state.hosts) this.hostMap.set(h.hostname, new LabHost(this, h));
  }

  /**
   * Creates the router namespace and bridge. Checks root and tools first ({@link assertLabPrerequisites}). Throws
   * KINDRED_ERR_LAB_EXISTS if a network with this id is already there (destroy it, or pick another id).
   */
  static async create(options: LabNetworkOptions = {}): Promise<LabNetwork> {
    await assertLabPrerequisites();
    const id = options.id ?? newRunId();
    const names = labNames(id);
    const podSubnet = options.podSubnet ?? LAB_DEFAULTS.podSubnet;
    const subnet = parseCidr(podSubnet, 'podSubnet');
    const routes = options.routes ?? [LAB_DEFAULTS.serviceSubnet];
    for (const r of routes) parseCidr(r, 'routes');
    const bridgeAddress = options.bridgeAddress ?? LAB_DEFAULTS.bridgeAddress;
    if (!isIPv4(bridgeAddress) || !inSubnet(bridgeAddress, subnet)) {
      throw new KindredError(
        LAB_ERRORS.LAB_BAD_OPTION,
        `bridgeAddress must be an IPv4 address in ${podSubnet}`,
      );
    }
    if ((await listNetns(names.netnsPrefix)).length > 0) {
      throw new KindredError(
        LAB_ERRORS.LAB_EXISTS,
        `a lab network with id '${id}' already exists: remove it with LabNetwork.destroyById('${id}') or use another id`,
        { details: { id } },
      );
    }
    const network = new LabNetwork({ id, podSubnet, routes, nextIndex: 1, hosts: [] });
    try {
      await ip('netns', 'add', names.router);
      await ip('-n', names.router, 'link', 'set', 'lo', 'up');
      await ip('-n', names.router, 'link', 'add', names.bridge, 'type', 'bridge');
      await ip('-n', names.router, 'addr', 'add', `${bridgeAddress}/${subnet.prefix}`, 'dev', names.bridge);
      await ip('-n', names.router, 'link', 'set', names.bridge, 'up');
    } catch (err) {
      await LabNetwork.destroyById(id);
      throw err;
    }
    return network;
  }

  /** Re-attaches to a network another process created (state from {@link LabNetwork.toJSON}); creates nothing. */
  static attach(state: LabNetworkState): LabNetwork {
    return new LabNetwork(state);
  }

  /**
   * Removes everything of run `id`: kills every process in each of its namespaces, deletes the namespaces (and with
   * the router namespace the bridge and veths), any stray `kv<id>*`/`kb<id>` link in the root namespace, and the
   * /etc/netns/kl-<id>-* directories, and gives back the neighbour-table limits the run raised
   * ({@link releaseNeighbourLimits}). Idempotent; works on a crashed run's leftovers, from any process.
   */
  static async destroyById(id: string): Promise<void> {
    const names = labNames(id);
    const namespaces = await listNetns(names.netnsPrefix);
    // Hosts first, the router (and with it the bridge) last.
    namespaces.sort((a, b) => Number(a === names.router) - Number(b === names.router));
    for (const ns of namespaces) await deleteNetns(ns);
    const links = await run('ip', ['-o', 'link', 'show']);
    for (const line of links.stdout.split('\n')) {
      const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
      if (name && (name === names.bridge || name.startsWith(`kv${id}n`))) await ipQuiet('link', 'del', name);
    }
    const entries = await readdir(LAB_DEFAULTS.etcNetnsDir).catch(() => [] as string[]);
    for (const entry of entries) {
      if (entry.startsWith(names.netnsPrefix)) {
        await rm(join(LAB_DEFAULTS.etcNetnsDir, entry), { recursive: true, force: true });
      }
    }
    // Last: the namespaces holding the entries are gone, so lowering the limits again cannot overflow the table.
    releaseNeighbourLimits(id);
  }

  /**
   * The run ids that have namespaces on this machine (labs running now, or leftovers of a crashed run), with their
   * namespaces. Pass one to {@link LabNetwork.destroyById} to remove a leftover.
   */
  static async listRuns(): Promise<Array<{ id: string; namespaces: string[] }>> {
    const prefix = `${LAB_DEFAULTS.namePrefix}-`;
    const runs = new Map<string, string[]>();
    for (const ns of await listNetns(prefix)) {
      const id = /^[a-z]+-([a-z0-9]{4,8})-/.exec(ns)?.[1];
      if (id) runs.set(id, [...(runs.get(id) ?? []), ns]);
    }
    return [...runs].map(([id, namespaces]) => ({ id, namespaces }));
  }

  /**
   * Creates a host: its namespace, `lo` up, a veth whose host end is `eth0` with `address` (plus any
   * `extraAddresses`), routes for {@link LabNetwork.routes} onto the bridge, and /etc/netns/<ns>/hosts,
   * resolv.conf and hostname. Throws KINDRED_ERR_LAB_BAD_OPTION for a bad hostname or address, KINDRED_ERR_LAB_EXISTS for a
   * hostname already in use.
   */
  async addHost(options: AddHostOptions): Promise<LabHost> {
    const { hostname, address } = options;
    if (hostname.length > 63 || !HOSTNAME_PATTERN.test(hostname)) {
      throw new KindredError(
        LAB_ERRORS.LAB_BAD_OPTION,
        `hostname must be lowercase letters, digits, '-' and '.', at most 63 characters, got '${hostname}'`,
      );
    }
    if (!isIPv4(address) || !inSubnet(address, this.subnet)) {
      throw new KindredError(
        LAB_ERRORS.LAB_BAD_OPTION,
        `address must be an IPv4 address in ${this.podSubnet}, got '${address}'`,
      );
    }
    for (const extra of options.extraAddresses ?? [])
      parseCidr(extra.includes('/') ? extra : `${extra}/32`, 'extraAddresses', 32);
    if (this.hostMap.has(hostname) || this.names.netns(hostname) === this.names.router) {
      throw new KindredError(
        LAB_ERRORS.LAB_EXISTS,
        `a host named '${hostname}' already exists in lab ${this.id}`,
      );
    }
    if ([...this.hostMap.values()].some((h) => h.address === address)) {
      throw new KindredError(LAB_ERRORS.LAB_EXISTS, `address ${address} is already used in lab ${this.id}`);
    }
    const index = this.nextIndex++;
    const state: LabHostState = {
      netns: this.names.netns(hostname),
      hostname,
      address,
      index,
      veth: this.names.veth(index),
    };
    const host = new LabHost(this, state);
    this.hostMap.set(hostname, host);
    const router = this.names.router;
    try {
      await writeEtcFile(
        state.netns,
        'hosts',
        options.hostsFile ?? kubeletHostsFile({ hostname, podIps: address }),
      );
      await writeEtcFile(state.netns, 'resolv.conf', options.resolvConf ?? kubeletResolvConf());
      // A container's /etc/hostname holds the pod's hostname (the CRI writes it); bind-mounted like the others.
      await writeEtcFile(state.netns, 'hostname', `${hostname}\n`);
      await ip('netns', 'add', state.netns);
      await ip('-n', state.netns, 'link', 'set', 'lo', 'up');
      await ip(
        '-n',
        router,
        'link',
        'add',
        state.veth,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        state.netns,
      );
      await ip('-n', router, 'link', 'set', state.veth, 'master', this.names.bridge, 'up');
      await ip('-n', state.netns, 'addr', 'add', `${address}/${this.subnet.prefix}`, 'dev', 'eth0');
      for (const extra of options.extraAddresses ?? []) {
        await ip(
          '-n',
          state.netns,
          'addr',
          'add',
          extra.includes('/') ? extra : `${extra}/32`,
          'dev',
          'eth0',
        );
      }
      await ip('-n', state.netns, 'link', 'set', 'eth0', 'up');
      for (const route of this.routes) await ip('-n', state.netns, 'route', 'add', route, 'dev', 'eth0');
    } catch (err) {
      await host.remove();
      throw err;
    }
    return host;
  }

  /**
   * Starts `argv` in the router namespace, which reaches every host over the bridge (at
   * {@link LAB_DEFAULTS.bridgeAddress}): where probes and port forwards run from.
   */
  spawnInRouter(argv: readonly string[], options: HostSpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.names.router, ...argv], {
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: process.env.HOME ?? '/root',
        ...options.env,
      },
      stdio: options.stdio ?? 'pipe',
      detached: options.detached ?? false,
      cwd: options.cwd,
    });
  }

  /** The host with this hostname, if any. */
  host(hostname: string): LabHost | undefined {
    return this.hostMap.get(hostname);
  }

  /** Every host, in creation order. */
  hosts(): LabHost[] {
    return [...this.hostMap.values()];
  }

  /** @internal called by {@link LabHost.remove} */
  forget(host: LabHost): void {
    if (this.hostMap.get(host.hostname) === host) this.hostMap.delete(host.hostname);
  }

  /** What {@link LabNetwork.attach} needs to find this network again from another process. */
  toJSON(): LabNetworkState {
    return {
      id: this.id,
      podSubnet: this.podSubnet,
      routes: [...this.routes],
      nextIndex: this.nextIndex,
      hosts: this.hosts().map((h) => ({
        netns: h.netns,
        hostname: h.hostname,
        address: h.address,
        index: h.index,
        veth: h.veth,
      })),
    };
  }

  /** Removes everything of this run ({@link LabNetwork.destroyById}). Idempotent. */
  async destroy(): Promise<void> {
    await LabNetwork.destroyById(this.id);
    this.hostMap.clear();
  }
}
