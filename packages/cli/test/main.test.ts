import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { captureIO } from './support.js';

describe('kindred main', () => {
  it('prints usage on --help and exits 0', async () => {
    const io = captureIO();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: kindred <command>');
  });

  it('exits 2 with a hint on an unknown command', async () => {
    const io = captureIO();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.err()).toContain("Run 'kindred --help'");
  });

  it('exits 2 with usage when no command is given', async () => {
    const io = captureIO();
    expect(await main([], io)).toBe(2);
    expect(io.err()).toContain('Usage:');
  });
});
