#!/usr/bin/env node
// In-process A/B of the per-message CPU of kindred on Erlang's wire, without sockets or a second process (on a
// shared machine an end-to-end run is mostly scheduling noise): a BeamConnection over a fake socket, fed and drained
// in memory, with the runtime's adapter, as BeamDistribution uses them.
//   send: the runtime's SendFrame of the bench message -> control tuple + payload -> frame bytes (what the socket gets)
//   recv: erl's frame of the same message ('p' layout, or the atom-cache header when both sides have it) -> the
//         runtime's control array and message
//   node bench/experiments/beam-codec-ab.mjs <dirA> <dirB> [--rounds N] [--messages N]
// Each round runs A then B (order alternating) on `messages` messages; the median of the rounds' B/A time is printed.
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const dirs = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
if (dirs.length !== 2) {
  console.error('usage: beam-codec-ab.mjs <dirA> <dirB> [--rounds N] [--messages N]');
  process.exit(2);
}
const ROUNDS = opt('--rounds', 7);
const N = opt('--messages', 200_000);
const TEXT = 'hello world hello world hello world';

async function side(dir) {
  const imp = (p) => import(pathToFileURL(resolve(dir, p)).href);
  const beam = await imp('packages/beam/dist/index.js');
  const { BeamConnection } = await imp('packages/beam/dist/connection/connection.js');
  const { WireValues } = await imp('packages/beam/dist/wire-values.js');
  const { RUNTIME_BEAM_ADAPTER } = await imp('packages/runtime/dist/beam-wire.js');
  const { sendFrame } = await imp('packages/runtime/dist/envelope.js');
  const { Pid } = await imp('packages/runtime/dist/terms.js');
  const values = new WireValues(RUNTIME_BEAM_ADAPTER);
  const lazy = 'adaptForEncoder' in values;
  const cacheFlag = lazy ? beam.DFLAG.DIST_HDR_ATOM_CACHE : 0n;
  const codec = () =>
    lazy
      ? beam.createEtfCodec({ decoder: { copyBinaries: false }, encoder: { adapt: values.adaptForEncoder } })
      : beam.createEtfCodec();
  const conn = (flags) => {
    const socket = new EventEmitter();
    socket.writableLength = 0;
    socket.bytes = 0;
    socket.write = (b) => {
      socket.bytes += b.length;
      return true;
    };
    socket.setNoDelay = () => {};
    socket.resume = () => {};
    socket.destroy = () => {};
    socket.end = () => {};
    const c = new BeamConnection(
      {
        socket,
        peerName: 'erl@127.0.0.1',
        peerFlags: flags,
        peerCreation: 1,
        flags,
        rest: Buffer.alloc(0),
        role: 'initiator',
      },
      { codec },
    );
    return { c, socket };
  };
  const flags = beam.KINDRED_DIST_FLAGS | cacheFlag;
  const to = new Pid('erl@127.0.0.1', 90, 0, 1);
  const from = new Pid('kindred@127.0.0.1', 12, 0, 2);
  const msg = (i) => ({ to: { node: 'erl@127.0.0.1', id: 1 }, body: { n: i, text: TEXT, ok: true } });
  const send = async () => {
    const { c, socket } = conn(flags);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const f = RUNTIME_BEAM_ADAPTER.unwrapFrame(sendFrame(to, msg(i)));
      const control = values.controlTerm([22, from, f[0][2]]);
      c.send(control, values.messageToWire(f[1]));
      if ((i & 1023) === 1023) await null;
    }
    await null;
    const ns = Number(process.hrtime.bigint() - t0);
    c.close('normal');
    return { ns, bytes: socket.bytes };
  };
  // erl's frames: what a sending connection of this side writes is what erl would (same layout and terms).
  const frames = async () => {
    const { c, socket } = conn(flags);
    const chunks = [];
    socket.write = (b) => {
      chunks.push(b);
      return true;
    };
    for (let i = 0; i < N; i++) {
      const erlTo = new beam.Pid(beam.atom('kindred@127.0.0.1'), 12, 0, 2);
      const erlFrom = new beam.Pid(beam.atom('erl@127.0.0.1'), 90, 0, 1);
      c.send(new beam.Tuple([22, erlFrom, erlTo]), beam.toTerm(msg(i)));
    }
    await null;
    await null;
    c.close('normal');
    return Buffer.concat(chunks);
  };
  const wire = await frames();
  const recv = async () => {
    const { c, socket } = conn(flags);
    let got = 0;
    c.on('message', ({ control, payload }) => {
      const ctl = control.elements.map((x, i) =>
        i === 0 ? x : x instanceof beam.Atom ? x.name : values.fromWire(x),
      );
      const m = values.messageFromWire(payload);
      if (ctl.length === 3 && m.body.n >= 0) got++;
    });
    await null;
    const t0 = process.hrtime.bigint();
    for (let o = 0; o < wire.length; o += 65536) socket.emit('data', wire.subarray(o, o + 65536));
    const ns = Number(process.hrtime.bigint() - t0);
    if (got !== N) throw new Error(`received ${got} of ${N}`);
    c.close('normal');
    return { ns, bytes: wire.length };
  };
  return { send, recv, label: dir };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const A = await side(dirs[0]);
const B = await side(dirs[1]);
for (const what of ['send', 'recv']) {
  const ratios = [];
  const per = { A: [], B: [] };
  let bytes;
  await A[what]();
  await B[what]();
  for (let r = 0; r < ROUNDS; r++) {
    const res = {};
    for (const [k, s] of r % 2 === 0
      ? [
          ['A', A],
          ['B', B],
        ]
      : [
          ['B', B],
          ['A', A],
        ])
      res[k] = await s[what]();
    per.A.push(res.A.ns / N);
    per.B.push(res.B.ns / N);
    ratios.push(res.B.ns / res.A.ns);
    bytes = { A: res.A.bytes / N, B: res.B.bytes / N };
  }
  console.log(
    `${what}: ns/message A ${median(per.A).toFixed(0)}, B ${median(per.B).toFixed(0)}; B/A time ${median(ratios).toFixed(2)} (rounds ${ratios.map((x) => x.toFixed(2)).join(' ')}); bytes/message A ${bytes.A.toFixed(1)}, B ${bytes.B.toFixed(1)}`,
  );
}
process.exit(0);
