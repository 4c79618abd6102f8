/**
 * Crash reports, OTP's proc_lib crash report: a process whose function (or message handler) threw is reported once,
 * with its pid, registered name, exit reason and the stack, through the node's logger at error level, or on stderr
 * when the node was given no logger (a crash must not pass silently by default). The `crashReports` node option
 * turns them off. Ends by `ctx.exit(reason)` or by an exit signal are not crashes of the process's own code and are
 * not reported (OTP reports neither a kill nor a linked exit either).
 * @internal
 */
import type { Logger } from '@kindred/interface';
import { formatTerm } from './errors.js';
import type { Pid } from './terms.js';

/** @internal One crash report. */
export interface CrashReport {
  readonly node: string;
  readonly pid: string;
  /** The registered name, when the process had one. */
  readonly name: string | undefined;
  /** The exit reason, as a bounded text (a thrown value may be anything a peer sent). */
  readonly reason: string;
  /** The stack of the thrown Error, when it was one. */
  readonly stack: string | undefined;
}

/** @internal Where crash reports go: the node's logger, stderr, or nowhere. */
export type CrashSink = 'logger' | 'stderr' | 'off';

/** @internal The report of `pid` (registered as `name`) that threw `err`, ending with `reason`. */
export function crashReport(
  node: string,
  pid: Pid,
  name: string | undefined,
  err: unknown,
  reason: unknown,
): CrashReport {
  return {
    node,
    pid: pid.toString(),
    name,
    reason: formatTerm(reason, 1000),
    stack: err instanceof Error && typeof err.stack === 'string' ? err.stack : undefined,
  };
}

/** @internal The report as text, OTP's layout: a header line, then one `key: value` per line. */
export function formatCrashReport(r: CrashReport, at: Date = new Date()): string {
  const lines = [
    `=CRASH REPORT==== ${at.toISOString()} ===`,
    `  node: ${r.node}`,
    `  pid: ${r.pid}`,
    `  registered_name: ${r.name ?? '[]'}`,
    `  reason: ${r.reason}`,
  ];
  if (r.stack !== undefined) lines.push('  stack:', ...r.stack.split('\n').map((l) => `    ${l}`));
  return `${lines.join('\n')}\n`;
}

/** @internal Sends a report to its sink. */
export function emitCrashReport(sink: CrashSink, log: Logger, r: CrashReport): void {
  if (sink === 'logger') log.error({ crash: r }, 'crash report');
  else if (sink === 'stderr') process.stderr.write(formatCrashReport(r));
}
