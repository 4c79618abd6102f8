/**
 * The lab's Deployments: the options that describe them ({@link LabOptions}, {@link LabDeploymentOptions}), the checks
 * `Lab.start` and `Lab.scale` run on them, and the pod sets the lab keeps for them (the main Deployment
 * first, then the extra ones of a mixed cluster). The lab (lab.ts) runs the pods; this file only says what to run.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KindredError } from '@kindred/dns';
import { LAB_DEFAULTS } from './defaults.js';
import { LAB_ERRORS } from './errors.js';
import { podTemplateHash } from './names.js';

/** The repository root (this file is test/lab/src/deployments.ts or test/lab/dist/deployments.js). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The app's entry point, started in each pod unless {@link LabOptions.command} says otherwise. */
export const APP_MAIN = join(REPO_ROOT, 'examples/simple-web-service/dist/main.js');

/** How the lab decides a pod is ready. */
export type Readiness =
  /** An HTTP GET answering 2xx/3xx, like a Kubernetes httpGet readinessProbe. */
  | { readonly httpGet: { readonly port: number; readonly path: string } }
  /** Ready as soon as the process runs (no probe). */
  | 'started';

/** Options of `Lab.start`; every one has a default in {@link LAB_DEFAULTS}. */
export interface LabOptions {
  /** Run id; default random. */
  readonly id?: string | undefined;
  /** Replicas to start. */
  readonly replicas?: number | undefined;
  /** Deployment name. */
  readonly deployment?: string | undefined;
  /** Headless service name, and every pod's `subdomain`. */
  readonly service?: string | undefined;
  /** Kubernetes namespace. */
  readonly namespace?: string | undefined;
  /** CoreDNS `endpoint_pod_names`. */
  readonly endpointPodNames?: boolean | undefined;
  /** The Service's `publishNotReadyAddresses`. */
  readonly publishNotReadyAddresses?: boolean | undefined;
  /** The container's argv; default `node examples/simple-web-service/dist/main.js`. */
  readonly command?: readonly string[] | undefined;
  /** Extra container environment, over the Deployment's (POD_NAME, KINDRED_COOKIE, ...). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** The shared cookie (the Secret); default random. */
  readonly cookie?: string | undefined;
  /** Readiness; default an httpGet on {@link LAB_DEFAULTS.httpPort}{@link LAB_DEFAULTS.readinessPath}. */
  readonly readiness?: Readiness | undefined;
  /** Readiness probe period. */
  readonly probePeriodMs?: number | undefined;
  /** terminationGracePeriod: SIGTERM to SIGKILL. */
  readonly terminationGracePeriodMs?: number | undefined;
  /** Where pod logs go; default `<stateDir>/<id>/logs`, removed by `Lab.stop` unless `keepLogs`. */
  readonly logDir?: string | undefined;
  /** Keep the log directory after `Lab.stop`. */
  readonly keepLogs?: boolean | undefined;
  /**
   * More Deployments beside the main one, selected by the same headless Service (their pods get its `subdomain`,
   * and DNS publishes them in the same SRV and A records, as CoreDNS does for two Deployments whose pods carry the
   * Service's selector labels): e.g. an Erlang app's pods beside the kindred app's. Each has its own name, replicas,
   * container argv, extra environment and readiness; the Deployment's environment (POD_NAME, KINDRED_COOKIE, ...) and
   * the lab's `env` are theirs too, under their own `env`.
   */
  readonly deployments?: readonly LabDeploymentOptions[] | undefined;
}

/** One extra Deployment of {@link LabOptions.deployments}. */
export interface LabDeploymentOptions {
  /** Deployment name (pods are `<name>-<pod-template-hash>-<5 chars>`); must differ from every other one. */
  readonly name: string;
  /** Replicas to start. */
  readonly replicas: number;
  /** The container's argv. */
  readonly command: readonly string[];
  /** Extra container environment, over the main Deployment's and the lab's `env` ($(VAR) expanded). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Readiness; default the lab's. */
  readonly readiness?: Readiness | undefined;
}

