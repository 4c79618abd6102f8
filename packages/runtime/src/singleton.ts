/**
 * Cluster singletons: `node.singleton(name, spec)` on every node, and exactly one instance runs in the cluster while
 * the nodes see one another. Built on the global name `name`: each node's manager tries to register a freshly started
 * instance under it with {@link GlobalNames.registerNameWith} (start and register under the cluster-wide lock, so one
 * node wins and the others start nothing); whenever the name is freed (the instance exited, its node went down or
 * left) every manager tries again, and one wins. Callers reach the instance with `node.global.sendName(name, msg)` or
 * `node.global.call(name, request)` wherever it runs.
 *
 * Split brain: during a partition each side that does not see the instance's node starts its own (global lets both
 * sides register); on heal the name conflict is resolved (by default one instance is exited with
 * `['global_name_conflict', name]`). The `majority` guard trades availability for that: an instance starts, and
 * keeps running, only where this node sees a strict majority of the last known members.
 */
import { KindredError } from '@kindred/dns';
import { RUNTIME_DEFAULTS } from './defaults.js';
import { badOption, RUNTIME_ERRORS } from './errors.js';
import type { GlobalNames, GlobalResolve } from './global.js';
import type { NodeEvent } from './messages.js';
import type { Pid } from './terms.js';

/** What a singleton runs, and how (`node.singleton(name, spec)`). */
export interface SingletonSpec {
  /** Starts the instance on this node and returns its pid (a live process of this node, e.g. `node.spawn(...)`). */
  readonly start: () => Pid;
  /**
   * Start the instance, and keep it running, only where a strict majority of the last known members (this node and
   * every node seen in the last {@link RUNTIME_DEFAULTS.singletonForgetMs}) is visible. Default false.
   */
  readonly majority?: boolean;
  /** How a name conflict on heal is decided (see `GlobalResolve`); default: keep one at random, exit the other. */
  readonly resolve?: GlobalResolve;
}

/** What a singleton's manager needs from its node. */
export interface SingletonHost {
  readonly self: string;
  readonly global: GlobalNames;
  nodes(): string[];
  monitorNodes(handler: (event: NodeEvent) => void): () => void;
  exit(pid: Pid, reason: unknown): void;
  warn(obj: object, msg: string): void;
  /** Called once when the singleton stops being managed here. */
  stopped(): void;
}

/** The manager of one singleton on one node (what `node.singleton` returns). */
export class Singleton {
  /** The singleton's (global) name. */
  readonly name: string;
  readonly #host: SingletonHost;
  readonly #spec: SingletonSpec;
  readonly #unsubscribe: (() => void)[] = [];
  /** Members of the cluster seen so far: node -> when it went down (undefined: up now). */
  readonly #members = new Map<string, number | undefined>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #starting = false;
  #again = false;
  #failures = 0;
  #stopped = false;
  /** When this node last started the instance (0: the instance, if any, is not this node's). */
  #startedAt = 0;

  /** Made by `node.singleton(name, spec)`. */
  constructor(host: SingletonHost, name: string, spec: SingletonSpec) {
    if (typeof name !== 'string' || name.length === 0 || name.length > 255)
      throw badOption('name', 'a string of 1-255 characters', name);
    if (typeof spec !== 'object' || spec === null || typeof spec.start !== 'function')
      throw badOption('spec.start', 'a function () => pid', spec?.start);
    if (spec.majority !== undefined && typeof spec.majority !== 'boolean')
      throw badOption('spec.majority', 'a boolean', spec.majority);
    this.name = name;
    this.#host = host;
    this.#spec = spec;
    for (const n of host.nodes()) this.#members.set(n, undefined);
    this.#unsubscribe.push(
      host.global.onChange((c) => {
        if (c.name === name && c.pid === undefined) this.#freed();
      }),
      host.monitorNodes((e) => this.#onNode(e)),
    );
    this.#later(0);
  }

