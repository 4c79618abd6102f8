/**
 * Supervisor and child specs (OTP's sup_flags and child_spec): their types, their checks and defaults, and OTP's
 * rule for which exits are normal. The supervisor process itself is ./supervisor.ts.
 */
import { KindredError } from '@kindred/interface';
import type { ProcessContext } from './api.js';
import { RUNTIME_DEFAULTS } from './defaults.js';
import { RUNTIME_ERRORS } from './errors.js';
import type { Pid } from './terms.js';

/** How a supervisor restarts (OTP's strategies). */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';
/** When a child is restarted: always, only after an abnormal exit, or never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';
/** How a child is stopped: `shutdown` then `kill` after that many ms, `kill` at once, or `shutdown` and wait. */
export type ShutdownSpec = number | 'brutal_kill' | 'infinity';

/** A child of a supervisor (OTP's child_spec map). */
export interface ChildSpec {
  /** Unique among the supervisor's children. */
  readonly id: string;
  /**
   * Starts the child from inside the supervisor and returns its pid (or a promise of it), linked to the supervisor
   * (`ctx.spawn(fn, { link: true })`, `startServer(ctx, ...)`, `startSupervisor(ctx, ...)`; the supervisor links it
   * in any case). `undefined` means ignore (OTP's `ignore`): the child is kept without a pid. Throwing, or any
   * other value, is a failed start. Under `simple_one_for_one`, the `args` of `startChild` follow `ctx`.
   */
  readonly start: (ctx: ProcessContext, ...args: never[]) => unknown;
  /** Default `permanent`. */
  readonly restart?: RestartType;
  /** Default `RUNTIME_DEFAULTS.workerShutdownMs` for a worker, `infinity` for a supervisor (OTP's defaults). */
  readonly shutdown?: ShutdownSpec;
  /** Default `worker`. */
  readonly type?: 'worker' | 'supervisor';
}

/** A supervisor: its strategy, restart intensity and children, started in order. */
export interface SupervisorSpec {
  /** Default `one_for_one`. */
  readonly strategy?: Strategy;
  /** Restarts allowed within `periodMs`; one more and the supervisor gives up. Default 1. */
  readonly intensity?: number;
  /** Default 5000. */
  readonly periodMs?: number;
  /** The children, started in this order; under `simple_one_for_one` exactly one spec, the template. */
  readonly children: readonly ChildSpec[];
}

/** Options of {@link startSupervisor}. */
export interface StartSupervisorOptions {
  /** Register the supervisor under this name. */
  readonly name?: string;
  /** Link to the starting process (supervisor:start_link); default true from a process. */
  readonly link?: boolean;
}

/** One row of {@link whichChildren}: OTP's `{Id, Child, Type, Modules}` without the modules. */
export interface ChildInfo {
  /** The child's id (the template's id under `simple_one_for_one`). */
  readonly id: string;
  /** Its pid, `restarting` while a failed restart waits to be tried again, or undefined when not running. */
  readonly pid: Pid | 'restarting' | undefined;
  readonly type: 'worker' | 'supervisor';
}

/** What {@link countChildren} returns (supervisor:count_children). */
export interface ChildCounts {
  readonly specs: number;
  readonly active: number;
  readonly supervisors: number;
  readonly workers: number;
}

/** @internal A child spec checked, with its defaults filled in. */
export interface ResolvedChild {
  readonly id: string;
  readonly start: (ctx: ProcessContext, ...args: unknown[]) => unknown;
  readonly restart: RestartType;
  readonly shutdown: ShutdownSpec;
  readonly type: 'worker' | 'supervisor';
}

/** @internal A KINDRED_ERR_SUPERVISOR_BAD_SPEC naming what is wrong. */
export function badSpec(message: string, details: Record<string, unknown> = {}): KindredError {
  return new KindredError(RUNTIME_ERRORS.SUPERVISOR_BAD_SPEC, message, { details });
}

const STRATEGIES: readonly string[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'];
const RESTARTS: readonly string[] = ['permanent', 'transient', 'temporary'];

/** @internal Checks one child spec and fills in its defaults. */
export function resolveChild(c: ChildSpec): ResolvedChild {
  if (typeof c !== 'object' || c === null)
    throw badSpec('A child spec must be an object { id, start, ... }.');
  if (typeof c.id !== 'string' || c.id.length === 0) throw badSpec('A child spec needs an `id` string.');
  if (typeof c.start !== 'function')
    throw badSpec(`Child ${c.id}: \`start\` must be a function.`, { id: c.id });
  const restart = c.restart ?? 'permanent';
  if (!RESTARTS.includes(restart)) {
    throw badSpec(`Child ${c.id}: \`restart\` must be permanent, transient or temporary.`, { id: c.id });
  }
  const type = c.type ?? 'worker';
  if (type !== 'worker' && type !== 'supervisor') {
    throw badSpec(`Child ${c.id}: \`type\` must be worker or supervisor.`, { id: c.id });
  }
  const shutdown = c.shutdown ?? (type === 'worker' ? RUNTIME_DEFAULTS.workerShutdownMs : 'infinity');
  if (
    shutdown !== 'brutal_kill' &&
    shutdown !== 'infinity' &&
    !(Number.isInteger(shutdown) && shutdown >= 0 && shutdown <= 2 ** 31 - 1)
  ) {
    throw badSpec(`Child ${c.id}: \`shutdown\` must be ms (an integer >= 0), 'brutal_kill' or 'infinity'.`, {
      id: c.id,
    });
  }
  return { id: c.id, start: c.start as ResolvedChild['start'], restart, shutdown, type };
}

/** OTP: `normal`, `shutdown` and `{shutdown, _}` are not abnormal (no transient restart, no error report). */
export function isNormalExit(reason: unknown): boolean {
  return (
    reason === 'normal' ||
    reason === 'shutdown' ||
    (typeof reason === 'object' &&
      reason !== null &&
      'shutdown' in reason &&
      Object.keys(reason).length === 1)
  );
}

/** @internal Checks a supervisor spec and fills in its defaults (intensity, period, each child's). */
export function resolveSpec(spec: SupervisorSpec): {
  sup: Required<Omit<SupervisorSpec, 'children'>>;
  children: ResolvedChild[];
} {
  if (typeof spec !== 'object' || spec === null)
    throw badSpec('A supervisor spec must be an object { children }.');
  const strategy = spec.strategy ?? 'one_for_one';
  if (!STRATEGIES.includes(strategy)) throw badSpec(`\`strategy\` must be one of ${STRATEGIES.join(', ')}.`);
  const intensity = spec.intensity ?? RUNTIME_DEFAULTS.supervisorIntensity;
  if (!(Number.isInteger(intensity) && intensity >= 0)) throw badSpec('`intensity` must be an integer >= 0.');
  const periodMs = spec.periodMs ?? RUNTIME_DEFAULTS.supervisorPeriodMs;
  if (!(Number.isInteger(periodMs) && periodMs >= 1)) throw badSpec('`periodMs` must be an integer >= 1.');
  if (!Array.isArray(spec.children)) throw badSpec('`children` must be an array of child specs.');
  const children = spec.children.map(resolveChild);
  const ids = new Set<string>();
  for (const c of children) {
    if (ids.has(c.id)) throw badSpec(`Two children have the id ${c.id}.`, { id: c.id });
    ids.add(c.id);
  }
  if (strategy === 'simple_one_for_one' && children.length !== 1) {
    throw badSpec('A simple_one_for_one supervisor has exactly one child spec, the template.');
  }
  return { sup: { strategy, intensity, periodMs }, children };
}
