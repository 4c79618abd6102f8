/**
 * Supervisor scenarios run the same way by kindred (here) and by OTP (fixtures/kso.erl, in
 * supervisor.integration.test.ts): the events are child starts, child stops with their reason, the supervisor's
 * exit and the children still running at the end.
 */
import {
  type ChildSpec,
  createNode,
  isDownMessage,
  isExitMessage,
  Pid,
  pidEquals,
  type RestartType,
  type ShutdownSpec,
  type Strategy,
  startSupervisor,
  TIMEOUT,
  whichChildren,
} from '../src/index.js';

/** An exit reason both sides can write: an atom, or `{shutdown, Atom}`. */
export type Reason = string | { shutdown: string };

export interface Scenario {
  readonly name: string;
  readonly strategy: Strategy;
  readonly intensity: number;
  /** Seconds (OTP's unit); kindred gets it in ms. */
  readonly periodS: number;
  readonly children: ReadonlyArray<{
    id: string;
    restart: RestartType;
    shutdown: ShutdownSpec;
    /** `stubborn`: logs an exit signal and carries on, so its shutdown timeout kills it. Default `polite`. */
    mode?: 'polite' | 'stubborn';
  }>;
  /** Kill a child (exit(P, kill)) or make it exit with a reason, one at a time. */
  readonly steps: ReadonlyArray<readonly ['kill', string] | readonly ['exit', string, Reason]>;
}

const ALL3 = (restart: RestartType) =>
  ['a', 'b', 'c'].map((id) => ({ id, restart, shutdown: 1000 as ShutdownSpec }));

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'one_for_one restarts the child alone',
    strategy: 'one_for_one',
    intensity: 10,
    periodS: 60,
    children: ALL3('permanent'),
    steps: [['kill', 'b']],
  },
  {
    name: 'one_for_all stops the others in reverse order, starts all in order',
    strategy: 'one_for_all',
    intensity: 10,
    periodS: 60,
    children: ALL3('permanent'),
    steps: [['kill', 'b']],
  },
  {
    name: 'rest_for_one stops those after, starts them again in order',
    strategy: 'rest_for_one',
    intensity: 10,
    periodS: 60,
    children: ALL3('permanent'),
    steps: [
      ['kill', 'b'],
      ['kill', 'a'],
    ],
  },
  {
    name: 'transient: normal, shutdown and {shutdown, _} are not restarted; a crash is',
    strategy: 'one_for_one',
    intensity: 10,
    periodS: 60,
    children: [
      { id: 'a', restart: 'transient', shutdown: 1000 },
      { id: 'b', restart: 'transient', shutdown: 1000 },
      { id: 'c', restart: 'transient', shutdown: 1000 },
      { id: 'd', restart: 'transient', shutdown: 1000 },
    ],
    steps: [
      ['exit', 'a', 'normal'],
      ['exit', 'b', 'shutdown'],
      ['exit', 'c', { shutdown: 'done' }],
      ['exit', 'd', 'failed'],
    ],
  },
  {
    name: 'permanent restarts after a normal exit; temporary never, and leaves the children',
    strategy: 'one_for_one',
    intensity: 10,
    periodS: 60,
    children: [
      { id: 'p', restart: 'permanent', shutdown: 1000 },
      { id: 't', restart: 'temporary', shutdown: 1000 },
    ],
    steps: [
      ['exit', 'p', 'normal'],
      ['kill', 't'],
    ],
  },
  {
    name: 'one_for_all drops a temporary sibling it stopped',
    strategy: 'one_for_all',
    intensity: 10,
    periodS: 60,
    children: [
      { id: 'a', restart: 'permanent', shutdown: 1000 },
      { id: 't', restart: 'temporary', shutdown: 1000 },
      { id: 'c', restart: 'permanent', shutdown: 1000 },
    ],
    steps: [['kill', 'c']],
  },
  {
    name: 'past the intensity the supervisor stops its children in reverse order and exits shutdown',
    strategy: 'one_for_one',
    intensity: 2,
    periodS: 60,
    children: ALL3('permanent'),
    steps: [
      ['kill', 'a'],
      ['kill', 'c'],
      ['kill', 'a'],
      ['kill', 'b'],
    ],
  },
  {
    name: 'intensity 0: the first crash ends the supervisor; brutal_kill children are killed',
    strategy: 'rest_for_one',
    intensity: 0,
    periodS: 5,
    children: [
      { id: 'a', restart: 'permanent', shutdown: 'brutal_kill' },
      { id: 'b', restart: 'permanent', shutdown: 'infinity' },
      { id: 'c', restart: 'permanent', shutdown: 'brutal_kill' },
    ],
    steps: [['exit', 'c', 'failed']],
  },
  {
    name: 'rest_for_one starts again a transient child after it that had exited normally',
    strategy: 'rest_for_one',
    intensity: 10,
    periodS: 60,
    children: [
      { id: 'a', restart: 'permanent', shutdown: 1000 },
      { id: 'b', restart: 'transient', shutdown: 1000 },
      { id: 'c', restart: 'permanent', shutdown: 1000 },
    ],
    steps: [
      ['exit', 'b', 'normal'],
      ['kill', 'a'],
    ],
  },
  {
    name: 'a child that ignores shutdown is killed after its timeout, then restarted with the others',
    strategy: 'one_for_all',
    intensity: 10,
    periodS: 60,
    children: [
      { id: 'a', restart: 'permanent', shutdown: 50, mode: 'stubborn' },
      { id: 'b', restart: 'permanent', shutdown: 1000 },
    ],
    steps: [['kill', 'b']],
  },
];

