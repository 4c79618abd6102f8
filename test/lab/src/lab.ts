import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KindredError } from '@kindred/dns';
import { LAB_DEFAULTS } from './defaults.js';
import {
  checkLabOptions,
  checkReplicas,
  findPodSet,
  type LabOptions,
  type PodSet,
  podSets,
} from './deployments.js';
import { LAB_ERRORS } from './errors.js';
import { kubeletHostsFile, kubeletResolvConf } from './kubelet.js';
import { type LabDns, type LabDnsModel, requireDnsTools, startLabDns } from './lab-dns.js';
import { deploymentPodName, podTemplateHash } from './names.js';
import { raiseNeighbourLimits } from './neighbour-limits.js';
import { type ExecOptions, type ExecResult, LabNetwork } from './netns.js';
import { type Pod, PodAddresses, type PodStatus, podEnv, podStatus, probeReady } from './pod.js';
import { type ProbeResponse, Prober } from './prober.js';
import { type LabEvent, type LabStatus, MAX_EVENTS } from './status.js';

export {
  APP_MAIN,
  type LabDeploymentOptions,
  type LabOptions,
  REPO_ROOT,
  type Readiness,
} from './deployments.js';
export type { PodPhase, PodStatus } from './pod.js';
export type { LabEvent, LabStatus } from './status.js';

/**
 * The pod lab: a Deployment's pods (network + UTS namespaces with kubelet's files, the app inside), the headless
 * Service's DNS (real BIND answering what CoreDNS's kubernetes plugin would), a ReplicaSet-like controller that
 * replaces deleted pods, kubelet-like readiness probes and container restarts.
 *
 * Events: `change` (after any pod or DNS change), `event` ({@link LabEvent}), `error` (a failed DNS update or pod
 * creation; never thrown).
 */
export class Lab extends EventEmitter {
  /** The network the pods live on. */
  readonly network: LabNetwork;
  /** The Deployment's current pod-template-hash (a {@link Lab.restart} makes a new one, as a new ReplicaSet would). */
  get templateHash(): string {
    return this.main.hash;
  }
  private get main(): PodSet {
    return this.sets[0]!;
  }
  /** The cookie every pod gets as KINDRED_COOKIE. */
  readonly cookie: string;
  private readonly opts: {
    deployment: string;
    service: string;
    namespace: string;
    env: Readonly<Record<string, string>>;
    probePeriodMs: number;
    terminationGracePeriodMs: number;
    logDir: string;
    keepLogs: boolean;
  };
  /** The main Deployment (index 0) and the extra ones, in option order. */
  private readonly sets: PodSet[];
  private endpointPodNames: boolean;
  private publishNotReadyAddresses: boolean;
  private readonly podMap = new Map<string, Pod>();
  private readonly deleted: string[] = [];
  private readonly events: LabEvent[] = [];
  private readonly prober: Prober;
  private dns: LabDns | undefined;
  private readonly addresses = new PodAddresses();
  private probeTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private probing = false;
  /** The last DNS update failure, shown by {@link Lab.status}. */
  private lastDnsError: string | undefined;
  private dnsQueue: Promise<void> = Promise.resolve();
  private reconcileQueue: Promise<void> = Promise.resolve();

  private constructor(network: LabNetwork, options: LabOptions, replicas: number) {
    super();
    this.network = network;
    this.cookie = options.cookie ?? randomBytes(16).toString('hex');
    this.endpointPodNames = options.endpointPodNames ?? LAB_DEFAULTS.endpointPodNames;
    this.publishNotReadyAddresses = options.publishNotReadyAddresses ?? LAB_DEFAULTS.publishNotReadyAddresses;
    this.opts = {
      deployment: options.deployment ?? LAB_DEFAULTS.deployment,
      service: options.service ?? LAB_DEFAULTS.service,
      namespace: options.namespace ?? LAB_DEFAULTS.namespace,
      env: options.env ?? {},
      probePeriodMs: options.probePeriodMs ?? LAB_DEFAULTS.probePeriodMs,
      terminationGracePeriodMs: options.terminationGracePeriodMs ?? LAB_DEFAULTS.terminationGracePeriodMs,
      logDir: options.logDir ?? join(LAB_DEFAULTS.stateDir, network.id, 'logs'),
      keepLogs: options.keepLogs ?? false,
    };
    this.sets = podSets(options, this.opts.deployment, replicas);
    this.prober = new Prober(network);
  }

