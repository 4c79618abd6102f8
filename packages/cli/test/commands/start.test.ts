import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNode } from '@kindred/runtime';
import { captureIO as capture, freePort, until as poll } from '@kindred/test-support';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPingCommand } from '../../src/commands/ping.js';
import { createStartCommand } from '../../src/commands/start.js';
import type { CapturedIO } from '../support.js';

/** A captured IO for a long-running command: `io` to pass it, its output, its JSON lines, and `stop` for the signal. */
function captureIO(env: NodeJS.ProcessEnv = {}) {
  const io: CapturedIO = capture(env);
  return { io, err: () => io.err(), lines: () => io.lines(), stop: (s: string) => io.stop(s) };
}

/** Polls until `fn` gives a value (no deadline of its own: the test's timeout bounds it). */
function until<T>(fn: () => T | undefined): Promise<T> {
  return poll(fn, { timeoutMs: 60_000 });
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

  it("--erlang: speaks Erlang's wire (epmd-less here); kindred ping --erlang gets pong", async () => {
    const port = await freePort();
    const node = captureIO();
    const run = createStartCommand().run(
      ['--name', 'e1@127.0.0.1', '--cookie', 'c00kie', '--erlang', '--erl-epmd-port', String(port), '--json'],
      node.io,
    );
    const started = await until(() => node.lines().find((l) => l.event === 'started'));
    expect(started).toMatchObject({ event: 'started', node: 'e1@127.0.0.1', port });
    const pinger = captureIO();
    const code = await createPingCommand().run(
      [
        'e1@127.0.0.1',
        '--erlang',
        '--erl-epmd-port',
        String(port),
        '--cookie',
        'c00kie',
        '--name',
        'p@127.0.0.1',
        '--json',
      ],
      pinger.io,
    );
    expect(code).toBe(0);
    expect(pinger.lines()).toEqual([{ result: 'pong', node: 'e1@127.0.0.1', reason: null }]);
    await until(() => node.lines().find((l) => l.event === 'nodedown'));
    expect(node.lines().filter((l) => l.event !== 'started')).toEqual([
      { event: 'nodeup', node: 'p@127.0.0.1', direction: 'in' },
      { event: 'nodedown', node: 'p@127.0.0.1', reason: 'connection_closed' },
    ]);
    const wrong = captureIO();
    expect(
      await createPingCommand().run(
        [
          'e1@127.0.0.1',
          '--erlang',
          '--erl-epmd-port',
          String(port),
          '--cookie',
          'bad',
          '--name',
          'q@127.0.0.1',
          '--json',
        ],
        wrong.io,
      ),
    ).toBe(1);
    expect(wrong.lines()).toMatchObject([{ result: 'pang', node: 'e1@127.0.0.1' }]);
    node.stop('SIGTERM');
    expect(await run).toBe(0);
    const usage = captureIO();
    await expect(
      createStartCommand().run(['--name', 'x@127.0.0.1', '--erl-epmd-port', '1'], usage.io),
    ).rejects.toThrow(/--erl-epmd-port needs --erlang/);
    await expect(createPingCommand().run(['x@127.0.0.1', '--erl-epmd-port', '1'], usage.io)).rejects.toThrow(
      /--erl-epmd-port needs --erlang/,
    );
  });

  it('reads --cookie-file, and warns through its log when --cookie is used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindred-start-cookie-'));
    try {
      await writeFile(join(dir, 'cookie'), 'filed\n', { mode: 0o400 });
      const node = captureIO({ KINDRED_LOG_LEVEL: 'warn' });
      const run = createStartCommand().run(
        ['--name', 'f1@127.0.0.1', '--cookie-file', join(dir, 'cookie'), '--port', '0', '--json'],
        node.io,
      );
      const started = await until(() => node.lines().find((l) => l.event === 'started'));
      // Pinged with the file's cookie (through the flag, which warns: the warning is a pino line on stderr).
      const pinger = captureIO();
      const args = ['f1@127.0.0.1', '--port', String(started.port), '--name', 'p@127.0.0.1', '--json'];
      expect(await createPingCommand().run([...args, '--cookie', 'filed'], pinger.io)).toBe(0);
      expect(pinger.err()).toMatch(/warning: --cookie puts the cookie on the command line/);
      node.stop('SIGTERM');
      expect(await run).toBe(0);
      expect(node.err()).not.toMatch(/--cookie puts/);

      const flagged = captureIO({ KINDRED_LOG_LEVEL: 'warn' });
      const run2 = createStartCommand().run(
        ['--name', 'f2@127.0.0.1', '--cookie', 'k', '--port', '0', '--json'],
        flagged.io,
      );
      await until(() => flagged.lines().find((l) => l.event === 'started'));
      flagged.stop('SIGTERM');
      expect(await run2).toBe(0);
      const logged = flagged
        .err()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged).toContainEqual(
        expect.objectContaining({
          level: 40,
          option: '--cookie',
          msg: expect.stringMatching(/every local user can read it.*--cookie-file PATH or KINDRED_COOKIE/),
        }),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with the cookie rule when --cookie-file is group-readable or missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindred-start-cookie-'));
    try {
      await writeFile(join(dir, 'cookie'), 'filed', { mode: 0o640 });
      for (const [path, code] of [
        [join(dir, 'cookie'), 'KINDRED_ERR_COOKIE_FILE_MODE'],
        [join(dir, 'missing'), 'KINDRED_ERR_COOKIE_FILE'],
      ] as const) {
        await expect(
          createStartCommand().run(
            ['--name', 'f3@127.0.0.1', '--cookie-file', path, '--port', '0'],
            captureIO().io,
          ),
        ).rejects.toMatchObject({ code });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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
    // SIGINT is a planned stop: b leaves, so a sees nodedown reason shutdown (a crash would be connection_closed).
    expect(await until(() => a.lines().find((l) => l.event === 'nodedown'))).toMatchObject({
      node: 'b@127.0.0.1',
      reason: 'shutdown',
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
  it('is a runtime node: its rex answers rpc from another node', async () => {
    const n = captureIO();
    const run = createStartCommand().run(
      ['--name', 'r1@127.0.0.1', '--cookie', 'rk', '--port', '0', '--json'],
      n.io,
    );
    const started = await until(() => n.lines().find((l) => l.event === 'started'));
    const other = await startNode({
      name: 'r2@127.0.0.1',
      cookie: 'rk',
      port: 0,
      host: '127.0.0.1',
      env: {},
    });
    try {
      await other.connect('r1@127.0.0.1', { port: started.port as number });
      // No handler is exposed on a bare node, so rex answers "unknown handler" (a dead node would time out).
      await expect(other.rpc('r1@127.0.0.1', 'no_such_handler', [], 10_000)).rejects.toMatchObject({
        code: 'KINDRED_ERR_RPC_UNKNOWN_HANDLER',
      });
      expect(other.nodes()).toEqual(['r1@127.0.0.1']);
    } finally {
      await other.stop();
    }
    n.stop('SIGTERM');
    expect(await run).toBe(0);
  });

  it('takes --ticktime in whole seconds and refuses anything else with a usage error', async () => {
    expect(createStartCommand().help).toMatch(/--ticktime SECONDS/);
    for (const bad of ['0', '-1', '1.5', 'x', '']) {
      await expect(
        createStartCommand().run(
          ['--name', 'a@127.0.0.1', '--cookie', 'k', '--port', '0', '--ticktime', bad],
          captureIO().io,
        ),
      ).rejects.toMatchObject({ code: 'KINDRED_ERR_USAGE', message: expect.stringMatching(/--ticktime/) });
    }
  });
});

const kindredBin = fileURLToPath(new URL('../../bin/kindred.js', import.meta.url));
const builtMain = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A `kindred start` process whose JSON lines are collected. */
class StartProcess {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [kindredBin, 'start', '--json', ...args], {
      env: { PATH: process.env.PATH, KINDRED_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line !== '') this.events.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Waits for an event matching `pred`; fails with what the process printed if it exits first. */
  async event(pred: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (;;) {
      const e = this.events.find(pred);
      if (e !== undefined) return e;
      if (this.child.exitCode !== null) {
        throw new Error(`kindred start exited ${this.child.exitCode}; stderr: ${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  ups(): string[] {
    return this.events
      .filter((e) => e.event === 'nodeup')
      .map((e) => e.node as string)
      .sort();
  }
}

// These run the built CLI as real processes (as an operator would), so they need `node_modules/.bin/tsc -b`.
describe('kindred start as processes', () => {
  const procs: StartProcess[] = [];
  const run = (args: string[]) => {
    const p = new StartProcess(args);
    procs.push(p);
    return p;
  };

  beforeAll(() => {
    if (!existsSync(builtMain)) {
      throw new Error(`${builtMain} is missing: build first with node_modules/.bin/tsc -b`);
    }
  });

  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGCONT');
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
  });

  it('forms a full mesh when C knows only B and B knows only A (connect_all), and stops on SIGTERM', async () => {
    const a = run(['--name', 'ma@127.0.0.1', '--cookie', 'mesh', '--port', '0']);
    const { port: portA } = await a.event((e) => e.event === 'started');
    const b = run([
      '--name',
      'mb@127.0.0.1',
      '--cookie',
      'mesh',
      '--port',
      '0',
      '--discovery',
      `static:ma@127.0.0.1:${portA}`,
    ]);
    const { port: portB } = await b.event((e) => e.event === 'started');
    await b.event((e) => e.event === 'nodeup' && e.node === 'ma@127.0.0.1');
    const c = run([
      '--name',
      'mc@127.0.0.1',
      '--cookie',
      'mesh',
      '--port',
      '0',
      '--discovery',
      `static:mb@127.0.0.1:${portB}`,
    ]);
    // C was never told about A: B's connect_all peer list is how C learns A and its port.
    const cToA = await c.event((e) => e.event === 'nodeup' && e.node === 'ma@127.0.0.1');
    expect(cToA).toMatchObject({ direction: 'out' });
    await a.event((e) => e.event === 'nodeup' && e.node === 'mc@127.0.0.1');
    await b.event((e) => e.event === 'nodeup' && e.node === 'mc@127.0.0.1');
    expect(a.ups()).toEqual(['mb@127.0.0.1', 'mc@127.0.0.1']);
    expect(b.ups()).toEqual(['ma@127.0.0.1', 'mc@127.0.0.1']);
    expect(c.ups()).toEqual(['ma@127.0.0.1', 'mb@127.0.0.1']);

    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(c.events.at(-1)).toEqual({ event: 'stopped', node: 'mc@127.0.0.1', signal: 'SIGTERM' });
    for (const p of [a, b]) {
      await p.event((e) => e.event === 'nodedown' && e.node === 'mc@127.0.0.1');
    }
    a.child.kill('SIGINT');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  });

  it('--ticktime: a peer that stops answering is dropped with net_tick_timeout', async () => {
    const a = run(['--name', 'ta@127.0.0.1', '--cookie', 'tick', '--port', '0', '--ticktime', '2']);
    const { port } = await a.event((e) => e.event === 'started');
    const b = run([
      '--name',
      'tb@127.0.0.1',
      '--cookie',
      'tick',
      '--port',
      '0',
      '--ticktime',
      '2',
      '--discovery',
      `static:ta@127.0.0.1:${port}`,
    ]);
    await a.event((e) => e.event === 'nodeup' && e.node === 'tb@127.0.0.1');
    // A frozen process keeps its socket open but sends nothing: only the tick can notice it.
    b.child.kill('SIGSTOP');
    expect(await a.event((e) => e.event === 'nodedown')).toEqual({
      event: 'nodedown',
      node: 'tb@127.0.0.1',
      reason: 'net_tick_timeout',
    });
    b.child.kill('SIGCONT');
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });
});