  /** Where the instance runs now, as this node sees it. */
  where(): Pid | undefined {
    return this.#host.global.whereisName(this.name);
  }

  /** True when the instance runs on this node. */
  get local(): boolean {
    return this.where()?.node === this.#host.self;
  }

  /**
   * Stops managing the singleton on this node; an instance running here exits with `shutdown`, which frees the name
   * at once, so another node's manager starts it (a clean hand-over, e.g. before a node is stopped).
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#host.stopped();
    for (const u of this.#unsubscribe) u();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const pid = this.where();
    if (pid?.node === this.#host.self) this.#host.exit(pid, 'shutdown');
  }

  /** Whether the majority guard lets an instance run here now. */
  #quorate(): boolean {
    if (this.#spec.majority !== true) return true;
    const now = Date.now();
    let known = 1;
    let up = 1;
    for (const [n, downAt] of [...this.#members]) {
      if (downAt !== undefined && now - downAt >= RUNTIME_DEFAULTS.singletonForgetMs) {
        this.#members.delete(n);
        continue;
      }
      known++;
      if (downAt === undefined) up++;
    }
    return up * 2 > known;
  }

  #onNode(e: NodeEvent): void {
    if (e.type === 'nodeup') {
      this.#members.set(e.node, undefined);
      return;
    }
    this.#members.set(e.node, Date.now());
    if (this.#spec.majority === true) {
      if (!this.#quorate()) {
        const pid = this.where();
        if (pid?.node === this.#host.self) this.#host.exit(pid, 'shutdown');
      }
      // When the node is forgotten the guard may let this side start.
      this.#later(RUNTIME_DEFAULTS.singletonForgetMs);
    }
    this.#maybeStart();
  }

  /**
   * The name is free. An instance this node started that ended sooner than `singletonRetryMs` after its start counts
   * as a failed start: this node waits (doubling) before starting it again, so an instance that crashes at once does
   * not restart in a hot loop (other nodes may start it meanwhile, each under the same rule).
   */
  #freed(): void {
    const startedAt = this.#startedAt;
    this.#startedAt = 0;
    if (startedAt !== 0 && Date.now() - startedAt < RUNTIME_DEFAULTS.singletonRetryMs) {
      this.#failures++;
      this.#later(this.#backoff());
      return;
    }
    if (startedAt !== 0) this.#failures = 0;
    this.#maybeStart();
  }

  #backoff(): number {
    return Math.min(30_000, RUNTIME_DEFAULTS.singletonRetryMs * 2 ** Math.min(this.#failures - 1, 15));
  }

  #later(ms: number): void {
    if (this.#stopped) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      this.#maybeStart();
    }, ms);
    t.unref?.();
    this.#timers.add(t);
  }

  /** Starts the instance here if the name is free, the guard allows, and no attempt is under way. */
  #maybeStart(): void {
    if (this.#stopped) return;
    if (this.#starting) {
      this.#again = true;
      return;
    }
    if (this.where() !== undefined || !this.#quorate()) return;
    this.#starting = true;
    this.#again = false;
    this.#host.global
      .registerNameWith(this.name, () => this.#spec.start(), { resolve: this.#spec.resolve })
      .then(
        (pid) => {
          this.#starting = false;
          if (pid !== undefined) this.#startedAt = Date.now();
          // The guard is checked again: members may have gone while the lock was being taken.
          if (pid !== undefined && (this.#stopped || !this.#quorate())) this.#host.exit(pid, 'shutdown');
          if (this.#again) this.#maybeStart();
        },
        (err: unknown) => {
          this.#starting = false;
          if (this.#stopped || (err instanceof KindredError && err.code === RUNTIME_ERRORS.NODE_STOPPED))
            return;
          this.#failures++;
          this.#host.warn({ err, singleton: this.name }, 'singleton start failed; retrying');
          this.#later(this.#backoff());
        },
      );
  }
}
