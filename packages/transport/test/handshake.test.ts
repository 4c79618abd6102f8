import { connect as tcpConnect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeHandshake, FLAGS, PROTOCOL_VERSION } from '../src/protocol.js';
import type { Transport } from '../src/types.js';
import { closeCode, rawHandshake, rawSocket, startNode } from './support.js';

// A listener under attack: random bytes on the TCP port, random WebSocket messages, and well-formed but wrong
// handshake messages. Each connection must be closed by the listener with a code, the listener must keep accepting
// real nodes, and its heap must not grow with the number of attacks.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// Host verification needs a resolver; the attacks claim arbitrary hosts, and a real resolver would send those
// queries to whatever DNS server this machine uses. This stand-in (a mock, on purpose) knows one host only.
const resolver = {
  lookupHost: async (name: string) => {
    if (name === 'good.test') return { addresses: ['127.0.0.1'] };
    throw Object.assign(new Error(`${name} unknown`), { code: 'KINDRED_ERR_DNS_NXDOMAIN' });
  },
};

let listener: Transport;
let port: number;
const packr = new Packr({ useRecords: false });

beforeAll(async () => {
  ({ t: listener, port } = await startNode('l@127.0.0.1', { setupTimeoutMs: 250, resolver }));
});
afterAll(async () => {
  await listener.close();
});

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function stillAnswers(): Promise<void> {
  const { t } = await startNode('probe@good.test', { resolver });
  try {
    await t.connect('l@127.0.0.1', { port, address: '127.0.0.1' });
    expect(t.nodes()).toEqual(['l@127.0.0.1']);
  } finally {
    await t.close();
  }
}

/**
 * Sends raw bytes on a TCP connection and resolves with what came back once the listener closed it. With `end`
 * false the write side stays open, so only the listener can end the connection.
 */
function rawTcp(bytes: Uint8Array, end = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
    });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
    s.setTimeout(5_000, () => reject(new Error('the listener did not close the connection')));
    if (end) s.end(bytes);
    else s.write(bytes);
  });
}

/** Sends WebSocket messages after the upgrade; resolves with the close code the listener sent. */
async function wsAttack(messages: Array<{ data: Uint8Array | string }>): Promise<number> {
  const ws = await rawSocket(port);
  const code = closeCode(ws);
  ws.on('error', () => {});
  for (const m of messages) {
    if (ws.readyState !== WebSocket.OPEN) break;
    ws.send(m.data, { binary: typeof m.data !== 'string' });
  }
  return code;
}

const nodeName = fc.oneof(
  fc.constantFrom(
    'a@good.test',
    'a@evil.test',
    'a@127.0.0.1',
    'l@127.0.0.1',
    'a@nodot',
    'nope',
    '',
    '@',
    'a@',
  ),
  fc.string({ maxLength: 300 }),
);
const bin = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }));
const field = fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), bin, fc.constant(null), fc.boolean());
const handshakeMessage = fc.oneof(
  fc.tuple(
    fc.constant('n'),
    fc.oneof(fc.constant(PROTOCOL_VERSION), fc.integer()),
    nodeName,
    bin,
    fc.oneof(fc.nat(), field),
  ),
  fc.tuple(fc.constant('r'), bin),
  fc.tuple(fc.constantFrom('c', 's', 'a', 'x', 'n'), field, field),
  fc.array(field, { maxLength: 6 }),
  field,
);

describe('a listener under attack', () => {
  it('closes connections sending random bytes with an HTTP error, and keeps answering', async () => {
    const before = heapAfterGc();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), async (bytes) => {
        const reply = await rawTcp(bytes);
        expect(reply === '' || /^HTTP\/1\.1 4\d\d /.test(reply)).toBe(true);
      }),
      { numRuns: 150 },
    );
    await stillAnswers();
    expect(heapAfterGc() - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('closes WebSocket connections sending random messages with a 4xxx code', async () => {
    const before = heapAfterGc();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(fc.record({ data: fc.uint8Array({ maxLength: 2000 }) }), fc.record({ data: fc.string() })),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        async (messages) => {
          const code = await wsAttack(messages);
          // 4xxx from the handshake, or 1009 from ws for a message over the 1024-byte pre-handshake limit.
          expect(code === 1009 || (code >= 4000 && code < 4100)).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
    await stillAnswers();
    expect(heapAfterGc() - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('closes connections sending well-formed but wrong handshake messages with a 4xxx code', async () => {
    const before = heapAfterGc();
    await fc.assert(
      fc.asyncProperty(fc.array(handshakeMessage, { minLength: 1, maxLength: 3 }), async (msgs) => {
        const code = await wsAttack(msgs.map((m) => ({ data: packr.pack(m) })));
        expect(code).toBeGreaterThanOrEqual(4000);
        expect(code).toBeLessThan(4100);
      }),
      { numRuns: 120 },
    );
    await stillAnswers();
    expect(listener.stats().pendingHandshakes).toBe(0);
    for (let i = 0; i < 100 && listener.nodes().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(listener.nodes()).toEqual([]); // the probe's connection is gone; no attacker ever got in
    expect(heapAfterGc() - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('closes connections that upgrade and then send random WebSocket-level bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        const upgrade =
          'GET /kindred HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Protocol: kindred-dist.1\r\n\r\n';
        const reply = await rawTcp(Buffer.concat([Buffer.from(upgrade), bytes]), false);
        expect(reply.startsWith('HTTP/1.1 101 ')).toBe(true);
      }),
      { numRuns: 60 },
    );
    await stillAnswers();
  });

  it('refuses a large message before the handshake (1009) without buffering it', async () => {
    expect(await wsAttack([{ data: new Uint8Array(64 * 1024) }])).toBe(1009);
  });

  it('refuses a correct handshake with a wrong cookie (4003) and a wrong subprotocol (4001)', async () => {
    await expect(rawHandshake(port, 'a@good.test', 'l@127.0.0.1', 'not-the-cookie')).rejects.toThrow(
      /closed 4003/,
    );
    const ws = await rawSocket(port, 'kindred-dist.999').catch((e: Error) => e);
    expect(ws).toBeInstanceOf(Error); // the listener selects no subprotocol; ws refuses the upgrade client-side
    const bare = new WebSocket(`ws://127.0.0.1:${port}/kindred`);
    bare.on('error', () => {});
    expect(await closeCode(bare)).toBe(4001);
    const name = encodeHandshake({
      tag: 'n',
      version: PROTOCOL_VERSION,
      name: 'a@evil.test',
      challenge: Buffer.alloc(32),
      flags: FLAGS.INTEGRITY,
    });
    // The host check waits for the cookie proof: a NAME alone gets a CHALLENGE, then the setup deadline (4007).
    expect(await wsAttack([{ data: name }])).toBe(4007);
  });
});