  /**
   * Builds the network, starts DNS, and starts `replicas` pods (without waiting for them to be ready: see
   * {@link Lab.waitFor}). On failure everything created is removed before the error is thrown.
   */
  static async start(options: LabOptions = {}): Promise<Lab> {
    const replicas = checkLabOptions(options);
    requireDnsTools();
    const network = await LabNetwork.create({ id: options.id });
    let lab: Lab | undefined;
    try {
      const dnsHost = await network.addHost({
        hostname: 'coredns',
        address: LAB_DEFAULTS.dnsPodAddress,
        extraAddresses: [`${LAB_DEFAULTS.clusterDnsAddress}/32`],
      });
      lab = new Lab(network, options, replicas);
      raiseNeighbourLimits(network.id, lab.podCapacity());
      mkdirSync(lab.opts.logDir, { recursive: true });
      lab.dns = await startLabDns({ netns: dnsHost.netns, model: lab.dnsModel() });
      for (const set of lab.sets) for (let i = 0; i < set.replicas; i++) await lab.createPod(set);
      await lab.publish();
      lab.probeTimer = setInterval(() => void lab?.probeAll(), lab.opts.probePeriodMs);
      return lab;
    } catch (err) {
      if (lab) await lab.stop();
      else await network.destroy();
      throw err;
    }
  }

  /**
   * Pods that may exist at once with `replicas` desired: the surge pod of {@link Lab.restart} and the terminating
   * pods of a scale-down still hold neighbour entries.
   */
  private podCapacity(): number {
    const desired = this.sets.reduce((sum, set) => sum + set.replicas, 0);
    return Math.max(desired, this.podMap.size) + 1;
  }

  /** The DNS name of the headless service's SRV record. */
  get srvName(): string {
    return `_discovery._tcp.${this.opts.service}.${this.opts.namespace}.svc.${LAB_DEFAULTS.clusterDomain}`;
  }

  /** Creates a pod (as a ReplicaSet would) and starts its container. */
  private async createPod(set: PodSet): Promise<Pod> {
    let name = deploymentPodName(set.name, set.hash);
    while (this.podMap.has(name) || this.deleted.includes(name)) {
      name = deploymentPodName(set.name, set.hash);
    }
    const ip = this.addresses.allocate(new Set([...this.podMap.values()].map((p) => p.ip)));
    const host = await this.network.addHost({
      hostname: name,
      address: ip,
      hostsFile: kubeletHostsFile({
        hostname: name,
        podIps: ip,
        subdomain: this.opts.service,
        namespace: this.opts.namespace,
      }),
      resolvConf: kubeletResolvConf({ namespace: this.opts.namespace }),
    });
    let markGone = () => {};
    const gone = new Promise<void>((resolve) => {
      markGone = resolve;
    });
    const pod: Pod = {
      name,
      set,
      ip,
      host,
      env: podEnv(
        {
          namespace: this.opts.namespace,
          service: this.opts.service,
          cookie: this.cookie,
          env: this.opts.env,
        },
        set,
        name,
        ip,
      ),
      logFile: join(this.opts.logDir, `${name}.log`),
      child: undefined,
      phase: 'Running',
      ready: false,
      failures: 0,
      restarts: 0,
      partitioned: false,
      deleting: false,
      killTimer: undefined,
      restartTimer: undefined,
      gone,
      markGone,
    };
    this.podMap.set(name, pod);
    this.record('created', name, ip);
    this.startContainer(pod);
    return pod;
  }

  private startContainer(pod: Pod): void {
    const fd = openSync(pod.logFile, 'a');
    try {
      const child = pod.host.spawn(pod.set.command, {
        env: pod.env,
        stdio: ['ignore', fd, fd],
        detached: true,
      });
      pod.child = child;
      pod.phase = 'Running';
      this.record('started', pod.name, `pid ${child.pid}`);
      child.on('error', () => {}); // 'exit' follows
      child.on('exit', (code, signal) => {
        this.record('exited', pod.name, signal ? `signal ${signal}` : `code ${code}`);
        this.onContainerExit(pod, child);
      });
    } finally {
      closeSync(fd);
    }
    if (pod.set.readiness === 'started') pod.ready = true;
    this.changed();
  }

