import { isIpLiteral, NODE_IDENTITY_ENV } from '@kindred/node-identity';
import {
  check,
  type DoctorAction,
  type DoctorCheck,
  describeError,
  notChecked,
  peersCheck,
} from './checks.js';
import { peerAddresses } from './erlang-facts.js';
import { addressQueryOf, type DoctorFacts } from './facts.js';
import { dnsDownHint, hintPodIpAddress, hintPodIpRecords, hintSchemePodIpButSrv } from './hints.js';
import { pingPeers } from './peers.js';

/** The pod's IP the node is named by, when it is one of this pod's addresses. */
function podIpOf(f: DoctorFacts): string | undefined {
  const ip = f.inputs.podIp;
  return ip !== undefined && isIpLiteral(ip) && f.mine.includes(ip) ? ip : undefined;
}

/** The node is `name@<pod IP>`, and that IP is this pod's (POD_IP from the downward API, not a stale value). */
function checkPodIp(f: DoctorFacts): DoctorCheck {
  const ip = f.inputs.podIp;
  if (ip === undefined || !isIpLiteral(ip)) {
    return check(
      'pod-ip',
      false,
      `no pod IP to name this node by (${NODE_IDENTITY_ENV.podIp}=${JSON.stringify(ip ?? '')})`,
      hintPodIpAddress(),
    );
  }
  if (!f.mine.includes(ip)) {
    return check(
      'pod-ip',
      false,
      `this node would be ${f.inputs.name}@${ip}, but this pod's addresses are ${f.mine.join(', ') || 'unknown'}`,
      hintPodIpAddress(),
    );
  }
  if (f.inputs.discovery === 'dns-srv') {
    return check(
      'pod-ip',
      false,
      `this node is ${f.inputs.name}@${ip}, but discovery reads SRV targets (pod FQDNs)`,
      hintSchemePodIpButSrv(f.inputs.name, addressQueryOf(f.inputs)),
    );
  }
  return check('pod-ip', true, `this node is ${f.inputs.name}@${ip}, this pod's address`);
}

/** The headless Service's A/AAAA records list this pod's IP: peers dial the name it has. */
function checkARecords(f: DoctorFacts): DoctorCheck {
  const records = f.aRecords;
  const svc = addressQueryOf(f.inputs);
  if (records === undefined) return notChecked('a-records', 'the pod-ip scheme', hintPodIpRecords(svc));
  if ('error' in records) {
    return check(
      'a-records',
      false,
      `no address records for ${svc}: ${describeError(records.error)}`,
      dnsDownHint(records.error) ?? hintPodIpRecords(svc),
    );
  }
  const ip = podIpOf(f);
  if (ip === undefined) return notChecked('a-records', "this pod's IP: see pod-ip", hintPodIpAddress());
  const listed = records.addresses.includes(ip);
  return check(
    'a-records',
    listed,
    `${records.query} resolves to ${records.addresses.join(', ') || 'nothing'}${listed ? `, this pod's ${ip} among them` : `; not this pod's ${ip}`}`,
    hintPodIpRecords(svc),
  );
}

/** Every other address of the headless Service answers a ping as `name@<address>`. */
async function checkPodIpPeers(f: DoctorFacts): Promise<DoctorCheck> {
  const records = f.aRecords;
  if (records === undefined || 'error' in records) {
    return notChecked('peers', 'address records: see a-records', 'fix the checks above first');
  }
  const others = peerAddresses(f).sort();
  if (others.length === 0) return check('peers', true, 'no other peer discovered (a cluster of one)');
  // A records carry no port: replicas listen on the same one, so peers are dialed on this node's.
  const peers = others.map((address) => ({
    node: `${f.inputs.name}@${address}`,
    address,
    port: f.inputs.port,
  }));
  return peersCheck(await pingPeers(f, peers, f.inputs.podIp ?? f.hostname));
}

/**
 * The checklist of a node named by pod IP (`KINDRED_HOST=$(POD_IP)` or `KINDRED_NAMING=pod-ip`, discovered by the
 * headless Service's A records, as libcluster's Kubernetes.DNS and dns_cluster do): none of the seed's FQDN and SRV
 * checks apply, since no name is looked up but the Service's.
 */
export const POD_IP_CHECKS: readonly DoctorAction[] = Object.freeze([
  {
    id: 'pod-ip',
    title: "the node is named by this pod's IP (POD_IP from the downward API)",
    run: checkPodIp,
  },
  { id: 'a-records', title: "the headless Service's A/AAAA records list this pod's IP", run: checkARecords },
  {
    id: 'peers',
    title: "every other address of the Service answers a ping as name@<address> on this node's port",
    run: checkPodIpPeers,
  },
]);
