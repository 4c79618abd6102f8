import { isDashedIpTarget } from '@kindred/discovery';
import { isKindredError, stripDot } from '@kindred/dns';
import { type DoctorFacts, fqdnOf, parseServiceQuery, srvOf } from './facts.js';
import {
  COREFILE_EDIT,
  dnsDownHint,
  HINT_FQDN_ELSEWHERE,
  HINT_PEERS,
  hintFqdnUnknown,
  hintNoSrv,
  hintPodIpMode,
  hintPort,
  hintSubdomain,
} from './hints.js';
import { type PeersOutcome, type PeerToPing, pingPeers } from './peers.js';

/** One line of the checklist. */
export interface DoctorCheck {
  /** Stable id: fqdn, fqdn-dns, subdomain, srv-self, srv-port, peers. */
  readonly id: string;
  /** True when the check ran and passed; false when it failed or could not run (see {@link isNotChecked}). */
  readonly ok: boolean;
  /** What the check saw; `not checked (needs ...)` when it could not run. */
  readonly detail: string;
  /** What to do when it failed (empty when ok). */
  readonly hint: string;
}

/** The wording that starts the detail of a check that could not run. */
const NOT_CHECKED = 'not checked';

/** True for a check that could not run because what it needs is missing (rendered as `--`, not FAIL). */
export function isNotChecked(c: DoctorCheck): boolean {
  return !c.ok && c.detail.startsWith(NOT_CHECKED);
}

/** A check's line: `hint` is kept only when it failed. */
export function check(id: string, ok: boolean, detail: string, hint = ''): DoctorCheck {
  return { id, ok, detail, hint: ok ? '' : hint };
}

/** A check that could not run: `not checked (needs ...)`. */
export function notChecked(id: string, needs: string, hint: string): DoctorCheck {
  return check(id, false, `${NOT_CHECKED} (needs ${needs})`, hint);
}

