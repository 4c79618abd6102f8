// The endpoint against real erl 25 (Debian's erlang-base) and a private epmd: ping both ways, visibility, sends
// both ways, ticks, frozen peers.
import { connect } from 'node:net';
import { SILENT_LOGGER } from '@kindred/interface';
import { until } from '@kindred/test-support';
import { describe, expect, it } from 'vitest';
import {
  atom,
  BEAM_NET_ERRORS,
  DFLAG,
  type HandshakeSelf,
  initiateHandshake,
  KINDRED_DIST_FLAGS,
  MANDATORY_FLAGS_25,
  Pid,
  Tuple,
  tuple,
} from '../../src/index.js';
import { Erl } from '../helpers/erl.js';
import { useErlLab } from '../helpers/erl-lab.js';
import { JsNode } from '../helpers/js-node.js';
import { fixedNode, freePort } from '../helpers/pair.js';

const lab = useErlLab();
const { id, cookie } = lab;
const { jsNode, erl } = lab;

/** A raw peer `x@127.0.0.99` for writing bytes after a real handshake. */
function rawSelf(): HandshakeSelf {
  return {
    name: 'x@127.0.0.99',
    cookie,
    creation: 42,
    flags: KINDRED_DIST_FLAGS | DFLAG.PUBLISHED,
    requiredFlags: MANDATORY_FLAGS_25,
    setupTimeoutMs: 5_000,
    logger: SILENT_LOGGER,
  };
}

