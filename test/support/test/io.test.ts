import { describe, expect, it } from 'vitest';
import { captureIO } from '../src/io.js';

describe('captureIO', () => {
  it('records stdout and stderr, parses JSON lines, and fires stopSignal on stop()', async () => {
    const io = captureIO({ A: '1' });
    io.stdout.write('{"event":"started"}\n');
    io.stdout.write('{"event":"stopped"}\n');
    io.stderr.write('warn\n');
    expect(io.env).toEqual({ A: '1' });
    expect(io.out()).toBe('{"event":"started"}\n{"event":"stopped"}\n');
    expect(io.err()).toBe('warn\n');
    expect(io.lines().map((l) => l.event)).toEqual(['started', 'stopped']);
    io.stop('SIGINT');
    expect(await io.stopSignal).toBe('SIGINT');
  });
});
