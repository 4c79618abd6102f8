// acceptHandshake against the real initiator (and raw bytes) over loopback sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeName, packet2 } from '../../src/handshake/messages.js';
import {
  acceptHandshake,
  BEAM_NET_ERRORS,
  DFLAG,
  initiateHandshake,
  isAcceptableNodeName,
  KINDRED_DIST_FLAGS,
  MANDATORY_FLAGS_26,
} from '../../src/index.js';
import { self } from '../helpers/handshake-self.js';
import { memoryLogger } from '../helpers/js-node.js';
import { socketPair } from '../helpers/socket-pair.js';

const sockets: import('node:net').Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

async function run(
  a: Parameters<typeof self>[1],
  b: Parameters<typeof self>[1],
  decide: Parameters<typeof acceptHandshake>[2] = () => 'ok',
  names: [string, string, string?] = ['a@h.example', 'b@h.example'],
) {
  const [sa, sb] = await socketPair();
  sockets.push(sa, sb);
  return Promise.allSettled([
    initiateHandshake(sa, self(names[0], a), names[2] ?? names[1]),
    acceptHandshake(sb, self(names[1], b), decide),
  ]);
}

describe('acceptHandshake', () => {
  it('completes with the real initiator: both sides agree on names, creations and the flags AND', async () => {
    const [ra, rb] = await run({ creation: 5 }, { creation: 6, flags: KINDRED_DIST_FLAGS });
    expect(ra.status === 'fulfilled' && rb.status === 'fulfilled').toBe(true);
    if (ra.status !== 'fulfilled' || rb.status !== 'fulfilled') return;
    expect(ra.value).toMatchObject({ peerName: 'b@h.example', peerCreation: 6, role: 'initiator' });
    expect(rb.value).toMatchObject({ peerName: 'a@h.example', peerCreation: 5, role: 'acceptor' });
    expect(ra.value.flags).toBe(KINDRED_DIST_FLAGS);
    expect(rb.value.flags).toBe(KINDRED_DIST_FLAGS);
  });

  it("a wrong cookie: the acceptor logs erl's line and both sides fail with bad_cookie", async () => {
    const logger = memoryLogger();
    const [ra, rb] = await run({ cookie: 'one' }, { cookie: 'two', logger });
    expect(ra).toMatchObject({
      status: 'rejected',
      reason: { code: BEAM_NET_ERRORS.BEAM_HANDSHAKE, details: { reason: 'bad_cookie' } },
    });
    expect(rb).toMatchObject({ status: 'rejected', reason: { details: { reason: 'bad_cookie' } } });
    expect(logger.lines.map((l) => l.msg)).toContain(
      "** Connection attempt from node 'a@h.example' rejected. Invalid challenge reply. **",
    );
  });

  it('a missing required flag: not_allowed to the initiator, erl\'s "cannot handle" line on the acceptor', async () => {
    const logger = memoryLogger();
    const [ra, rb] = await run(
      { flags: KINDRED_DIST_FLAGS & ~DFLAG.UNLINK_ID },
      { requiredFlags: MANDATORY_FLAGS_26, logger },
    );
    expect(ra).toMatchObject({ status: 'rejected', reason: { details: { reason: 'not_allowed' } } });
    expect(rb).toMatchObject({
      status: 'rejected',
      reason: { details: { reason: 'missing_flags', missing: ['UNLINK_ID'] } },
    });
    expect(logger.lines.map((l) => l.msg)).toContain(
      `** 'b@h.example': Connection attempt from node 'a@h.example' rejected since it cannot handle ["UNLINK_ID"].**`,
    );
  });

  it('the decision is sent as the status: nok and not_allowed fail both sides', async () => {
    for (const status of ['nok', 'not_allowed'] as const) {
      const logger = memoryLogger();
      const [ra, rb] = await run({}, { logger }, () => status);
      expect(ra).toMatchObject({ status: 'rejected', reason: { details: { reason: status } } });
      expect(rb).toMatchObject({ status: 'rejected', reason: { details: { reason: status } } });
      // erl logs a disallowed node, not a lost tie.
      expect(logger.lines.map((l) => l.msg)).toEqual(
        status === 'not_allowed' ? ["** Connection attempt from disallowed node 'a@h.example' ** "] : [],
      );
    }
  });

  it('alive: the initiator answers true and the handshake goes on; ok_simultaneous goes on', async () => {
    for (const status of ['alive', 'ok_simultaneous'] as const) {
      const [ra, rb] = await run({}, {}, () => status);
      expect([ra.status, rb.status]).toEqual(['fulfilled', 'fulfilled']);
    }
  });

  it('refuses a name that is not alive@host with not_allowed', async () => {
    const [ra, rb] = await run({}, {}, () => 'ok', ['noat', 'b@h.example']);
    expect(ra).toMatchObject({ status: 'rejected', reason: { details: { reason: 'not_allowed' } } });
    expect(rb).toMatchObject({ status: 'rejected', reason: { details: { reason: 'illegal_name' } } });
    expect(isAcceptableNodeName('a@b')).toBe(true);
    for (const n of ['a', '@b', 'a@', 'a@b@c']) expect(isAcceptableNodeName(n)).toBe(false);
  });

  it("drops an old 'n' name message as protocol_error, and a silent initiator with setup_timeout", async () => {
    const [sa, sb] = await socketPair();
    sockets.push(sa, sb);
    sa.write(packet2(Buffer.from([0x6e, 0, 5, 0, 0, 0, 0, 0x61])));
    await expect(acceptHandshake(sb, self('b@h.example'), () => 'ok')).rejects.toMatchObject({
      details: { reason: 'protocol_error' },
    });
    const [sc, sd] = await socketPair();
    sockets.push(sc, sd);
    await expect(
      acceptHandshake(sd, self('b@h.example', { setupTimeoutMs: 100 }), () => 'ok'),
    ).rejects.toMatchObject({
      code: BEAM_NET_ERRORS.BEAM_SETUP_TIMEOUT,
      details: { reason: 'setup_timeout' },
    });
    // The timer restarts at each step: a name, then silence.
    const [se, sf] = await socketPair();
    sockets.push(se, sf);
    se.write(packet2(encodeName({ flags: KINDRED_DIST_FLAGS, creation: 1, name: 'a@h.example' })));
    se.on('data', () => {});
    await expect(
      acceptHandshake(sf, self('b@h.example', { setupTimeoutMs: 100 }), () => 'ok'),
    ).rejects.toMatchObject({
      details: { reason: 'setup_timeout' },
    });
  });
});
