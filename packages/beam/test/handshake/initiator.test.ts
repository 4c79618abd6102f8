// initiateHandshake against the real acceptor and against scripted acceptors.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeStatus, packet2 } from '../../src/handshake/messages.js';
import { acceptHandshake, BEAM_NET_ERRORS, initiateHandshake } from '../../src/index.js';
import { self } from '../helpers/handshake-self.js';
import { socketPair } from '../helpers/socket-pair.js';

const sockets: import('node:net').Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

describe('initiateHandshake', () => {
  it('refuses a challenge whose name is not the dialed one, byte for byte (name_mismatch)', async () => {
    for (const [dialed, actual] of [
      ['n1@127.0.0.1', 'n1@host.example'],
      ['n1@Host.example', 'n1@host.example'],
    ] as const) {
      const [sa, sb] = await socketPair();
      sockets.push(sa, sb);
      const acceptor = acceptHandshake(sb, self(actual), () => 'ok').catch((e: unknown) => e);
      await expect(initiateHandshake(sa, self('a@h.example'), dialed)).rejects.toMatchObject({
        code: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
        details: { reason: 'name_mismatch', answered: actual },
      });
      await acceptor;
    }
  });

  it('an unknown status is protocol_error; a close mid-handshake is connection_closed', async () => {
    const [sa, sb] = await socketPair();
    sockets.push(sa, sb);
    sb.once('data', () => sb.write(packet2(encodeStatus('maybe'))));
    await expect(initiateHandshake(sa, self('a@h.example'), 'b@h.example')).rejects.toMatchObject({
      details: { reason: 'protocol_error', status: 'maybe' },
    });
    const [sc, sd] = await socketPair();
    sockets.push(sc, sd);
    sd.once('data', () => sd.destroy());
    await expect(initiateHandshake(sc, self('a@h.example'), 'b@h.example')).rejects.toMatchObject({
      details: { reason: 'connection_closed' },
    });
  });

  it('a silent acceptor is setup_timeout', async () => {
    const [sa, sb] = await socketPair();
    sockets.push(sa, sb);
    sb.on('data', () => {});
    await expect(
      initiateHandshake(sa, self('a@h.example', { setupTimeoutMs: 100 }), 'b@h.example'),
    ).rejects.toMatchObject({
      code: BEAM_NET_ERRORS.BEAM_SETUP_TIMEOUT,
    });
  });

  it('refuses a huge declared packet length as too_large', async () => {
    const [sa, sb] = await socketPair();
    sockets.push(sa, sb);
    sb.once('data', () => sb.write(Buffer.from([0xff, 0xff, 0x73])));
    await expect(initiateHandshake(sa, self('a@h.example'), 'b@h.example')).rejects.toMatchObject({
      details: { reason: 'too_large' },
    });
  });
});
