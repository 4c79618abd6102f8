import type { CommandIO } from '../src/command.js';

/** A {@link CommandIO} that records what a command writes, for in-process command tests. */
export interface CapturedIO extends CommandIO {
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
}

/** An IO with the given environment whose stop signal never fires; read the output with `out()` and `err()`. */
export function captureIO(env: NodeJS.ProcessEnv = {}): CapturedIO {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
    stopSignal: new Promise(() => {}),
  };
}
