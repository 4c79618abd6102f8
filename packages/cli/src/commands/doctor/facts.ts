import { networkInterfaces, hostname as osHostname } from 'node:os';
import { isDashedIpTarget } from '@kindred/discovery';
import {
  DNS_ERRORS,
  isKindredError,
  Resolver,
  type SrvResolution,
  type SrvTarget,
  sameName,
  stripDot,
} from '@kindred/dns';
import { type NamingScheme, NODE_IDENTITY_DEFAULTS, resolveOwnName } from '@kindred/node-identity';
import { UsageError } from '../../command.js';

/** The answer of one ping: pong, or pang with the reason (an error code and message). */
export type PingResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Everything the doctor reads from the machine, injectable so tests run it against files and a BIND of their own. */
export interface DoctorInputs {
  /** The SRV query, e.g. `_discovery._tcp.simple-web-service-headless` (search list applies). */
  readonly service: string;
  /** The node name base (`app`): this node is `<name>@<fqdn>`, peers `<name>@<srv target>`. */
  readonly name: string;
  /** The port this node listens on (KINDRED_PORT). */
  readonly port: number;
  /** The cookie for pinging peers; undefined: KINDRED_COOKIE / the cookie file, as the app finds it. */
  readonly cookie?: string;
  /** A cookie file to read instead (`--cookie-file`, auth.erl's rules); ignored when `cookie` is given. */
  readonly cookieFile?: string;
  /** gethostname(); default os.hostname(). */
  readonly hostname?: string;
  /** default /etc/hosts */
  readonly hostsPath?: string;
  /** default /etc/resolv.conf */
  readonly resolvConfPath?: string;
  /** DNS servers instead of resolv.conf's (`127.0.0.1:5353`). */
  readonly nameservers?: readonly string[];
  /** This pod's addresses; default the non-internal addresses of os.networkInterfaces(). */
  readonly localAddresses?: readonly string[];
  /** Environment (cookie lookup); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Home directory for the cookie file; default the user's. */
  readonly home?: string;
  /** How peers are pinged; default a hidden kindred transport connecting to each (Erlang's wire with `erlang`). */
  readonly ping?: (node: string, address: string, port: number, cookie: string) => Promise<PingResult>;
  /**
   * The naming scheme the node runs under: `fqdn` (the default: `name@<hostname -f>`, SRV discovery, the seed's
   * checklist) or `pod-ip` (`name@<podIp>`, the headless Service's A records: the pod-ip checklist).
   */
  readonly naming?: NamingScheme;
  /** Under `pod-ip`: this pod's IP, the host part of its name (KINDRED_HOST or POD_IP). */
  readonly podIp?: string;
  /** Under `pod-ip`: the name whose A/AAAA records list the pods (default: the service part of `service`). */
  readonly addressQuery?: string;
  /** The kind of discovery the node runs (KINDRED_DISCOVERY); default the one its naming scheme needs. */
  readonly discovery?: 'dns-srv' | 'dns-a' | 'static';
  /** The node is on Erlang's distribution (`--erlang`, KINDRED_DISTRIBUTION=erlang): the Erlang checks run too. */
  readonly erlang?: ErlangInputs;
}

/** What the Erlang checks need: EPMD's port, or the epmd-less port, and the Erlang side's basename if known. */
export interface ErlangInputs {
  /** EPMD's port (ERL_EPMD_PORT, else 4369). */
  readonly epmdPort: number;
  /** Epmd-less (`-erl_epmd_port P`): every node listens on this port and is dialed on it; no EPMD is asked. */
  readonly erlEpmdPort?: number;
  /** The basename the Erlang/Elixir side uses (`--erlang-basename`, else RELEASE_NODE's or RELEASE_NAME). */
  readonly basename?: string;
  /** Where {@link basename} came from, for the message. */
  readonly basenameFrom?: string;
  /** EPMD's host for this node (erl_epmd registers on 127.0.0.1). */
  readonly epmdHost?: string;
}

/** An SRV query taken apart: `_port._proto.<svc>[.<ns>.svc.<zone>]`. */
export interface ServiceQuery {
  readonly portName: string;
  readonly protocol: string;
  readonly service: string;
  readonly namespace?: string;
}

