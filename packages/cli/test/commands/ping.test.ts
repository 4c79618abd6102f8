import { createTransport, type Transport } from '@kindred/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPingCommand, pangReason } from '../../src/commands/ping.js';
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

  it('maps error codes to reasons', () => {
    expect(pangReason(new Error('x'))).toBe('connect_failed');
  });
});
