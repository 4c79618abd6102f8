import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KindredError } from '@kindred/dns';
import { LAB_DEFAULTS } from './defaults.js';
import { LAB_ERRORS } from './errors.js';
import { type LabDeploymentOptions, type LabOptions, REPO_ROOT } from './lab.js';

/** The Erlang app's sources (`lab_app.erl`), compiled by {@link compileErlangApp}; nothing precompiled is kept. */
export const ERLANG_APP_SOURCES = join(REPO_ROOT, 'test/lab/erlang');

/**
 * The kindred side of a mixed lab: the built examples/simple-web-service started as its main.js does, plus the
 * `lab:nodes`, `lab:received`, `lab:broadcast` rpc handlers and a member of the pg group `mixed` (see the file).
 */
export const KINDRED_MIXED_APP = join(REPO_ROOT, 'test/lab/mixed/kindred-app.mjs');

/**
 * Compiles the Erlang app with the host's `erlc` into a new directory under the system's temp directory (or into
 * `outDir`), and returns it: pods run `erl -pa <dir>` (they share the host's file system).
 *
 * @throws KindredError `KINDRED_ERR_LAB_TOOL_MISSING` when `erlc` is not installed.
 */
export async function compileErlangApp(outDir?: string): Promise<string> {
  if (!existsSync('/usr/bin/erlc')) {
    throw new KindredError(
      LAB_ERRORS.LAB_TOOL_MISSING,
      "the lab's Erlang pods need erlc and erl: install them (apt-get install erlang-base, or npm run setup)",
      { details: { tool: '/usr/bin/erlc' } },
    );
  }
  const dir = outDir ?? (await mkdtemp(join(tmpdir(), 'kindred-lab-erlang-')));
  const sources = (await readdir(ERLANG_APP_SOURCES)).filter((f) => f.endsWith('.erl'));
  await promisify(execFile)('erlc', ['-o', dir, ...sources.map((f) => join(ERLANG_APP_SOURCES, f))]);
  return dir;
}

/** Options of {@link erlangDeployment}. */
export interface ErlangDeploymentOptions {
  /** The compiled app ({@link compileErlangApp}). */
  readonly codeDir: string;
  /** Replicas. */
  readonly replicas: number;
  /** Deployment name; default `erlang-app`. */
  readonly name?: string | undefined;
  /**
   * Epmd-less (OTP's `-start_epmd false -erl_epmd_port P`): the node listens on P and dials every peer on P, no
   * epmd runs in the pod. Default: epmd, started by `erl` in the pod, the distribution port random.
   */
  readonly erlEpmdPort?: number | undefined;
  /**
   * The naming scheme, as in @kindred/node-identity: `fqdn` (default) names the nodes `<basename>@<pod FQDN>` and
   * polls the Service's SRV records (libcluster's `Kubernetes.DNSSRV`); `pod-ip` names them `<basename>@$POD_IP`
   * and polls the Service's A records (`KINDRED_DISCOVERY=dns-a:<service>`, libcluster's `Kubernetes.DNS`, Phoenix's
   * `dns_cluster`), with `KINDRED_NAMING=pod-ip` in the pods' environment.
   */
  readonly naming?: 'fqdn' | 'pod-ip' | undefined;
  /** Under `pod-ip`: the headless Service whose A records list the pods; default the lab's {@link LAB_DEFAULTS.service}. */
  readonly service?: string | undefined;
  /** More environment for the pods (e.g. `KINDRED_POLL_INTERVAL_MS`). */
  readonly env?: Readonly<Record<string, string>> | undefined;
}

/**
 * An extra Deployment ({@link LabOptions.deployments}) of Erlang pods running `lab_app`: `erl -name
 * $KINDRED_NAME@$(hostname -f)` with the lab's cookie (KINDRED_COOKIE) and kernel's default pg scope, polling the
 * headless Service's SRV records (KINDRED_DISCOVERY, the kindred app's spec) like libcluster's
 * `Kubernetes.DNSSRV` and connecting to `<KINDRED_NAME>@<target>`, so both sides use one basename; with `naming:
 * 'pod-ip'`, `erl -name $KINDRED_NAME@$POD_IP` polling the Service's A records and connecting to
 * `<KINDRED_NAME>@<IP>` like libcluster's `Kubernetes.DNS` and dns_cluster. Ready when its HTTP port answers
 * `/readyz`, like the kindred app.
 */
export function erlangDeployment(options: ErlangDeploymentOptions): LabDeploymentOptions {
  const epmd =
    options.erlEpmdPort === undefined
      ? ''
      : ` -start_epmd false -erl_epmd_port ${String(options.erlEpmdPort)}`;
  const podIp = options.naming === 'pod-ip';
  const host = podIp ? '$POD_IP' : '$(hostname -f)';
  const naming: Record<string, string> = podIp
    ? {
        KINDRED_NAMING: 'pod-ip',
        KINDRED_DISCOVERY: `dns-a:${options.service ?? LAB_DEFAULTS.service}`,
      }
    : {};
  return {
    name: options.name ?? 'erlang-app',
    replicas: options.replicas,
    command: [
      'sh',
      '-c',
      `exec erl -name "$KINDRED_NAME@${host}" -setcookie "$KINDRED_COOKIE"${epmd} -noshell -kernel start_pg true -pa "$0" -eval 'lab_app:start()'`,
      options.codeDir,
    ],
    env: { PORT: String(LAB_DEFAULTS.httpPort), ...naming, ...options.env },
    readiness: { httpGet: { port: LAB_DEFAULTS.httpPort, path: LAB_DEFAULTS.readinessPath } },
  };
}
