import { BeamEndpoint, epmdPortFromEnv } from '@kindred/beam';
import { isKindredError, KindredError } from '@kindred/dns';
import { loadCookie, type NamingMode, NODE_IDENTITY_ERRORS } from '@kindred/node-identity';
import { createTransport, type HostResolver, TRANSPORT_DEFAULTS, TRANSPORT_ERRORS } from '@kindred/transport';
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
import { NAME_OPTIONS, nameChoice } from '../env.js';
import { type DialerIdentityDeps, dialerName, dialingMode } from './dialer.js';

const HELP = `Usage: kindred ping NODE [--port P] [--cookie-file PATH | --cookie C] [--name BASE | --sname BASE]
                         [--erlang [--erl-epmd-port P]] [--json]

Connects to NODE (name@host) like Erlang's net_adm:ping/1 and prints pong when the handshake succeeds, pang when it
does not, with the reason. The rules are Erlang's: NODE must be legal in this side's naming mode, the node answering
at NODE's host must call itself NODE (else pang name_mismatch), and both sides must share the cookie.

Options:
  --port P            the port NODE listens on (default KINDRED_PORT, else ${TRANSPORT_DEFAULTS.port})
${cookieHelp(22, 'KINDRED_COOKIE, else ~/.kindred.cookie')}
  --name BASE         this side's name, long names (default: a unique ping-XXXXXX in the mode NODE implies)
  --sname BASE        this side's name, short names
  --erlang            speak Erlang's own distribution protocol (also KINDRED_DISTRIBUTION=erlang): NODE may be an
                      erl or Elixir node, or a kindred node started with --erlang. NODE's port comes from the epmd
                      of its host (ERL_EPMD_PORT, else 4369); this side connects as a hidden node
  --erl-epmd-port P   with --erlang, epmd-less (erl's -erl_epmd_port P): NODE listens on P
  --json              print {"result": "pong"|"pang", "node", "reason", "message"}
  -h, --help          this text

Reasons for pang: illegal_hostname, illegal_nodename, name_mismatch, bad_cookie, not_allowed,
integrity_mismatch, unresolved, setup_timeout, bad_version, connect_failed; with --erlang also not_registered
(NODE's host's epmd does not know it) and missing_flags. For not_allowed, --json adds the
refusing node's own reason as "refusal" (disallowed, illegal_name, host_mismatch, host_unresolved, ...).

Exit codes:
  0  pong
  1  pang (the reason and what to do are printed on stderr)
  2  usage error
`;

/** The pang reasons the transport puts on its errors (`details.reason`) that ping reports as they are. */
const TRANSPORT_PANG_REASONS: ReadonlySet<string> = new Set([
  'not_registered',
  'missing_flags',
  'name_mismatch',
  'bad_cookie',
  'integrity_mismatch',
  'setup_timeout',
  'bad_version',
  'unresolved',
]);

/** Node-name errors: the name itself is malformed (Erlang's "illegal nodename"). */
const NODE_NAME_CODES: ReadonlySet<string> = new Set([
  NODE_IDENTITY_ERRORS.NODE_NAME_NO_AT,
  NODE_IDENTITY_ERRORS.NODE_NAME_INVALID_NAME,
  NODE_IDENTITY_ERRORS.NODE_NAME_INVALID_HOST,
  NODE_IDENTITY_ERRORS.NODE_NAME_TOO_LONG,
]);

/**
 * The pang reason for an error from connect(): a name this side refuses to dial (illegal_hostname,
 * illegal_nodename), a refusal by the node (not_allowed, its own reason in {@link refusalReason}), else the reason the
 * transport put on the error (`details.reason`) when it is one of ping's, else connect_failed.
 */
export function pangReason(err: unknown): string {
  if (!isKindredError(err)) return 'connect_failed';
  if (err.code === NODE_IDENTITY_ERRORS.ILLEGAL_HOSTNAME) return 'illegal_hostname';
  if (NODE_NAME_CODES.has(err.code)) return 'illegal_nodename';
  if (err.code === TRANSPORT_ERRORS.NOT_ALLOWED) return 'not_allowed';
  const reason = err.details?.reason;
  return typeof reason === 'string' && TRANSPORT_PANG_REASONS.has(reason) ? reason : 'connect_failed';
}

/** For a not_allowed pang, the refusing node's own reason (disallowed, host_mismatch, ...), when it sent one. */
export function refusalReason(err: unknown): string | undefined {
  if (!isKindredError(err) || err.code !== TRANSPORT_ERRORS.NOT_ALLOWED) return undefined;
  const reason = err.details?.reason;
  return typeof reason === 'string' && reason !== 'not_allowed' ? reason : undefined;
}