/** OTP's `~p` of a reason. */
export function formatReason(r: unknown): string {
  if (typeof r === 'string') return r;
  if (typeof r === 'object' && r !== null && 'shutdown' in r)
    return `{shutdown,${String((r as Reason & object).shutdown)}}`;
  return JSON.stringify(r);
}

/** A worker that logs its start and, trapping exits, its stop; `{ exit: r }` makes it exit with `r`. */
export function loggingWorker(
  log: string[],
  id: string,
  restart: RestartType,
  shutdown: ShutdownSpec,
  mode: 'polite' | 'stubborn' = 'polite',
): ChildSpec {
  return {
    id,
    restart,
    shutdown,
    start: (ctx) => {
      log.push(`start:${id}`);
      return ctx.spawn(
        async (w) => {
          for (;;) {
            const m = await w.receive();
            if (isExitMessage(m) && mode === 'stubborn') log.push(`ignore:${id}:${formatReason(m.reason)}`);
            else if (isExitMessage(m)) {
              log.push(`stop:${id}:${formatReason(m.reason)}`);
              return w.exit(m.reason);
            }
            if (typeof m === 'object' && m !== null && 'exit' in m)
              return w.exit((m as { exit: unknown }).exit);
          }
        },
        { link: true, trapExit: true },
      );
    },
  };
}

/** Runs `s` on a fresh node and returns its events, in kso.erl's format. */
export async function runKindred(s: Scenario): Promise<string[]> {
  const node = createNode({ name: 'sup-scenario@127.0.0.1' });
  const log: string[] = [];
  try {
    return await new Promise<string[]>((resolve, reject) => {
      node.spawn(
        async (ctx) => {
          const sup = await startSupervisor(ctx, {
            strategy: s.strategy,
            intensity: s.intensity,
            periodMs: s.periodS * 1000,
            children: s.children.map((c) => loggingWorker(log, c.id, c.restart, c.shutdown, c.mode)),
          });
          for (const step of s.steps) {
            if (!node.isAlive(sup)) break;
            // A supervisor giving up answers no more calls: the call fails with its exit (erl: catch sys:get_state).
            const rows = await whichChildren(ctx, sup).catch(() => []);
            const row = rows.find((r) => r.id === step[1]);
            if (!(row?.pid instanceof Pid)) continue;
            const ref = ctx.monitor(row.pid);
            if (step[0] === 'kill') ctx.exit(row.pid, 'kill');
            else ctx.send(row.pid, { exit: step[2] });
            await ctx.receive((m) => isDownMessage(m) && m.ref === ref);
            if (node.isAlive(sup)) await whichChildren(ctx, sup).catch(() => []);
          }
          const final: string[] = [];
          if (node.isAlive(sup)) {
            const ids = (await whichChildren(ctx, sup).catch(() => []))
              .filter((r) => r.pid instanceof Pid)
              .map((r) => r.id);
            final.push(`final:${ids.sort().join(',')}`);
          }
          const ex = await ctx.receive((m) => isExitMessage(m) && pidEquals(m.from, sup), 0);
          const supExit =
            ex === TIMEOUT ? [] : [`sup_exit:${formatReason((ex as { reason: unknown }).reason)}`];
          resolve([...log, ...supExit, ...final]);
        },
        { trapExit: true },
      );
      setTimeout(() => reject(new Error(`scenario ${s.name} did not finish`)), 10_000).unref();
    });
  } finally {
    await node.stop();
  }
}

/** The scenario as the Erlang term kso:run/1 takes. */
export function toErlang(s: Scenario): string {
  const reason = (r: Reason): string => (typeof r === 'string' ? r : `{shutdown,${r.shutdown}}`);
  const children = s.children
    .map((c) => `{${c.id},${c.restart},${c.shutdown},${c.mode ?? 'polite'}}`)
    .join(',');
  const steps = s.steps
    .map((st) => (st[0] === 'kill' ? `{kill,${st[1]}}` : `{exit,${st[1]},${reason(st[2])}}`))
    .join(',');
  return `{${s.strategy},${s.intensity},${s.periodS},[${children}],[${steps}]}`;
}
