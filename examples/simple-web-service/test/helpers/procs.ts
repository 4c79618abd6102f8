import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort as freePortOn, eventually as pollEventually } from '@kindred/test-support';
import { afterAll } from 'vitest';

/** The built app; tests that spawn it need `tsc -b` first (npm test builds). */
export const APP_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return freePortOn('127.0.0.1');
}

/** One app process on loopback. */
export interface AppProc {
  readonly name: string;
  readonly node: string;
  readonly kindredPort: number;
  readonly httpPort: number;
  child: ChildProcess;
  log: string;
}

/** Starts the built app as `<name>@127.0.0.1` with static discovery of `peers`. */
export function spawnApp(
  name: string,
  kindredPort: number,
  httpPort: number,
  discovery: string,
  extraEnv: Record<string, string> = {},
): AppProc {
  const child = spawn(process.execPath, [APP_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      KINDRED_NAME: name,
      KINDRED_HOST: '127.0.0.1',
      KINDRED_COOKIE: 'app-test-cookie',
      KINDRED_PORT: String(kindredPort),
      KINDRED_DISCOVERY: discovery,
      KINDRED_POLL_INTERVAL_MS: '300',
      PORT: String(httpPort),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: AppProc = { name, node: `${name}@127.0.0.1`, kindredPort, httpPort, child, log: '' };
  child.stdout?.on('data', (d: Buffer) => {
    proc.log += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    proc.log += d.toString();
  });
  return proc;
}

/** GET a JSON route of a running app; undefined while it does not answer. */
export async function getJson<T>(
  port: number,
  path: string,
): Promise<{ status: number; body: T } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: (await res.json()) as T };
  } catch {
    return undefined;
  }
}

/** Polls `probe` every 100 ms until it returns true or `timeoutMs` passes; resolves to whether it became true. */
export function eventually(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  return pollEventually(probe, { timeoutMs, intervalMs: 100 });
}

/** Sends `signal` and resolves with the exit code once the process has exited. */
export async function stopProc(p: AppProc, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  const exited = new Promise<number | null>((resolve) => p.child.once('exit', (code) => resolve(code)));
  p.child.kill(signal);
  return exited;
}

/** A list for the app processes a suite starts: each one still running is SIGKILLed after the suite's tests. */
export function appProcs(): AppProc[] {
  const procs: AppProc[] = [];
  afterAll(async () => {
    for (const p of procs) await stopProc(p, 'SIGKILL');
  });
  return procs;
}
