// The CLI's command tests capture IO through @kindred/test-support's captureIO; typed here as the CLI's CommandIO,
// so a change to CommandIO that the shared helper no longer fits fails to compile.
import { type CapturedIO as Captured, captureIO as capture } from '@kindred/test-support';
import type { CommandIO } from '../src/command.js';

/** A {@link CommandIO} that records what a command writes, for in-process command tests. */
export type CapturedIO = Captured & CommandIO;

/** An IO with the given environment whose stop signal fires only on `stop()`; read the output with `out()`/`err()`. */
export function captureIO(env: NodeJS.ProcessEnv = {}): CapturedIO {
  return capture(env);
}
