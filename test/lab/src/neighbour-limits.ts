import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KindredError } from '@kindred/dns';
import { LAB_DEFAULTS } from './defaults.js';
import { LAB_ERRORS } from './errors.js';

/**
 * The root namespace's IPv4 neighbour-table thresholds. Every network namespace on the machine shares one ARP table
 * (the `gc_thresh*` of other namespaces are not even writable), so N pods that all talk to each other hold about
 * N^2 entries between them: with the defaults (128/512/1024) 50 pods overflow it (`neighbor table overflow!` in
 * dmesg), most pods become unreachable and the mesh never forms. The lab uses IPv4 only, so the IPv6 table is left
 * alone.
 */
export const NEIGHBOUR_SYSCTLS = Object.freeze(['gc_thresh1', 'gc_thresh2', 'gc_thresh3'] as const);

/** One of {@link NEIGHBOUR_SYSCTLS}. */
export type NeighbourSysctl = (typeof NEIGHBOUR_SYSCTLS)[number];

/** A value for each of {@link NEIGHBOUR_SYSCTLS}. */
export type NeighbourLimits = Readonly<Record<NeighbourSysctl, number>>;

/** Where the thresholds and the record live; tests point both at a directory of their own. */
export interface NeighbourLimitsOptions {
  /** Directory holding `gc_thresh1..3`; default `/proc/sys/net/ipv4/neigh/default`. */
  readonly sysctlDir?: string | undefined;
  /** Directory of the machine-wide record; default {@link LAB_DEFAULTS.stateDir} (never a per-test state dir). */
  readonly stateDir?: string | undefined;
}

/**
 * The record of what the labs on this machine changed, one file whatever `KINDRED_LAB_STATE_DIR` says, because the
 * thresholds are machine-wide: `saved` are the values before the first lab raised them, `applied` the values the
 * labs last wrote (a key is absent when the labs never wrote it), `claims` what each running lab needs, by run id.
 */
interface Record_ {
  saved: Record<NeighbourSysctl, number>;
  applied: Partial<Record<NeighbourSysctl, number>>;
  claims: Record<string, Record<NeighbourSysctl, number>>;
}

const RECORD_FILE = 'neighbour-limits.json';
const LOCK_DIR = 'neighbour-limits.lock';
/** A lock older than this was left by a crashed process (taking and releasing it takes milliseconds). */
const STALE_LOCK_MS = 10_000;

/**
 * The thresholds a lab of `pods` pods needs: each pod talks to every other pod, the DNS pod, the cluster DNS address
 * and the router (probes), and the router and DNS talk to every pod, so (pods + 3)^2 entries bound the table. Below
 * `gc_thresh1` nothing is collected (no re-ARP churn in an idle mesh), `gc_thresh2` gets twice that and the hard
 * limit `gc_thresh3` four times, as the kernel's own defaults are spaced.
 */
export function neighbourLimitsFor(pods: number): NeighbourLimits {
  const entries = (Math.max(0, pods) + 3) ** 2;
  return { gc_thresh1: entries, gc_thresh2: 2 * entries, gc_thresh3: 4 * entries };
}

function paths(options: NeighbourLimitsOptions) {
  const stateDir = options.stateDir ?? LAB_DEFAULTS.stateDir;
  return {
    sysctlDir: options.sysctlDir ?? '/proc/sys/net/ipv4/neigh/default',
    stateDir,
    record: join(stateDir, RECORD_FILE),
    lock: join(stateDir, LOCK_DIR),
  };
}

function readSysctl(dir: string, key: NeighbourSysctl): number {
  return Number(readFileSync(join(dir, key), 'utf8').trim());
}

function writeSysctl(dir: string, key: NeighbourSysctl, value: number): void {
  try {
    writeFileSync(join(dir, key), `${value}\n`);
  } catch (err) {
    throw new KindredError(
      LAB_ERRORS.LAB_COMMAND_FAILED,
      `could not set net.ipv4.neigh.default.${key} to ${value} (${(err as Error).message}): set it by hand with 'sysctl -w net.ipv4.neigh.default.${key}=${value}', or run fewer pods`,
      { details: { key, value } },
    );
  }
}

