import { isIP } from 'node:net';
import { rawRecord, rawResponse, srvData, TYPE, wireName } from '@kindred/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../src/message.js';

const q = (type: number) => ({ id: 0x1234, name: 'svc.test', type });

describe('decodeMessage', () => {
  it('decodes well-formed records of every modelled type', () => {
    const m = decodeMessage(
      rawResponse(q(TYPE.SRV), {
        answers: [
          rawRecord('svc.test', TYPE.SRV, srvData('pod-1.svc.test', 8585, 1, 50)),
          rawRecord('svc.test', TYPE.CNAME, wireName('other.test')),
          rawRecord('svc.test', TYPE.TXT, Buffer.from('\x02hi\x03you', 'latin1')),
        ],
        additionals: [
          rawRecord('pod-1.svc.test', TYPE.A, Buffer.from([10, 244, 1, 5])),
          rawRecord('pod-1.svc.test', TYPE.AAAA, Buffer.from('fd000000000000000000000000000005', 'hex')),
        ],
      }),
    );
    expect(m.malformed).toBeUndefined();
    expect(m.question).toEqual({ name: 'svc.test', type: 'SRV', class: 'IN' });
    expect(m.answers.map((r) => r.data)).toEqual([
      { priority: 1, weight: 50, port: 8585, target: 'pod-1.svc.test' },
      'other.test',
      [Buffer.from('hi'), Buffer.from('you')],
    ]);
    expect(m.additionals.map((r) => r.data)).toEqual(['10.244.1.5', 'fd00::5']);
  });

  it('refuses an A record that is not 4 bytes, instead of decoding 10.undefined.undefined.undefined', () => {
    // The case: 2 bytes of A data at the very end of the datagram.
    const truncated = decodeMessage(
      rawResponse(q(TYPE.A), { answers: [rawRecord('svc.test', TYPE.A, Buffer.from([10, 0]))] }),
    );
    expect(truncated.malformed).toMatch(/A record svc\.test: an IPv4 address is 4 bytes \(RDLENGTH 2\)/);
    expect(truncated.answers).toEqual([]);
    // RDLENGTH 5 with 5 bytes present, and RDLENGTH 4 with only 2 bytes left in the message.
    for (const record of [
      rawRecord('svc.test', TYPE.A, Buffer.from([10, 0, 0, 1, 9])),
      rawRecord('svc.test', TYPE.A, Buffer.from([10, 0]), 4),
    ]) {
      const m = decodeMessage(rawResponse(q(TYPE.A), { answers: [record] }));
      expect(m.malformed).toBeDefined();
      expect(m.answers).toEqual([]);
    }
  });

  it('refuses an AAAA record that is not 16 bytes', () => {
    const m = decodeMessage(
      rawResponse(q(TYPE.AAAA), { answers: [rawRecord('svc.test', TYPE.AAAA, Buffer.from([10, 0, 0, 1]))] }),
    );
    expect(m.malformed).toMatch(/AAAA record svc\.test: an IPv6 address is 16 bytes \(RDLENGTH 4\)/);
  });

  it('refuses CNAME, PTR, NS, SRV, SOA and TXT data that does not fill its RDLENGTH exactly', () => {
    const name = wireName('target.test');
    const soa = Buffer.concat([wireName('ns.test'), wireName('admin.test'), Buffer.alloc(20)]);
    const cases: [number, Buffer, number][] = [
      [TYPE.CNAME, name, name.length + 3], // RDLENGTH longer than the name: the next record would start inside it
      [TYPE.PTR, name, name.length - 2], // the name runs past its RDLENGTH into whatever follows
      [TYPE.NS, Buffer.concat([name, Buffer.from([1, 2])]), name.length + 2],
      [TYPE.SRV, srvData('target.test', 80), 5], // shorter than priority + weight + port + a name
      [TYPE.SRV, srvData('target.test', 80), 6 + name.length - 3],
      [TYPE.SOA, soa, soa.length - 4],
      [TYPE.TXT, Buffer.from('\x05hi', 'latin1'), 3], // a string longer than the data
    ];
    for (const [type, rdata, rdlength] of cases) {
      // A valid A record after the bad one: it must not be returned either (framing after a bad record is suspect).
      const m = decodeMessage(
        rawResponse(q(type), {
          answers: [
            rawRecord('svc.test', type, rdata, rdlength),
            rawRecord('svc.test', TYPE.A, Buffer.from([192, 0, 2, 1])),
          ],
        }),
      );
      expect(m.malformed, `type ${type} RDLENGTH ${rdlength}`).toBeDefined();
      expect(m.answers).toEqual([]);
    }
  });

  it('refuses names that follow too many compression pointers, or point forwards', () => {
    // An answer whose RDATA (an unmodelled type) is a chain of 100 pointers, each to the one before, the first to the
    // question name; then an A record owned by the end of the chain. Decoding such names cost CPU per hop.
    const head = rawResponse(q(TYPE.A));
    const chainAt = head.length + 2 + 10; // after the first record's owner (a pointer) and fixed part
    const chain = Buffer.alloc(200);
    for (let i = 0, prev = 12; i < 100; prev = chainAt + 2 * i, i++)
      chain.writeUInt16BE(0xc000 | prev, 2 * i);
    const end = chainAt + 2 * 99;
    const first = rawRecord('x', 99, chain).subarray(wireName('x').length);
    const owner = (pointer: number) => Buffer.from([0xc0 | (pointer >> 8), pointer & 0xff]);
    const message = (pointer: number) => {
      const buf = Buffer.concat([
        head,
        owner(12),
        first,
        owner(pointer),
        rawRecord('x', TYPE.A, Buffer.from([10, 0, 0, 1])).subarray(wireName('x').length),
      ]);
      buf.writeUInt16BE(2, 6);
      return buf;
    };
    expect(decodeMessage(message(chainAt + 2 * 10)).malformed).toBeUndefined(); // 11 hops: fine
    expect(decodeMessage(message(end)).malformed).toMatch(/more than 32 compression pointers/);
    expect(decodeMessage(message(head.length + 400)).malformed).toMatch(/does not point backwards/);
  });

  it('throws only when the header or the question cannot be decoded', () => {
    expect(() => decodeMessage(Buffer.from('short'))).toThrow(/shorter than a DNS header/);
    const header = rawResponse(q(TYPE.A)).subarray(0, 14); // the question name cut short
    expect(() => decodeMessage(header)).toThrow();
  });

  it('never returns an A or AAAA record whose data is not an address, whatever the bytes (property)', () => {
    const valid = encodeMessage({
      id: 7,
      type: 'response',
      flags: 0x0100,
      questions: [{ name: 'svc.test', type: 'SRV', class: 'IN' }],
      answers: [
        {
          name: 'svc.test',
          type: 'SRV',
          ttl: 5,
          data: { priority: 0, weight: 1, port: 80, target: 'a.test' },
        },
        {
          name: 'svc.test',
          type: 'SRV',
          ttl: 5,
          data: { priority: 0, weight: 1, port: 81, target: 'b.test' },
        },
      ],
      additionals: [
        { name: 'a.test', type: 'A', ttl: 5, data: '10.0.0.1' },
        { name: 'b.test', type: 'AAAA', ttl: 5, data: 'fd00::1' },
      ],
    } as never);
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(valid.length - 1), byte: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(valid.length),
        (edits, cut) => {
          const bytes = Buffer.from(valid.subarray(0, Math.max(12, cut)));
          for (const { at, byte } of edits) if (at < bytes.length) bytes[at] = byte;
          let m: ReturnType<typeof decodeMessage>;
          try {
            m = decodeMessage(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
            return;
          }
          for (const r of [...m.answers, ...m.authorities, ...m.additionals]) {
            if (r.type === 'A') expect(isIP(r.data as string)).toBe(4);
            if (r.type === 'AAAA') expect(isIP(r.data as string)).toBe(6);
            if (r.type === 'SRV') expect(typeof (r.data as { target: unknown }).target).toBe('string');
          }
          if (m.malformed !== undefined) expect(m.answers.length + m.additionals.length).toBe(0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
