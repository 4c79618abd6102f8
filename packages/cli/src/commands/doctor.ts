import { parseDiscoverySpec } from '@kindred/discovery';
import { isPort } from '@kindred/interface';
import { isValidNamePart } from '@kindred/node-identity';
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
import { DOCTOR_CHECKS, type DoctorCheck, isNotChecked } from './doctor/checks.js';
import { type DoctorInputs, gatherFacts } from './doctor/facts.js';

export { DOCTOR_CHECKS, type DoctorAction, type DoctorCheck, isNotChecked } from './doctor/checks.js';
export { type DoctorInputs, type PingResult, parseServiceQuery } from './doctor/facts.js';

/** Defaults of `kindred doctor` (see {@link CLI_DEFAULTS}). */
export const DOCTOR_DEFAULTS = CLI_DEFAULTS.doctor;

/** The doctor's answer: `ok` only when every check passed. */
export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: DoctorCheck[];
}

/**
 * Runs the seed's checklist from inside a pod ({@link DOCTOR_CHECKS}): facts are gathered once (own name, the FQDN's
 * DNS answer, the SRV answer), then each check reads them. Never throws for a failed check: each becomes a line with
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
  const facts = await gatherFacts(inputs);
  const checks: DoctorCheck[] = [];
  for (const action of DOCTOR_CHECKS) checks.push(await action.run(facts));
  return { ok: checks.every((c) => c.ok), checks };
}

const HELP = `Usage: kindred doctor [--service QUERY] [--name BASE] [--port N] [--cookie-file PATH | --cookie C]
                      [--json]

Runs the seed's checklist inside a pod and says, for each check, what it saw and what to do:
${DOCTOR_CHECKS.map((c) => `  ${c.id.padEnd(10)} ${c.title}`).join('\n')}
A check whose prerequisite failed prints '--' and "not checked (needs ...)" instead of FAIL.
Options:
  --service QUERY     SRV name to check (default: KINDRED_DISCOVERY's dns-srv query, else
                      ${DOCTOR_DEFAULTS.service})
  --name BASE         node name base (default: KINDRED_NAME, else ${DOCTOR_DEFAULTS.name})
  --port N            the port this node listens on (default: KINDRED_PORT, else ${DOCTOR_DEFAULTS.port})
${cookieHelp(22, 'KINDRED_COOKIE, else ~/.kindred.cookie')}
                      (the cookie is only used to ping peers)
  --json              print {"ok": bool, "checks": [{"id","ok","detail","hint"}]}
  For testing outside a pod:
  --hostname NAME     use NAME as gethostname()
  --hosts-file PATH   instead of /etc/hosts
  --resolv-conf PATH  instead of /etc/resolv.conf
  --nameserver A:P    ask this DNS server (repeatable)

Exit codes: 0 every check passed, 1 a check failed, 2 usage error.
`;

/** The SRV query of a `dns-srv:` KINDRED_DISCOVERY (parsed as `kindred start` parses it); undefined otherwise. */
function discoveryQuery(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let spec: ReturnType<typeof parseDiscoverySpec>;
  try {
    spec = parseDiscoverySpec(raw);
  } catch (err) {
    throw new EnvError('KINDRED_DISCOVERY', `KINDRED_DISCOVERY: ${(err as Error).message}`);
  }
  return spec.kind === 'dns-srv' ? spec.query : undefined;
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
      ...COOKIE_OPTIONS,
      json: { type: 'boolean', default: false },
      hostname: { type: 'string' },
      'hosts-file': { type: 'string' },
      'resolv-conf': { type: 'string' },
      nameserver: { type: 'string', multiple: true },
    });
    const service = values.service ?? discoveryQuery(io.env.KINDRED_DISCOVERY) ?? DOCTOR_DEFAULTS.service;
    const report = await runDoctor({
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
