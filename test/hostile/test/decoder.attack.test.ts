import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  arrayHeader,
  binHeader,
  cat,
  ext,
  extHeader,
  mapHeader,
  neverUsed,
  repeat,
  str,
  strHeader,
} from '../src/msgpack.js';
import { NEAR_MAX_FRAME, outcome, sendAll, Victim } from './victim.js';

// Frames that only a decoder understanding nothing but kindred's types survives (issue 11, items 1 and 2). Each
// goes on an authenticated connection, tagged, so it reaches the decoder; the target is a close with 4000
// protocol_error, the node alive, a ping within 1 s and memory back near where it was.

const GIB4 = 0xffffffff;

// msgpackr's built-in extensions, as msgpackr itself writes them (tag extensions are followed by their value).
const BUILTIN_EXTENSIONS: readonly (readonly [string, Buffer])[] = [
  ['0x62 bundled strings, negative offset (the 9-byte killer)', Buffer.from('a0a0d662fffffffcc0', 'hex')],
  ['0x62 bundled strings', cat(ext(0x62, Buffer.from('00000004', 'hex')), str('x'), str('y'))],
  ['0x65 Error', cat(extHeader(0x65, 1), Buffer.of(0), arrayHeader(2), str('TypeError'), str('boom'))],
  ['0x78 RegExp', cat(extHeader(0x78, 1), Buffer.of(0), arrayHeader(2), str('(a+)+$'), str('g'))],
  ['0x73 Set', cat(extHeader(0x73, 1), Buffer.of(0), arrayHeader(1), str('x'))],
  ['0x74 typed array', ext(0x74, Buffer.from('0100000000000000', 'hex'))],
  ['0x42 BigInt', ext(0x42, Buffer.alloc(16, 0x7f))],
  ['0x72 record definition', cat(extHeader(0x72, 1), Buffer.of(0x40), arrayHeader(1), str('a'), str('v'))],
  ['0x69 structured-clone id', cat(ext(0x69, Buffer.alloc(4)), arrayHeader(0))],
  ['0x70 structured-clone pointer', ext(0x70, Buffer.alloc(4))],
  // `d4 00 00` (msgpackr's undefined) is the one 0x00 form docs/protocol.md allows; any other body is refused.
  ['0x00 with a body other than 00', ext(0x00, Buffer.of(1))],
  ['0x00 with a 4-byte body', ext(0x00, Buffer.alloc(4))],
  ['an unknown extension 0x11', ext(0x11, Buffer.alloc(4))],
  ['0xc1 (never used)', neverUsed()],
];

const LYING_LENGTHS: readonly (readonly [string, Buffer])[] = [
  ['str32', cat(strHeader(GIB4, 32), Buffer.from('abc'))],
  ['bin32', cat(binHeader(GIB4, 32), Buffer.from('abc'))],
  ['array32', cat(arrayHeader(GIB4, 32), Buffer.of(0xc0))],
  ['map32', cat(mapHeader(GIB4, 32), Buffer.of(0xc0, 0xc0))],
  ['ext32', cat(extHeader(0x50, GIB4, 32), Buffer.from('abc'))],
];

describe('decoder attacks on an authenticated connection', () => {
  let v: Victim;
  beforeEach(async () => {
    v = await Victim.start('cli');
  });
  afterEach(async () => {
    await v.stop();
  });

  const expectClosed = async (frames: readonly Uint8Array[], label: string) => {
    const s = await v.session();
    await sendAll(s, frames);
    const code = await outcome(s, 3000);
    await v.expectHealthy(); // first: a node the frame froze or killed is the worse failure
    expect(code, label).toBe(4000);
  };

  for (const [label, bytes] of BUILTIN_EXTENSIONS) {
    it(`closes with 4000 for ${label}`, async () => {
      await expectClosed([bytes], label);
    });
  }

  it('closes with 4000 for each length that claims 4 GiB in a short frame', async () => {
    for (const [label, bytes] of LYING_LENGTHS) await expectClosed([bytes], label);
  });

  it('closes with 4000 for 100,000 nested arrays', async () => {
    await expectClosed([cat(repeat(Buffer.of(0x91), 100_000), Buffer.of(0xc0))], 'deep nesting');
  });

  it('closes with 4000 for an 8 MiB frame of Error extensions', async () => {
    await expectClosed([repeat(Buffer.from('d4650090', 'hex'), NEAR_MAX_FRAME / 4)], 'Error extensions');
  });

  it('closes with 4011 for bytes with a bad tag after the handshake', async () => {
    const s = await v.session();
    await s.sendBadTag(Buffer.from('9191c0', 'hex'));
    const code = await outcome(s, 3000);
    await v.expectHealthy();
    expect(code).toBe(4011);
  });
});
