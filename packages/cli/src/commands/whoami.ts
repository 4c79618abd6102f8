import { type ResolveOwnNameOptions, resolveOwnName } from '@kindred/node-identity';
import { type Command, type CommandIO, EXIT, parseCommandArgs, printJson, UsageError } from '../command.js';

const HELP = `Usage: kindred whoami [--name BASE | --sname BASE] [--json]

Prints the node name this machine (or pod) would run under, and where its host part came from, the way
'erl -name BASE' / 'erl -sname BASE' would pick it.

Options:
  --name BASE    long names: BASE@<fully qualified hostname>, found as erl finds it: resolv.conf's 'domain'
                 line if any, else a dotted hostname as is, else what 'hostname -f' prints (the hostname's
                 canonical name in /etc/hosts, else in DNS through the resolv.conf search list).
                 BASE@HOST is taken as given.
  --sname BASE   short names: BASE@<hostname up to its first dot>. BASE@HOST is taken as given (no dot allowed).
  --json         print one JSON object: {"node","name","host","mode","source"}
  -h, --help     this text

Environment:
  KINDRED_NODE_NAME       the whole node name (name@host); wins over --name/--sname BASE
  KINDRED_SUBDOMAIN       with POD_NAME and POD_NAMESPACE (downward API), long names become
                          BASE@<POD_NAME>.<KINDRED_SUBDOMAIN>.<POD_NAMESPACE>.svc.<cluster domain>, the cluster
                          domain read from resolv.conf's search list (or KINDRED_CLUSTER_DOMAIN)

Source (where the host came from): explicit, env, kubernetes, resolv.conf, hostname, hosts, dns.

Exit codes:
  0  the name was found and printed
  1  no legal name could be found (e.g. the hostname has no fully qualified name); the message says what to do
  2  usage error (both --name and --sname, neither and no KINDRED_NODE_NAME, an unknown option)
`;

/** What {@link createWhoamiCommand} can be given instead of the real machine's files; for tests. */
export type WhoamiDeps = Pick<
  ResolveOwnNameOptions,
  'hostname' | 'hostsPath' | 'resolvConfPath' | 'resolver'
>;

/**
 * `kindred whoami`: the node's own name (see `resolveOwnName` in @kindred/node-identity). `deps` replaces the
 * hostname, /etc/hosts, resolv.conf and resolver the command reads.
 */
export function createWhoamiCommand(deps: WhoamiDeps = {}): Command {
  return {
    name: 'whoami',
    summary: "print this node's name (name@host) and where the host came from",
    help: HELP,
    async run(argv: string[], io: CommandIO): Promise<number> {
      const { values } = parseCommandArgs(argv, {
        name: { type: 'string' },
        sname: { type: 'string' },
        json: { type: 'boolean', default: false },
      });
      if (values.name !== undefined && values.sname !== undefined) {
        throw new UsageError('give either --name (long names) or --sname (short names), not both');
      }
      const env = io.env;
      if (values.name === undefined && values.sname === undefined && !env.KINDRED_NODE_NAME) {
        throw new UsageError(
          'give --name BASE (long names) or --sname BASE (short names), or set KINDRED_NODE_NAME',
        );
      }
      const own = await resolveOwnName({
        ...deps,
        env,
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(values.sname === undefined ? {} : { sname: values.sname }),
      });
      if (values.json) {
        printJson(io, { node: own.node, name: own.name, host: own.host, mode: own.mode, source: own.source });
      } else {
        io.stdout.write(
          `node    ${own.node}\nname    ${own.name}\nhost    ${own.host}\nmode    ${own.mode}\n` +
            `source  ${own.source}: ${own.detail}\n`,
        );
      }
      return EXIT.OK;
    },
  };
}

/** `kindred whoami` on the real machine. */
export const whoami: Command = createWhoamiCommand();
