/**
 * What the lab reports: a snapshot of the whole lab (`Lab.status`, `pnpm lab status`) and its pod lifecycle events
 * (`Lab`'s `event` event, the last ones in the snapshot).
 */
import type { PodStatus } from './pod.js';

/** A pod lifecycle event, as `kubectl get events` would show it. */
export interface LabEvent {
  /** What happened. */
  readonly type:
    | 'created'
    | 'started'
    | 'ready'
    | 'not-ready'
    | 'exited'
    | 'terminating'
    | 'deleted'
    | 'partitioned'
    | 'healed'
    | 'dns-down'
    | 'dns-up';
  /** The pod (empty for DNS events). */
  readonly pod: string;
  /** Extra facts (exit code, signal, address). */
  readonly detail?: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** Lifecycle events `Lab.status` keeps (the oldest go first). */
export const MAX_EVENTS = 100;

/** What `Lab.status` reports. */
export interface LabStatus {
  /** Run id. */
  readonly id: string;
  /** Desired replicas. */
  readonly replicas: number;
  /** Deployment, service, namespace. */
  readonly deployment: string;
  /** Headless service. */
  readonly service: string;
  /** Kubernetes namespace. */
  readonly namespace: string;
  /** DNS settings and state. */
  readonly dns: {
    readonly up: boolean;
    readonly address: string;
    readonly endpointPodNames: boolean;
    readonly publishNotReadyAddresses: boolean;
    readonly srvName: string;
    /** The last failed zone update, if any. */
    readonly lastError: string | undefined;
  };
  /** Every Deployment (the main one first) and its desired replicas. */
  readonly deployments: { readonly name: string; readonly replicas: number }[];
  /** The pods. */
  readonly pods: PodStatus[];
  /** Pod names that have been deleted, oldest first. */
  readonly deletedPods: string[];
  /** The last lifecycle events, oldest first. */
  readonly events: LabEvent[];
}
