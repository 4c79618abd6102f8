import { isDashedIpTarget } from '@kindred/discovery';
import { check, type DoctorAction, type DoctorCheck, describeError, notChecked } from './checks.js';
import { addressQueryOf, type DoctorFacts, type EpmdAnswer, type ErlangFacts, srvOf } from './facts.js';
import {
  hintBasename,
  hintCookie,
  hintEpmdLess,
  hintOwnEpmd,
  hintPeerEpmd,
  hintSchemeFqdnButA,
  hintSchemePodIpButSrv,
  hintSrvDashed,
} from './hints.js';

const NEEDS_ERLANG = 'the Erlang facts (--erlang)';

function erlangOf(f: DoctorFacts): ErlangFacts | undefined {
  return f.erlang;
}

function namesOf(answer: EpmdAnswer): readonly string[] | undefined {
  return 'names' in answer ? answer.names.map((n) => n.name) : undefined;
}

/**
 * EPMD answers on this node's host and lists the node, and every peer's EPMD answers (Erlang nodes ask the peer
 * host's EPMD for the port: `port_please`); epmd-less, this node and every peer listen on the agreed port.
 */
function checkEpmd(f: DoctorFacts): DoctorCheck {
  const erl = erlangOf(f);
  if (erl === undefined) return notChecked('epmd', NEEDS_ERLANG, 'run kindred doctor --erlang');
  const { name } = f.inputs;
  const silent = erl.peers.filter((p) => 'error' in p.answer);
  if (erl.mode === 'fixed') {
    if ('error' in erl.own) {
      return check(
        'epmd',
        false,
        `epmd-less on port ${erl.port}: nothing listens there on this host: ${describeError(erl.own.error)}`,
        hintEpmdLess(erl.port),
      );
    }
    return check(
      'epmd',
      silent.length === 0,
      `epmd-less on port ${erl.port}: this node listens there` +
        (silent.length === 0
          ? `, and so do ${erl.peers.length} peer(s)`
          : `; nothing listens on ${silent.map((p) => `${p.address}:${erl.port}`).join(', ')}`),
      hintEpmdLess(erl.port),
    );
  }
  if ('error' in erl.own) {
    return check(
      'epmd',
      false,
      `nothing answers EPMD on this host's port ${erl.port}: ${describeError(erl.own.error)}`,
      hintOwnEpmd(name, erl.port),
    );
  }
  const own = namesOf(erl.own) ?? [];
  if (!own.includes(name)) {
    return check(
      'epmd',
      false,
      `EPMD on port ${erl.port} answers but lists ${own.join(', ') || 'no node'}, not ${name}`,
      hintOwnEpmd(name, erl.port),
    );
  }
  if (silent.length > 0) {
    return check(
      'epmd',
      false,
      `EPMD on this host lists ${name}; no EPMD answer from ${silent
        .map((p) => `${p.address}:${erl.port} (${describeError('error' in p.answer ? p.answer.error : '')})`)
        .join(', ')}`,
      hintPeerEpmd(erl.port),
    );
  }
  return check(
    'epmd',
    true,
    `EPMD on port ${erl.port} lists ${name} on this host, and answers on ${erl.peers.length} peer(s)`,
  );
}

/** The cookie has a source, and the Erlang side's (RELEASE_COOKIE, when this pod has it) is the same. */
function checkCookie(f: DoctorFacts): DoctorCheck {
  const erl = erlangOf(f);
  if (erl === undefined) return notChecked('cookie', NEEDS_ERLANG, 'run kindred doctor --erlang');
  const c = erl.cookie;
  if ('error' in c) {
    return check('cookie', false, `no cookie: ${describeError(c.error)}`, hintCookie());
  }
  const release = (f.inputs.env ?? process.env).RELEASE_COOKIE;
  if (release !== undefined && release !== '' && release !== c.cookie) {
    return check(
      'cookie',
      false,
      `the cookie from ${c.source} (${c.detail}) differs from RELEASE_COOKIE, the Elixir release's`,
      hintCookie(),
    );
  }
  return check(
    'cookie',
    true,
    `from ${c.source} (${c.detail})${release ? ', the same as RELEASE_COOKIE' : ''}; the Erlang side must use the same (a bad_cookie pang in peers says it does not)`,
  );
}

