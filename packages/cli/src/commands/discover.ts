import { isIP } from 'node:net';
import { type DiscoverySpec, isDashedIpTarget, parseDiscoverySpec, reverseLookup } from '@kindred/discovery';
import { DNS_DEFAULTS, isKindredError, Resolver, type ResolverOptions } from '@kindred/dns';
import {
  type Command,
  type CommandIO,
  EnvError,
  EXIT,
  parseCommandArgs,
  printJson,
  UsageError,
} from '../command.js';

const HELP = `Usage: kindred discover QUERY [--type srv|a|aaaa] [--json] [--nameserver ADDR[:PORT]]...

Finds the peers behind a headless Service the way the seed's Erlang k8s_reverse_lookup does, with this machine's
/etc/hosts and resolv.conf (search list, ndots, nameservers):
  srv (default)  1. QUERY's fully qualified name through the search list (CoreDNS answers an address lookup at
                    _port._proto.<svc>.<ns>.svc.<zone> for exactly this), 2. the SRV records at that name, with
                    each target's addresses from the Additional section (or its own A/AAAA lookup).
  a, aaaa        QUERY's addresses (/etc/hosts first, then DNS through the search list), as libcluster's
                 Kubernetes.DNS strategy sees them.

Example: kindred discover _discovery._tcp.simple-web-service-headless

Options:
  --type T                 srv (default), a or aaaa
  --json                   one JSON object:
                             srv:    {"query","fqdn","type":"srv","targets":[{"target","port","priority","weight",
                                     "addresses"}]}, targets sorted by name
                             a/aaaa: {"query","fqdn","type":"a","addresses":[...]}
                           "fqdn" is the name the search list resolved. srv adds "partial":{"code","unresolved"}
                           when the SRV lookup's deadline (${DNS_DEFAULTS.srvDeadlineMs / 1000} s) passed during the targets' own address
                           lookups: every target is listed, those unresolved without addresses (and a warning is
                           printed on stderr); before the SRV answer, the deadline is KINDRED_ERR_DNS_DEADLINE (exit 1)
  --nameserver ADDR[:PORT] ask this DNS server instead of resolv.conf's (repeatable; [v6]:PORT for IPv6)
  --resolv-conf PATH       read this file instead of /etc/resolv.conf
  --hosts PATH             read this file instead of /etc/hosts
  -h, --help               this text

Environment:
  KINDRED_DISCOVERY        without QUERY: the query of a dns-srv:QUERY or dns-a:QUERY spec (and its type)

Exit codes:
  0  the lookup answered
  1  DNS failed: one line with the reason and its code (KINDRED_ERR_DNS_NXDOMAIN, _NODATA, _SERVFAIL, _REFUSED,
     _TIMEOUT, ...); e.g. NXDOMAIN for a headless Service with no ready pod, or a wrong name or namespace
  2  usage error
`;

const TYPES = ['srv', 'a', 'aaaa'] as const;

/** Files and servers {@link createDiscoverCommand} uses instead of the machine's; for tests. */
export type DiscoverDeps = Pick<
  ResolverOptions,
  'resolvConfPath' | 'hostsPath' | 'hostname' | 'timeoutMs' | 'srvDeadlineMs'
>;