  private onContainerExit(pod: Pod, child: ChildProcess): void {
    if (pod.child !== child) return;
    pod.child = undefined;
    pod.ready = false;
    if (pod.killTimer) clearTimeout(pod.killTimer);
    if (pod.deleting || this.stopping) {
      void this.removePod(pod);
      return;
    }
    // kubelet restarts a crashed container in the same pod (restartPolicy: Always), with a growing back-off.
    pod.phase = 'Restarting';
    pod.restarts++;
    const delay = Math.min(
      LAB_DEFAULTS.restartBackoffMs * 2 ** Math.min(pod.restarts - 1, 10),
      LAB_DEFAULTS.restartBackoffMaxMs,
    );
    pod.restartTimer = setTimeout(() => {
      pod.restartTimer = undefined;
      if (!pod.deleting && !this.stopping) this.startContainer(pod);
    }, delay);
    void this.publish();
  }

  private async removePod(pod: Pod): Promise<void> {
    if (!this.podMap.has(pod.name)) return;
    this.podMap.delete(pod.name);
    this.deleted.push(pod.name);
    this.record('deleted', pod.name);
    await pod.host.remove().catch(() => undefined);
    if (!this.stopping) await this.reconcile();
    pod.markGone();
  }

  /** Deletes a pod: SIGTERM, then SIGKILL after the grace period (or at once with `force`). */
  private deletePod(pod: Pod, force: boolean): Promise<void> {
    if (pod.restartTimer) {
      clearTimeout(pod.restartTimer);
      pod.restartTimer = undefined;
    }
    if (!pod.deleting) {
      pod.deleting = true;
      pod.phase = 'Terminating';
      this.record('terminating', pod.name, force ? 'SIGKILL' : 'SIGTERM');
      if (!pod.child) {
        void this.removePod(pod);
      } else {
        pod.child.kill(force ? 'SIGKILL' : 'SIGTERM');
        if (!force) {
          pod.killTimer = setTimeout(() => pod.child?.kill('SIGKILL'), this.opts.terminationGracePeriodMs);
        }
      }
      void this.publish();
    } else if (force) {
      pod.child?.kill('SIGKILL');
    }
    return pod.gone;
  }

  /** The ReplicaSet loop: create pods until the desired count is met (deleting ones do not count). */
  private reconcile(): Promise<void> {
    // One pass at a time: pod creation awaits the network, and two passes at once would both see a shortfall.
    this.reconcileQueue = this.reconcileQueue
      .then(async () => {
        if (this.stopping) return;
        for (const set of this.sets) {
          const live = [...this.podMap.values()].filter((p) => p.set === set && !p.deleting);
          for (let i = live.length; i < set.replicas && !this.stopping; i++) await this.createPod(set);
        }
      })
      .catch((err: unknown) => {
        if (this.listenerCount('error') > 0) this.emit('error', err);
      });
    return this.reconcileQueue.then(() => this.publish());
  }

  private async probeAll(): Promise<void> {
    if (this.stopping || this.probing) return;
    this.probing = true;
    try {
      await this.probeOnce();
    } finally {
      this.probing = false;
    }
  }

  private async probeOnce(): Promise<void> {
    const pods = [...this.podMap.values()].filter(
      (p) => p.child && !p.deleting && p.set.readiness !== 'started',
    );
    let changed = false;
    await Promise.all(
      pods.map(async (pod) => {
        const ok = await probeReady(this.prober, pod);
        if (ok) {
          pod.failures = 0;
          if (!pod.ready) {
            pod.ready = true;
            changed = true;
            this.record('ready', pod.name);
          }
        } else if (pod.ready && ++pod.failures >= LAB_DEFAULTS.probeFailureThreshold) {
          pod.ready = false;
          pod.failures = 0;
          changed = true;
          this.record('not-ready', pod.name);
        }
      }),
    );
    if (changed) await this.publish();
  }

  /** Whether the endpoints controller would publish the pod (EndpointSlice `ready` as CoreDNS reads it). */
  private isPublished(pod: Pod): boolean {
    if (this.publishNotReadyAddresses) return true;
    return pod.ready && !pod.deleting;
  }

  private dnsModel(): LabDnsModel {
    return {
      namespace: this.opts.namespace,
      service: this.opts.service,
      port: { name: 'discovery', protocol: 'tcp', port: LAB_DEFAULTS.discoveryPort },
      endpointPodNames: this.endpointPodNames,
      publishNotReadyAddresses: this.publishNotReadyAddresses,
      ttlSeconds: LAB_DEFAULTS.dnsTtlSeconds,
      pods: [...this.podMap.values()].map((p) => ({
        name: p.name,
        ip: p.ip,
        ready: p.ready && !p.deleting,
      })),
    };
  }