/** The service part of an SRV query `_port._proto.<svc>[.<ns>.svc.<zone>]`, and the port name. */
export function parseServiceQuery(query: string): ServiceQuery {
  const labels = stripDot(query).split('.');
  const [port, proto, service, namespace] = labels;
  if (
    labels.length < 3 ||
    !port?.startsWith('_') ||
    !proto?.startsWith('_') ||
    service === undefined ||
    service === ''
  ) {
    throw new UsageError(
      `--service ${JSON.stringify(query)} is not an SRV name: expected _<port-name>._<protocol>.<service>, ` +
        'e.g. _discovery._tcp.simple-web-service-headless',
    );
  }
  const base = { portName: port.slice(1), protocol: proto.slice(1), service };
  return namespace === undefined ? base : { ...base, namespace };
}

/**
 * What the doctor knows about this pod, gathered once before any check runs: each check reads these facts and
 * asks nothing itself (but the peers check, which pings).
 */
export interface DoctorFacts {
  readonly inputs: DoctorInputs;
  readonly query: ServiceQuery;
  /** gethostname(). */
  readonly hostname: string;
  readonly resolver: Resolver;
  /** This pod's addresses. */
  readonly mine: readonly string[];
  /** `hostname -f`, or why there is none. */
  readonly own:
    | { readonly fqdn: string; readonly node: string; readonly detail: string }
    | { readonly error: unknown };
  /** The SRV answer, or why there is none. */
  readonly srv: { readonly answer: SrvResolution } | { readonly error: unknown };
  /** The FQDN's DNS addresses (never /etc/hosts), or why DNS has none; undefined without an FQDN. */
  readonly fqdnDns?: { readonly addresses: string[]; readonly server: string } | { readonly error: unknown };
  /** The SRV target naming this pod by its dashed IP (CoreDNS without endpoint_pod_names). */
  readonly dashedSelf?: SrvTarget;
  /** The SRV target with this node's FQDN. */
  readonly ownTarget?: SrvTarget;
  /** Every SRV target but this pod (by name, or by address when CoreDNS names it by its dashed IP). */
  readonly peers: readonly SrvTarget[];
  /** The naming scheme checked. */
  readonly naming: NamingScheme;
  /** Under `erlang`: what EPMD, the epmd-less port and the cookie say (gathered by gatherErlangFacts). */
  readonly erlang?: ErlangFacts;
  /** Under `pod-ip`: the addresses of {@link DoctorInputs.addressQuery}, or why DNS has none. */
  readonly aRecords?:
    | { readonly query: string; readonly addresses: readonly string[] }
    | { readonly error: unknown };
}

/** A name registered with an EPMD, as its NAMES answer lists it. */
export interface RegisteredName {
  readonly name: string;
  readonly port: number;
}

/** What one host's EPMD (or, epmd-less, its fixed port) answered. */
export type EpmdAnswer =
  | { readonly names: readonly RegisteredName[] }
  | { readonly listening: true }
  | { readonly error: unknown };

/** Where the cookie comes from, as the node finds it. */
export type CookieFact =
  | {
      readonly cookie: string;
      /** `--cookie`, `--cookie-file`, `KINDRED_COOKIE`, `~/.kindred.cookie`. */
      readonly source: string;
      /** One sentence: a Secret volume, an environment variable from a Secret, a file. */
      readonly detail: string;
    }
  | { readonly error: unknown };

/** The Erlang side's facts: this host's EPMD (or fixed port), each peer's, and the cookie. */
export interface ErlangFacts {
  /** `epmd` (ask EPMD on `port`) or `fixed` (epmd-less: every node listens on `port`). */
  readonly mode: 'epmd' | 'fixed';
  readonly port: number;
  /** This node's host (127.0.0.1: erl_epmd registers there). */
  readonly own: EpmdAnswer;
  /** Each discovered peer address. */
  readonly peers: readonly { readonly address: string; readonly answer: EpmdAnswer }[];
  readonly cookie: CookieFact;
}

/** The A/AAAA query of the pod-ip scheme: `addressQuery`, else the SRV query without its `_port._proto.` labels. */
export function addressQueryOf(inputs: DoctorInputs): string {
  return inputs.addressQuery ?? stripDot(inputs.service).split('.').slice(2).join('.');
}

/** The FQDN, when `hostname -f` gave one. */
export function fqdnOf(facts: DoctorFacts): string | undefined {
  return 'fqdn' in facts.own ? facts.own.fqdn : undefined;
}

/** The SRV answer, when there was one. */
export function srvOf(facts: DoctorFacts): SrvResolution | undefined {
  return 'answer' in facts.srv ? facts.srv.answer : undefined;
}