/** `kindred discover`: the seed's SRV discovery (or A/AAAA) printed for people or as JSON. */
export function createDiscoverCommand(deps: DiscoverDeps = {}): Command {
  return {
    name: 'discover',
    summary: 'list the peers behind a headless Service (DNS SRV through the search list, or A/AAAA)',
    help: HELP,
    async run(argv: string[], io: CommandIO): Promise<number> {
      const { values, positionals } = parseCommandArgs(
        argv,
        {
          type: { type: 'string' },
          json: { type: 'boolean', default: false },
          nameserver: { type: 'string', multiple: true },
          'resolv-conf': { type: 'string' },
          hosts: { type: 'string' },
        },
        true,
      );
      let query = positionals[0];
      let specType: string | undefined;
      if (positionals.length === 0 && io.env.KINDRED_DISCOVERY) {
        const spec = parseDiscoverySpecOrUsage(io.env.KINDRED_DISCOVERY);
        if (spec.kind === 'static') {
          throw new UsageError(
            'KINDRED_DISCOVERY is static:...; there is nothing to look up in DNS: give QUERY',
          );
        }
        query = spec.query;
        specType = spec.kind === 'dns-a' ? 'a' : 'srv';
      }
      if (query === undefined || positionals.length > 1) {
        throw new UsageError(
          positionals.length === 0
            ? 'give the name to look up, e.g. kindred discover _discovery._tcp.simple-web-service-headless'
            : `give one name to look up, got ${positionals.length}: ${positionals.join(' ')}`,
        );
      }
      const type = String(values.type ?? specType ?? 'srv').toLowerCase();
      if (!(TYPES as readonly string[]).includes(type)) {
        throw new UsageError(`--type must be srv, a or aaaa, got ${JSON.stringify(values.type)}`);
      }
      let resolver: Resolver;
      try {
        resolver = new Resolver({
          ...deps,
          ...(values.nameserver === undefined ? {} : { nameservers: values.nameserver }),
          ...(values['resolv-conf'] === undefined ? {} : { resolvConfPath: values['resolv-conf'] }),
          ...(values.hosts === undefined ? {} : { hostsPath: values.hosts }),
        });
      } catch (err) {
        throw new UsageError((err as Error).message.replace(/^nameservers\[\d+\]/, '--nameserver'));
      }

      if (type === 'srv') {
        const res = await reverseLookup(query, { resolver });
        const targets = [...res.targets]
          .sort((a, b) => compareText(a.target, b.target) || a.port - b.port)
          .map((t) => ({
            target: t.target,
            port: t.port,
            priority: t.priority,
            weight: t.weight,
            addresses: sortAddresses(t.addresses),
          }));
        if (res.partial !== undefined) {
          // The deadline cut target address lookups short: the targets are all there, some without addresses.
          io.stderr.write(`kindred discover: warning: ${res.partial.message} (${res.partial.code})\n`);
        }
        if (values.json) {
          printJson(io, {
            query,
            fqdn: res.fqdn,
            type: 'srv',
            targets,
            ...(res.partial === undefined
              ? {}
              : { partial: { code: res.partial.code, unresolved: res.partial.details?.unresolved } }),
          });
          return EXIT.OK;
        }
        io.stdout.write(`query  ${query}\nfqdn   ${res.fqdn}\n`);
        const width = Math.max(6, ...targets.map((t) => t.target.length));
        io.stdout.write(`${'TARGET'.padEnd(width)}  PORT   PRIO  WEIGHT  ADDRESSES\n`);
        for (const t of targets) {
          io.stdout.write(
            `${t.target.padEnd(width)}  ${String(t.port).padEnd(5)}  ${String(t.priority).padEnd(4)}  ${String(t.weight).padEnd(6)}  ${t.addresses.join(' ')}\n`,
          );
        }
        if (targets.some((t) => isDashedIpTarget(t.target))) {
          io.stdout.write(
            'note: targets are dashed IPs, not pod names: CoreDNS runs without endpoint_pod_names, so these names will\n' +
              "      not match the pods' own FQDNs (hostname -f); add endpoint_pod_names to the Corefile's kubernetes block\n",
          );
        }
        return EXIT.OK;
      }

      const found = await resolver.lookupHost(query, { family: type === 'a' ? 4 : 6 });
      const addresses = sortAddresses(found.addresses);
      if (values.json) {
        printJson(io, { query, fqdn: found.fqdn, type, addresses });
      } else {
        io.stdout.write(`query  ${query}\nfqdn   ${found.fqdn} (from ${found.source})\n`);
        for (const a of addresses) io.stdout.write(`${a}\n`);
      }
      return EXIT.OK;
    },
  };
}

function parseDiscoverySpecOrUsage(spec: string): DiscoverySpec {
  try {
    return parseDiscoverySpec(spec);
  } catch (err) {
    if (isKindredError(err)) throw new EnvError('KINDRED_DISCOVERY', `KINDRED_DISCOVERY: ${err.message}`);
    throw err;
  }
}

/** `kindred discover` on the real machine. */
export const discover: Command = createDiscoverCommand();

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** IPv4 numerically, then IPv6 as text: a stable order for people and for diffs. */
function sortAddresses(addresses: readonly string[]): string[] {
  const key = (a: string) =>
    isIP(a) === 4
      ? `4:${a
          .split('.')
          .map((o) => o.padStart(3, '0'))
          .join('.')}`
      : `6:${a}`;
  return [...new Set(addresses)].sort((a, b) => compareText(key(a), key(b)));
}
