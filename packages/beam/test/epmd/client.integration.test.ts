// EpmdClient against the real epmd binary (Debian's erlang-base) on a private port: ALIVE2 with the held socket,
// PORT_PLEASE2, NAMES, a taken name, unregistering by closing, and re-registration after epmd restarts.

import { until } from '@kindred/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEAM_NET_ERRORS, EPMD_NODE_TYPE, EpmdClient } from '../../src/index.js';
import { type Proc, runId, startEpmd } from '../helpers/erl.js';

const id = runId();
let epmd: { port: number; proc: Proc; env: NodeJS.ProcessEnv };

beforeAll(async () => {
  epmd = await startEpmd();
});
afterAll(async () => {
  await epmd.proc.stop();
});

describe('EpmdClient with the real epmd', () => {
  it('registers, is found by PORT_PLEASE2 and NAMES, and unregisters when the socket closes', async () => {
    const client = new EpmdClient({ port: epmd.port });
    const reg = await client.register({ name: `r_${id}`, port: 45_678 });
    expect(reg.creation).toBeGreaterThan(3);
    const info = await client.portPlease('127.0.0.1', `r_${id}`);
    expect(info).toMatchObject({
      name: `r_${id}`,
      port: 45_678,
      nodeType: EPMD_NODE_TYPE.normal,
      highestVersion: 6,
      lowestVersion: 6,
    });
    const names = await client.names('127.0.0.1');
    expect(names.epmdPort).toBe(epmd.port);
    expect(names.names).toContainEqual({ name: `r_${id}`, port: 45_678 });
    reg.close();
    await until(async () => (await client.portPlease('127.0.0.1', `r_${id}`)) === undefined);
  });

  it('a hidden registration answers NodeType 72', async () => {
    const client = new EpmdClient({ port: epmd.port });
    const reg = await client.register({ name: `h_${id}`, port: 45_679, hidden: true });
    expect((await client.portPlease('127.0.0.1', `h_${id}`))?.nodeType).toBe(EPMD_NODE_TYPE.hidden);
    reg.close();
  });

  it('refuses a name that is taken (ALIVE2 result 1)', async () => {
    const client = new EpmdClient({ port: epmd.port });
    const reg = await client.register({ name: `t_${id}`, port: 45_680 });
    await expect(client.register({ name: `t_${id}`, port: 45_681 })).rejects.toMatchObject({
      code: BEAM_NET_ERRORS.EPMD,
      details: { reason: 'taken' },
    });
    reg.close();
  });

  it('an unknown name is undefined (pang)', async () => {
    const client = new EpmdClient({ port: epmd.port });
    expect(await client.portPlease('127.0.0.1', `nobody_${id}`)).toBeUndefined();
  });

  it('honours ERL_EPMD_PORT when no port is given', async () => {
    const saved = process.env.ERL_EPMD_PORT;
    process.env.ERL_EPMD_PORT = String(epmd.port);
    try {
      expect(new EpmdClient().port).toBe(epmd.port);
    } finally {
      if (saved === undefined) delete process.env.ERL_EPMD_PORT;
      else process.env.ERL_EPMD_PORT = saved;
    }
  });

  it('re-registers, keeping its creation, after epmd restarts', async () => {
    const own = await startEpmd();
    try {
      const client = new EpmdClient({ port: own.port, reconnectIntervalMs: 100 });
      const reg = await client.register({ name: `rr_${id}`, port: 45_682 });
      let lost = false;
      let restored = false;
      reg.on('lost', () => {
        lost = true;
      });
      reg.on('restored', () => {
        restored = true;
      });
      await own.proc.stop();
      await until(() => lost);
      const again = await startEpmdOn(own.port);
      try {
        await until(() => restored, { timeoutMs: 10_000 });
        expect(await client.portPlease('127.0.0.1', `rr_${id}`)).toMatchObject({ port: 45_682 });
        expect(reg.creation).toBeGreaterThan(3);
      } finally {
        reg.close();
        await again.stop();
      }
    } finally {
      await own.proc.stop();
    }
  });
});

async function startEpmdOn(port: number): Promise<Proc> {
  const { Proc: P } = await import('../helpers/erl.js');
  const proc = new P('epmd', ['-port', String(port), '-address', '127.0.0.1'], process.env);
  const client = new EpmdClient({ port, requestTimeoutMs: 1_000 });
  await until(
    async () => {
      try {
        await client.names('127.0.0.1');
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  return proc;
}

it('unreachable epmd is KINDRED_ERR_EPMD unreachable', async () => {
  const { freePort } = await import('@kindred/test-support');
  const client = new EpmdClient({ port: await freePort() });
  await expect(client.names('127.0.0.1')).rejects.toMatchObject({
    code: BEAM_NET_ERRORS.EPMD,
    details: { reason: 'unreachable' },
  });
});
