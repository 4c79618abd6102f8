import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAlive2Response,
  decodeNamesResponse,
  decodePort2Response,
  encodeAlive2Request,
  encodeAlive2Response,
  encodeNamesResponse,
  encodePort2Response,
  encodePortPleaseRequest,
  readRequest,
} from '../../src/epmd/protocol.js';

const info = fc.record({
  name: fc.stringMatching(/^[0-9A-Za-z_-]{1,40}$/),
  port: fc.integer({ min: 1, max: 65_535 }),
  nodeType: fc.constantFrom(72, 77),
  protocol: fc.constant(0),
  highestVersion: fc.constant(6),
  lowestVersion: fc.constantFrom(5, 6),
  extra: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
});

describe('EPMD wire format', () => {
  it('ALIVE2_REQ is the bytes erl 25 sends (reference probe)', () => {
    const b = encodeAlive2Request({
      name: 'ts',
      port: 0x9875,
      nodeType: 77,
      protocol: 0,
      highestVersion: 6,
      lowestVersion: 6,
      extra: Buffer.alloc(0),
    });
    expect(b.toString('hex')).toBe('000f7898754d0000060006000274730000');
  });

  it('PORT2_RESP round-trips, in any split', () => {
    fc.assert(
      fc.property(info, fc.nat(), (i, cut) => {
        const bytes = encodePort2Response(i);
        expect(decodePort2Response(bytes)).toEqual(i);
        const at = cut % bytes.length;
        if (at > 0) expect(decodePort2Response(bytes.subarray(0, at))).toBe('short');
      }),
    );
    expect(decodePort2Response(Buffer.from([0x77, 1]))).toBeNull();
  });

  it('ALIVE2_X_RESP and the old ALIVE2_RESP decode', () => {
    expect(decodeAlive2Response(Buffer.from('760100000063', 'hex'))).toEqual({ result: 1, creation: 99 });
    expect(decodeAlive2Response(encodeAlive2Response(0, 0xdeadbeef))).toEqual({
      result: 0,
      creation: 0xdeadbeef,
    });
    expect(decodeAlive2Response(Buffer.from('7900', 'hex'))).toBeUndefined();
    expect(decodeAlive2Response(Buffer.from('79000007', 'hex'))).toEqual({ result: 0, creation: 7 });
    expect(() => decodeAlive2Response(Buffer.from([1]))).toThrow();
  });

  it('NAMES round-trips and skips junk lines', () => {
    const b = encodeNamesResponse(43_693, [
      { name: 'a', port: 1 },
      { name: 'b_2', port: 65_535 },
    ]);
    expect(b.subarray(0, 4).toString('hex')).toBe('0000aaad');
    expect(decodeNamesResponse(Buffer.concat([b, Buffer.from('junk\n')]))).toEqual({
      epmdPort: 43_693,
      names: [
        { name: 'a', port: 1 },
        { name: 'b_2', port: 65_535 },
      ],
    });
  });

  it('readRequest bounds the length and waits for the whole request', () => {
    const req = encodePortPleaseRequest('node1');
    expect(readRequest(req.subarray(0, 3), 100)).toBe('short');
    expect(readRequest(req, 100)).toEqual({ tag: 122, body: Buffer.from('node1') });
    expect(readRequest(Buffer.from([0xff, 0xff]), 100)).toBe('too_large');
    expect(readRequest(Buffer.from([0, 0]), 100)).toBe('too_large');
  });
});
