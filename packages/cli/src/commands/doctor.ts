import { epmdPortFromEnv } from '@kindred/beam';
import { type DiscoverySpec, parseDiscoverySpec } from '@kindred/discovery';
import { isKindredError } from '@kindred/dns';
import { isPort } from '@kindred/interface';
import {
  hostOverrideFromEnv,
  isIpLiteral,
  isValidNamePart,
  type NamingScheme,
  NODE_IDENTITY_ERRORS,
  parseNodeName,
  podIpFromEnv,
  releaseNameFromEnv,
} from '@kindred/node-identity';
import {
  type Command,
  type CommandIO,
  EnvError,
  EXIT,
  parseCommandArgs,
  parsePortArg,
  printJson,
  UsageError,
} from '../command.js';
import { COOKIE_OPTIONS, cookieChoice, cookieHelp } from '../cookie-options.js';
import { CLI_DEFAULTS } from '../defaults.js';
import { DOCTOR_CHECKS, type DoctorAction, type DoctorCheck, isNotChecked } from './doctor/checks.js';
import { ERLANG_CHECKS } from './doctor/erlang-checks.js';
import { gatherErlangFacts } from './doctor/erlang-facts.js';
import { type DoctorInputs, type ErlangInputs, gatherFacts } from './doctor/facts.js';
import { POD_IP_CHECKS } from './doctor/pod-ip-checks.js';

export { DOCTOR_CHECKS, type DoctorAction, type DoctorCheck, isNotChecked } from './doctor/checks.js';
export { ERLANG_CHECKS } from './doctor/erlang-checks.js';
export { type DoctorInputs, type ErlangInputs, type PingResult, parseServiceQuery } from './doctor/facts.js';
export { POD_IP_CHECKS } from './doctor/pod-ip-checks.js';

/** Defaults of `kindred doctor` (see {@link CLI_DEFAULTS}). */
export const DOCTOR_DEFAULTS = CLI_DEFAULTS.doctor;

/** The doctor's answer: `ok` only when every check passed. */
export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: DoctorCheck[];
}

/**
 * The checklist for a node: the seed's ({@link DOCTOR_CHECKS}) under the `fqdn` naming scheme, {@link POD_IP_CHECKS}
 * under `pod-ip`; followed by {@link ERLANG_CHECKS} when the node is on Erlang's distribution.
 */
export function doctorChecks(naming: NamingScheme, erlang: boolean): readonly DoctorAction[] {
  const base = naming === 'pod-ip' ? POD_IP_CHECKS : DOCTOR_CHECKS;
  return erlang ? [...base, ...ERLANG_CHECKS] : base;
}

/**
 * Runs the checklist from inside a pod ({@link doctorChecks}): facts are gathered once (own name, the FQDN's
 * DNS answer, the SRV answer; or the Service's A records under pod-ip; and EPMD and the cookie with `erlang`), then
 * each check reads them. Never throws for a failed check: each becomes a line with
 * what was seen and what to do; a check whose prerequisite failed says `not checked (needs ...)`.
 */
export async function runDoctor(inputs: DoctorInputs): Promise<DoctorReport> {
  // Bad inputs are the caller's mistake, not a failed check: a UsageError (exit 2) naming the option.
  if (!isValidNamePart(inputs.name)) {
    throw new UsageError(
      `--name (or KINDRED_NAME) must be a node name base of letters, digits, '_' and '-', got ${JSON.stringify(inputs.name)}`,
    );
  }
  if (!isPort(inputs.port)) {
    throw new UsageError(
      `--port (or KINDRED_PORT) must be a port number 1-65535, got ${String(inputs.port)}`,
    );
  }
  const gathered = await gatherFacts(inputs);
  const facts =
    inputs.erlang === undefined
      ? gathered
      : { ...gathered, erlang: await gatherErlangFacts(gathered, inputs.erlang) };
  const checks: DoctorCheck[] = [];
  for (const action of doctorChecks(facts.naming, inputs.erlang !== undefined))
    checks.push(await action.run(facts));
  return { ok: checks.every((c) => c.ok), checks };
}

const list = (checks: readonly DoctorAction[]) =>
  checks.map((c) => `  ${c.id.padEnd(10)} ${c.title}`).join('\n');

