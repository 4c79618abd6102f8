import { describe, expect, it } from 'vitest';
import type { CommandIO } from '../../src/command.js';
import { createPingCommand } from '../../src/commands/ping.js';
import { createStartCommand } from '../../src/commands/start.js';

function captureIO(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: (signal: string) => void;
  const io: CommandIO = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
    stopSignal: new Promise<string>((resolve) => {
      stop = resolve;
    }),
  };
  const lines = () =>
    out
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { io, out, err, lines, stop: (s: string) => stop(s) };
}

async function until<T>(fn: () => T | undefined): Promise<T> {
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('kindred start', () => {
  it('prints started, then nodeup/nodedown JSON lines, and stops on the signal', async () => {
    const node = captureIO();
    const run = createStartCommand().run(
      ['--name', 'n1@127.0.0.1', '--cookie', 'c00kie', '--port', '0', '--json'],
      node.io,
    );
    const started = await until(() => node.lines().find((l) => l.event === 'started'));
    expect(started).toMatchObject({ event: 'started', node: 'n1@127.0.0.1' });
    const port = started.port as number;
    expect(port).toBeGreaterThan(0);

    const pinger = captureIO();
    const code = await createPingCommand().run(
      ['n1@127.0.0.1', '--port', String(port), '--cookie', 'c00kie', '--name', 'p@127.0.0.1', '--json'],
      pinger.io,
    );
    expect(code).toBe(0);
    expect(pinger.lines()).toEqual([{ result: 'pong', node: 'n1@127.0.0.1', reason: null }]);
    await until(() => node.lines().find((l) => l.event === 'nodedown'));
    expect(node.lines().filter((l) => l.event !== 'started')).toEqual([
      { event: 'nodeup', node: 'p@127.0.0.1', direction: 'in' },
      { event: 'nodedown', node: 'p@127.0.0.1', reason: 'connection_closed' },
    ]);
    node.stop('SIGTERM');
    expect(await run).toBe(0);
    expect(node.lines().at(-1)).toEqual({ event: 'stopped', node: 'n1@127.0.0.1', signal: 'SIGTERM' });
  });

  it('connects to static discovery peers', async () => {
    const a = captureIO();
    const runA = createStartCommand().run(
      ['--name', 'a@127.0.0.1', '--cookie', 'k', '--port', '0', '--json'],
      a.io,
    );
    const startedA = await until(() => a.lines().find((l) => l.event === 'started'));
    const b = captureIO();
    const runB = createStartCommand().run(
      [
        '--name',
        'b@127.0.0.1',
        '--cookie',
        'k',
        '--port',
        '0',
        '--json',
        '--discovery',
        `static:a@127.0.0.1:${startedA.port}`,
      ],
      b.io,
    );
    expect(await until(() => b.lines().find((l) => l.event === 'nodeup'))).toMatchObject({
      node: 'a@127.0.0.1',
      direction: 'out',
    });
    expect(await until(() => a.lines().find((l) => l.event === 'nodeup'))).toMatchObject({
      node: 'b@127.0.0.1',
    });
    b.stop('SIGINT');
    expect(await runB).toBe(0);
    expect(await until(() => a.lines().find((l) => l.event === 'nodedown'))).toMatchObject({
      node: 'b@127.0.0.1',
      reason: 'connection_closed',
    });
    a.stop('SIGINT');
    expect(await runA).toBe(0);
  });

  it('exits 2 without a name or with a bad discovery spec, and 1 when the port is taken', async () => {
    const x = captureIO();
    await expect(createStartCommand().run(['--cookie', 'k'], x.io)).rejects.toMatchObject({
      code: 'KINDRED_ERR_USAGE',
    });
    await expect(
      createStartCommand().run(
        ['--name', 'a@127.0.0.1', '--cookie', 'k', '--discovery', 'carrier-pigeon:x'],
        x.io,
      ),
    ).rejects.toMatchObject({ code: 'KINDRED_ERR_USAGE' });
    const a = captureIO();
    const runA = createStartCommand().run(
      ['--name', 'a@127.0.0.1', '--cookie', 'k', '--port', '0', '--json'],
      a.io,
    );
    const started = await until(() => a.lines().find((l) => l.event === 'started'));
    const b = captureIO();
    await expect(
      createStartCommand().run(
        ['--name', 'b@127.0.0.1', '--cookie', 'k', '--port', String(started.port)],
        b.io,
      ),
    ).rejects.toMatchObject({ code: 'KINDRED_ERR_CONNECT_FAILED' });
    a.stop('SIGINT');
    await runA;
  });
});
