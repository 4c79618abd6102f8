import { randomBytes } from 'node:crypto';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import { isDashedIpTarget } from '@kindred/discovery';
import {
  DNS_ERROR_CODES,
  isKindredError,
  KindredError,
  Resolver,
  type SrvResolution,
  sameName,
  stripDot,
} from '@kindred/dns';
import { isValidNamePart, loadCookie, NODE_IDENTITY_DEFAULTS, resolveOwnName } from '@kindred/node-identity';
import { createTransport } from '@kindred/transport';
import {
  CLI_ERROR_CODES,
  type Command,
  type CommandIO,
  EXIT,
  parseCommandArgs,
  printJson,
  UsageError,
} from '../command.js';
import { CLI_DEFAULTS } from '../defaults.js';

/** Defaults of `kindred doctor` (see {@link CLI_DEFAULTS}). */
export const DOCTOR_DEFAULTS = CLI_DEFAULTS.doctor;

/** One line of the checklist. */
export interface DoctorCheck {
  /** Stable id: fqdn, fqdn-dns, subdomain, srv-self, srv-port, peers. */
  readonly id: string;
  readonly ok: boolean;
  /** What the check saw. */
  readonly detail: string;
  /** What to do when it failed (empty when ok). */
  readonly hint: string;
}

/** The doctor's answer: `ok` only when every check passed. */
export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: DoctorCheck[];
}

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
  /** How peers are pinged; default a hidden kindred transport connecting to each. */
  readonly ping?: (node: string, address: string, port: number, cookie: string) => Promise<PingResult>;
}

const HINT_SUBDOMAIN = (svc: string) =>
  `set spec.template.spec.subdomain: ${svc} (the headless Service's name) in the Deployment, not spec.hostname: ` +
  "kubelet then writes '<pod-ip> <pod>." +
  `${svc}.<namespace>.svc.cluster.local <pod>' in /etc/hosts`;

const COREFILE_EDIT = [
  'kubectl -n kube-system edit configmap coredns',
  '  # inside the kubernetes block, add one line:',
  '  kubernetes cluster.local in-addr.arpa ip6.arpa {',
  '     pods insecure',
  '     fallthrough in-addr.arpa ip6.arpa',
  '     ttl 30',
  '     endpoint_pod_names',
  '  }',
  'kubectl -n kube-system rollout restart deployment/coredns',
  '(or run deploy/coredns/patch-coredns.sh, which makes the same edit idempotently)',
].join('\n');

const DNS_DOWN_CODES: ReadonlySet<string> = new Set([
  DNS_ERROR_CODES.TIMEOUT,
  DNS_ERROR_CODES.SERVFAIL,
  DNS_ERROR_CODES.REFUSED,
]);

/** The hint when the cluster DNS itself does not answer, rather than not knowing a name. */
function dnsDownHint(err: unknown): string | undefined {
  if (!isKindredError(err) || !DNS_DOWN_CODES.has(err.code)) return undefined;
  return (
    'the cluster DNS did not answer: check CoreDNS (kubectl -n kube-system get pods -l k8s-app=kube-dns; kubectl ' +
    '-n kube-system logs deploy/coredns) and the nameserver in /etc/resolv.conf; SERVFAIL right after a start means ' +
    'CoreDNS has not synced with the API yet'
  );
}

function describeError(err: unknown): string {
  if (isKindredError(err)) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** The service part of an SRV query `_port._proto.<svc>[.<ns>.svc.<zone>]`, and the port name. */
export function parseServiceQuery(query: string): {
  portName: string;
  protocol: string;
  service: string;
  namespace?: string;
} {
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

function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.push(a.address);
  }
  return out;
}

/** Pings `node` at `address:port` with a hidden, short-lived transport: pong when the handshake completes. */
async function transportPing(
  self: string,
  node: string,
  address: string,
  port: number,
  cookie: string,
): Promise<PingResult> {
  const transport = createTransport({ self: { node: self }, cookie, port: 0, hidden: true, host: '::' });
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new KindredError(
              CLI_ERROR_CODES.DOCTOR_PING_TIMEOUT,
              `no answer in ${DOCTOR_DEFAULTS.pingTimeoutMs} ms`,
            ),
          ),
        DOCTOR_DEFAULTS.pingTimeoutMs,
      );
    });
    try {
      await Promise.race([transport.connect(node, { address, port }), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: describeError(err) };
  } finally {
    await transport.close().catch(() => {});
  }
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
    throw isKindredError(aError, DNS_ERROR_CODES.NODATA) ? aaaaError : aError;
  }
  const addresses = answered.flatMap((res) =>
    res.answers.flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [r.data] : [])),
  );
  return { addresses, server: answered[0]!.server };
}

function check(id: string, ok: boolean, detail: string, hint = ''): DoctorCheck {
  return { id, ok, detail, hint: ok ? '' : hint };
}

