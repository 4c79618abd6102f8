import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KindredError } from '@kindred/dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callControl, labStateDir, runPaths, serveControl } from '../src/control.js';
import { LAB_ERRORS } from '../src/errors.js';

describe('lab control socket', () => {
  let dir: string;
  let server: Server;
  let socket: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kindred-lab-control-'));
    socket = join(dir, 'control.sock');
    server = await serveControl(socket, async ({ cmd, args }) => {
      if (cmd === 'echo') return args;
      throw new KindredError(LAB_ERRORS.LAB_NO_SUCH_POD, `no pod named '${String(args?.pod)}'`);
    });
  });

  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a request with its result', async () => {
    expect(await callControl(socket, { cmd: 'echo', args: { a: 1, b: ['x'] } })).toEqual({ a: 1, b: ['x'] });
  });

  it("carries the daemon's error code back", async () => {
    await expect(callControl(socket, { cmd: 'kill', args: { pod: 'p' } })).rejects.toMatchObject({
      code: LAB_ERRORS.LAB_NO_SUCH_POD,
      message: "no pod named 'p'",
    });
  });

  it('says what to do when no daemon answers', async () => {
    await expect(callControl(join(dir, 'nobody.sock'), { cmd: 'status' })).rejects.toMatchObject({
      code: LAB_ERRORS.LAB_NOT_RUNNING,
    });
  });

  it('keeps each run under the state directory, which KINDRED_LAB_STATE_DIR overrides', () => {
    expect(labStateDir({})).toBe('/run/kindred-lab');
    expect(labStateDir({ KINDRED_LAB_STATE_DIR: '/tmp/x' })).toBe('/tmp/x');
    expect(runPaths('abc123', '/tmp/x')).toEqual({
      runDir: '/tmp/x/abc123',
      socket: '/tmp/x/abc123/control.sock',
      stateFile: '/tmp/x/abc123.json',
      daemonLog: '/tmp/x/abc123/lab.log',
      logDir: '/tmp/x/abc123/logs',
    });
  });
});
