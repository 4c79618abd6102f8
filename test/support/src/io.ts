/**
 * What a command writes to and reads from, shaped like `@kindred/cli`'s `CommandIO` (structurally, so this package
 * does not depend on the CLI), recording what is written.
 */
export interface CapturedIO {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  /** Resolves with a signal name when {@link CapturedIO.stop} is called. */
  readonly stopSignal: Promise<string>;
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
  /** stdout split into lines, each parsed as JSON (for `--json` line output). */
  lines(): Record<string, unknown>[];
  /** Fires {@link CapturedIO.stopSignal} as if the process got `signal`. */
  stop(signal?: string): void;
}

/** A {@link CapturedIO} with the given environment; `stopSignal` fires only when `stop()` is called. */
export function captureIO(env: NodeJS.ProcessEnv = {}): CapturedIO {
  const out: string[] = [];
  const err: string[] = [];
  let fire: (signal: string) => void = () => {};
  const stopSignal = new Promise<string>((resolve) => {
    fire = resolve;
  });
  return {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
    stopSignal,
    out: () => out.join(''),
    err: () => err.join(''),
    lines: () =>
      out
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: (signal = 'SIGTERM') => fire(signal),
  };
}