/**
 * Runs the seed's checklist from inside a pod: `hostname -f` is an FQDN; that FQDN resolves through DNS (not only
 * /etc/hosts) to this pod's address; the subdomain equals the service; the SRV targets include this node's FQDN;
 * the SRV port equals the listen port; each discovered peer answers a ping. Never throws for a failed check: each
 * becomes a line with what was seen and what to do.
 */
export async function runDoctor(inputs: DoctorInputs): Promise<DoctorReport> {
  const query = parseServiceQuery(inputs.service);
  // Bad inputs are the caller's mistake, not a failed check: a UsageError (exit 2) naming the option.
  if (!isValidNamePart(inputs.name)) {
    throw new UsageError(
      `--name (or KINDRED_NAME) must be a node name base of letters, digits, '_' and '-', got ${JSON.stringify(inputs.name)}`,
    );
  }
  if (!Number.isInteger(inputs.port) || inputs.port < 1 || inputs.port > 65_535) {
    throw new UsageError(
      `--port (or KINDRED_PORT) must be a port number 1-65535, got ${String(inputs.port)}`,
    );
  }
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
  const checks: DoctorCheck[] = [];

  // 1. hostname -f is an FQDN (the name Erlang's -name, and kindred, take as this node's host).
  let fqdn: string | undefined;
  try {
    // An empty environment: the check is about what `hostname -f` prints, not about KINDRED_NODE_NAME overrides.
    const own = await resolveOwnName({
      name: inputs.name,
      env: {},
      hostname,
      hostsPath,
      resolvConfPath,
      resolver,
    });
    fqdn = own.host;
    checks.push(check('fqdn', true, `hostname -f: ${fqdn} (${own.detail}); this node is ${own.node}`));
  } catch (err) {
    checks.push(
      check(
        'fqdn',
        false,
        `hostname ${JSON.stringify(hostname)} has no FQDN: ${describeError(err)}`,
        HINT_SUBDOMAIN(query.service),
      ),
    );
  }

  // The SRV answer, asked once: checks 2 to 6 read it.
  let srv: SrvResolution | undefined;
  let srvError: unknown;
  try {
    srv = await resolver.resolveSrv(inputs.service);
  } catch (err) {
    srvError = err;
  }
  // CoreDNS without endpoint_pod_names names this pod by its dashed IP: its FQDN is then unknown to DNS.
  const dashedSelf = srv?.targets.find(
    (t) => isDashedIpTarget(t.target) && t.addresses.some((a) => mine.includes(a)),
  );

  // 2. The FQDN resolves through DNS, not only through /etc/hosts, to this pod's address: peers have only DNS.
  if (fqdn === undefined) {
    checks.push(check('fqdn-dns', false, 'not checked: no FQDN (see fqdn)', HINT_SUBDOMAIN(query.service)));
  } else {
    try {
      const res = await resolveAddresses(resolver, fqdn);
      const addresses = res.addresses;
      const hit = addresses.filter((a) => mine.includes(a));
      checks.push(
        hit.length > 0
          ? check(
              'fqdn-dns',
              true,
              `DNS (${res.server}) resolves ${fqdn} to ${addresses.join(', ')}, this pod's address`,
            )
          : check(
              'fqdn-dns',
              false,
              `DNS resolves ${fqdn} to ${addresses.join(', ')}, but this pod's addresses are ${mine.join(', ') || 'unknown'}`,
              'a stale record or a name collision: check that no other pod or Service uses this name, and that ' +
                'CoreDNS serves the current endpoints (kubectl get endpointslices)',
            ),
      );
    } catch (err) {
      checks.push(
        check(
          'fqdn-dns',
          false,
          `DNS does not resolve ${fqdn} (only /etc/hosts knows it): ${describeError(err)}`,
          dnsDownHint(err) ??
            (dashedSelf !== undefined
              ? `DNS knows this pod only as ${dashedSelf.target}: enable CoreDNS's endpoint_pod_names (see srv-self)`
              : `create the headless Service ${query.service} (clusterIP: None) selecting this pod's labels, in this pod's ` +
                `namespace, and set the pod's subdomain to ${query.service}; CoreDNS publishes only ready pods unless ` +
                'the Service sets publishNotReadyAddresses: true'),
        ),
      );
    }
  }

  // 3. The subdomain equals the service: the FQDN is <pod>.<subdomain>.<ns>.svc.<zone>.
  if (fqdn === undefined) {
    checks.push(check('subdomain', false, 'not checked: no FQDN (see fqdn)', HINT_SUBDOMAIN(query.service)));
  } else {
    const labels = fqdn.split('.');
    const subdomain = labels[1];
    const namespace = labels[2];
    const srvNamespace = srv === undefined ? query.namespace : parseServiceQuery(srv.fqdn).namespace;
    if (subdomain !== query.service) {
      checks.push(
        check(
          'subdomain',
          false,
          `this pod's subdomain is ${JSON.stringify(subdomain ?? '')} (from ${fqdn}), the service is ${query.service}`,
          HINT_SUBDOMAIN(query.service),
        ),
      );
    } else if (srvNamespace !== undefined && namespace !== srvNamespace) {
      checks.push(
        check(
          'subdomain',
          false,
          `this pod is in namespace ${namespace}, the service answered from ${srvNamespace}`,
          `run the headless Service ${query.service} in the pod's namespace (${namespace})`,
        ),
      );
    } else {
      checks.push(check('subdomain', true, `subdomain ${subdomain} equals the service ${query.service}`));
    }
  }

  // 4. The SRV targets include this node's FQDN (CoreDNS's endpoint_pod_names), so peers dial the name it has.
  const own = srv?.targets.find((t) => fqdn !== undefined && sameName(t.target, fqdn));
  if (srv === undefined) {
    checks.push(
      check(
        'srv-self',
        false,
        `no SRV records for ${inputs.service}: ${describeError(srvError)}`,
        dnsDownHint(srvError) ??
          `the headless Service ${query.service} needs a port named ${query.portName} (protocol ` +
            `${query.protocol.toUpperCase()}) and at least one endpoint; with publishNotReadyAddresses: false only ` +
            'ready pods are published',
      ),
    );
  } else {
    const targets = srv.targets.map((t) => t.target);
    if (own !== undefined) {
      checks.push(
        check(
          'srv-self',
          true,
          `${srv.fqdn} lists ${targets.length} target(s), this node's ${fqdn} among them`,
        ),
      );
    } else {
      const dashed = targets.some(isDashedIpTarget);
      checks.push(
        check(
          'srv-self',
          false,
          `${srv.fqdn} lists ${targets.join(', ') || 'no targets'}; none is this node's ${fqdn ?? '(unknown FQDN)'}`,
          dashed
            ? `the targets are dashed-IP names: enable CoreDNS's endpoint_pod_names so they are pod names:\n${COREFILE_EDIT}`
            : HINT_SUBDOMAIN(query.service),
        ),
      );
    }
  }

  // 5. The SRV port equals the port this node listens on.
  if (srv === undefined) {
    checks.push(
      check(
        'srv-port',
        false,
        'not checked: no SRV records (see srv-self)',
        `name the port ${query.portName}`,
      ),
    );
  } else {
    const ports = [...new Set((own === undefined ? srv.targets : [own]).map((t) => t.port))];
    const ok = ports.length > 0 && ports.every((p) => p === inputs.port);
    checks.push(
      check(
        'srv-port',
        ok,
        `SRV port ${ports.join(', ') || 'none'}${own === undefined ? ' (all targets)' : ' (this node)'}, listen port ${inputs.port}`,
        `make the headless Service's port named ${query.portName} and the container port named ${query.portName} ` +
          `both ${inputs.port}, or set KINDRED_PORT to the Service's port`,
      ),
    );
  }

  // 6. Each discovered peer answers a ping.
  // Every target but this pod (by name, or by address when CoreDNS names it by its dashed IP).
  const peers = (srv?.targets ?? []).filter(
    (t) => !(fqdn !== undefined && sameName(t.target, fqdn)) && !t.addresses.some((a) => mine.includes(a)),
  );
  if (srv === undefined) {
    checks.push(
      check('peers', false, 'not checked: no SRV records (see srv-self)', 'fix the checks above first'),
    );
  } else if (peers.length === 0) {
    checks.push(check('peers', true, 'no other peer discovered (a cluster of one)'));
  } else {
    let cookie = inputs.cookie;
    if (cookie === undefined) {
      try {
        const loaded = await loadCookie({
          env: inputs.env ?? process.env,
          ...(inputs.home === undefined ? {} : { home: inputs.home }),
        });
        cookie = loaded.cookie;
      } catch (err) {
        checks.push(
          check(
            'peers',
            false,
            `no cookie to ping peers with: ${describeError(err)}`,
            'pass --cookie or set KINDRED_COOKIE',
          ),
        );
      }
    }
    if (cookie !== undefined) {
      const self = `doctor-${randomBytes(3).toString('hex')}@${fqdn ?? hostname}`;
      const ping =
        inputs.ping ??
        ((node: string, address: string, port: number, c: string) =>
          transportPing(self, node, address, port, c));
      const results = await Promise.all(
        peers.map(async (t) => {
          const node = `${inputs.name}@${stripDot(t.target)}`;
          const address = t.addresses[0];
          if (address === undefined)
            return { node, result: { ok: false, reason: `${t.target} has no address` } as PingResult };
          return { node, result: await ping(node, address, t.port, cookie) };
        }),
      );
      const failed = results.filter((r) => !r.result.ok);
      checks.push(
        check(
          'peers',
          failed.length === 0,
          failed.length === 0
            ? `${results.length}/${results.length} peers answered: ${results.map((r) => r.node).join(', ')}`
            : `${results.length - failed.length}/${results.length} peers answered; no answer from ${failed
                .map((r) => `${r.node} (${r.result.ok ? '' : r.result.reason})`)
                .join(', ')}`,
          'a bad_cookie reason: every replica needs the same KINDRED_COOKIE (one Secret); name_mismatch: the peer ' +
            'runs under another name than its SRV target (see srv-self); a timeout: the peer is not listening on the ' +
            "SRV port or a NetworkPolicy blocks it; host_unresolved: the peer cannot resolve this node's FQDN to its " +
            'address (see fqdn-dns)',
        ),
      );
    }
  }

  return { ok: checks.every((c) => c.ok), checks };
}

