import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport, KindredError, TRANSPORT_ERRORS, type Transport } from '@kindred/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPingCommand, pangReason, refusalReason } from '../../src/commands/ping.js';
import { main } from '../../src/main.js';
import { captureIO } from '../support.js';

let target: Transport;
let port: number;

beforeAll(async () => {
  target = createTransport({ self: { node: 'n1@127.0.0.1' }, cookie: 'right', port: 0, host: '127.0.0.1' });
  port = (await target.listen()).port;
});
afterAll(async () => {
  await target.close();
});

async function ping(args: string[]) {
  const c = captureIO();
  const code = await createPingCommand().run(args, c);
  return { code, out: c.out(), err: c.err() };
}

describe('kindred ping', () => {
  it('pong: exit 0', async () => {
    const r = await ping([
      'n1@127.0.0.1',
      '--port',
      String(port),
      '--cookie',
      'right',
      '--name',
      'p@127.0.0.1',
    ]);
    expect(r).toMatchObject({ code: 0, out: 'pong\n' });
    // --cookie is visible in ps: it works, with a warning saying what to use instead.
    expect(r.err).toBe(
      'kindred ping: warning: --cookie puts the cookie on the command line, where every local user can read it ' +
        '(ps, /proc/PID/cmdline); use --cookie-file PATH or KINDRED_COOKIE instead\n',
    );
  });

  it('pong with --cookie-file through a Kubernetes Secret volume layout, and no warning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindred-ping-cookie-'));
    try {
      // kubelet's atomic writer: cookie -> ..data/cookie, ..data -> ..<timestamp>, defaultMode 0400 on the file.
      await mkdir(join(dir, '..2026_11_29_00_00_00.1'));
      await writeFile(join(dir, '..2026_11_29_00_00_00.1', 'cookie'), 'right', { mode: 0o400 });
      await symlink('..2026_11_29_00_00_00.1', join(dir, '..data'));
      await symlink('..data/cookie', join(dir, 'cookie'));
      const args = ['n1@127.0.0.1', '--port', String(port), '--name', 'p@127.0.0.1'];
      const r = await ping([...args, '--cookie-file', join(dir, 'cookie')]);
      expect(r).toEqual({ code: 0, out: 'pong\n', err: '' });
      // A group-readable file (what fsGroup makes of it) is refused with Erlang's message, nothing is dialled.
      await writeFile(join(dir, 'loose.cookie'), 'right', { mode: 0o440 });
      const c = captureIO();
      await expect(
        createPingCommand().run([...args, '--cookie-file', join(dir, 'loose.cookie')], c),
      ).rejects.toMatchObject({
        code: 'KINDRED_ERR_COOKIE_FILE_MODE',
        message: expect.stringContaining('must be accessible by owner only'),
      });
      const both = await main(
        ['ping', ...args, '--cookie', 'x', '--cookie-file', join(dir, 'cookie')],
        captureIO(),
      );
      expect(both).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pang name_mismatch when the node there has another name', async () => {
    const r = await ping([
      'n9@127.0.0.1',
      '--port',
      String(port),
      '--cookie',
      'right',
      '--name',
      'p@127.0.0.1',
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({
      result: 'pang',
      node: 'n9@127.0.0.1',
      reason: 'name_mismatch',
    });
  });

  it('pang bad_cookie with a wrong cookie', async () => {
    const r = await ping([
      'n1@127.0.0.1',
      '--port',
      String(port),
      '--cookie',
      'wrong',
      '--name',
      'p@127.0.0.1',
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ result: 'pang', reason: 'bad_cookie' });
  });

  it("pang illegal_hostname with Erlang's message", async () => {
    const r = await ping(['n1@localhost', '--cookie', 'right', '--name', 'p@127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('pang\n');
    expect(r.err).toContain(
      '** System running to use fully qualified hostnames **\n** Hostname localhost is illegal **',
    );
  });

  it('pang illegal_nodename for a name without @', async () => {
    const r = await ping(['nope', '--cookie', 'right', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ result: 'pang', reason: 'illegal_nodename' });
    expect(r.err).toContain("no '@' character");
  });

  it('picks its own unique name in the mode the target implies', async () => {
    // n1@localhost implies short names: this side becomes ping-XXXXXX@box, which the listener (long names)
    // refuses as illegal in its mode. localhost resolves through /etc/hosts, so nothing leaves loopback.
    const c = captureIO();
    const code = await createPingCommand({ hostname: 'box' }).run(
      ['n1@localhost', '--port', String(port), '--cookie', 'right', '--json'],
      c,
    );
    expect(code).toBe(1);
    expect(JSON.parse(c.out())).toMatchObject({ result: 'pang', reason: 'not_allowed' });
    expect(c.err()).toMatch(/illegal_name/);
  });

  it('exit 2 on usage errors', async () => {
    const c = captureIO();
    expect(await main(['ping'], c)).toBe(2);
    expect(await main(['ping', 'a@b.c', '--port', 'x'], c)).toBe(2);
    expect(await main(['ping', 'a@b.c', '--name', 'x', '--sname', 'y'], c)).toBe(2);
  });

  it('pang integrity_mismatch, with what to do, when the node has frameIntegrity off', async () => {
    const off = createTransport({
      self: { node: 'off@127.0.0.1' },
      cookie: 'right',
      port: 0,
      host: '127.0.0.1',
      frameIntegrity: false,
    });
    const offPort = (await off.listen()).port;
    try {
      const r = await ping([
        'off@127.0.0.1',
        '--port',
        String(offPort),
        '--cookie',
        'right',
        '--name',
        'p@127.0.0.1',
        '--json',
      ]);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out)).toMatchObject({ result: 'pang', reason: 'integrity_mismatch' });
      expect(r.err).toContain('set frameIntegrity the same on every node');
    } finally {
      await off.close();
    }
  });

  it("takes the transport's own reason from the error, and the refusing node's reason for not_allowed", () => {
    const err = (code: string, reason?: string) =>
      new KindredError(code, 'x', reason === undefined ? {} : { details: { reason } });
    expect(pangReason(err(TRANSPORT_ERRORS.SETUP_TIMEOUT, 'setup_timeout'))).toBe('setup_timeout');
    expect(pangReason(err(TRANSPORT_ERRORS.INTEGRITY_MISMATCH, 'integrity_mismatch'))).toBe(
      'integrity_mismatch',
    );
    expect(pangReason(err('KINDRED_ERR_DNS_NXDOMAIN', 'unresolved'))).toBe('unresolved');
    expect(pangReason(err(TRANSPORT_ERRORS.CONNECT_FAILED, 'protocol_error'))).toBe('connect_failed');
    const refused = err(TRANSPORT_ERRORS.NOT_ALLOWED, 'host_unresolved');
    expect([pangReason(refused), refusalReason(refused)]).toEqual(['not_allowed', 'host_unresolved']);
    expect(refusalReason(err(TRANSPORT_ERRORS.BAD_COOKIE, 'bad_cookie'))).toBeUndefined();
  });

  it('maps error codes to reasons', () => {
    expect(pangReason(new Error('x'))).toBe('connect_failed');
  });
});