/** A Deployment the lab runs: the main one (from the lab's options) or an extra one. */
export interface PodSet {
  /** Deployment name. */
  readonly name: string;
  /** Desired replicas (`Lab.scale` changes it). */
  replicas: number;
  /** Current pod-template-hash (`Lab.restart` makes a new one for the main Deployment). */
  hash: string;
  /** The container's argv. */
  readonly command: readonly string[];
  /** Extra container environment, over the main Deployment's and the lab's `env`. */
  readonly env: Readonly<Record<string, string>>;
  /** How a pod of the set is found ready. */
  readonly readiness: Readiness;
}

/** Throws KINDRED_ERR_LAB_BAD_OPTION unless `replicas` is an integer from 0 to 200. */
export function checkReplicas(replicas: number): void {
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 200) {
    throw new KindredError(
      LAB_ERRORS.LAB_BAD_OPTION,
      `replicas must be an integer from 0 to 200, got ${replicas}`,
    );
  }
}

/**
 * Checks `Lab.start`'s options (throws KINDRED_ERR_LAB_BAD_OPTION naming the option); returns the main
 * Deployment's replicas.
 */
export function checkLabOptions(options: LabOptions): number {
  const replicas = options.replicas ?? LAB_DEFAULTS.replicas;
  checkReplicas(replicas);
  const positive = (value: number | undefined, option: string) => {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw new KindredError(
        LAB_ERRORS.LAB_BAD_OPTION,
        `${option} must be a positive number of milliseconds, got ${value}`,
      );
    }
  };
  positive(options.probePeriodMs, 'probePeriodMs');
  positive(options.terminationGracePeriodMs, 'terminationGracePeriodMs');
  if (options.command !== undefined && options.command.length === 0) {
    throw new KindredError(
      LAB_ERRORS.LAB_BAD_OPTION,
      'command must name a program (an empty argv was given)',
    );
  }
  const names = new Set([options.deployment ?? LAB_DEFAULTS.deployment]);
  for (const d of options.deployments ?? []) {
    if (!/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(d.name) || names.has(d.name)) {
      throw new KindredError(
        LAB_ERRORS.LAB_BAD_OPTION,
        `deployments: '${d.name}' must be a DNS label of at most 42 characters, unique among the lab's Deployments`,
      );
    }
    names.add(d.name);
    if (!Number.isInteger(d.replicas) || d.replicas < 0 || d.replicas > 200) {
      throw new KindredError(
        LAB_ERRORS.LAB_BAD_OPTION,
        `deployments: ${d.name}'s replicas must be an integer from 0 to 200, got ${d.replicas}`,
      );
    }
    if (d.command.length === 0) {
      throw new KindredError(LAB_ERRORS.LAB_BAD_OPTION, `deployments: ${d.name}'s command is empty`);
    }
  }
  if (options.cookie !== undefined && options.cookie === '') {
    throw new KindredError(LAB_ERRORS.LAB_BAD_OPTION, 'cookie must not be empty');
  }
  return replicas;
}

/**
 * The pod sets of checked `options`: the main Deployment (named `deployment`, with `replicas`) first, then the extra
 * ones in option order, each with a fresh pod-template-hash.
 */
export function podSets(options: LabOptions, deployment: string, replicas: number): PodSet[] {
  const readiness: Readiness = options.readiness ?? {
    httpGet: { port: LAB_DEFAULTS.httpPort, path: LAB_DEFAULTS.readinessPath },
  };
  return [
    {
      name: deployment,
      replicas,
      hash: podTemplateHash(),
      command: options.command ?? ['node', APP_MAIN],
      env: {},
      readiness,
    },
    ...(options.deployments ?? []).map((d) => ({
      name: d.name,
      replicas: d.replicas,
      hash: podTemplateHash(),
      command: d.command,
      env: d.env ?? {},
      readiness: d.readiness ?? readiness,
    })),
  ];
}

/** The set named `deployment` (the main one when undefined); throws KINDRED_ERR_LAB_BAD_OPTION when there is none. */
export function findPodSet(sets: readonly PodSet[], deployment: string | undefined): PodSet {
  const set = deployment === undefined ? sets[0] : sets.find((s) => s.name === deployment);
  if (set === undefined) {
    throw new KindredError(
      LAB_ERRORS.LAB_BAD_OPTION,
      `no Deployment named '${deployment}' (the lab runs ${sets.map((s) => s.name).join(', ')})`,
    );
  }
  return set;
}
