// The embedded epmd on loopback, asked by EpmdClient and by raw sockets.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BEAM_NET_ERRORS, EPMD_NODE_TYPE, EpmdClient, EpmdResponder } from '../../src/index.js';

const open: EpmdResponder[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

async function responder(
  extra: Partial<ConstructorParameters<typeof EpmdResponder>[0]> = {},
): Promise<EpmdResponder> {
  const r = new EpmdResponder({ name: 'me', nodePort: 4_370, port: 0, host: '127.0.0.1', ...extra });
  open.push(r);
  await r.listen();
  return r;
}

/** Writes `bytes` on a fresh connection and returns everything read until the responder closes. */
async function raw(port: number, bytes: Buffer, end = true): Promise<Buffer> {
  const s = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('error', () => {});
  await new Promise((resolve) => s.once('connect', resolve));
  if (end) s.write(bytes);
  await new Promise((resolve) => s.once('close', resolve));
  return Buffer.concat(chunks);
}

describe('EpmdResponder', () => {
  it('answers PORT_PLEASE2 for its node and 119 1 for any other name', async () => {
    const r = await responder();
    const client = new EpmdClient({ port: r.port });
    expect(await client.portPlease('127.0.0.1', 'me')).toMatchObject({
      name: 'me',
      port: 4_370,
      nodeType: EPMD_NODE_TYPE.normal,
    });
    expect(await client.portPlease('127.0.0.1', 'other')).toBeUndefined();
    expect(r.stats().portPlease).toBe(2);
  });

  it('answers NAMES with its own port and node, as erl_epmd expects', async () => {
    const r = await responder({ hidden: true });
    expect(await new EpmdClient({ port: r.port }).names('127.0.0.1')).toEqual({
      epmdPort: r.port,
      names: [{ name: 'me', port: 4_370 }],
    });
  });

  it('refuses ALIVE2 from another node (result 1)', async () => {
    const r = await responder();
    await expect(
      new EpmdClient({ port: r.port }).register({ name: 'intruder', port: 1 }),
    ).rejects.toMatchObject({
      code: BEAM_NET_ERRORS.EPMD,
      details: { reason: 'taken' },
    });
  });

  it('closes on KILL, STOP, DUMP, unknown tags and oversized requests without answering', async () => {
    const r = await responder({ maxRequestBytes: 64 });
    for (const tag of [107, 115, 100, 1])
      expect(await raw(r.port, Buffer.from([0, 1, tag]))).toEqual(Buffer.alloc(0));
    expect(await raw(r.port, Buffer.from([0x10, 0x00, 122]))).toEqual(Buffer.alloc(0));
    expect(r.stats().refused).toBe(5);
  });

  it('closes a connection that sends nothing within requestTimeoutMs', async () => {
    const r = await responder({ requestTimeoutMs: 50 });
    expect(await raw(r.port, Buffer.alloc(0), false)).toEqual(Buffer.alloc(0));
    expect(r.stats().refused).toBe(1);
  });

  it('refuses a busy port with KINDRED_ERR_EPMD listen_failed', async () => {
    const r = await responder();
    const again = new EpmdResponder({ name: 'me', nodePort: 1, port: r.port, host: '127.0.0.1' });
    await expect(again.listen()).rejects.toMatchObject({
      code: BEAM_NET_ERRORS.EPMD,
      details: { reason: 'listen_failed' },
    });
  });

  it('checks its options', () => {
    expect(() => new EpmdResponder({ name: '', nodePort: 1 })).toThrow(
      expect.objectContaining({ code: BEAM_NET_ERRORS.BEAM_NET_OPTION }),
    );
    expect(() => new EpmdResponder({ name: 'a', nodePort: 0 })).toThrow(
      expect.objectContaining({ code: BEAM_NET_ERRORS.BEAM_NET_OPTION }),
    );
  });
});
