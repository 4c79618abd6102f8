import { Writable } from 'node:stream';
import {
  createDiscovery,
  type Discovery,
  type Peer,
  type Strategy,
  strategyFromSpec,
} from '@kindred/discovery';
import { isKindredError } from '@kindred/dns';
import { loadCookie, type ResolveOwnNameOptions, resolveOwnName } from '@kindred/node-identity';
import { createTransport, type HostResolver, TRANSPORT_DEFAULTS, type Transport } from '@kindred/transport';
import { pino } from 'pino';
import { type Command, type CommandIO, EXIT, parseCommandArgs, printJson, UsageError } from '../command.js';

/** How often discovered peers that are not connected are dialed again. */
const RETRY_MS = 5_000;

const HELP = `Usage: kindred start (--name BASE | --sname BASE) [--cookie C] [--port P] [--discovery SPEC] [--json]

Runs a kindred node in the foreground: it listens for other nodes, accepts those that share the cookie and whose
names check out, connects to the peers discovery finds, and prints each nodeup/nodedown. Stop it with Ctrl-C or
SIGTERM.

Options:
  --name BASE        long names: BASE@<hostname -f> (BASE@HOST taken as given)
  --sname BASE       short names: BASE@<hostname up to its first dot>
  --cookie C         the cookie (default KINDRED_COOKIE, else ~/.kindred.cookie, created when missing)
  --port P           the port to listen on (default KINDRED_PORT, else ${TRANSPORT_DEFAULTS.port}; 0 picks a free one)
  --discovery SPEC   peers to connect to (@kindred/discovery), polled; each new peer is dialed on the port
                     discovery gives (the SRV port; else ${TRANSPORT_DEFAULTS.port}), and re-dialed every
                     ${RETRY_MS / 1000} s while it is discovered but not connected:
                       dns-srv:_discovery._tcp.SERVICE   peers BASE@<SRV target>, the seed's reverse lookup
                       dns-a:SERVICE                     peers BASE@<address>
                       static:NODE[:PORT],NODE[:PORT]    fixed peers
  --json             JSON lines: {"event":"started","node","port"}, {"event":"nodeup","node","direction"},
                     {"event":"nodedown","node","reason"}, {"event":"stopped","node"}
  -h, --help         this text

Logs (pino JSON, level KINDRED_LOG_LEVEL, default info) go to stderr, e.g. a wrong cookie:
  ** Connection attempt from node 'n2@host' rejected. Invalid challenge reply. **

Exit codes:
  0  stopped by SIGINT/SIGTERM
  1  could not start (no name, bad cookie file, port in use); the message says what to do
  2  usage error
`;

/** What {@link createStartCommand} can be given instead of the real machine; for tests. */
export interface StartDeps extends Pick<ResolveOwnNameOptions, 'hostname' | 'hostsPath' | 'resolvConfPath'> {
  readonly resolver?: HostResolver;
}

function parsePort(text: string | undefined, what: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${what} must be a port 0-65535, got '${text}'`);
  return n;
}

function identityDeps(deps: { hostname?: string; hostsPath?: string; resolvConfPath?: string }) {
  const { hostname, hostsPath, resolvConfPath } = deps;
  return {
    ...(hostname === undefined ? {} : { hostname }),
    ...(hostsPath === undefined ? {} : { hostsPath }),
    ...(resolvConfPath === undefined ? {} : { resolvConfPath }),
  };
}

/** `kindred start`: a node in the foreground. */
export function createStartCommand(deps: StartDeps = {}): Command {
  return {
    name: 'start',
    summary: 'run a node in the foreground, printing nodeup/nodedown',
    help: HELP,
    async run(argv: string[], io: CommandIO): Promise<number> {
      const { values } = parseCommandArgs(argv, {
        name: { type: 'string' },
        sname: { type: 'string' },
        cookie: { type: 'string' },
        port: { type: 'string' },
        discovery: { type: 'string' },
        json: { type: 'boolean', default: false },
      });
      if (values.name !== undefined && values.sname !== undefined) {
        throw new UsageError('give either --name (long names) or --sname (short names), not both');
      }
      if (values.name === undefined && values.sname === undefined && !io.env.KINDRED_NODE_NAME) {
        throw new UsageError(
          'give --name BASE (long names) or --sname BASE (short names), or set KINDRED_NODE_NAME',
        );
      }
      const port = parsePort(values.port, '--port') ?? parsePort(io.env.KINDRED_PORT, 'KINDRED_PORT');
      const own = await resolveOwnName({
        ...identityDeps(deps),
        env: io.env,
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(values.sname === undefined ? {} : { sname: values.sname }),
      });
      const { cookie } = await loadCookie({
        env: io.env,
        ...(values.cookie === undefined ? {} : { cookie: values.cookie }),
      });
      let strategy: Strategy | undefined;
      if (values.discovery !== undefined) {
        try {
          strategy = strategyFromSpec(values.discovery, { basename: own.name });
        } catch (err) {
          if (isKindredError(err, 'KINDRED_ERR_DISCOVERY_BAD_SPEC')) throw new UsageError(err.message);
          throw err;
        }
      }
      const logStream = new Writable({
        write(chunk, _enc, cb) {
          io.stderr.write(String(chunk));
          cb();
        },
      });
      const logger = pino({ level: io.env.KINDRED_LOG_LEVEL || 'info' }, logStream);
      const transport: Transport = createTransport({
        self: { node: own.node, mode: own.mode },
        cookie,
        logger,
        env: io.env,
        ...(port === undefined ? {} : { port }),
        ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
      });
      const emit = (event: Record<string, unknown>, text: string) => {
        if (values.json) printJson(io, event);
        else io.stdout.write(`${text}\n`);
      };
      transport.on('nodeup', (node, info) =>
        emit({ event: 'nodeup', node, direction: info.direction }, `nodeup ${node}`),
      );
      transport.on('nodedown', (node, reason) =>
        emit({ event: 'nodedown', node, reason }, `nodedown ${node} (${reason})`),
      );
      // Messages are the runtime's business; a bare node only counts them.
      transport.on('message', () => {});
      const listening = await transport.listen();
      emit(
        { event: 'started', node: own.node, port: listening.port },
        `started ${own.node} on port ${listening.port}`,
      );
      const dial = (p: Peer) => {
        if (p.node === own.node || transport.allNodes().includes(p.node)) return;
        const address = p.addresses[0];
        transport
          .connect(p.node, { port: p.port, ...(address === undefined ? {} : { address }) })
          .catch((err: Error) => {
            logger.warn({ peer: { name: p.node } }, `cannot connect to ${p.node}: ${err.message}`);
          });
      };
      let discovery: Discovery | undefined;
      let retry: NodeJS.Timeout | undefined;
      if (strategy !== undefined) {
        const d = createDiscovery({ strategy, self: own.node, logger });
        d.on('add', dial);
        d.on('update', dial);
        d.on('error', (err) => logger.warn({ err: { code: err.code } }, `discovery: ${err.message}`));
        d.start();
        discovery = d;
        retry = setInterval(() => {
          for (const p of d.peers()) dial(p);
        }, RETRY_MS);
      }
      const signal = await io.stopSignal;
      if (retry !== undefined) clearInterval(retry);
      discovery?.stop();
      await transport.close();
      emit({ event: 'stopped', node: own.node, signal }, `stopped ${own.node} (${signal})`);
      return EXIT.OK;
    },
  };
}

/** `kindred start` on the real machine. */
export const start: Command = createStartCommand();
