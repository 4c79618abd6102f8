import {
  NAMING_SCHEMES,
  type ResolveOwnNameOptions,
  resolveSchemeNames,
  type SchemeName,
} from '@kindred/node-identity';
import { type Command, type CommandIO, EXIT, parseCommandArgs, printJson, UsageError } from '../command.js';
import { NAME_OPTIONS, nameChoice } from '../env.js';

const HELP = `Usage: kindred whoami [--name BASE | --sname BASE] [--json] [--schemes]

Prints the node name this machine (or pod) would run under, and where its host part came from, the way
'erl -name BASE' / 'erl -sname BASE' would pick it; then the name each naming scheme gives the same basename, so a
cluster mixed with Erlang/Elixir nodes shows which name libcluster will dial:
  fqdn    BASE@<pod FQDN> (hostname -f): libcluster's Kubernetes.DNSSRV (SRV targets)
  pod-ip  BASE@<POD_IP>: libcluster's Kubernetes.DNS and Phoenix's dns_cluster (A records)

Options:
  --name BASE    long names: BASE@<fully qualified hostname>, found as erl finds it: resolv.conf's 'domain'
                 line if any, else a dotted hostname as is, else what 'hostname -f' prints (the hostname's
                 canonical name in /etc/hosts, else in DNS through the resolv.conf search list).
                 BASE@HOST is taken as given.
  --sname BASE   short names: BASE@<hostname up to its first dot>. BASE@HOST is taken as given (no dot allowed).
  --json         print one JSON object: {"node","name","host","mode","source"}
  --schemes      with --json, add "scheme" (fqdn, pod-ip, or null for short names) and "schemes":
                 {"fqdn": {"node","host"} or {"error":{"code","message"}}, "pod-ip": ...}
  -h, --help     this text

Environment:
  KINDRED_NODE_NAME       the whole node name (name@host); wins over --name/--sname BASE
  RELEASE_NODE            an Elixir release's node name (name@host, or a basename), when neither flag is given;
  RELEASE_NAME            else the release's name as the basename (RELEASE_DISTRIBUTION=sname: short names)
  KINDRED_HOST            the host part as given ($(POD_IP) in deploy's pod-ip overlay)
  KINDRED_NAMING          fqdn (default) or pod-ip: the host is POD_IP (downward API status.podIP)
  KINDRED_SUBDOMAIN       with POD_NAME and POD_NAMESPACE (downward API), long names become
                          BASE@<POD_NAME>.<KINDRED_SUBDOMAIN>.<POD_NAMESPACE>.svc.<cluster domain>, the cluster
                          domain read from resolv.conf's search list (or KINDRED_CLUSTER_DOMAIN)

Source (where the host came from): explicit, env, release, kindred-host, pod-ip, kubernetes, resolv.conf,
hostname, hosts, dns.

Exit codes:
  0  the name was found and printed
  1  no legal name could be found (e.g. the hostname has no fully qualified name); the message says what to do
  2  usage error (both --name and --sname, neither and no KINDRED_NODE_NAME or RELEASE_NODE/RELEASE_NAME, an
     unknown option)
`;

/** What {@link createWhoamiCommand} can be given instead of the real machine's files; for tests. */
export type WhoamiDeps = Pick<
  ResolveOwnNameOptions,
  'hostname' | 'hostsPath' | 'resolvConfPath' | 'resolver' | 'localAddresses'
>;

/** What a scheme gives, as `--json --schemes` prints it. */
function schemeJson(s: SchemeName): Record<string, unknown> {
  return s.ok ? { node: s.node, host: s.host } : { error: { code: s.error.code, message: s.error.message } };
}

/** Who dials a name of each scheme, for the text output. */
const DIALED_BY = Object.freeze({
  fqdn: "libcluster's Kubernetes.DNSSRV dials this (SRV targets)",
  'pod-ip': "libcluster's Kubernetes.DNS and dns_cluster dial this (A records)",
});

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
        ...NAME_OPTIONS,
        json: { type: 'boolean', default: false },
        schemes: { type: 'boolean', default: false },
      });
      if (values.schemes && !values.json) throw new UsageError('--schemes goes with --json');
      const env = io.env;
      const nameOptions = nameChoice(values, env);
      const names = await resolveSchemeNames({
        ...deps,
        env,
        ...nameOptions,
      });
      const { own } = names;
      if (values.json) {
        const base = { node: own.node, name: own.name, host: own.host, mode: own.mode, source: own.source };
        printJson(
          io,
          values.schemes
            ? {
                ...base,
                scheme: names.scheme ?? null,
                schemes: { fqdn: schemeJson(names.fqdn), 'pod-ip': schemeJson(names['pod-ip']) },
              }
            : base,
        );
      } else {
        io.stdout.write(
          `node    ${own.node}\nname    ${own.name}\nhost    ${own.host}\nmode    ${own.mode}\n` +
            `source  ${own.source}: ${own.detail}\n` +
            `scheme  ${names.scheme ?? 'none (short names; libcluster and dns_cluster need long names)'}\n`,
        );
        for (const scheme of NAMING_SCHEMES) {
          const s = names[scheme];
          const label = scheme.padEnd(7);
          io.stdout.write(
            s.ok
              ? `${label} ${s.node}${scheme === names.scheme ? ' (in use)' : ''}: ${DIALED_BY[scheme]}\n`
              : `${label} none here: ${s.error.message} (${s.error.code})\n`,
          );
        }
      }
      return EXIT.OK;
    },
  };
}

/** `kindred whoami` on the real machine. */
export const whoami: Command = createWhoamiCommand();
