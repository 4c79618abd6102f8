import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import {
  parseQuery,
  rawRecord,
  rawResponse,
  srvData,
  startRawDnsServer,
  TYPE,
  wireName,
} from '../src/dns-wire.js';

describe('byte-level DNS builders', () => {
  it('write names, records and responses a parser reads back', () => {
    expect(wireName('a.bc.')).toEqual(Buffer.from([1, 0x61, 2, 0x62, 0x63, 0]));
    const rr = rawRecord('x', TYPE.A, Buffer.from([10, 0, 0, 1]), 2);
    expect(rr.readUInt16BE(wireName('x').length + 8)).toBe(2); // the RDLENGTH given, not the real one
    const srv = srvData('t', 8585, 1, 2);
    expect([srv.readUInt16BE(0), srv.readUInt16BE(2), srv.readUInt16BE(4)]).toEqual([1, 2, 8585]);
    const res = rawResponse({ id: 7, name: 'q.test', type: TYPE.SRV }, { answers: [rr] }, { rcode: 3 });
    expect(parseQuery(res)).toEqual({ id: 7, name: 'q.test', type: TYPE.SRV });
    expect(res.readUInt16BE(2) & 0x000f).toBe(3);
    expect(res.readUInt16BE(6)).toBe(1);
  });

  it('startRawDnsServer answers over real UDP, or stays silent', async () => {
    const server = await startRawDnsServer((q) => (q.name === 'quiet.test' ? undefined : []));
    const client = createSocket('udp4');
    try {
      const got = new Promise<Buffer>((resolve) => client.once('message', resolve));
      client.send(rawResponse({ id: 42, name: 'loud.test', type: TYPE.A }), server.port, '127.0.0.1');
      const answer = await got;
      expect(parseQuery(answer)).toEqual({ id: 42, name: 'loud.test', type: TYPE.A });
    } finally {
      client.close();
      server.close();
    }
  });
});
