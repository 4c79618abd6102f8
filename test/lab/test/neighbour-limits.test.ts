import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NEIGHBOUR_SYSCTLS,
  type NeighbourSysctl,
  neighbourLimitsFor,
  raiseNeighbourLimits,
  releaseNeighbourLimits,
} from '../src/index.js';

// The thresholds live in a directory of their own here (files shaped like /proc/sys/net/ipv4/neigh/default/*), so
// this suite needs no root and never touches the machine's table; lab.integration raises the real ones.
let dir: string;
let options: { sysctlDir: string; stateDir: string };
const KERNEL_DEFAULTS = { gc_thresh1: 128, gc_thresh2: 512, gc_thresh3: 1024 };

function set(values: Partial<Record<NeighbourSysctl, number>>): void {
  for (const [key, value] of Object.entries(values)) writeFileSync(join(dir, 'sys', key), `${value}\n`);
}
function get(): Record<NeighbourSysctl, number> {
  return Object.fromEntries(
    NEIGHBOUR_SYSCTLS.map((k) => [k, Number(readFileSync(join(dir, 'sys', k), 'utf8'))]),
  ) as Record<NeighbourSysctl, number>;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'neigh-'));
  options = { sysctlDir: join(dir, 'sys'), stateDir: join(dir, 'state') };
  mkdirSync(options.sysctlDir);
  set(KERNEL_DEFAULTS);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('neighbourLimitsFor', () => {
  it('bounds (pods + 3)^2 entries, spaced 1:2:4 like the kernel defaults', () => {
    expect(neighbourLimitsFor(50)).toEqual({ gc_thresh1: 2809, gc_thresh2: 5618, gc_thresh3: 11236 });
    expect(neighbourLimitsFor(3)).toEqual({ gc_thresh1: 36, gc_thresh2: 72, gc_thresh3: 144 });
  });
});

describe('raiseNeighbourLimits / releaseNeighbourLimits', () => {
  it('leaves the table and the record alone for a lab the defaults hold', () => {
    raiseNeighbourLimits('aaaa', 4, options);
    expect(get()).toEqual(KERNEL_DEFAULTS);
    expect(existsSync(join(options.stateDir, 'neighbour-limits.json'))).toBe(false);
  });

  it('raises what 50 pods need and restores the exact previous values on release', () => {
    raiseNeighbourLimits('aaaa', 50, options);
    expect(get()).toEqual(neighbourLimitsFor(50));
    releaseNeighbourLimits('aaaa', options);
    expect(get()).toEqual(KERNEL_DEFAULTS);
    expect(existsSync(join(options.stateDir, 'neighbour-limits.json'))).toBe(false);
  });

  it('never lowers a value set higher, before or during the run', () => {
    set({ gc_thresh3: 50_000 });
    raiseNeighbourLimits('aaaa', 50, options);
    expect(get()).toEqual({ gc_thresh1: 2809, gc_thresh2: 5618, gc_thresh3: 50_000 });
    set({ gc_thresh2: 40_000 }); // someone raises it while the lab runs
    releaseNeighbourLimits('aaaa', options);
    expect(get()).toEqual({ gc_thresh1: 128, gc_thresh2: 40_000, gc_thresh3: 50_000 });
  });

  it('keeps what a lab still running needs when another one goes, and restores once both are gone', () => {
    raiseNeighbourLimits('aaaa', 50, options);
    raiseNeighbourLimits('bbbb', 20, options);
    releaseNeighbourLimits('aaaa', options);
    expect(get()).toEqual(neighbourLimitsFor(20));
    releaseNeighbourLimits('bbbb', options);
    expect(get()).toEqual(KERNEL_DEFAULTS);
  });

  it('grows a claim on scale-up, and a release of an unknown or released run is a no-op', () => {
    raiseNeighbourLimits('aaaa', 20, options);
    raiseNeighbourLimits('aaaa', 50, options);
    expect(get()).toEqual(neighbourLimitsFor(50));
    releaseNeighbourLimits('zzzz', options);
    expect(get()).toEqual(neighbourLimitsFor(50));
    releaseNeighbourLimits('aaaa', options);
    releaseNeighbourLimits('aaaa', options);
    expect(get()).toEqual(KERNEL_DEFAULTS);
  });
});
