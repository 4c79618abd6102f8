import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCa, makeCert } from '@kindred/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Transport, TransportTlsOptions } from '../src/types.js';
import { once, startNode } from './support.js';

// Certificates made here with the openssl CLI: a CA, node certificates it signs (IP SAN 127.0.0.1, server and
// client use), and a second, untrusted CA.
let dir: string;
let trusted: { ca: string; a: TransportTlsOptions; b: TransportTlsOptions };
let rogue: TransportTlsOptions;

/** A certificate for 127.0.0.1 signed by the CA `ca`, as PEM. */
function cert(name: string, ca: string): { cert: string; key: string } {
  makeCert(dir, name, ca, 'IP:127.0.0.1');
  return {
    cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kindred-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'rogue-ca');
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  trusted = { ca, a: { ...cert('a', 'ca'), ca }, b: { ...cert('b', 'ca'), ca } };
  rogue = { ...cert('r', 'rogue-ca'), ca };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});
async function node(name: string, extra: Parameters<typeof startNode>[1]) {
  const n = await startNode(name, extra);
  open.push(n.t);
  return n;
}

describe('TLS (wss)', () => {
  it('connects and carries messages when both certificates chain to the CA', async () => {
    const a = await node('a@127.0.0.1', { tls: trusted.a });
    const b = await node('b@127.0.0.1', { tls: { ...trusted.b, requireClientCert: true } });
    await a.t.connect('b@127.0.0.1', { port: b.port });
    const got = once<[string, unknown, number]>(b.t, 'message');
    a.t.send('b@127.0.0.1', { over: 'tls' });
    expect(await got).toEqual(['a@127.0.0.1', { over: 'tls' }, expect.any(Number)]);
  });

  it('frees the edge slot of the TCP connection once the upgrade arrives over TLS', async () => {
    const a = await node('a@127.0.0.1', { tls: trusted.a });
    const b = await node('b@127.0.0.1', { tls: trusted.b, maxRawConnections: 1 });
    await a.t.connect('b@127.0.0.1', { port: b.port });
    expect(b.t.stats().edge).toMatchObject({ rawConnections: 0, pendingHandshakes: 0, refusals: {} });
    // With its only slot free again, the listener accepts the next node.
    const c = await node('c@127.0.0.1', { tls: trusted.a });
    await c.t.connect('b@127.0.0.1', { port: b.port });
    expect(b.t.nodes().sort()).toEqual(['a@127.0.0.1', 'c@127.0.0.1']);
  });

  it('refuses a server certificate that does not chain to the trusted CA', async () => {
    const a = await node('a@127.0.0.1', { tls: trusted.a });
    const r = await node('b@127.0.0.1', { tls: rogue });
    await expect(a.t.connect('b@127.0.0.1', { port: r.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_CONNECT_FAILED',
      message: expect.stringMatching(/certificate/),
    });
  });

  it('refuses a client certificate from another CA when client certificates are required', async () => {
    const b = await node('b@127.0.0.1', { tls: { ...trusted.b, requireClientCert: true } });
    const r = await node('a@127.0.0.1', { tls: { ...rogue, ca: trusted.ca } });
    await expect(r.t.connect('b@127.0.0.1', { port: b.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_CONNECT_FAILED',
    });
    expect(b.t.nodes()).toEqual([]);
  });

  it('still requires the cookie', async () => {
    const a = await node('a@127.0.0.1', { tls: trusted.a, cookie: 'one' });
    const b = await node('b@127.0.0.1', { tls: trusted.b, cookie: 'two' });
    await expect(a.t.connect('b@127.0.0.1', { port: b.port })).rejects.toMatchObject({
      code: 'KINDRED_ERR_BAD_COOKIE',
    });
  });
});