  /** Pushes the current endpoints to DNS (serialised; the last model wins). */
  private publish(): Promise<void> {
    this.dnsQueue = this.dnsQueue
      .then(async () => {
        if (this.dns && !this.stopping) await this.dns.update(this.dnsModel());
      })
      .catch((err: unknown) => {
        // Reported, never thrown: a failed DNS update must not stop the next one.
        this.lastDnsError = err instanceof Error ? err.message : String(err);
        if (this.listenerCount('error') > 0) this.emit('error', err);
      })
      .finally(() => this.changed());
    return this.dnsQueue;
  }

  private record(type: LabEvent['type'], pod: string, detail?: string): void {
    const event: LabEvent =
      detail === undefined ? { type, pod, at: Date.now() } : { type, pod, detail, at: Date.now() };
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.shift();
    if (this.listenerCount('event') > 0) this.emit('event', event);
  }

  private changed(): void {
    if (this.listenerCount('change') > 0) this.emit('change');
  }

  private podOrThrow(name: string): Pod {
    const pod = this.podMap.get(name);
    if (!pod) {
      throw new KindredError(
        LAB_ERRORS.LAB_NO_SUCH_POD,
        `no pod named '${name}': see 'pnpm lab status' for the pods`,
        { details: { pod: name, pods: [...this.podMap.keys()] } },
      );
    }
    return pod;
  }

  /** The current pods (including terminating ones), oldest first. */
  pods(): PodStatus[] {
    return [...this.podMap.values()].map((p) =>
      podStatus(p, this.opts.service, this.opts.namespace, this.isPublished(p)),
    );
  }

  /** A snapshot of the whole lab. */
  status(): LabStatus {
    return {
      id: this.network.id,
      replicas: this.main.replicas,
      deployment: this.opts.deployment,
      service: this.opts.service,
      namespace: this.opts.namespace,
      dns: {
        up: this.dns?.running ?? false,
        address: LAB_DEFAULTS.clusterDnsAddress,
        endpointPodNames: this.endpointPodNames,
        publishNotReadyAddresses: this.publishNotReadyAddresses,
        srvName: this.srvName,
        lastError: this.lastDnsError,
      },
      deployments: this.sets.map((set) => ({ name: set.name, replicas: set.replicas })),
      pods: this.pods(),
      deletedPods: [...this.deleted],
      events: [...this.events],
    };
  }

  /**
   * Sets the desired replica count of the main Deployment, or of the one named `deployment`; removes its newest pods
   * first (SIGTERM, grace period) or creates new ones.
   */
  async scale(replicas: number, deployment?: string): Promise<void> {
    checkReplicas(replicas);
    const set = findPodSet(this.sets, deployment);
    const previous = set.replicas;
    set.replicas = replicas;
    try {
      raiseNeighbourLimits(this.network.id, this.podCapacity());
    } catch (err) {
      set.replicas = previous;
      throw err;
    }
    const live = [...this.podMap.values()].filter((p) => p.set === set && !p.deleting);
    const excess = live.length - replicas;
    for (let i = 0; i < excess; i++) void this.deletePod(live[live.length - 1 - i]!, false);
    await this.reconcile();
  }

  /**
   * SIGKILLs the pod's container and deletes the pod, like `kubectl delete pod --force --grace-period=0`; the
   * ReplicaSet then creates a replacement with a new name and address. Resolves to the replacement's name.
   */
  async kill(name: string): Promise<string | undefined> {
    const pod = this.podOrThrow(name);
    const before = new Set(this.podMap.keys());
    await this.deletePod(pod, true);
    await this.dnsQueue;
    return [...this.podMap.keys()].find((n) => !before.has(n));
  }

  /** Deletes a pod gracefully (SIGTERM, grace period), like `kubectl delete pod`; a replacement is created. */
  async delete(name: string): Promise<void> {
    await this.deletePod(this.podOrThrow(name), false);
  }

  /**
   * A rolling restart of the main Deployment, like `kubectl rollout restart` of a Deployment with `maxSurge: 1, maxUnavailable: 0` (as
   * deploy/kustomize sets): a new pod-template-hash; then for each old pod, oldest first, one new pod is created, and
   * once it is ready an old pod is deleted gracefully (SIGTERM, grace period) and the next new pod is created without
   * waiting for it to exit. Resolves with the replaced pods' names once every old pod is gone; throws
   * KINDRED_ERR_LAB_TIMEOUT when a new pod is not ready within `readyTimeoutMs`.
   */
  async restart(readyTimeoutMs: number = LAB_DEFAULTS.waitTimeoutMs): Promise<string[]> {
    const main = this.main;
    const old = [...this.podMap.values()].filter((p) => p.set === main && !p.deleting);
    main.hash = podTemplateHash();
    for (const pod of old) {
      let created: Pod | undefined;
      // Through the ReplicaSet queue, so the surge pod is not created beside a reconcile pass.
      this.reconcileQueue = this.reconcileQueue.then(async () => {
        if (!this.stopping) created = await this.createPod(main);
      });
      await this.reconcileQueue;
      await this.publish();
      const fresh = created;
      if (fresh === undefined) break;
      await this.waitFor(
        `new pod ${fresh.name} to be ready`,
        () => fresh.ready && !fresh.deleting,
        readyTimeoutMs,
      );
      void this.deletePod(pod, false);
    }
    await Promise.all(old.map((p) => p.gone));
    return old.map((p) => p.name);
  }

