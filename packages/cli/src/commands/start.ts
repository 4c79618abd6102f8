import { Writable } from 'node:stream';
import { DISCOVERY_ERRORS } from '@kindred/discovery';
import { isKindredError } from '@kindred/dns';
import { loadCookie } from '@kindred/node-identity';
import { RUNTIME_DEFAULTS, type StartedNode, startNode } from '@kindred/runtime';
import { type HostResolver, TRANSPORT_DEFAULTS } from '@kindred/transport';
import { pino } from 'pino';
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
import { logLevelFromEnv, NAME_OPTIONS, nameChoice } from '../env.js';

const DEFAULT_TICKTIME_S = TRANSPORT_DEFAULTS.ticktimeMs / 1000;

const HELP = `Usage: kindred start (--name BASE | --sname BASE) [--cookie-file PATH | --cookie C] [--port P]
                     [--discovery SPEC] [--ticktime SECONDS] [--erlang [--erl-epmd-port P]] [--json]

Runs a kindred runtime node (@kindred/runtime's startNode) in the foreground: it listens for other nodes, accepts
those that share the cookie and whose names check out, connects to the peers discovery finds, joins the full mesh
like Erlang's connect_all (connecting to one node connects to every node it knows), answers rpc through its 'rex'
process, and prints each nodeup/nodedown. Stop it with Ctrl-C or SIGTERM: the node leaves the cluster, so its
peers see nodedown reason shutdown (not connection_closed) and do not dial it again while discovery still lists it.

Options:
  --name BASE          long names: BASE@<hostname -f> (BASE@HOST taken as given)
  --sname BASE         short names: BASE@<hostname up to its first dot>
                       Without either: KINDRED_NODE_NAME (whole name), else an Elixir release's RELEASE_NODE /
                       RELEASE_NAME. The host: KINDRED_HOST as given, else KINDRED_NAMING=pod-ip takes POD_IP
                       (name@<pod IP>, for dns-a: discovery beside libcluster's Kubernetes.DNS or dns_cluster);
                       'kindred whoami' prints the name and what each naming scheme gives
${cookieHelp(23, 'KINDRED_COOKIE, else ~/.kindred.cookie, created when missing')}
  --port P             the port to listen on (default KINDRED_PORT, else ${TRANSPORT_DEFAULTS.port}; 0 picks a free one)
  --discovery SPEC     peers to connect to (@kindred/discovery), polled; each peer is dialed on the port discovery
                       gives (the SRV port; without one, this node's own listen port: replicas share a port), and
                       re-dialed every ${RUNTIME_DEFAULTS.reconnectIntervalMs / 1000} s while it is discovered but not connected:
                         dns-srv:_discovery._tcp.SERVICE   peers BASE@<SRV target>, the seed's reverse lookup
                         dns-a:SERVICE                     peers BASE@<address>
                         static:NODE[:PORT],NODE[:PORT]    fixed peers
  --ticktime SECONDS   Erlang's net_ticktime: a peer silent for about this long is dropped with nodedown reason
                       net_tick_timeout (default ${DEFAULT_TICKTIME_S}); give every node of a cluster the same value
  --erlang             speak Erlang's own distribution protocol (@kindred/beam) instead of kindred's wire, so erl and
                       Elixir nodes are peers (net_adm:ping gives pong); also KINDRED_DISTRIBUTION=erlang. The node
                       registers with the host's epmd (ERL_EPMD_PORT, else 4369) when one runs, else answers EPMD
                       queries itself on that port; --port is then its distribution port (default: any)
  --erl-epmd-port P    with --erlang, epmd-less (erl's -erl_epmd_port P): listen on P and dial every peer on P
  --json               JSON lines: {"event":"started","node","port"}, {"event":"nodeup","node","direction"},
                       {"event":"nodedown","node","reason"}, {"event":"stopped","node","signal"}
  -h, --help           this text

Logs (pino JSON, level KINDRED_LOG_LEVEL, default info) go to stderr, e.g. a wrong cookie:
  ** Connection attempt from node 'n2@host' rejected. Invalid challenge reply. **

Exit codes:
  0  stopped by SIGINT/SIGTERM
  1  could not start (no name, bad cookie file, port in use); the message says what to do
  2  usage error
`;

/** What {@link createStartCommand} can be given instead of the real machine; for tests. */
export interface StartDeps {
  /** Resolves peers' hosts for the transport's name check (default: the system resolver). */
  readonly resolver?: HostResolver;
}