describe('BeamEndpoint with real erl', () => {
  it('(a) erl pings the JS acceptor: pong, and the JS node is in nodes()', async () => {
    const js = await jsNode(`jsa_${id}@127.0.0.1`);
    const e = await erl(`ea_${id}@127.0.0.1`);
    expect(await e.eval(`net_adm:ping('${js.name}')`)).toBe('pong');
    expect(await e.eval('nodes()')).toBe(`['${js.name}']`);
    expect(await e.eval('nodes(hidden)')).toBe('[]');
    expect(js.endpoint.nodes()).toEqual([e.name]);
  });

  it('(a) a hidden JS node is in nodes(hidden) only', async () => {
    const js = await jsNode(`jsh_${id}@127.0.0.1`, { hidden: true });
    const e = await erl(`eh_${id}@127.0.0.1`);
    expect(await e.eval(`net_adm:ping('${js.name}')`)).toBe('pong');
    expect(await e.eval('nodes()')).toBe('[]');
    expect(await e.eval('nodes(hidden)')).toBe(`['${js.name}']`);
  });

  it('(b) the JS initiator connects to erl, erl lists it in nodes(), and net_kernel answers is_auth', async () => {
    const js = await jsNode(`jsb_${id}@127.0.0.1`);
    const e = await erl(`eb_${id}@127.0.0.1`);
    const conn = await js.endpoint.connect(e.name);
    expect(conn.peerName).toBe(e.name);
    expect((conn.flags & DFLAG.UNLINK_ID) !== 0n).toBe(true);
    expect(await e.eval('nodes()')).toBe(`['${js.name}']`);
    // ping from JS: {'$gen_call', {Pid, Ref}, {is_auth, Me}} to net_kernel -> {Ref, yes}
    const from = js.pid();
    const ref = js.ref();
    js.regSend(
      e.name,
      from,
      'net_kernel',
      tuple(atom('$gen_call'), tuple(from, ref), tuple(atom('is_auth'), atom(js.name))),
    );
    const reply = await until(() => js.received.find((r) => r.to instanceof Pid && r.to.id === from.id));
    expect(reply.msg).toBeInstanceOf(Tuple);
    expect(((reply.msg as Tuple).elements[1] as { name: string }).name).toBe('yes');
  });

  it('(f) REG_SEND from erl to a JS registered name arrives; SEND from JS to an erl pid arrives', async () => {
    const js = await jsNode(`jsf_${id}@127.0.0.1`);
    const e = await erl(`ef_${id}@127.0.0.1`);
    expect(await e.eval(`{echo, '${js.name}'} ! {self(), hello, 42, <<"bin">>, [1,2,3]}`)).toMatch(/hello/);
    const got = await until(() => js.messagesTo('echo')[0]);
    const msg = got.msg as Tuple;
    expect(msg.elements[0]).toBeInstanceOf(Pid);
    expect(msg.elements[1]).toEqual(atom('hello'));
    expect(msg.elements[2]).toBe(42);
    expect(msg.elements[3]).toEqual(Buffer.from('bin'));
    expect(msg.elements[4]).toEqual([1, 2, 3]);
    // erl's shell process (the one evaluating) waits for a message from JS.
    const erlPid = msg.elements[0] as Pid;
    js.send(e.name, erlPid, tuple(atom('echo'), atom('hello'), 7));
    expect(await e.eval('receive M -> M after 5000 -> none end')).toBe('{echo,hello,7}');
  });

  it('(f) the 131 68 layout with the atom cache: erl sends cached atoms, both directions work', async () => {
    const js = await jsNode(`jsc_${id}@127.0.0.1`, { flags: KINDRED_DIST_FLAGS | DFLAG.DIST_HDR_ATOM_CACHE });
    const e = await erl(`ec_${id}@127.0.0.1`);
    expect(await e.eval(`net_adm:ping('${js.name}')`)).toBe('pong');
    const conn = js.endpoint.connection(e.name);
    expect(conn !== undefined && (conn.flags & DFLAG.DIST_HDR_ATOM_CACHE) !== 0n).toBe(true);
    await e.eval(`[{echo, '${js.name}'} ! {self(), N, some_atom} || N <- [1,2,3]]`);
    await until(() => js.messagesTo('echo').length === 3);
    for (const r of js.messagesTo('echo')) expect((r.msg as Tuple).elements[2]).toEqual(atom('some_atom'));
    expect(conn?.stats.atomCacheRefsIn).toBeGreaterThan(0);
    const first = js.messagesTo('echo')[0]?.msg as Tuple;
    js.send(e.name, first.elements[0] as Pid, tuple(atom('back'), 1));
    expect(await e.eval('receive M -> M after 5000 -> none end')).toBe('{back,1}');
  });

  it('(e) with net_ticktime 4 an idle link survives 12 s, both ways', async () => {
    const js = await jsNode(`jst_${id}@127.0.0.1`, { ticktimeMs: 4_000 });
    const e = await erl(`et_${id}@127.0.0.1`, ['-kernel', 'net_ticktime', '4']);
    expect(await e.eval(`net_adm:ping('${js.name}')`)).toBe('pong');
    // erl watches the link for 12 s: a nodedown would arrive as a message.
    const watched = await e.eval(
      `monitor_node('${js.name}', true), receive {nodedown, _} -> nodedown after 12000 -> up end`,
      30_000,
    );
    expect(watched).toBe('up');
    expect(js.nodedowns).toEqual([]);
    const conn = js.endpoint.connection(e.name);
    expect(conn?.stats.ticksIn).toBeGreaterThan(0);
    expect(conn?.stats.ticksOut).toBeGreaterThan(0);
  });

  it('(e) a SIGSTOPped erl is dropped with net_tick_timeout', async () => {
    const js = await jsNode(`jss_${id}@127.0.0.1`, { ticktimeMs: 4_000 });
    const e = await erl(`es_${id}@127.0.0.1`, ['-kernel', 'net_ticktime', '4']);
    await js.endpoint.connect(e.name);
    e.proc.signal('SIGSTOP');
    try {
      await until(() => js.nodedowns.length > 0, { timeoutMs: 20_000 });
    } finally {
      e.proc.signal('SIGCONT');
    }
    expect(js.nodedowns[0]).toEqual({
      node: e.name,
      reason: 'net_tick_timeout',
      code: BEAM_NET_ERRORS.BEAM_TICK_TIMEOUT,
    });
  });

  it('(g) garbage, truncated handshakes and huge lengths close those sockets; erl still gets pong', async () => {
    const js = await jsNode(`jsg_${id}@127.0.0.1`);
    const e = await erl(`eg_${id}@127.0.0.1`);
    const failures: { code: string; details?: { reason?: string } }[] = [];
    js.endpoint.on('handshakeFailed', (err) => failures.push(err));
    const send = async (bytes: Buffer): Promise<void> => {
      const s = connect({ host: '127.0.0.1', port: js.endpoint.port });
      s.on('error', () => {});
      await new Promise((resolve) => s.once('connect', resolve));
      s.end(bytes);
      await new Promise((resolve) => s.once('close', resolve));
    };
    await send(Buffer.from('GET / HTTP/1.1\r\n\r\n')); // a length of 0x4745: too large
    await send(Buffer.from([0x00, 0x05, 0x4e, 1, 2])); // a truncated name message
    await send(Buffer.from([0xff, 0xff, 0x4e])); // a huge declared length
    await send(Buffer.from([0x00, 0x03, 0x6e, 0x00, 0x05])); // an old 'n' name
    await until(() => failures.length === 4);
    expect(failures.map((f) => f.details?.reason).sort()).toEqual([
      'connection_closed',
      'protocol_error',
      'too_large',
      'too_large',
    ]);
    for (const f of failures) expect(f.code).toBe(BEAM_NET_ERRORS.BEAM_HANDSHAKE);
    // After a good handshake: a huge declared length, then a frame that is not the negotiated layout.
    for (const junk of [Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0, 0, 0, 2, 131, 68])]) {
      const downs = js.nodedowns.length;
      const s = connect({ host: '127.0.0.1', port: js.endpoint.port });
      s.on('error', () => {});
      await new Promise((resolve) => s.once('connect', resolve));
      await initiateHandshake(s, rawSelf(), js.name);
      s.resume();
      s.write(junk);
      await until(() => js.nodedowns.length > downs);
      expect(js.nodedowns[downs]).toMatchObject({ node: 'x@127.0.0.99', code: BEAM_NET_ERRORS.BEAM_FRAME });
      s.destroy();
    }
    expect(js.nodedowns.map((d) => d.reason)).toEqual(['too_large', 'frame_error']);
    expect(await e.eval(`net_adm:ping('${js.name}')`)).toBe('pong');
  });

  it('simultaneous connects between erl and the JS node leave one connection', async () => {
    const js = await jsNode(`jsx_${id}@127.0.0.1`);
    const e = await erl(`ex_${id}@127.0.0.1`);
    for (let round = 0; round < 3; round++) {
      const [conn, erlSide] = await Promise.all([
        js.endpoint.connect(e.name),
        e.eval(`net_kernel:connect_node('${js.name}')`),
      ]);
      expect(erlSide).toBe('true');
      await until(() => js.endpoint.connection(e.name) === conn);
      expect(await e.eval('nodes()')).toBe(`['${js.name}']`);
      expect(js.endpoint.nodes()).toEqual([e.name]);
      expect(await e.eval(`erlang:disconnect_node('${js.name}')`)).toBe('true');
      await until(() => js.endpoint.nodes().length === 0);
    }
  });

  it('epmd-less: erl -erl_epmd_port and a JS node in fixed mode ping each other', async () => {
    const port = await freePort('127.0.0.3');
    const js = await fixedNode(`jsl_${id}`, port, { cookie });
    lab.cleanup(() => js.close());
    const e = await Erl.start(
      `el_${id}@127.0.0.3`,
      cookie,
      { ...process.env, ERL_EPMD_PORT: String(await freePort()) },
      ['-erl_epmd_port', String(port), '-kernel', 'inet_dist_use_interface', '{127,0,0,3}'],
    );
    lab.cleanup(() => e.stop());
    expect(await e.eval(`net_adm:ping('${js.name}')`)).toBe('pong');
    js.endpoint.connection(e.name)?.close();
    await until(() => js.endpoint.nodes().length === 0);
    const conn = await js.endpoint.connect(e.name);
    expect(conn.peerName).toBe(e.name);
    expect(await e.eval('nodes()')).toBe(`['${js.name}']`);
  });

  it("the embedded epmd answers erl's PORT_PLEASE2 for the JS node", async () => {
    const js = new JsNode({
      name: `jse_${id}@127.0.0.2`,
      cookie,
      epmdPort: lab.epmd.port,
      discovery: { mode: 'embedded', host: '127.0.0.2' },
      listenHost: '127.0.0.2',
    });
    lab.cleanup(() => js.close());
    await js.start();
    expect(js.endpoint.epmdResponderPort).toBe(lab.epmd.port);
    const e = await erl(`ee_${id}@127.0.0.1`);
    expect(await e.eval(`net_adm:ping('${js.name}')`)).toBe('pong');
    expect(await e.eval(`erl_epmd:names("127.0.0.2") =:= {ok, [{"jse_${id}", ${js.endpoint.port}}]}`)).toBe(
      'true',
    );
  });
});