/** An error as a check's detail shows it: the message and its code. */
export function describeError(err: unknown): string {
  if (isKindredError(err)) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** One entry of the checklist: a stable id, what it checks (for --help), and the check itself. */
export interface DoctorAction {
  readonly id: string;
  readonly title: string;
  readonly run: (facts: DoctorFacts) => DoctorCheck | Promise<DoctorCheck>;
}

/** hostname -f is an FQDN (the name Erlang's -name, and kindred, take as this node's host). */
function checkFqdn(f: DoctorFacts): DoctorCheck {
  if ('fqdn' in f.own)
    return check('fqdn', true, `hostname -f: ${f.own.fqdn} (${f.own.detail}); this node is ${f.own.node}`);
  return check(
    'fqdn',
    false,
    `hostname ${JSON.stringify(f.hostname)} has no FQDN: ${describeError(f.own.error)}`,
    hintSubdomain(f.query.service),
  );
}

/** The FQDN resolves through DNS, not only through /etc/hosts, to this pod's address: peers have only DNS. */
function checkFqdnDns(f: DoctorFacts): DoctorCheck {
  const fqdn = fqdnOf(f);
  if (fqdn === undefined || f.fqdnDns === undefined) {
    return notChecked('fqdn-dns', 'an FQDN: see fqdn', hintSubdomain(f.query.service));
  }
  if ('error' in f.fqdnDns) {
    const err = f.fqdnDns.error;
    return check(
      'fqdn-dns',
      false,
      `DNS does not resolve ${fqdn} (only /etc/hosts knows it): ${describeError(err)}`,
      dnsDownHint(err) ?? hintFqdnUnknown(f.query.service, f.dashedSelf?.target),
    );
  }
  const { addresses, server } = f.fqdnDns;
  if (addresses.some((a) => f.mine.includes(a))) {
    return check(
      'fqdn-dns',
      true,
      `DNS (${server}) resolves ${fqdn} to ${addresses.join(', ')}, this pod's address`,
    );
  }
  return check(
    'fqdn-dns',
    false,
    `DNS resolves ${fqdn} to ${addresses.join(', ')}, but this pod's addresses are ${f.mine.join(', ') || 'unknown'}`,
    HINT_FQDN_ELSEWHERE,
  );
}

/** The subdomain equals the service: the FQDN is <pod>.<subdomain>.<ns>.svc.<zone>. */
function checkSubdomain(f: DoctorFacts): DoctorCheck {
  const fqdn = fqdnOf(f);
  const svc = f.query.service;
  if (fqdn === undefined) return notChecked('subdomain', 'an FQDN: see fqdn', hintSubdomain(svc));
  const [, subdomain, namespace] = fqdn.split('.');
  const srv = srvOf(f);
  const srvNamespace = srv === undefined ? f.query.namespace : parseServiceQuery(srv.fqdn).namespace;
  if (subdomain !== svc) {
    return check(
      'subdomain',
      false,
      `this pod's subdomain is ${JSON.stringify(subdomain ?? '')} (from ${fqdn}), the service is ${svc}`,
      hintSubdomain(svc),
    );
  }
  if (srvNamespace !== undefined && namespace !== srvNamespace) {
    return check(
      'subdomain',
      false,
      `this pod is in namespace ${namespace}, the service answered from ${srvNamespace}`,
      `run the headless Service ${svc} in the pod's namespace (${namespace})`,
    );
  }
  return check('subdomain', true, `subdomain ${subdomain} equals the service ${svc}`);
}

/** The SRV targets include this node's FQDN (CoreDNS's endpoint_pod_names), so peers dial the name it has. */
function checkSrvSelf(f: DoctorFacts): DoctorCheck {
  const { query } = f;
  if ('error' in f.srv) {
    return check(
      'srv-self',
      false,
      `no SRV records for ${f.inputs.service}: ${describeError(f.srv.error)}`,
      dnsDownHint(f.srv.error) ?? hintNoSrv(query.service, query.portName, query.protocol),
    );
  }
  const srv = f.srv.answer;
  const fqdn = fqdnOf(f);
  const targets = srv.targets.map((t) => t.target);
  if (f.ownTarget !== undefined) {
    return check(
      'srv-self',
      true,
      `${srv.fqdn} lists ${targets.length} target(s), this node's ${fqdn} among them`,
    );
  }
  return check(
    'srv-self',
    false,
    `${srv.fqdn} lists ${targets.join(', ') || 'no targets'}; none is this node's ${fqdn ?? '(unknown FQDN)'}`,
    targets.some(isDashedIpTarget)
      ? `the targets are dashed-IP names: enable CoreDNS's endpoint_pod_names so they are pod names:\n${COREFILE_EDIT}\n${hintPodIpMode(query.service)}`
      : hintSubdomain(query.service),
  );
}

/** The SRV port equals the port this node listens on. */
function checkSrvPort(f: DoctorFacts): DoctorCheck {
  const srv = srvOf(f);
  const port = f.inputs.port;
  if (srv === undefined)
    return notChecked('srv-port', 'SRV records: see srv-self', `name the port ${f.query.portName}`);
  const own = f.ownTarget;
  const ports = [...new Set((own === undefined ? srv.targets : [own]).map((t) => t.port))];
  return check(
    'srv-port',
    ports.length > 0 && ports.every((p) => p === port),
    `SRV port ${ports.join(', ') || 'none'}${own === undefined ? ' (all targets)' : ' (this node)'}, listen port ${port}`,
    hintPort(f.query.portName, port),
  );
}

/** Each discovered peer answers a ping. */
async function checkPeers(f: DoctorFacts): Promise<DoctorCheck> {
  const { inputs } = f;
  const srv = srvOf(f);
  if (srv === undefined)
    return notChecked('peers', 'SRV records: see srv-self', 'fix the checks above first');
  if (f.peers.length === 0) return check('peers', true, 'no other peer discovered (a cluster of one)');
  const peers: PeerToPing[] = f.peers.map((t) => {
    const node = `${inputs.name}@${stripDot(t.target)}`;
    const address = t.addresses[0];
    if (address !== undefined) return { node, address, port: t.port };
    // The SRV lookup's deadline may have cut this target's own address lookup short (SrvResolution.partial).
    const cutShort = (srv.partial?.details?.unresolved as string[] | undefined)?.includes(
      t.target.toLowerCase(),
    );
    const why = cutShort ? ` (its address lookup was cut short: ${srv.partial?.code})` : '';
    return { node, address, port: t.port, noAddress: `${t.target} has no address${why}` };
  });
  return peersCheck(await pingPeers(f, peers, fqdnOf(f) ?? f.hostname));
}

/** The `peers` line from the pings' outcome (shared by the seed's and the pod-ip checklists). */
export function peersCheck(outcome: PeersOutcome): DoctorCheck {
  if (outcome.kind === 'no-cookie') {
    return check(
      'peers',
      false,
      `no cookie to ping peers with: ${describeError(outcome.error)}`,
      'pass --cookie-file PATH or set KINDRED_COOKIE',
    );
  }
  const { results } = outcome;
  const failed = results.filter((r) => !r.result.ok);
  return check(
    'peers',
    failed.length === 0,
    failed.length === 0
      ? `${results.length}/${results.length} peers answered: ${results.map((r) => r.node).join(', ')}`
      : `${results.length - failed.length}/${results.length} peers answered; no answer from ${failed
          .map((r) => `${r.node} (${r.result.ok ? '' : r.result.reason})`)
          .join(', ')}`,
    HINT_PEERS,
  );
}

/** The seed's checklist, in the order it is run and printed (npm doctor's `actions` table). */
export const DOCTOR_CHECKS: readonly DoctorAction[] = Object.freeze([
  { id: 'fqdn', title: "hostname -f is a fully qualified name (the pod's subdomain is set)", run: checkFqdn },
  {
    id: 'fqdn-dns',
    title: "that name resolves through DNS, not only /etc/hosts, to this pod's address",
    run: checkFqdnDns,
  },
  { id: 'subdomain', title: "the pod's subdomain equals the headless Service's name", run: checkSubdomain },
  {
    id: 'srv-self',
    title:
      "the SRV targets include this node's FQDN (CoreDNS endpoint_pod_names; the exact Corefile edit if not)",
    run: checkSrvSelf,
  },
  { id: 'srv-port', title: 'the SRV port equals the port this node listens on', run: checkSrvPort },
  {
    id: 'peers',
    title: 'every other SRV target answers a kindred ping (with the reason when it does not)',
    run: checkPeers,
  },
]);
