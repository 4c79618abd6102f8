import { until } from '@kindred/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import {
  atom,
  type BeamDistribution,
  type BeamValueAdapter,
  createBeamDistribution,
  ErlMap,
  fromTerm,
  ImproperList,
  isAtom,
  Pid,
  Ref,
  Tuple,
  tuple,
} from '../src/index.js';
import type { JsNode } from './helpers/js-node.js';
import { fixedNode, freePort } from './helpers/pair.js';

const POLL = { timeoutMs: 5_000, intervalMs: 5 };
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

let host = 200;

/** A BeamDistribution (this package's own pids and refs) and a raw JS node connected to it, epmd-less. */
async function setup(adapter?: BeamValueAdapter): Promise<{
  dist: BeamDistribution;
  js: JsNode;
  frames: [string, unknown[]][];
  sizes: number[];
}> {
  const port = await freePort();
  const h = `127.0.0.${host++}`;
  const dist = await createBeamDistribution({
    name: `d@${h}`,
    cookie: 'pair-cookie',
    discovery: { mode: 'fixed', port },
    listenHost: h,
    ...(adapter === undefined ? {} : { adapter }),
  });
  closers.push(() => dist.close());
  const frames: [string, unknown[]][] = [];
  const sizes: number[] = [];
  dist.on('message', (node: string, frame: unknown[], bytes: number) => {
    frames.push([node, frame]);
    sizes.push(bytes);
  });
  const js = await fixedNode('j', port);
  closers.push(() => js.close());
  await js.endpoint.connect(dist.name);
  await until(() => dist.nodes().includes(js.name), POLL);
  return { dist, js, frames, sizes };
}