function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.push(a.address);
  }
  return out;
}

/**
 * The FQDN's A and AAAA records from DNS only (never /etc/hosts), so IPv6-only and dual-stack pods are checked too.
 * Rejects with the A lookup's error when neither answers, unless that is only NODATA and AAAA failed otherwise.
 */
async function resolveAddresses(
  resolver: Resolver,
  fqdn: string,
): Promise<{ addresses: string[]; server: string }> {
  const [a, aaaa] = await Promise.allSettled([
    resolver.resolve(`${fqdn}.`, 'A'),
    resolver.resolve(`${fqdn}.`, 'AAAA'),
  ]);
  const answered = [a, aaaa].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (answered.length === 0) {
    const aError = (a as PromiseRejectedResult).reason;
    const aaaaError = (aaaa as PromiseRejectedResult).reason;
    throw isKindredError(aError, DNS_ERRORS.DNS_NODATA) ? aaaaError : aError;
  }
  const addresses = answered.flatMap((res) =>
    res.answers.flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [r.data] : [])),
  );
  return { addresses, server: answered[0]!.server };
}

/** Gathers every fact the checks read: own name, the FQDN's DNS answer, the SRV answer, this pod's addresses. */
export async function gatherFacts(inputs: DoctorInputs): Promise<DoctorFacts> {
  const query = parseServiceQuery(inputs.service);
  const hostname = inputs.hostname ?? osHostname();
  const hostsPath = inputs.hostsPath ?? NODE_IDENTITY_DEFAULTS.hostsPath;
  const resolvConfPath = inputs.resolvConfPath ?? NODE_IDENTITY_DEFAULTS.resolvConfPath;
  const resolver = new Resolver({
    hostsPath,
    resolvConfPath,
    hostname,
    ...(inputs.nameservers === undefined ? {} : { nameservers: inputs.nameservers }),
  });
  const mine = inputs.localAddresses ?? localAddresses();
  const naming = inputs.naming ?? 'fqdn';
  // What both checklists' facts hold.
  const asked = { inputs, query, hostname, resolver, mine, naming };
  if (naming === 'pod-ip') {
    // The seed's SRV and FQDN facts play no part: nodes are named and found by address.
    const aQuery = addressQueryOf(inputs);
    let aRecords: DoctorFacts['aRecords'];
    try {
      const found = await resolver.lookupHost(aQuery);
      aRecords = { query: aQuery, addresses: found.addresses };
    } catch (error) {
      aRecords = { error };
    }
    return {
      ...asked,
      own: { error: new Error('not asked under the pod-ip scheme') },
      srv: { error: new Error('not asked under the pod-ip scheme') },
      peers: [],
      aRecords,
    };
  }

  let own: DoctorFacts['own'];
  try {
    // An empty environment: the check is about what `hostname -f` prints, not about KINDRED_NODE_NAME overrides.
    const r = await resolveOwnName({
      name: inputs.name,
      env: {},
      hostname,
      hostsPath,
      resolvConfPath,
      resolver,
    });
    own = { fqdn: r.host, node: r.node, detail: r.detail };
  } catch (error) {
    own = { error };
  }
  let srv: DoctorFacts['srv'];
  try {
    srv = { answer: await resolver.resolveSrv(inputs.service) };
  } catch (error) {
    srv = { error };
  }
  const fqdn = 'fqdn' in own ? own.fqdn : undefined;
  let fqdnDns: DoctorFacts['fqdnDns'];
  if (fqdn !== undefined) {
    try {
      fqdnDns = await resolveAddresses(resolver, fqdn);
    } catch (error) {
      fqdnDns = { error };
    }
  }
  const targets = 'answer' in srv ? srv.answer.targets : [];
  const dashedSelf = targets.find(
    (t) => isDashedIpTarget(t.target) && t.addresses.some((a) => mine.includes(a)),
  );
  const ownTarget = targets.find((t) => fqdn !== undefined && sameName(t.target, fqdn));
  const peers = targets.filter(
    (t) => !(fqdn !== undefined && sameName(t.target, fqdn)) && !t.addresses.some((a) => mine.includes(a)),
  );
  return {
    ...asked,
    own,
    srv,
    peers,
    ...(fqdnDns === undefined ? {} : { fqdnDns }),
    ...(dashedSelf === undefined ? {} : { dashedSelf }),
    ...(ownTarget === undefined ? {} : { ownTarget }),
  };
}