  /** Cuts the pod off the network (its link on the bridge goes down). */
  async partition(name: string): Promise<void> {
    const pod = this.podOrThrow(name);
    await pod.host.setLink(false);
    pod.partitioned = true;
    this.record('partitioned', name);
    this.changed();
  }

  /** Brings a partitioned pod's link back up. */
  async heal(name: string): Promise<void> {
    const pod = this.podOrThrow(name);
    await pod.host.setLink(true);
    pod.partitioned = false;
    this.record('healed', name);
    this.changed();
  }

  /** Stops the DNS server (queries to the cluster DNS address then fail) or starts it again with the current zone. */
  async setDns(up: boolean): Promise<void> {
    if (!this.dns) return;
    await this.dnsQueue;
    if (up) await this.dns.start(this.dnsModel());
    else await this.dns.stop();
    this.record(up ? 'dns-up' : 'dns-down', '');
    this.changed();
  }

  /** Switches CoreDNS's `endpoint_pod_names` (SRV targets become pod names instead of dashed IPs). */
  async setEndpointPodNames(on: boolean): Promise<void> {
    this.endpointPodNames = on;
    await this.publish();
  }

  /** Switches the Service's `publishNotReadyAddresses`. */
  async setPublishNotReadyAddresses(on: boolean): Promise<void> {
    this.publishNotReadyAddresses = on;
    await this.publish();
  }

  /** Runs a command in a pod with the container's environment (like `kubectl exec`), plus `options.env`. */
  exec(name: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const pod = this.podOrThrow(name);
    return pod.host.exec(argv, { ...options, env: { ...pod.env, ...options.env } });
  }

  /** GETs `path` from the pod's HTTP port, from the node (the router namespace). */
  http(
    name: string,
    path: string,
    port: number = LAB_DEFAULTS.httpPort,
    timeoutMs: number = LAB_DEFAULTS.httpTimeoutMs,
  ): Promise<ProbeResponse> {
    const pod = this.podOrThrow(name);
    return this.prober.get(pod.ip, port, path, timeoutMs);
  }

  /** Polls `check` every `intervalMs` until it returns a value other than undefined/false; throws after `timeoutMs`. */
  async waitFor<T>(
    what: string,
    check: () => Promise<T | undefined | false> | T | undefined | false,
    timeoutMs: number = LAB_DEFAULTS.waitTimeoutMs,
    intervalMs = 250,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const value = await check();
        if (value !== undefined && value !== false) return value;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        throw new KindredError(
          LAB_ERRORS.LAB_TIMEOUT,
          `timed out after ${timeoutMs} ms waiting for ${what}`,
          {
            cause: lastError,
          },
        );
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Resolves once DNS serves every pod change made so far (zone updates run one after another). */
  async synced(): Promise<void> {
    let queue: Promise<void>;
    do {
      queue = this.dnsQueue;
      await queue;
    } while (queue !== this.dnsQueue);
  }

  /** Stops every pod (SIGKILL), DNS and the prober, and removes the network and (unless `keepLogs`) the logs. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    for (const pod of this.podMap.values()) {
      if (pod.killTimer) clearTimeout(pod.killTimer);
      if (pod.restartTimer) clearTimeout(pod.restartTimer);
      pod.child?.kill('SIGKILL');
    }
    this.prober.close();
    await this.dnsQueue.catch(() => undefined);
    await this.dns?.stop().catch(() => undefined);
    await this.network.destroy();
    if (!this.opts.keepLogs) {
      await rm(this.opts.logDir, { recursive: true, force: true });
      const runDir = join(LAB_DEFAULTS.stateDir, this.network.id);
      if (existsSync(runDir)) await rm(runDir, { recursive: true, force: true });
    }
    this.podMap.clear();
  }
}
