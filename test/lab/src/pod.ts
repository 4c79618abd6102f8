/**
 * One pod of the lab: its record (what the lab tracks while it lives), its container's environment as a Deployment
 * and kubelet give it, its address on the lab's network, and what `Lab.pods` reports about it. The lab (lab.ts)
 * creates, probes, restarts and deletes pods; this file holds no state of its own but an {@link PodAddresses}.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { KindredError } from '@kindred/dns';
import { LAB_DEFAULTS } from './defaults.js';
import { type LabOptions, type PodSet, REPO_ROOT, type Readiness } from './deployments.js';
import { LAB_ERRORS } from './errors.js';
import { expandEnvValue } from './kubelet.js';
import { podFqdn } from './names.js';
import type { LabHost } from './netns.js';
import type { Prober } from './prober.js';

/** A pod's phase as the lab tracks it. */
export type PodPhase = 'Running' | 'Terminating' | 'Restarting';

/** What `Lab.pods` reports about a pod. */
export interface PodStatus {
  /** Pod name = hostname. */
  readonly name: string;
  /** The Deployment the pod belongs to (the main one, or one of {@link LabOptions.deployments}). */
  readonly deployment: string;
  /** Pod IP. */
  readonly ip: string;
  /** `hostname -f` inside the pod. */
  readonly fqdn: string;
  /**
   * The kindred node name the app takes: `<KINDRED_NAME>@<fqdn>`, or `@<KINDRED_HOST>` when set (`ip`: the pod IP),
   * or `@<pod IP>` under `KINDRED_NAMING=pod-ip`.
   */
  readonly node: string;
  /** Lifecycle phase. */
  readonly phase: PodPhase;
  /** Readiness (probe). */
  readonly ready: boolean;
  /** Whether DNS currently publishes it. */
  readonly published: boolean;
  /** Link down (partitioned). */
  readonly partitioned: boolean;
  /** Container restarts. */
  readonly restarts: number;
  /** Pid of the container's process (in the root pid namespace), if running. */
  readonly pid: number | undefined;
  /** The network namespace. */
  readonly netns: string;
  /** The container environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The pod's log file. */
  readonly logFile: string;
}

/** A pod the lab runs, while it exists (deleted pods are only names). */
export interface Pod {
  name: string;
  set: PodSet;
  ip: string;
  host: LabHost;
  env: Record<string, string>;
  logFile: string;
  child: ChildProcess | undefined;
  phase: PodPhase;
  ready: boolean;
  failures: number;
  restarts: number;
  partitioned: boolean;
  /** Set when the pod is being deleted; the process exit then removes it. */
  deleting: boolean;
  killTimer: NodeJS.Timeout | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  /** Resolves when the pod is gone. */
  gone: Promise<void>;
  markGone: () => void;
}

/** What a pod's container gets from its Deployment beside its own name and address. */
export interface PodEnvContext {
  /** Kubernetes namespace. */
  readonly namespace: string;
  /** Headless service name. */
  readonly service: string;
  /** The shared cookie (KINDRED_COOKIE). */
  readonly cookie: string;
  /** The lab's extra environment ({@link LabOptions.env}). */
  readonly env: Readonly<Record<string, string>>;
}

/** The container environment of pod `name` at `ip` of `set`: the Deployment's, then the lab's and the set's extras. */
export function podEnv(ctx: PodEnvContext, set: PodSet, name: string, ip: string): Record<string, string> {
  const env: Record<string, string> = {
    // The workspace's bin first, as if the image had the kindred CLI on its PATH: `exec POD -- kindred doctor`.
    PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
    POD_NAME: name,
    POD_NAMESPACE: ctx.namespace,
    POD_IP: ip,
    KINDRED_NAME: LAB_DEFAULTS.nodeBaseName,
    KINDRED_COOKIE: ctx.cookie,
    KINDRED_PORT: String(LAB_DEFAULTS.discoveryPort),
    KINDRED_DISCOVERY: `dns-srv:_discovery._tcp.${ctx.service}`,
    PORT: String(LAB_DEFAULTS.httpPort),
    LOG_LEVEL: 'info',
  };
  // The extra variables come after the Deployment's, and kubelet expands $(VAR) in them (KINDRED_HOST=$(POD_IP)).
  for (const [key, value] of Object.entries(ctx.env)) env[key] = expandEnvValue(value, env);
  for (const [key, value] of Object.entries(set.env)) env[key] = expandEnvValue(value, env);
  return env;
}

function ipToInt(address: string): number {
  return address.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}
function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Hands out pod addresses from {@link LAB_DEFAULTS.firstPodAddress} on, round the /24s, skipping ones in use. */
export class PodAddresses {
  private nextAddress = ipToInt(LAB_DEFAULTS.firstPodAddress);

  /** A free address (not in `used`); throws KINDRED_ERR_LAB_BAD_OPTION when none is left. */
  allocate(used: ReadonlySet<string>): string {
    for (let i = 0; i < 250; i++) {
      const candidate = this.nextAddress;
      this.nextAddress = (candidate & 255) >= 254 ? (candidate & ~255) + 2 : candidate + 1;
      const ip = intToIp(candidate);
      if (!used.has(ip)) return ip;
    }
    throw new KindredError(
      LAB_ERRORS.LAB_BAD_OPTION,
      'no free pod address left in the lab (at most 250 pods)',
    );
  }
}

/**
 * The host part of the pod's node name: the app's KINDRED_HOST (`ip`: the pod IP), else the pod IP under
 * `KINDRED_NAMING=pod-ip` (node-identity's pod-ip scheme, POD_IP), else the pod's FQDN.
 */
function nodeHost(p: Pod, service: string, namespace: string): string {
  const host = p.env.KINDRED_HOST;
  if (host === 'ip') return p.ip;
  if (host !== undefined && host !== '') return host;
  if (p.env.KINDRED_NAMING === 'pod-ip') return p.ip;
  return podFqdn(p.name, service, namespace, LAB_DEFAULTS.clusterDomain);
}

/** What `Lab.pods` reports about pod `p` of the Service `service` in `namespace`. */
export function podStatus(p: Pod, service: string, namespace: string, published: boolean): PodStatus {
  return {
    name: p.name,
    deployment: p.set.name,
    ip: p.ip,
    fqdn: podFqdn(p.name, service, namespace, LAB_DEFAULTS.clusterDomain),
    node: `${p.env.KINDRED_NAME ?? LAB_DEFAULTS.nodeBaseName}@${nodeHost(p, service, namespace)}`,
    phase: p.phase,
    ready: p.ready,
    published,
    partitioned: p.partitioned,
    restarts: p.restarts,
    pid: p.child?.pid,
    netns: p.host.netns,
    env: { ...p.env },
    logFile: p.logFile,
  };
}

/** One readiness probe of `pod` (an httpGet): true when it answers 2xx/3xx within the probe timeout. */
export async function probeReady(prober: Prober, pod: Pod): Promise<boolean> {
  const readiness = pod.set.readiness as Exclude<Readiness, 'started'>;
  let ok = false;
  try {
    const res = await prober.get(
      pod.ip,
      readiness.httpGet.port,
      readiness.httpGet.path,
      LAB_DEFAULTS.probeTimeoutMs,
    );
    ok = res.status >= 200 && res.status < 400;
  } catch {
    ok = false;
  }
  return ok;
}