/** Runs `fn` holding a lock directory (mkdir is atomic), so labs started at once by several processes never race. */
function withLock<T>(lock: string, fn: () => T): T {
  const deadline = Date.now() + STALE_LOCK_MS * 2;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS || Date.now() > deadline) rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(lock);
  }
}

function readRecord(file: string): Record_ | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record_;
  } catch {
    return undefined;
  }
}

function writeRecord(file: string, record: Record_): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** Per key, the largest of the saved value and every claim. */
function wanted(record: Record_): Record<NeighbourSysctl, number> {
  const out = { ...record.saved };
  for (const claim of Object.values(record.claims)) {
    for (const key of NEIGHBOUR_SYSCTLS) out[key] = Math.max(out[key], claim[key]);
  }
  return out;
}

/**
 * Makes sure the machine's neighbour table holds a lab of `pods` pods (run `id`): raises each threshold that is
 * lower than {@link neighbourLimitsFor} needs, never lowers one, and records the previous values and the claim, so
 * {@link releaseNeighbourLimits} (run by `LabNetwork.destroyById`, from any process) restores them. A lab small
 * enough for the current values changes and records nothing. Returns the values in effect.
 */
export function raiseNeighbourLimits(
  id: string,
  pods: number,
  options: NeighbourLimitsOptions = {},
): NeighbourLimits {
  const p = paths(options);
  const need = neighbourLimitsFor(pods);
  mkdirSync(p.stateDir, { recursive: true });
  return withLock(p.lock, () => {
    const current = Object.fromEntries(
      NEIGHBOUR_SYSCTLS.map((k) => [k, readSysctl(p.sysctlDir, k)]),
    ) as Record<NeighbourSysctl, number>;
    let record = readRecord(p.record);
    if (!record) {
      if (NEIGHBOUR_SYSCTLS.every((k) => current[k] >= need[k])) return current;
      record = { saved: { ...current }, applied: {}, claims: {} };
    }
    const previous = record.claims[id];
    record.claims[id] = previous
      ? (Object.fromEntries(NEIGHBOUR_SYSCTLS.map((k) => [k, Math.max(previous[k], need[k])])) as Record<
          NeighbourSysctl,
          number
        >)
      : { ...need };
    const target = wanted(record);
    // Raise the hard limit first and the soft ones after, so thresh1 <= thresh2 <= thresh3 holds at every step.
    for (const key of [...NEIGHBOUR_SYSCTLS].reverse()) {
      if (current[key] < target[key]) {
        writeSysctl(p.sysctlDir, key, target[key]);
        current[key] = target[key];
        record.applied[key] = target[key];
      }
    }
    writeRecord(p.record, record);
    return current;
  });
}

/**
 * Drops run `id`'s claim and lowers each threshold the labs raised back to what the remaining labs need, or to the
 * value before the first lab once none remain. A value someone changed since a lab wrote it is left as it is. No-op
 * for a run that claimed nothing; safe to call any number of times.
 */
export function releaseNeighbourLimits(id: string, options: NeighbourLimitsOptions = {}): void {
  const p = paths(options);
  const existing = readRecord(p.record);
  if (!existing || !(id in existing.claims)) return;
  withLock(p.lock, () => {
    const record = readRecord(p.record);
    if (!record || !(id in record.claims)) return;
    delete record.claims[id];
    const target = wanted(record);
    // Lower the soft limits first, the hard one last (the reverse of raising).
    for (const key of NEIGHBOUR_SYSCTLS) {
      const applied = record.applied[key];
      if (applied === undefined) continue;
      const current = readSysctl(p.sysctlDir, key);
      if (current !== applied) {
        delete record.applied[key]; // someone else set it since: theirs to keep
        continue;
      }
      const now = Math.min(target[key], current);
      if (now < current) writeSysctl(p.sysctlDir, key, now);
      if (now === record.saved[key]) delete record.applied[key];
      else record.applied[key] = now;
    }
    if (Object.keys(record.claims).length === 0) rmSync(p.record, { force: true });
    else writeRecord(p.record, record);
  });
}
