import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KindredError } from '@kindred/dns';
import { currentFile, runPaths, serveControl } from './control.js';
import { compileErlangApp, erlangDeployment } from './erlang-app.js';
import { LAB_ERRORS } from './errors.js';
import { Lab, type LabOptions } from './lab.js';

/**
 * The options `pnpm lab up` hands to the daemon (JSON-serialisable {@link LabOptions}); `erlang` adds the Erlang
 * pods' Deployment ({@link erlangDeployment}), its app compiled into the run directory.
 */
export type DaemonOptions = Omit<LabOptions, 'id' | 'logDir' | 'keepLogs'> & {
  readonly erlang?:
    | {
        readonly replicas: number;
        readonly erlEpmdPort?: number | undefined;
        readonly naming?: 'fqdn' | 'pod-ip' | undefined;
      }
    | undefined;
};

function onOff(value: unknown, name: string): boolean {
  if (value === 'on' || value === true) return true;
  if (value === 'off' || value === false) return false;
  throw new KindredError(LAB_ERRORS.LAB_BAD_OPTION, `${name} must be 'on' or 'off', got '${String(value)}'`);
}

function podArg(args: Readonly<Record<string, unknown>> | undefined): string {
  const pod = args?.pod;
  if (typeof pod !== 'string' || pod === '')
    throw new KindredError(LAB_ERRORS.LAB_BAD_OPTION, 'a pod name is needed');
  return pod;
}

/**
 * Runs a lab as a long-lived process serving the CLI on a control socket, until `down` or SIGTERM. Started detached
 * by `pnpm lab up`; the lab's pods are its children, so it sees them exit and replaces them like a ReplicaSet.
 */
export async function runDaemon(id: string, options: DaemonOptions): Promise<void> {
  const paths = runPaths(id);
  mkdirSync(paths.logDir, { recursive: true });
  const { erlang, ...labOptions } = options;
  let deployments = labOptions.deployments;
  if (erlang !== undefined) {
    const codeDir = join(paths.runDir, 'erlang');
    mkdirSync(codeDir, { recursive: true });
    await compileErlangApp(codeDir);
    deployments = [...(deployments ?? []), erlangDeployment({ ...erlang, codeDir })];
  }
  const lab = await Lab.start({ ...labOptions, deployments, id, logDir: paths.logDir, keepLogs: true });
  lab.on('error', (err: Error) => process.stderr.write(`lab: ${err.message}\n`));
  // The daemon's stdout is its log file (<run dir>/lab.log): one JSON line per pod lifecycle event.
  lab.on('event', (event: unknown) => process.stdout.write(`${JSON.stringify(event)}\n`));
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      server.close();
      await lab.stop();
      await rm(paths.stateFile, { force: true });
      const current = await readFile(currentFile(), 'utf8').catch(() => '');
      if (current.trim() === id) await rm(currentFile(), { force: true });
      await rm(paths.runDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const server = await serveControl(paths.socket, async ({ cmd, args }) => {
    switch (cmd) {
      case 'status':
        return lab.status();
      case 'scale': {
        await lab.scale(
          Number(args?.replicas),
          typeof args?.deployment === 'string' ? args.deployment : undefined,
        );
        return lab.status();
      }
      case 'kill':
        return { replacement: await lab.kill(podArg(args)) };
      case 'delete':
        await lab.delete(podArg(args));
        return {};
      case 'restart':
        return { replaced: await lab.restart() };
      case 'partition':
        await lab.partition(podArg(args));
        return {};
      case 'heal':
        await lab.heal(podArg(args));
        return {};
      case 'dns': {
        if (args?.up !== undefined) await lab.setDns(onOff(args.up, 'dns'));
        if (args?.endpointPodNames !== undefined) {
          await lab.setEndpointPodNames(onOff(args.endpointPodNames, 'endpoint-pod-names'));
        }
        if (args?.publishNotReadyAddresses !== undefined) {
          await lab.setPublishNotReadyAddresses(onOff(args.publishNotReadyAddresses, 'publish-not-ready'));
        }
        return lab.status().dns;
      }
      case 'get': {
        const res = await lab.http(podArg(args), String(args?.path ?? '/'), Number(args?.port ?? 8080));
        return res;
      }
      case 'down':
        setImmediate(() => void shutdown().then(() => process.exit(0)));
        return {};
      default:
        throw new KindredError(LAB_ERRORS.LAB_BAD_OPTION, `unknown lab command '${cmd}'`);
    }
  });
  writeFileSync(
    paths.stateFile,
    `${JSON.stringify({ id, pid: process.pid, startedAt: new Date().toISOString() })}\n`,
  );
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown().then(() => process.exit(0)));
  }
}