describe('BeamDistribution', () => {
  it("maps Erlang's control tuples to the runtime's frames: atoms to strings, payload variants to base ops", async () => {
    const { dist, js, frames, sizes } = await setup();
    const c = js.endpoint.connection(dist.name)!;
    const from = js.pid();
    const to = new Pid(atom(dist.name), 5, 0, dist.creation);
    const ref = js.ref();
    c.send(
      tuple(6, from, atom(''), atom('box')),
      tuple(atom('hi'), Buffer.from('text'), new ErlMap([[atom('k'), 1]])),
    );
    c.send(tuple(24, from, to), atom('boom')); // PAYLOAD_EXIT
    c.send(tuple(26, from, to), atom('kill')); // PAYLOAD_EXIT2
    c.send(tuple(28, atom('reg'), to, ref), atom('noproc')); // PAYLOAD_MONITOR_P_EXIT by name
    c.send(tuple(13, from, to, atom('token'), atom('normal'))); // EXIT_TT
    c.send(tuple(19, from, atom('box'), ref)); // MONITOR_P by name
    c.send(tuple(29, ref, from, from, tuple(atom('m'), atom('f'), 2), [atom('monitor')]), [1, 2]);
    await until(() => frames.length === 7, POLL);
    const f = frames.map(([, fr]) => fr);
    expect(f[0]![0]).toEqual([6, from, '', 'box']);
    const msg = f[0]![1] as Tuple;
    expect(isAtom(msg.elements[0], 'hi')).toBe(true);
    expect(msg.elements.slice(1)).toEqual(['text', { k: 1 }]);
    expect(f[1]).toEqual([[3, from, to, 'boom']]);
    expect(f[2]).toEqual([[8, from, to, 'kill']]);
    expect(f[3]).toEqual([[21, 'reg', to, ref, 'noproc']]);
    expect(f[4]).toEqual([[3, from, to, 'normal']]);
    expect(f[5]).toEqual([[19, from, 'box', ref]]);
    expect(f[6]).toEqual([
      [29, ref, from, from, ['m', 'f', 2], [atom('monitor')]],
      [1, 2],
    ]);
    expect(frames.every(([n]) => n === js.name)).toBe(true);
    // Each frame's wire size goes with it, for the runtime's mailbox byte limits.
    expect(sizes.every((b) => b > 10)).toBe(true);
    const big = Buffer.alloc(10_000, 1);
    c.send(tuple(2, atom(''), to), big);
    await until(() => frames.length === 8, POLL);
    expect(sizes[7]).toBeGreaterThan(10_000);
  });

  it('drops and counts what the runtime does not handle, and keeps the connection', async () => {
    const { dist, js, frames } = await setup();
    const c = js.endpoint.connection(dist.name)!;
    const from = js.pid();
    c.send(tuple(33, from, js.ref()), atom('to_an_alias')); // ALIAS_SEND
    c.send(tuple(7, from, from)); // GROUP_LEADER
    c.send(tuple(99, from));
    c.send(atom('not_a_tuple'));
    c.send(tuple(2, atom(''), new Pid(atom(dist.name), 1, 0, dist.creation)), atom('after'));
    await until(() => frames.length === 1, POLL);
    expect(dist.counters.droppedOps).toBe(3);
    expect(dist.counters.malformed).toBe(1);
    expect(isAtom(frames[0]![1][1], 'after')).toBe(true);
    expect(dist.nodes()).toEqual([js.name]);
  });

  it("answers net_kernel's is_auth with yes and swallows gen:call's monitor of net_kernel", async () => {
    const { dist, js, frames } = await setup();
    const c = js.endpoint.connection(dist.name)!;
    const from = js.pid();
    const tag = new ImproperList([atom('alias')], js.ref());
    c.send(tuple(19, from, atom('net_kernel'), js.ref()));
    c.send(
      tuple(6, from, atom(''), atom('net_kernel')),
      tuple(atom('$gen_call'), tuple(from, tag), tuple(atom('is_auth'), atom(js.name))),
    );
    await until(() => dist.counters.isAuthAnswered === 1, POLL);
    await until(() => js.received.some((r) => r.to instanceof Pid), POLL);
    const reply = js.received.find((r) => r.to instanceof Pid)!.msg as Tuple;
    expect(reply.elements[0]).toBeInstanceOf(ImproperList);
    expect(isAtom(reply.elements[1], 'yes')).toBe(true);
    expect(frames).toEqual([]);
  });

  it("answers global's init_connect with {in_sync, Node, true} to the peer's global_name_server", async () => {
    const { dist, js, frames } = await setup();
    const c = js.endpoint.connection(dist.name)!;
    const from = js.pid();
    const gns = tuple(6, from, atom(''), atom('global_name_server'));
    const locker = tuple(atom('locker'), atom('no_longer_a_pid'), new ErlMap([]), js.pid());
    // OTP 25's cast on nodeup: {init_connect, {Vsn, Tag}, Node, {locker, _, Known, TheLocker}}.
    c.send(gns, tuple(atom('$gen_cast'), tuple(atom('init_connect'), tuple(8, 42), atom(js.name), locker)));
    await until(() => dist.counters.globalInSync === 1, POLL);
    await until(() => js.received.some((r) => r.to === 'global_name_server'), POLL);
    const sent = js.received.filter((r) => r.to === 'global_name_server');
    expect(sent).toHaveLength(1);
    const cast = sent[0]!.msg as Tuple;
    expect(isAtom(cast.elements[0], '$gen_cast')).toBe(true);
    const inSync = cast.elements[1] as Tuple;
    expect(inSync.elements.map((x) => (x instanceof Object && 'name' in x ? x.name : x))).toEqual([
      'in_sync',
      dist.name,
      'true',
    ]);
    // An init_connect naming another node, and any other message to global_name_server, are not answered: they go to
    // the runtime as before (no such process there).
    c.send(gns, tuple(atom('$gen_cast'), tuple(atom('init_connect'), tuple(8, 43), atom('x@h'), locker)));
    c.send(gns, tuple(atom('$gen_cast'), tuple(atom('in_sync'), atom(js.name), atom('true'))));
    await until(() => frames.length === 2, POLL);
    expect(dist.counters.globalInSync).toBe(1);
    expect(frames.map(([, f]) => (f[0] as unknown[])[3])).toEqual([
      'global_name_server',
      'global_name_server',
    ]);
  });

  it("sends the runtime's frames as Erlang control tuples: strings in control positions are atoms", async () => {
    const { dist, js } = await setup();
    const me = new Pid(atom(dist.name), 3, 0, dist.creation);
    const them = js.pid();
    const ref = new Ref(atom(dist.name), dist.creation, [1, 2, 3]);
    dist.send(js.name, [[6, me, '', 'inbox'], { text: 'hello', who: me, list: [1, 'two'] }]);
    dist.send(js.name, [[3, me, them, 'noproc']]);
    dist.send(js.name, [[29, ref, me, me, ['kindred', 'worker', 1], []], ['arg']]);
    await until(() => js.controls.length === 3, POLL);
    const [reg, exit, spawn] = js.controls;
    expect((reg!.control as Tuple).elements.map(String)).toEqual(['6', String(me), "''", 'inbox']);
    expect(reg!.payload).toBeInstanceOf(ErlMap);
    expect(fromTerm(reg!.payload!)).toEqual({ text: 'hello', who: me, list: [1, 'two'] });
    const exitEls = (exit!.control as Tuple).elements;
    expect(isAtom(exitEls[3], 'noproc')).toBe(true);
    const mfa = (spawn!.control as Tuple).elements[4] as Tuple;
    expect(mfa).toBeInstanceOf(Tuple);
    expect(mfa.elements.map(String)).toEqual(['kindred', 'worker', '1']);
    expect(() => dist.send('nobody@127.0.0.1', [[2, '', them], 1])).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_BEAM_CLOSED' }),
    );
  });

  it('lists a hidden peer apart and reports nodedown with a reason', async () => {
    const port = await freePort();
    const h = `127.0.0.${host++}`;
    const dist = await createBeamDistribution({
      name: `d@${h}`,
      cookie: 'pair-cookie',
      discovery: { mode: 'fixed', port },
      listenHost: h,
    });
    closers.push(() => dist.close());
    const ups: [string, { hidden: boolean }][] = [];
    const downs: [string, unknown][] = [];
    dist.on('nodeup', (n: string, info: { hidden: boolean }) => ups.push([n, info]));
    dist.on('nodedown', (n: string, r: unknown) => downs.push([n, r]));
    const hidden = await fixedNode('hid', port, { hidden: true });
    closers.push(() => hidden.close());
    await dist.connect(hidden.name);
    expect(ups).toEqual([[hidden.name, expect.objectContaining({ hidden: true })]]);
    expect(dist.nodes()).toEqual([]);
    expect(dist.connectedNodes()).toEqual([hidden.name]);
    await hidden.close();
    await until(() => downs.length === 1, POLL);
    expect(downs[0]).toEqual([hidden.name, 'connection_closed']);
  });

  it("speaks OTP pg's protocol for the scopes the adapter's pgOf names", async () => {
    // This package's own pids; a scope message is a REG_SEND from pid 0.0 to the scope's name.
    const adapter: BeamValueAdapter = {
      toErlang: (v) => (v instanceof Pid || v instanceof Ref ? v : undefined),
      fromPid: (p) => p,
      fromRef: (r) => r,
      pgOf: (control, payload) => {
        const from = control[1];
        if (control[0] !== 6 || !(from instanceof Pid) || from.id !== 0) return undefined;
        return { scope: control[3] as string, message: payload as never };
      },
    };
    const { dist, js, frames } = await setup(adapter);
    const system = new Pid(atom(dist.name), 0, 0, dist.creation);
    const member = new Pid(atom(dist.name), 7, 0, dist.creation);
    dist.send(js.name, [[6, system, '', 'chat'], { type: 'discover' }]);
    await until(() => js.controls.length === 1, POLL);
    const discover = js.controls[0]!;
    const scopePid = (discover.control as Tuple).elements[1] as Pid;
    expect(scopePid.serial).toBe(8190);
    expect(scopePid.node.name).toBe(dist.name);
    expect((discover.control as Tuple).elements.slice(2)).toEqual([atom(''), atom('chat')]);
    expect(discover.payload).toEqual(tuple(atom('discover'), scopePid));

    // The peer's scope: its monitor of the scope pid is kept here; its sync becomes the scope's message.
    const c = js.endpoint.connection(dist.name)!;
    const peerScope = js.pid();
    const peerMember = js.pid();
    c.send(tuple(19, peerScope, scopePid, js.ref()));
    c.send(
      tuple(2, atom(''), scopePid),
      tuple(atom('$gen_cast'), tuple(atom('sync'), peerScope, [tuple(atom('room'), [peerMember])])),
    );
    c.send(
      tuple(22, peerScope, scopePid),
      tuple(atom('leave'), peerScope, peerMember, [atom('room'), atom('x')]),
    );
    await until(() => frames.length === 3, POLL);
    expect(frames.map(([, f]) => f)).toEqual([
      [[6, peerScope, '', 'chat'], { type: 'sync', groups: [['room', [peerMember]]] }],
      [[6, peerScope, '', 'chat'], { type: 'leave', group: 'room', pids: [peerMember] }],
      [[6, peerScope, '', 'chat'], { type: 'leave', group: 'x', pids: [peerMember] }],
    ]);
    // join, sync and leave go to the peer scope's pid in pg.erl's shapes.
    dist.send(js.name, [[6, system, '', 'chat'], { type: 'join', group: 'room', pids: [member] }]);
    dist.send(js.name, [[6, system, '', 'chat'], { type: 'leave', group: 'room', pids: [member] }]);
    await until(() => js.controls.length === 3, POLL);
    expect(js.controls[1]).toMatchObject({
      control: tuple(2, atom(''), peerScope),
      payload: tuple(atom('join'), scopePid, atom('room'), [member]),
    });
    expect(js.controls[2]?.payload).toEqual(tuple(atom('leave'), scopePid, [member], [atom('room')]));
    // A discover to a name that is no scope of this node goes to the runtime as it is.
    c.send(tuple(6, peerScope, atom(''), atom('inbox')), tuple(atom('discover'), peerScope));
    await until(() => frames.length === 4, POLL);
    expect(frames[3]![1][0]).toEqual([6, peerScope, '', 'inbox']);
    expect(frames[3]![1][1]).toBeInstanceOf(Tuple);
  });
});