const HELP = `Usage: kindred doctor [--service QUERY] [--name BASE] [--port N] [--cookie-file PATH | --cookie C]
                      [--naming fqdn|pod-ip] [--erlang [--erl-epmd-port P] [--erlang-basename NAME]] [--json]

Runs the seed's checklist inside a pod and says, for each check, what it saw and what to do:
${list(DOCTOR_CHECKS)}
A node named by pod IP (--naming pod-ip; also KINDRED_NAMING=pod-ip, or KINDRED_HOST / KINDRED_NODE_NAME
holding an IP, as deploy's pod-ip overlay sets KINDRED_HOST=$(POD_IP)) has no FQDN or SRV to check; instead:
${list(POD_IP_CHECKS)}
On Erlang's distribution (--erlang, or KINDRED_DISTRIBUTION=erlang; off otherwise) these follow, and peers are
pinged over Erlang's wire:
${list(ERLANG_CHECKS)}
A check whose prerequisite failed prints '--' and "not checked (needs ...)" instead of FAIL.
Options:
  --service QUERY     SRV name to check (default: KINDRED_DISCOVERY's dns-srv query, else
                      ${DOCTOR_DEFAULTS.service})
  --name BASE         node name base (default: KINDRED_NAME, else ${DOCTOR_DEFAULTS.name})
  --port N            the port this node listens on (default: KINDRED_PORT, else ${DOCTOR_DEFAULTS.port})
${cookieHelp(22, 'KINDRED_COOKIE, else ~/.kindred.cookie')}
                      (the cookie is only used to ping peers)
  --naming SCHEME     fqdn (name@<hostname -f>, SRV discovery) or pod-ip (name@<POD_IP>, A records)
                      (default: from KINDRED_NODE_NAME, KINDRED_HOST, KINDRED_NAMING; else fqdn)
  --erlang            run the Erlang checks and ping peers over Erlang's wire (EPMD port: ERL_EPMD_PORT, else 4369)
  --erl-epmd-port P   with --erlang, epmd-less: every node listens on and is dialed on P (-erl_epmd_port P)
  --erlang-basename NAME  with --erlang, the Erlang side's basename to compare with --name (default: the
                      basename of RELEASE_NODE, else RELEASE_NAME, when set; peers' EPMDs are asked too)
  --json              print {"ok": bool, "checks": [{"id","ok","detail","hint"}]}
  For testing outside a pod:
  --hostname NAME     use NAME as gethostname()
  --hosts-file PATH   instead of /etc/hosts
  --resolv-conf PATH  instead of /etc/resolv.conf
  --nameserver A:P    ask this DNS server (repeatable)

Exit codes: 0 every check passed, 1 a check failed, 2 usage error.
`;

/** KINDRED_DISCOVERY parsed as `kindred start` parses it; undefined when unset. */
function discoverySpec(raw: string | undefined): DiscoverySpec | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    return parseDiscoverySpec(raw);
  } catch (err) {
    throw new EnvError('KINDRED_DISCOVERY', `KINDRED_DISCOVERY: ${(err as Error).message}`);
  }
}

/**
 * The naming scheme the node runs under, and its pod IP, as node-identity would name it from the environment: a
 * KINDRED_NODE_NAME or KINDRED_HOST holding an IP, or KINDRED_NAMING=pod-ip (POD_IP), is `pod-ip`; anything else
 * `fqdn`. A missing POD_IP is left to the pod-ip check to report, with the fix.
 */
export function namingFromEnv(
  env: NodeJS.ProcessEnv,
  flag?: NamingScheme,
): { naming: NamingScheme; podIp?: string } {
  const whole = env.KINDRED_NODE_NAME;
  let host: string | undefined;
  if (whole !== undefined && whole !== '') host = parseNodeName(whole).host;
  else {
    try {
      host = hostOverrideFromEnv(env)?.host;
    } catch (err) {
      if (!isKindredError(err, NODE_IDENTITY_ERRORS.POD_IP)) throw err;
      return { naming: 'pod-ip' };
    }
  }
  const naming = flag ?? (host !== undefined && isIpLiteral(host) ? 'pod-ip' : 'fqdn');
  if (naming === 'fqdn') return { naming };
  if (host !== undefined && isIpLiteral(host)) return { naming, podIp: host };
  try {
    return { naming, podIp: podIpFromEnv(env) };
  } catch {
    return { naming };
  }
}

