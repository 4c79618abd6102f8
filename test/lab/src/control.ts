import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { KindredError } from '@kindred/dns';
import { LAB_DEFAULTS } from './defaults.js';
import { LAB_ERRORS } from './errors.js';

/** Files of a lab run started by the CLI. */
export interface RunPaths {
  /** `<stateDir>/<id>`: logs and the control socket. */
  readonly runDir: string;
  /** The daemon's control socket. */
  readonly socket: string;
  /** `<stateDir>/<id>.json`: what the CLI needs to find (and remove) the run, written by the daemon. */
  readonly stateFile: string;
  /** The daemon's own log. */
  readonly daemonLog: string;
  /** Pod logs. */
  readonly logDir: string;
}

/**
 * The CLI's state directory: `KINDRED_LAB_STATE_DIR` when set (tests use their own, so they never touch a lab a
 * person started), else {@link LAB_DEFAULTS.stateDir}.
 */
export function labStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KINDRED_LAB_STATE_DIR || LAB_DEFAULTS.stateDir;
}

/** Paths of run `id` under `stateDir`. */
export function runPaths(id: string, stateDir: string = labStateDir()): RunPaths {
  const runDir = join(stateDir, id);
  return {
    runDir,
    socket: join(runDir, 'control.sock'),
    stateFile: join(stateDir, `${id}.json`),
    daemonLog: join(runDir, 'lab.log'),
    logDir: join(runDir, 'logs'),
  };
}

/** The file naming the lab the CLI acts on when no `--id` is given. */
export function currentFile(stateDir: string = labStateDir()): string {
  return join(stateDir, 'current');
}

/** What the daemon writes to {@link RunPaths.stateFile}. */
export interface RunState {
  /** Run id. */
  readonly id: string;
  /** Daemon pid. */
  readonly pid: number;
  /** When the lab came up (ISO). */
  readonly startedAt: string;
}

/** Reads the state file of run `id`, if there is one. */
export async function readRunState(id: string, stateDir?: string): Promise<RunState | undefined> {
  const file = runPaths(id, stateDir).stateFile;
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RunState;
  } catch {
    return undefined;
  }
}

/** One request to the daemon. */
export interface ControlRequest {
  /** The command (`status`, `scale`, ...). */
  readonly cmd: string;
  /** Its arguments. */
  readonly args?: Readonly<Record<string, unknown>>;
}

/** A handler the daemon registers: returns the result or throws (a KindredError's code travels back). */
export type ControlHandler = (request: ControlRequest) => Promise<unknown>;

/** Serves one JSON request per connection, newline-terminated, and answers one JSON line. */
export function serveControl(socketPath: string, handler: ControlHandler): Promise<Server> {
  const server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      const line = buffer.slice(0, nl);
      buffer = '';
      let request: ControlRequest;
      try {
        request = JSON.parse(line) as ControlRequest;
      } catch {
        socket.end(
          `${JSON.stringify({ ok: false, error: { code: LAB_ERRORS.LAB_BAD_OPTION, message: 'bad request' } })}\n`,
        );
        return;
      }
      handler(request).then(
        (result) => socket.end(`${JSON.stringify({ ok: true, result })}\n`),
        (err: unknown) => {
          const code = err instanceof KindredError ? err.code : LAB_ERRORS.LAB_COMMAND_FAILED;
          const message = err instanceof Error ? err.message : String(err);
          socket.end(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
        },
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

/**
 * Sends a request to the daemon of a run and returns its result. Throws KINDRED_ERR_LAB_NOT_RUNNING when nothing
 * answers on the socket, and the daemon's own error (with its code) when the command failed.
 */
export function callControl(
  socketPath: string,
  request: ControlRequest,
  timeoutMs: number = LAB_DEFAULTS.controlTimeoutMs,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new KindredError(
          LAB_ERRORS.LAB_TIMEOUT,
          `the lab daemon did not answer '${request.cmd}' within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new KindredError(
          LAB_ERRORS.LAB_NOT_RUNNING,
          `no lab daemon answers on ${socketPath} (${err.code ?? err.message}): start one with 'pnpm lab up', or clean up with 'pnpm lab down'`,
        ),
      );
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        const reply = JSON.parse(buffer) as {
          ok: boolean;
          result?: unknown;
          error?: { code: string; message: string };
        };
        if (reply.ok) resolve(reply.result);
        else
          reject(
            new KindredError(
              reply.error?.code ?? LAB_ERRORS.LAB_COMMAND_FAILED,
              reply.error?.message ?? 'failed',
            ),
          );
      } catch {
        reject(
          new KindredError(
            LAB_ERRORS.LAB_NOT_RUNNING,
            'the lab daemon closed the connection without an answer',
          ),
        );
      }
    });
  });
}