const HELP = `Usage: kindred doctor [--service QUERY] [--name BASE] [--port N] [--cookie C] [--json]

Runs the seed's checklist inside a pod and says, for each check, what it saw and what to do:
  fqdn       hostname -f is a fully qualified name (the pod's subdomain is set)
  fqdn-dns   that name resolves through DNS, not only /etc/hosts, to this pod's address
  subdomain  the pod's subdomain equals the headless Service's name
  srv-self   the SRV targets include this node's FQDN (CoreDNS endpoint_pod_names; the exact Corefile edit if not)
  srv-port   the SRV port equals the port this node listens on
  peers      every other SRV target answers a kindred ping (with the reason when it does not)

Options:
  --service QUERY     SRV name to check (default: KINDRED_DISCOVERY's dns-srv query, else
                      ${DOCTOR_DEFAULTS.service})
  --name BASE         node name base (default: KINDRED_NAME, else ${DOCTOR_DEFAULTS.name})
  --port N            the port this node listens on (default: KINDRED_PORT, else ${DOCTOR_DEFAULTS.port})
  --cookie C          cookie for pinging peers (default: KINDRED_COOKIE, else the cookie file)
  --json              print {"ok": bool, "checks": [{"id","ok","detail","hint"}]}
  For testing outside a pod:
  --hostname NAME     use NAME as gethostname()
  --hosts-file PATH   instead of /etc/hosts
  --resolv-conf PATH  instead of /etc/resolv.conf
  --nameserver A:P    ask this DNS server (repeatable)

Exit codes: 0 every check passed, 1 a check failed, 2 usage error.
`;