/** What to do, by pang reason, when the error's own message does not already say it. */
const PANG_HINTS: Readonly<Record<string, string>> = {
  integrity_mismatch:
    'the node has frameIntegrity off and kindred ping has it on (the default): set frameIntegrity the same on every node',
};

/** What {@link createPingCommand} can be given instead of the real machine; for tests. */
export interface PingDeps extends DialerIdentityDeps {
  /** Resolves NODE's host; default a @kindred/dns Resolver. */
  readonly resolver?: HostResolver;
}

/** `kindred ping`: Erlang's net_adm:ping/1 from the command line. */
export function createPingCommand(deps: PingDeps = {}): Command {
  return {
    name: 'ping',
    summary: 'connect to a node like net_adm:ping/1: pong or pang, with the reason',
    help: HELP,
    async run(argv: string[], io: CommandIO): Promise<number> {
      const { values, positionals } = parseCommandArgs(
        argv,
        {
          port: { type: 'string' },
          ...COOKIE_OPTIONS,
          ...NAME_OPTIONS,
          erlang: { type: 'boolean', default: false },
          'erl-epmd-port': { type: 'string' },
          json: { type: 'boolean', default: false },
        },
        true,
      );
      const erlang = values.erlang || io.env.KINDRED_DISTRIBUTION === 'erlang';
      const erlEpmdPort = parsePortArg(values['erl-epmd-port'], '--erl-epmd-port');
      if (erlEpmdPort !== undefined && !erlang) throw new UsageError('--erl-epmd-port needs --erlang');
      if (positionals.length !== 1) throw new UsageError('give exactly one NODE to ping (name@host)');
      nameChoice(values);
      const cookieOptions = cookieChoice(values, (warning) =>
        io.stderr.write(`kindred ping: warning: ${warning}\n`),
      );
      const target = positionals[0] as string;
      const port = parsePortArg(values.port, '--port') ?? parsePortArg(io.env.KINDRED_PORT, 'KINDRED_PORT');
      const pang = (err: unknown): number => {
        const reason = pangReason(err);
        const refusal = refusalReason(err);
        const message = err instanceof Error ? err.message : String(err);
        if (values.json) {
          printJson(io, {
            result: 'pang',
            node: target,
            reason,
            ...(refusal === undefined ? {} : { refusal }),
            message,
          });
        } else io.stdout.write('pang\n');
        // Erlang's own log lines (illegal hostname, ...) are printed as they are; then the reason.
        const hint = PANG_HINTS[reason];
        io.stderr.write(
          `${message}\nkindred ping: pang (${reason}${refusal === undefined ? '' : `: ${refusal}`})\n` +
            (hint === undefined ? '' : `kindred ping: ${hint}\n`),
        );
        return EXIT.FAILED;
      };
      let mode: NamingMode;
      try {
        mode = dialingMode(target, values);
      } catch (err) {
        return pang(err);
      }
      const own = await dialerName(mode, values, 'ping', io.env, deps);
      const { cookie } = await loadCookie({ env: io.env, ...cookieOptions });
      if (erlang) {
        try {
          await pingErlang(own.node, cookie, target, io.env, erlEpmdPort);
        } catch (err) {
          if (!(err instanceof KindredError)) throw err;
          return pang(err);
        }
        if (values.json) printJson(io, { result: 'pong', node: target, reason: null });
        else io.stdout.write('pong\n');
        return EXIT.OK;
      }
      const transport = createTransport({
        self: { node: own.node, mode: own.mode },
        cookie,
        ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
      });
      try {
        await transport.connect(target, port === undefined ? {} : { port });
      } catch (err) {
        if (!(err instanceof KindredError)) throw err;
        return pang(err);
      } finally {
        await transport.close();
      }
      if (values.json) printJson(io, { result: 'pong', node: target, reason: null });
      else io.stdout.write('pong\n');
      return EXIT.OK;
    },
  };
}

/**
 * net_adm:ping over Erlang's wire: a hidden, dial-only BEAM endpoint (the target's port from its host's epmd, or
 * `erlEpmdPort` epmd-less) that connects to `target` and closes.
 */
export async function pingErlang(
  self: string,
  cookie: string,
  target: string,
  env: NodeJS.ProcessEnv,
  erlEpmdPort: number | undefined,
): Promise<void> {
  const endpoint = new BeamEndpoint({
    name: self,
    cookie,
    hidden: true,
    listen: false,
    epmdPort: epmdPortFromEnv(env),
    discovery: erlEpmdPort === undefined ? { mode: 'epmd' } : { mode: 'fixed', port: erlEpmdPort },
  });
  await endpoint.start();
  try {
    await endpoint.connect(target);
  } finally {
    await endpoint.close();
  }
}

/** `kindred ping` on the real machine. */
export const ping: Command = createPingCommand();
