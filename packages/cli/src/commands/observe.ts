import { isKindredError, KindredError } from '@kindred/dns';
import { loadCookie, type NamingMode } from '@kindred/node-identity';
import {
  createNode,
  type KNode,
  type NodeSnapshot,
  OBSERVE_MAX_PROCESSES,
  RUNTIME_ERRORS,
} from '@kindred/runtime';
import { createTransport, type HostResolver, TRANSPORT_DEFAULTS } from '@kindred/transport';
import {
  type Command,
  type CommandIO,
  EXIT,
  parseCommandArgs,
  parsePortArg,
  printJson,
  UsageError,
} from '../command.js';
import { COOKIE_OPTIONS, cookieChoice, cookieHelp } from '../cookie-options.js';
import { CLI_DEFAULTS } from '../defaults.js';
import { NAME_OPTIONS, nameChoice } from '../env.js';
import { dialerName, dialingMode } from './dialer.js';
import { pangReason } from './ping.js';

const HELP = `Usage: kindred observe NODE [--port P] [--cookie-file PATH | --cookie C] [--name BASE | --sname BASE]
                            [--interval S] [--count N] [--max-processes N] [--timeout MS] [--json]

Looks inside a running node, like Erlang's observer: connects to NODE (name@host) as a hidden node with the cookie
(NODE's cluster does not see it join) and shows its processes (pid, registered name, current function, status,
mailbox length, links, monitors), registered names, pg groups with their members, and its peers (hidden or not,
direction, bytes in and out, bytes queued, when last seen), with its uptime. On a terminal it refreshes like top
every --interval seconds until Ctrl-C; with --json it prints one JSON document (shape in the CLI's README) and exits.

Options:
  --port P            the port NODE listens on (default KINDRED_PORT, else ${TRANSPORT_DEFAULTS.port})
${cookieHelp(22, 'KINDRED_COOKIE, else ~/.kindred.cookie')}
  --name BASE         this side's name, long names (default: a unique observe-XXXXXX in the mode NODE implies)
  --sname BASE        this side's name, short names
  --interval S        seconds between refreshes (default ${CLI_DEFAULTS.observe.intervalSeconds})
  --count N           refresh N times, then exit 0 (default: until Ctrl-C on a terminal, 1 otherwise)
  --max-processes N   processes listed at most, the busiest mailboxes first (default ${CLI_DEFAULTS.observe.maxProcesses}, at most ${OBSERVE_MAX_PROCESSES})
  --timeout MS        how long to wait for NODE's answer (default ${CLI_DEFAULTS.observe.timeoutMs})
  --json              print the snapshot once as JSON
  -h, --help          this text

Exit codes:
  0  shown (and stopped by Ctrl-C, or after --count refreshes)
  1  NODE could not be reached or did not answer (the reason, as kindred ping gives it, is printed on stderr)
  2  usage error
`;

function positiveNumber(text: string | undefined, flag: string, int: boolean, max = Number.MAX_SAFE_INTEGER) {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0 || v > max || (int && !Number.isInteger(v))) {
    throw new UsageError(
      `${flag} must be ${int ? 'an integer' : 'a number'} > 0${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}, got ${JSON.stringify(text)}`,
    );
  }
  return v;
}

const bytes = (n: number | null): string => {
  if (n === null) return '-';
  if (n < 10_000) return String(n);
  if (n < 10_000_000) return `${Math.round(n / 1024)}K`;
  return `${Math.round(n / 1024 / 1024)}M`;
};

const duration = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
};

/** Columns left-aligned to their widest cell (the last one not padded). */
function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i] ?? 0, (r[i] as string).length);
  }
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

/** The snapshot as text, top-like: a header, the processes with the fullest mailboxes first, names, groups, peers. */
export function renderSnapshot(s: NodeSnapshot): string {
  const procs = [...s.processes].sort((a, b) => b.mailbox - a.mailbox || (a.pid < b.pid ? -1 : 1));
  const out = [
    `${s.node}  up ${duration(s.uptimeMs)}  processes ${s.processCount}  registered ${s.registered.length}  peers ${s.peers.length}  ${new Date(s.at).toISOString()}`,
    '',
    table([
      ['PID', 'NAME', 'FUNCTION', 'STATUS', 'MAILBOX', 'LINKS', 'MONITORS', 'MONITORED_BY'],
      ...procs.map((p) => [
        p.pid,
        p.name ?? '-',
        `${p.function}${p.kind === 'handler' ? ' (handler)' : ''}`,
        p.status,
        String(p.mailbox),
        String(p.linkCount),
        String(p.monitorCount),
        String(p.monitoredByCount),
      ]),
    ]),
  ];
  if (s.processes.length < s.processCount)
    out.push(`(${s.processCount - s.processes.length} more processes not listed)`);
  out.push('', 'REGISTERED', ...s.registered.map((r) => `  ${r.name}  ${r.pid}`));
  out.push('', 'GROUPS');
  for (const g of s.groups) out.push(`  ${g.scope}/${g.group}  ${g.memberCount}: ${g.members.join(' ')}`);
  out.push(
    '',
    table([
      ['PEER', 'DIR', 'HIDDEN', 'BYTES_IN', 'BYTES_OUT', 'QUEUED', 'LAST_SEEN'],
      ...s.peers.map((p) => [
        p.node,
        p.direction ?? '-',
        p.hidden ? 'yes' : 'no',
        bytes(p.bytesIn),
        bytes(p.bytesOut),
        bytes(p.queuedBytes),
        p.lastInAt === null ? '-' : `${duration(Math.max(0, s.at - p.lastInAt))} ago`,
      ]),
    ]),
  );
  return `${out.join('\n')}\n`;
}

