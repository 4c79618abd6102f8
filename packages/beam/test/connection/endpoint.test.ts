// BeamEndpoint between JS nodes on loopback (epmd-less): net_kernel's status rules (simultaneous connect, alive),
// allow, hidden, and option checks.

import { connect } from 'node:net';
import { SILENT_LOGGER } from '@kindred/interface';
import { NODE_IDENTITY_ERRORS } from '@kindred/node-identity';
import { until } from '@kindred/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BEAM_NET_ERRORS,
  BeamEndpoint,
  DFLAG,
  initiateHandshake,
  KINDRED_DIST_FLAGS,
  MANDATORY_FLAGS_25,
} from '../../src/index.js';
import type { JsNode } from '../helpers/js-node.js';
import { miniCodec } from '../helpers/mini-codec.js';
import { fixedNode, freePort } from '../helpers/pair.js';

const nodes: JsNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close();
});

async function two(extraB: Parameters<typeof fixedNode>[2] = {}): Promise<[JsNode, JsNode]> {
  const port = await freePort();
  const a = await fixedNode('a', port);
  const b = await fixedNode('b', port, extraB);
  nodes.push(a, b);
  return [a, b];
}

describe('BeamEndpoint', () => {
  it('simultaneous connect: both dials resolve and one connection per pair survives', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = await two();
      const [ca, cb] = await Promise.all([a.endpoint.connect(b.name), b.endpoint.connect(a.name)]);
      expect(ca.peerName).toBe(b.name);
      expect(cb.peerName).toBe(a.name);
      await until(() => a.endpoint.nodes().length === 1 && b.endpoint.nodes().length === 1);
      // The two ends are one TCP connection: opposite roles.
      expect(a.endpoint.connection(b.name)?.role).not.toBe(b.endpoint.connection(a.name)?.role);
      expect(a.endpoint.connection(b.name)).toBe(ca);
      expect(b.endpoint.connection(a.name)).toBe(cb);
      a.regSend(b.name, a.pid(), 'inbox', 1);
      await until(() => b.messagesTo('inbox').length === 1);
      for (const n of nodes.splice(0)) await n.close();
    }
  });

  it('a second connect to a connected node returns the same connection', async () => {
    const [a, b] = await two();
    const c1 = await a.endpoint.connect(b.name);
    expect(await a.endpoint.connect(b.name)).toBe(c1);
  });

  it('alive: a new handshake from a connected name replaces the old connection', async () => {
    const [a, b] = await two();
    await a.endpoint.connect(b.name);
    await until(() => b.endpoint.nodes().length === 1);
    const old = b.endpoint.connection(a.name);
    const host = b.name.split('@')[1] as string;
    const s = connect({ host, port: b.endpoint.port });
    s.on('error', () => {});
    await new Promise((resolve) => s.once('connect', resolve));
    const hs = await initiateHandshake(
      s,
      {
        name: a.name,
        cookie: 'pair-cookie',
        creation: 9,
        flags: KINDRED_DIST_FLAGS | DFLAG.PUBLISHED,
        requiredFlags: MANDATORY_FLAGS_25,
        setupTimeoutMs: 2_000,
        logger: SILENT_LOGGER,
      },
      b.name,
    );
    expect(hs.peerName).toBe(b.name);
    await until(() => b.nodedowns.length === 1);
    expect(b.nodedowns[0]).toMatchObject({ node: a.name, reason: 'replaced' });
    expect(old?.open).toBe(false);
    expect(b.endpoint.connection(a.name)?.peerCreation).toBe(9);
    s.destroy();
  });

  it('allow: a refused peer gets not_allowed', async () => {
    const [a, b] = await two({ allow: () => false });
    await expect(a.endpoint.connect(b.name)).rejects.toMatchObject({
      code: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
      details: { reason: 'not_allowed' },
    });
  });

  it('hidden nodes do not send PUBLISHED', async () => {
    const port = await freePort();
    const a = await fixedNode('a', port, { hidden: true });
    const b = await fixedNode('b', port);
    nodes.push(a, b);
    const c = await a.endpoint.connect(b.name);
    expect(c.flags & DFLAG.PUBLISHED).toBe(0n);
    const back = b.endpoint.connection(a.name) ?? (await until(() => b.endpoint.connection(a.name)));
    expect(back.flags & DFLAG.PUBLISHED).toBe(0n);
  });

  it("refuses names its naming mode cannot dial (erl's Hostname H is illegal)", async () => {
    const [a] = await two();
    await expect(a.endpoint.connect('x@localhost')).rejects.toMatchObject({
      code: NODE_IDENTITY_ERRORS.ILLEGAL_HOSTNAME,
    });
  });

  it('a short-name node refuses dotted hosts before dialing', async () => {
    const e = new BeamEndpoint({
      name: 's@myhost',
      cookie: 'c',
      codec: miniCodec,
      discovery: { mode: 'fixed', port: await freePort() },
      listenHost: '127.0.0.1',
    });
    await e.start();
    try {
      expect(e.mode).toBe('shortnames');
      await expect(e.connect('b@h.example')).rejects.toMatchObject({
        code: NODE_IDENTITY_ERRORS.ILLEGAL_HOSTNAME,
      });
    } finally {
      await e.close();
    }
  });

  it('checks its options and refuses FRAGMENTS', () => {
    const base = { name: 'a@h.example', cookie: 'c', codec: miniCodec };
    expect(() => new BeamEndpoint({ ...base, flags: KINDRED_DIST_FLAGS | DFLAG.FRAGMENTS })).toThrow(
      expect.objectContaining({ code: BEAM_NET_ERRORS.BEAM_NET_OPTION }),
    );
    expect(() => new BeamEndpoint({ ...base, setupTimeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: BEAM_NET_ERRORS.BEAM_NET_OPTION }),
    );
    expect(() => new BeamEndpoint({ ...base, discovery: { mode: 'fixed', port: 0 } })).toThrow(
      expect.objectContaining({ code: BEAM_NET_ERRORS.BEAM_NET_OPTION }),
    );
    expect(() => new BeamEndpoint({ ...base, name: 'noat' })).toThrow(
      expect.objectContaining({ code: NODE_IDENTITY_ERRORS.NODE_NAME_NO_AT }),
    );
  });

  it('connect after close is KINDRED_ERR_BEAM_CLOSED', async () => {
    const [a, b] = await two();
    await a.close();
    await expect(a.endpoint.connect(b.name)).rejects.toMatchObject({ code: BEAM_NET_ERRORS.BEAM_CLOSED });
  });
});
