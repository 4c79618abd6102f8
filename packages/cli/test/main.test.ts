import { describe, expect, it } from 'vitest';
import type { CommandIO } from '../src/command.js';
import { main } from '../src/main.js';

function captureIO(): CommandIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env: {},
    stopSignal: new Promise(() => {}),
  };
}

describe('kindred main', () => {
  it('prints usage on --help and exits 0', async () => {
    const io = captureIO();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out.join('')).toContain('Usage: kindred <command>');
  });

  it('exits 2 with a hint on an unknown command', async () => {
    const io = captureIO();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.err.join('')).toContain("Run 'kindred --help'");
  });

  it('exits 2 with usage when no command is given', async () => {
    const io = captureIO();
    expect(await main([], io)).toBe(2);
    expect(io.err.join('')).toContain('Usage:');
  });
});