/** Codes of a node reached that gave no snapshot. */
const NO_ANSWER_CODES: ReadonlySet<string> = new Set([
  RUNTIME_ERRORS.CALL_TIMEOUT,
  RUNTIME_ERRORS.OBSERVE_FAILED,
]);

/** What {@link createObserveCommand} can be given instead of the real machine; for tests. */
export interface ObserveDeps {
  /** Resolves NODE's host; default a @kindred/dns Resolver. */
  readonly resolver?: HostResolver;
  /** Waits between refreshes; default a timer. */
  readonly sleep?: (ms: number, stop: Promise<string>) => Promise<void>;
}

const sleepUnlessStopped = (ms: number, stop: Promise<string>): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void stop.then(() => {
      clearTimeout(t);
      resolve();
    });
  });

/** `kindred observe`: a look inside a running node, from a hidden node. */
export function createObserveCommand(deps: ObserveDeps = {}): Command {
  return {
    name: 'observe',
    summary:
      'look inside a running node like Erlang observer: processes, names, pg groups, peers (top-like or --json)',
    help: HELP,
    async run(argv: string[], io: CommandIO): Promise<number> {
      const { values, positionals } = parseCommandArgs(
        argv,
        {
          port: { type: 'string' },
          ...COOKIE_OPTIONS,
          ...NAME_OPTIONS,
          interval: { type: 'string' },
          count: { type: 'string' },
          'max-processes': { type: 'string' },
          timeout: { type: 'string' },
          json: { type: 'boolean', default: false },
        },
        true,
      );
      if (positionals.length !== 1) throw new UsageError('give exactly one NODE to observe (name@host)');
      nameChoice(values);
      const intervalS =
        positiveNumber(values.interval, '--interval', false) ?? CLI_DEFAULTS.observe.intervalSeconds;
      const countArg = positiveNumber(values.count, '--count', true);
      const maxProcesses =
        positiveNumber(values['max-processes'], '--max-processes', true, OBSERVE_MAX_PROCESSES) ??
        CLI_DEFAULTS.observe.maxProcesses;
      const timeoutMs = positiveNumber(values.timeout, '--timeout', true) ?? CLI_DEFAULTS.observe.timeoutMs;
      if (values.json && countArg !== undefined)
        throw new UsageError('--json prints once; --count does not apply');
      const cookieOptions = cookieChoice(values, (w) => io.stderr.write(`kindred observe: warning: ${w}\n`));
      const target = positionals[0] as string;
      const port = parsePortArg(values.port, '--port') ?? parsePortArg(io.env.KINDRED_PORT, 'KINDRED_PORT');
      const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
      const count = values.json ? 1 : (countArg ?? (tty ? Number.POSITIVE_INFINITY : 1));
      const failed = (err: unknown): number => {
        const message = err instanceof Error ? err.message : String(err);
        const code = isKindredError(err) ? ` (${err.code})` : '';
        // Unreachable: the reason kindred ping gives (pang); reached but no snapshot: no_answer.
        const answered = isKindredError(err) && NO_ANSWER_CODES.has(err.code);
        const reason = answered ? 'no_answer' : pangReason(err);
        io.stderr.write(
          `kindred observe: cannot observe ${target}: ${message}${code}\nkindred observe: ${reason}\n`,
        );
        return EXIT.FAILED;
      };

      let mode: NamingMode;
      try {
        mode = dialingMode(target, values);
      } catch (err) {
        return failed(err);
      }
      const own = await dialerName(mode, values, 'observe', io.env);
      const { cookie } = await loadCookie({ env: io.env, ...cookieOptions });
      // A hidden node that never listens: NODE's cluster does not mesh with it, and nothing is opened here.
      const transport = createTransport({
        self: { node: own.node, mode: own.mode },
        cookie,
        hidden: true,
        ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
      });
      let node: KNode | undefined;
      try {
        node = createNode({ name: own.node, hidden: true, distribution: transport, crashReports: false });
        await node.connect(target, port === undefined ? {} : { port });
        const sleep = deps.sleep ?? sleepUnlessStopped;
        let stopped = false;
        void io.stopSignal.then(() => {
          stopped = true;
        });
        for (let i = 0; i < count && !stopped; i++) {
          if (i > 0) await sleep(intervalS * 1000, io.stopSignal);
          if (stopped) break;
          const snap = await node.observe(target, { maxProcesses, timeoutMs });
          if (values.json) printJson(io, snap);
          else io.stdout.write(`${tty ? '\x1b[H\x1b[2J' : i > 0 ? '\n' : ''}${renderSnapshot(snap)}`);
        }
      } catch (err) {
        if (!(err instanceof KindredError)) throw err;
        return failed(err);
      } finally {
        if (node !== undefined) await node.stop();
        await transport.close();
      }
      return EXIT.OK;
    },
  };
}

/** `kindred observe` on the real machine. */
export const observe: Command = createObserveCommand();
