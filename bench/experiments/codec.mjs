// Experiment (not part of run.mjs): the CPU cost of encoding and decoding one benchmark message, in one process, for
// the envelope kindred puts on the wire and for cheaper alternatives. Encode and decode are timed apart (process CPU
// time, not wall time: the machine is shared), frames of 1,000 messages.
//   node bench/experiments/codec.mjs [messages]
// Variants:
//   bare            the message alone, one pack() per message, frames joined with Buffer.concat
//   send            [[SEND, '', toPid], msg] (the runtime's remote send since 27ab6e9), one pack() per message and
//                   Buffer.concat per frame, as @kindred/transport encodes today
//   send-1pack      the same envelopes, one pack() of the frame's array (one call per frame, no concat)
//   send-sender     [[SEND_SENDER, fromPid, toPid], msg], the envelope before 27ab6e9, per-message pack
//   send-intpid     [[SEND, '', [id, serial, creation]], msg]: the node name left to the connection (atom-cache-like)

import { Pid } from '@kindred/runtime';
import { Packr } from 'msgpackr';
import { message } from '../lib/message.mjs';

const N = Number(process.argv[2] ?? 200_000);
const FRAME = 1_000;
const packr = new Packr({ useRecords: false, mapsAsObjects: true });
const from = new Pid('kbs_abc123@127.0.0.1', 40, 0, 3_000_000_001);
const to = new Pid('kbr_abc123@127.0.0.1', 41, 0, 3_000_000_002);
const NODE = 'kbr_abc123@127.0.0.1';
const SEND = 2;
const SEND_SENDER = 22;

const envelopes = {
  bare: (i) => message(NODE, 1, i),
  send: (i) => [[SEND, '', to], message(NODE, 1, i)],
  'send-1pack': (i) => [[SEND, '', to], message(NODE, 1, i)],
  'send-sender': (i) => [[SEND_SENDER, from, to], message(NODE, 1, i)],
  'send-intpid': (i) => [[SEND, '', [to.id, to.serial, to.creation]], message(NODE, 1, i)],
};

const cpu = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

function run(name) {
  const make = envelopes[name];
  const onePack = name === 'send-1pack';
  const frames = [];
  let bytes = 0;
  // Build the messages first: making them is the application's cost, not the codec's.
  const batches = [];
  for (let s = 0; s < N; s += FRAME) {
    const b = [];
    for (let i = s; i < s + FRAME && i < N; i++) b.push(make(i));
    batches.push(b);
  }
  const e0 = cpu();
  for (const b of batches) {
    let frame;
    if (onePack) frame = packr.pack(b);
    else {
      const parts = [];
      let len = 0;
      for (const m of b) {
        const buf = packr.pack(m);
        parts.push(buf);
        len += buf.length;
      }
      frame = Buffer.concat(parts, len);
    }
    bytes += frame.length;
    frames.push(frame);
  }
  const d0 = cpu();
  let decoded = 0;
  for (const f of frames) decoded += (onePack ? packr.unpack(f) : packr.unpackMultiple(f)).length;
  const d1 = cpu();
  if (decoded !== N) throw new Error(`${name}: decoded ${decoded} of ${N}`);
  return {
    name,
    encodeNs: Math.round(((d0 - e0) * 1000) / N),
    decodeNs: Math.round(((d1 - d0) * 1000) / N),
    bytes: Math.round((bytes / N) * 10) / 10,
  };
}

const names = Object.keys(envelopes);
const rows = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < 4; round++)
  for (const n of names)
    if (round > 0) rows[n].push(run(n));
    else run(n); // warm-up round
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('variant        encode CPU ns/msg  decode CPU ns/msg  bytes/msg   (median of 3)');
for (const n of names) {
  const r = rows[n];
  console.log(
    `${n.padEnd(14)} ${String(median(r.map((x) => x.encodeNs))).padStart(17)}  ${String(median(r.map((x) => x.decodeNs))).padStart(17)}  ${String(r[0].bytes).padStart(9)}`,
  );
}