/** The Erlang side's basename, when this pod's environment says it: `--erlang-basename`, RELEASE_NODE, RELEASE_NAME. */
function erlangBasename(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): Pick<ErlangInputs, 'basename' | 'basenameFrom'> {
  if (flag !== undefined) {
    if (!isValidNamePart(flag)) {
      throw new UsageError(
        `--erlang-basename must be letters, digits, '_' and '-', got ${JSON.stringify(flag)}`,
      );
    }
    return { basename: flag, basenameFrom: '--erlang-basename' };
  }
  const release = releaseNameFromEnv(env);
  if (release === undefined) return {};
  const basename = release.base ?? release.node?.split('@')[0];
  return basename === undefined ? {} : { basename, basenameFrom: release.variable };
}

/** `kindred doctor`. */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: "check this pod's name, DNS, SRV (or A) records, peers, and with --erlang EPMD, cookie and naming",
  help: HELP,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values } = parseCommandArgs(argv, {
      service: { type: 'string' },
      name: { type: 'string' },
      port: { type: 'string' },
      ...COOKIE_OPTIONS,
      json: { type: 'boolean', default: false },
      hostname: { type: 'string' },
      'hosts-file': { type: 'string' },
      'resolv-conf': { type: 'string' },
      nameserver: { type: 'string', multiple: true },
      naming: { type: 'string' },
      erlang: { type: 'boolean', default: false },
      'erl-epmd-port': { type: 'string' },
      'erlang-basename': { type: 'string' },
    });
    const spec = discoverySpec(io.env.KINDRED_DISCOVERY);
    const service =
      values.service ?? (spec?.kind === 'dns-srv' ? spec.query : undefined) ?? DOCTOR_DEFAULTS.service;
    if (values.naming !== undefined && values.naming !== 'fqdn' && values.naming !== 'pod-ip') {
      throw new UsageError(`--naming must be fqdn or pod-ip, got ${JSON.stringify(values.naming)}`);
    }
    const { naming, podIp } = namingFromEnv(io.env, values.naming as NamingScheme | undefined);
    const erlang = values.erlang || io.env.KINDRED_DISTRIBUTION === 'erlang';
    const erlEpmdPort = parsePortArg(values['erl-epmd-port'], '--erl-epmd-port');
    if (!erlang && (erlEpmdPort !== undefined || values['erlang-basename'] !== undefined)) {
      throw new UsageError('--erl-epmd-port and --erlang-basename need --erlang');
    }
    const report = await runDoctor({
      naming,
      ...(podIp === undefined ? {} : { podIp }),
      ...(spec === undefined ? {} : { discovery: spec.kind }),
      ...(spec?.kind === 'dns-a' ? { addressQuery: spec.query } : {}),
      ...(erlang
        ? {
            erlang: {
              epmdPort: epmdPortFromEnv(io.env),
              ...(erlEpmdPort === undefined ? {} : { erlEpmdPort }),
              ...erlangBasename(values['erlang-basename'], io.env),
            },
          }
        : {}),
      service,
      name: values.name ?? (io.env.KINDRED_NAME || DOCTOR_DEFAULTS.name),
      port:
        parsePortArg(values.port, '--port') ??
        parsePortArg(io.env.KINDRED_PORT, 'KINDRED_PORT') ??
        DOCTOR_DEFAULTS.port,
      env: io.env,
      ...cookieChoice(values, (warning) => io.stderr.write(`kindred doctor: warning: ${warning}\n`)),
      ...(values.hostname === undefined ? {} : { hostname: values.hostname }),
      ...(values['hosts-file'] === undefined ? {} : { hostsPath: values['hosts-file'] }),
      ...(values['resolv-conf'] === undefined ? {} : { resolvConfPath: values['resolv-conf'] }),
      ...(values.nameserver === undefined ? {} : { nameservers: values.nameserver }),
    });
    if (values.json) {
      printJson(io, report);
    } else {
      for (const c of report.checks) {
        io.stdout.write(
          `${c.ok ? 'ok  ' : isNotChecked(c) ? '--  ' : 'FAIL'} ${c.id.padEnd(9)} ${c.detail}\n`,
        );
        if (!c.ok) io.stdout.write(`${c.hint.replace(/^/gm, '       -> ')}\n`);
      }
      io.stdout.write(
        report.ok
          ? 'all checks passed\n'
          : `${report.checks.filter((c) => !c.ok && !isNotChecked(c)).length} check(s) failed: fix the first one first, then run kindred doctor again\n`,
      );
    }
    return report.ok ? EXIT.OK : EXIT.FAILED;
  },
};