/** What discovery yields and who dials it, against the node's naming scheme. */
function schemeVersusDiscovery(f: DoctorFacts): { ok: boolean; detail: string; hint: string } {
  const { name } = f.inputs;
  const discovery = f.inputs.discovery ?? (f.naming === 'pod-ip' ? 'dns-a' : 'dns-srv');
  const svc = addressQueryOf(f.inputs);
  if (discovery === 'static') {
    return { ok: true, detail: 'static peers: the names are the ones listed', hint: '' };
  }
  if (f.naming === 'fqdn' && discovery === 'dns-a') {
    return {
      ok: false,
      detail: `this node is ${name}@<pod FQDN>, but discovery reads A records (pod IPs)`,
      hint: hintSchemeFqdnButA(name, svc),
    };
  }
  if (f.naming === 'pod-ip' && discovery === 'dns-srv') {
    return {
      ok: false,
      detail: `this node is ${name}@${f.inputs.podIp ?? '<pod IP>'}, but discovery reads SRV targets (pod FQDNs)`,
      hint: hintSchemePodIpButSrv(name, svc),
    };
  }
  if (f.naming === 'pod-ip') {
    return {
      ok: true,
      detail: `named ${name}@<pod IP> and found by A records, as libcluster's Kubernetes.DNS and dns_cluster name and find nodes`,
      hint: '',
    };
  }
  const targets = srvOf(f)?.targets ?? [];
  const dashed = targets.filter((t) => isDashedIpTarget(t.target));
  if (dashed.length > 0) {
    return {
      ok: false,
      detail: `the SRV targets are dashed IPs (${dashed.map((t) => t.target).join(', ')}): libcluster's Kubernetes.DNSSRV would dial ${name}@${dashed[0]?.target}, a name no node has`,
      hint: hintSrvDashed(svc),
    };
  }
  return {
    ok: true,
    detail: `named ${name}@<pod FQDN> and found by SRV targets, as libcluster's Kubernetes.DNSSRV names and finds nodes`,
    hint: '',
  };
}

/** The basename: the Erlang side's (given, or registered with the peers' EPMDs) equals this node's. */
function basenameMismatch(f: DoctorFacts, erl: ErlangFacts): { detail: string; hint: string } | undefined {
  const { name } = f.inputs;
  const given = f.inputs.erlang?.basename;
  if (given !== undefined && given !== name) {
    return {
      detail: `this node's basename is ${name}, the Erlang side's is ${given} (${f.inputs.erlang?.basenameFrom ?? '--erlang-basename'})`,
      hint: hintBasename(name, given),
    };
  }
  const others = erl.peers.flatMap((p) => {
    const names = namesOf(p.answer);
    return names !== undefined && names.length > 0 && !names.includes(name)
      ? [{ address: p.address, names }]
      : [];
  });
  if (others.length === 0) return undefined;
  const theirs = others[0]?.names[0] as string;
  return {
    detail: `this node's basename is ${name}, but ${others
      .map((o) => `${o.address}'s EPMD lists ${o.names.join(', ')}`)
      .join('; ')}: Erlang nodes dial ${theirs}@<host>, and dns_cluster joins only its own basename`,
    hint: hintBasename(name, theirs),
  };
}

/**
 * The naming scheme matches what discovery yields (SRV targets are pod FQDNs, A records pod IPs) and the basename
 * matches the Erlang side's: Erlang dials the exact name, libcluster `<application_name>@<host>`.
 */
function checkNaming(f: DoctorFacts): DoctorCheck {
  const erl = erlangOf(f);
  if (erl === undefined) return notChecked('naming', NEEDS_ERLANG, 'run kindred doctor --erlang');
  const scheme = schemeVersusDiscovery(f);
  if (!scheme.ok) return check('naming', false, scheme.detail, scheme.hint);
  const basename = basenameMismatch(f, erl);
  if (basename !== undefined) return check('naming', false, basename.detail, basename.hint);
  const from =
    f.inputs.erlang?.basename !== undefined
      ? `the Erlang side's too (${f.inputs.erlang.basenameFrom ?? '--erlang-basename'})`
      : erl.mode === 'epmd' && erl.peers.some((p) => 'names' in p.answer)
        ? "every peer's EPMD lists it"
        : 'no other basename known (pass --erlang-basename or set RELEASE_NAME to check it)';
  return check('naming', true, `${scheme.detail}; basename ${f.inputs.name}: ${from}`);
}

/** The Erlang side's checks, run after the naming scheme's own with `--erlang` (KINDRED_DISTRIBUTION=erlang). */
export const ERLANG_CHECKS: readonly DoctorAction[] = Object.freeze([
  {
    id: 'epmd',
    title:
      'EPMD answers on this host and lists the node, and on every peer (or epmd-less: the agreed port listens)',
    run: checkEpmd,
  },
  {
    id: 'cookie',
    title: "where the cookie comes from, and that it is the Erlang side's (RELEASE_COOKIE)",
    run: checkCookie,
  },
  {
    id: 'naming',
    title: "the naming scheme matches what discovery yields, and the basename the Erlang side's",
    run: checkNaming,
  },
]);
