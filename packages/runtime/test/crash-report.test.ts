import { Writable } from 'node:stream';
import { until } from '@kindred/test-support';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crashReport, formatCrashReport } from '../src/crash-report.js';
import { createNode, type KNode, Pid } from '../src/index.js';

const POLL = { timeoutMs: 5_000, intervalMs: 5 };
const nodes: KNode[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const n of nodes.splice(0)) await n.stop();
});

function logged(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** Spawns, on `node`, a process registered as `name` that throws, and one whose handler throws; waits for both. */
async function crashTwo(node: KNode): Promise<void> {
  const a = node.spawn(
    async function worker() {
      throw new Error('boom');
    },
    { name: 'worker' },
  );
  const b = node.spawnHandler(() => {
    throw new TypeError('bad message');
  });
  node.send(b, 'x');
  // Ends that are not crashes: a normal return, ctx.exit, an exit signal.
  node.spawn(() => {});
  node.spawn((ctx) => ctx.exit('done'));
  const c = node.spawn(async (ctx) => {
    await ctx.receive();
  });
  node.exit(c, 'kill');
  await until(() => !node.isAlive(a) && !node.isAlive(b) && !node.isAlive(c), POLL);
}

describe('crash reports', () => {
  it('go once per crashed process through the logger at error level, with pid, name, reason and stack', async () => {
    const { logger, lines } = logged();
    const node = createNode({ name: 'cr@mem', logger });
    nodes.push(node);
    const write = vi.spyOn(process.stderr, 'write');
    await crashTwo(node);
    const reports = lines.filter((l) => l.msg === 'crash report');
    expect(reports).toHaveLength(2);
    expect(reports.every((r) => r.level === 50)).toBe(true);
    const worker = reports.find((r) => (r.crash as { name?: string }).name === 'worker')!.crash as Record<
      string,
      string
    >;
    expect(worker).toMatchObject({ node: 'cr@mem', name: 'worker' });
    expect(worker.pid).toMatch(/^<cr@mem\.\d+\.\d+>$/);
    expect(worker.reason).toContain('boom');
    expect(worker.stack).toContain('Error: boom');
    const handler = reports.find((r) => (r.crash as { name?: string }).name === undefined)!.crash as Record<
      string,
      string
    >;
    expect(handler.reason).toContain('bad message');
    expect(handler.stack).toContain('TypeError: bad message');
    expect(write.mock.calls.filter((c) => String(c[0]).includes('CRASH REPORT'))).toHaveLength(0);
  });

  it('go to stderr when the node has no logger', async () => {
    const node = createNode({ name: 'cs@mem' });
    nodes.push(node);
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      out.push(String(chunk));
      return true;
    });
    await crashTwo(node);
    const reports = out.filter((c) => c.startsWith('=CRASH REPORT==== '));
    expect(reports).toHaveLength(2);
    const worker = reports.find((r) => r.includes('registered_name: worker'))!;
    expect(worker).toContain('  node: cs@mem\n');
    expect(worker).toMatch(/ {2}pid: <cs@mem\.\d+\.\d+>\n/);
    expect(worker).toContain('boom');
    expect(worker).toContain('    Error: boom');
  });

  it('are off with crashReports: false, with a logger or without', async () => {
    const { logger, lines } = logged();
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      out.push(String(chunk));
      return true;
    });
    const quiet = createNode({ name: 'cq@mem', crashReports: false });
    const quietLogged = createNode({ name: 'cl@mem', crashReports: false, logger });
    nodes.push(quiet, quietLogged);
    await crashTwo(quiet);
    await crashTwo(quietLogged);
    expect(out.filter((c) => c.includes('CRASH REPORT'))).toEqual([]);
    expect(lines.filter((l) => l.msg === 'crash report')).toEqual([]);
    expect(() => createNode({ name: 'cx@mem', crashReports: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_RUNTIME_BAD_OPTION' }),
    );
  });

  it('formats a report as OTP lays it out, with a bounded reason', () => {
    const r = crashReport('n@h', new Pid('n@h', 5, 0, 1), undefined, 42n, {
      error: 'throw',
      value: 'x'.repeat(5000),
    });
    expect(r.stack).toBeUndefined();
    expect(r.reason.length).toBeLessThanOrEqual(1001);
    const text = formatCrashReport(r, new Date(0));
    expect(text.split('\n').slice(0, 4)).toEqual([
      '=CRASH REPORT==== 1970-01-01T00:00:00.000Z ===',
      '  node: n@h',
      '  pid: <n@h.5.0>',
      '  registered_name: []',
    ]);
  });
});