/** Seconds as Erlang takes net_ticktime: a whole number >= 1. */
function parseTicktime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1 || n > 2_147_483) {
    throw new UsageError(
      `--ticktime must be a whole number of seconds >= 1 (Erlang's net_ticktime), got '${text}'`,
    );
  }
  return n;
}

/** `kindred start`: a runtime node in the foreground. */
export function createStartCommand(deps: StartDeps = {}): Command {
  return {
    name: 'start',
    summary: 'run a node in the foreground, printing nodeup/nodedown',
    help: HELP,
    async run(argv: string[], io: CommandIO): Promise<number> {
      const { values } = parseCommandArgs(argv, {
        ...NAME_OPTIONS,
        ...COOKIE_OPTIONS,
        port: { type: 'string' },
        discovery: { type: 'string' },
        ticktime: { type: 'string' },
        erlang: { type: 'boolean', default: false },
        'erl-epmd-port': { type: 'string' },
        json: { type: 'boolean', default: false },
      });
      const erlEpmdPort = parsePortArg(values['erl-epmd-port'], '--erl-epmd-port');
      const erlang = values.erlang || io.env.KINDRED_DISTRIBUTION === 'erlang';
      if (erlEpmdPort !== undefined && !erlang) throw new UsageError('--erl-epmd-port needs --erlang');
      const env = io.env;
      const nameOptions = nameChoice(values, env);
      const port =
        parsePortArg(values.port, '--port', { allowZero: true }) ??
        parsePortArg(io.env.KINDRED_PORT, 'KINDRED_PORT', { allowZero: true });
      const ticktime = parseTicktime(values.ticktime);
      const logStream = new Writable({
        write(chunk, _enc, cb) {
          io.stderr.write(String(chunk));
          cb();
        },
      });
      const logger = pino({ level: logLevelFromEnv(io.env) }, logStream);
      // stderr carries pino JSON here, so the warning is a log line like every other.
      const cookieOptions = cookieChoice(values, (warning) => logger.warn({ option: '--cookie' }, warning));
      // startNode takes the cookie itself; a --cookie-file is read here, with node-identity's rules.
      const cookie =
        cookieOptions.cookieFile === undefined
          ? cookieOptions.cookie
          : (await loadCookie({ env: io.env, cookieFile: cookieOptions.cookieFile })).cookie;
      let node: StartedNode;
      try {
        node = await startNode({
          env: io.env,
          logger,
          ...nameOptions,
          ...(cookie === undefined ? {} : { cookie }),
          ...(port === undefined ? {} : { port }),
          ...(values.discovery === undefined ? {} : { discovery: values.discovery }),
          ...(erlang
            ? {
                distribution: 'erlang' as const,
                erlang: {
                  ...(ticktime === undefined ? {} : { ticktimeMs: ticktime * 1000 }),
                  ...(erlEpmdPort === undefined
                    ? {}
                    : { discovery: { mode: 'fixed' as const, port: erlEpmdPort } }),
                },
              }
            : {}),
          transport: {
            ...(ticktime === undefined ? {} : { ticktimeMs: ticktime * 1000 }),
            ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
          },
        });
      } catch (err) {
        if (isKindredError(err, DISCOVERY_ERRORS.DISCOVERY_BAD_SPEC)) throw new UsageError(err.message);
        throw err;
      }
      const emit = (event: Record<string, unknown>, text: string) => {
        if (values.json) printJson(io, event);
        else io.stdout.write(`${text}\n`);
      };
      emit(
        { event: 'started', node: node.name, port: node.port },
        `started ${node.name} on port ${node.port}`,
      );
      // The transport's events, not the runtime's: they carry the direction and also report hidden peers,
      // and an operator watching a node wants to see every connection.
      const wire = node.transport ?? node.beam;
      wire?.on('nodeup', (peer: string, info: { direction?: string }) =>
        emit({ event: 'nodeup', node: peer, direction: info.direction }, `nodeup ${peer}`),
      );
      wire?.on('nodedown', (peer: string, reason: unknown) =>
        emit({ event: 'nodedown', node: peer, reason }, `nodedown ${peer} (${String(reason)})`),
      );
      const signal = await io.stopSignal;
      // A planned stop: peers see a leave (nodedown reason `shutdown`), not a crash.
      await node.leave();
      emit({ event: 'stopped', node: node.name, signal }, `stopped ${node.name} (${signal})`);
      return EXIT.OK;
    },
  };
}

/** `kindred start` on the real machine. */
export const start: Command = createStartCommand();
