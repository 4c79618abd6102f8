// Experiment (not part of run.mjs): what encoding and decoding one benchmark message costs, in one process, for the
// envelope kindred puts on the wire today and for cheaper alternatives. Prints CPU ns per message for each variant.
//   node bench/experiments/codec.mjs [messages]
// Variants, each packing `messages` messages into frames of 2,000 and decoding them back with unpackMultiple:
//   bare         the message alone (what raw ws + msgpackr sends)
//   kindred      [[SEND_SENDER, fromPid, toPid], msg] with @kindred/runtime's Pid extension (node names inside
//                every pid), packed one message at a time and joined with Buffer.concat, as @kindred/transport does
//   kindred-1buf the same envelope written into one growing buffer per frame (no per-message Buffer + concat)
//   int-pids     the envelope with pids as [id, serial, creation] only (node names implied by the connection, as
//                Erlang's atom cache makes them a one-byte index)

import { Pid } from '@kindred/runtime';
import { Packr } from 'msgpackr';
import { message } from '../lib/message.mjs';

const N = Number(process.argv[2] ?? 200_000);
const FRAME = 2_000;
const packr = new Packr({ useRecords: false, mapsAsObjects: true });
const from = new Pid('kbs_abc123@127.0.0.1', 40, 0, 3_000_000_001);
const to = new Pid('kbr_abc123@127.0.0.1', 41, 0, 3_000_000_002);
const OP = 2;

const variants = {
  bare: (i) => packr.pack(message('kbr_abc123@127.0.0.1', 1, i)),
  kindred: (i) => packr.pack([[OP, from, to], message('kbr_abc123@127.0.0.1', 1, i)]),
  'int-pids': (i) =>
    packr.pack([
      [OP, [from.id, from.serial, from.creation], [to.id, to.serial, to.creation]],
      message('kbr_abc123@127.0.0.1', 1, i),
    ]),
};

function run(name, encode, oneBuffer) {
  let bytes = 0;
  let decoded = 0;
  // CPU time of this process, not wall time: the machine is shared, and waiting for a core is not codec cost.
  const c0 = process.cpuUsage();
  for (let start = 0; start < N; start += FRAME) {
    let frame;
    if (oneBuffer) {
      // One pack() of an array costs a few bytes of header but no per-message Buffer or copy.
      const batch = [];
      for (let i = start; i < start + FRAME && i < N; i++)
        batch.push([[OP, from, to], message('kbr_abc123@127.0.0.1', 1, i)]);
      frame = packr.pack(batch);
    } else {
      const parts = [];
      let len = 0;
      for (let i = start; i < start + FRAME && i < N; i++) {
        const b = encode(i);
        parts.push(b);
        len += b.length;
      }
      frame = Buffer.concat(parts, len);
    }
    bytes += frame.length;
    const out = oneBuffer ? packr.unpack(frame) : packr.unpackMultiple(frame);
    decoded += out.length;
  }
  const c = process.cpuUsage(c0);
  const ns = ((c.user + c.system) * 1000) / N;
  if (decoded !== N) throw new Error(`${name}: decoded ${decoded} of ${N}`);
  return { variant: name, nsPerMessage: Math.round(ns), bytesPerMessage: Math.round((bytes / N) * 10) / 10 };
}

const results = [];
for (let round = 0; round < 2; round++) {
  // First round warms up; the second is reported.
  const r = [
    run('bare', variants.bare, false),
    run('kindred', variants.kindred, false),
    run('kindred-1buf', undefined, true),
    run('int-pids', variants['int-pids'], false),
  ];
  if (round === 1) results.push(...r);
}
for (const r of results)
  console.log(
    `${r.variant.padEnd(13)} ${String(r.nsPerMessage).padStart(6)} CPU ns/msg  ${r.bytesPerMessage} bytes/msg`,
  );