function portOption(raw: string | undefined, from: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65_535)
    throw new UsageError(`${from} must be a port number 1-65535, got '${raw}'`);
  return n;
}

/** `kindred doctor`. */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: "check this pod's name, DNS, SRV records and peers against the seed's checklist",
  help: HELP,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values } = parseCommandArgs(argv, {
      service: { type: 'string' },
      name: { type: 'string' },
      port: { type: 'string' },
      cookie: { type: 'string' },
      json: { type: 'boolean', default: false },
      hostname: { type: 'string' },
      'hosts-file': { type: 'string' },
      'resolv-conf': { type: 'string' },
      nameserver: { type: 'string', multiple: true },
    });
    const discovery = io.env.KINDRED_DISCOVERY ?? '';
    const service =
      values.service ??
      (discovery.startsWith('dns-srv:') ? discovery.slice('dns-srv:'.length) : DOCTOR_DEFAULTS.service);
    const report = await runDoctor({
      service,
      name: values.name ?? (io.env.KINDRED_NAME || DOCTOR_DEFAULTS.name),
      port:
        portOption(values.port, '--port') ??
        portOption(io.env.KINDRED_PORT, 'KINDRED_PORT') ??
        DOCTOR_DEFAULTS.port,
      env: io.env,
      ...(values.cookie === undefined ? {} : { cookie: values.cookie }),
      ...(values.hostname === undefined ? {} : { hostname: values.hostname }),
      ...(values['hosts-file'] === undefined ? {} : { hostsPath: values['hosts-file'] }),
      ...(values['resolv-conf'] === undefined ? {} : { resolvConfPath: values['resolv-conf'] }),
      ...(values.nameserver === undefined ? {} : { nameservers: values.nameserver }),
    });
    if (values.json) {
      printJson(io, report);
    } else {
      for (const c of report.checks) {
        io.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.id.padEnd(9)} ${c.detail}\n`);
        if (!c.ok) io.stdout.write(`${c.hint.replace(/^/gm, '       -> ')}\n`);
      }
      io.stdout.write(
        report.ok
          ? 'all checks passed\n'
          : `${report.checks.filter((c) => !c.ok).length} check(s) failed: fix the first one first, then run kindred doctor again\n`,
      );
    }
    return report.ok ? EXIT.OK : EXIT.FAILED;
  },
};
