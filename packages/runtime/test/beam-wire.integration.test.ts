// A kindred runtime node on Erlang's wire (startNode({ distribution: 'erlang' })) and a real erl (Debian's
// erlang-base), both registered with a private epmd: ping, messages by pid and by name both ways, links and exits
// both ways, monitors with DOWN noproc and noconnection, and the built CLI's `kindred ping --erlang`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isAtom, Tuple } from '@kindred/beam';
import { until } from '@kindred/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Erl, type Proc, runId, startEpmd } from '../../beam/test/helpers/erl.js';
import {
  type DownMessage,
  type ExitMessage,
  isCallMessage,
  Pid,
  type StartedNode,
  startNode,
} from '../src/index.js';
import { recorder } from './support.js';

const POLL = { timeoutMs: 15_000, intervalMs: 20 };
const CLI = fileURLToPath(new URL('../../cli/bin/kindred.js', import.meta.url));

describe("a kindred node on Erlang's wire and a real erl", () => {
  let epmd: { port: number; proc: Proc; env: NodeJS.ProcessEnv };
  let erl: Erl;
  let node: StartedNode;
  let box: { pid: Pid; got: unknown[] };
  const id = runId();
  const cookie = `cookie${id}`;
  const kname = `k${id}@127.0.0.1`;
  const ename = `e${id}@127.0.0.1`;

  beforeAll(async () => {
    epmd = await startEpmd();
    node = await startNode({
      name: kname,
      cookie,
      distribution: 'erlang',
      erlang: { epmdPort: epmd.port },
      env: {},
    });
    box = recorder(node);
    node.register('kbox', box.pid);
    erl = await Erl.start(ename, cookie, epmd.env);
    await erl.eval('register(ebox, self())');
  });

  afterAll(async () => {
    await node?.stop();
    await erl?.stop();
    await epmd?.proc.stop();
  });

  /** The next message kbox got matching `pred`. */
  const boxed = async (pred: (m: Tuple) => boolean): Promise<Tuple> => {
    let found: Tuple | undefined;
    await until(() => {
      found = box.got.find((m): m is Tuple => m instanceof Tuple && pred(m));
      return found !== undefined;
    }, POLL);
    box.got.splice(box.got.indexOf(found), 1);
    return found!;
  };
  const tagged = (tag: string) => (m: Tuple) => isAtom(m.elements[0], tag);
  /** The runtime pid in a `{Tag, Pid}` message. */
  const pidAt = (t: Tuple): Pid => t.elements[1] as unknown as Pid;

  it("erl's net_adm:ping gives pong; each side lists the other as visible", async () => {
    expect(await erl.eval(`net_adm:ping('${kname}')`)).toBe('pong');
    expect(await erl.eval(`lists:member('${kname}', nodes())`)).toBe('true');
    await until(() => node.nodes().includes(ename), POLL);
    expect(node.beam?.counters.isAuthAnswered).toBeGreaterThanOrEqual(1);
  });

  it("kindred connects to erl (net_adm:ping's other direction); a hidden kindred node is in nodes(hidden) only", async () => {
    const visible = await startNode({
      name: `v${id}@127.0.0.1`,
      cookie,
      distribution: 'erlang',
      erlang: { epmdPort: epmd.port },
      env: {},
    });
    const hidden = await startNode({
      name: `h${id}@127.0.0.1`,
      cookie,
      env: { KINDRED_DISTRIBUTION: 'erlang', ERL_EPMD_PORT: String(epmd.port) },
      hidden: true,
    });
    try {
      expect(visible.wire).toBe('erlang');
      await visible.connect(ename);
      await hidden.connect(ename);
      expect(visible.nodes()).toContain(ename);
      expect(hidden.nodes()).toEqual([]);
      expect(await erl.eval(`lists:member('v${id}@127.0.0.1', nodes())`)).toBe('true');
      expect(await erl.eval(`lists:member('h${id}@127.0.0.1', nodes())`)).toBe('false');
      expect(await erl.eval(`lists:member('h${id}@127.0.0.1', nodes(hidden))`)).toBe('true');
    } finally {
      await visible.stop();
      await hidden.stop();
    }
  });

  it('messages by registered name and by pid, both ways', async () => {
    await erl.eval(`{kbox, '${kname}'} ! {hello, self(), <<"bin">>, [1,2,3], #{a => 1}}`);
    const hello = await boxed(tagged('hello'));
    const erlPid = pidAt(hello);
    expect(erlPid).toBeInstanceOf(Pid);
    expect(erlPid.node).toBe(ename);
    expect(hello.elements.slice(2)).toEqual(['bin', [1, 2, 3], { a: 1 }]);
    // Back by pid (SEND) and by name (REG_SEND); erl sees binaries, lists, maps with atom keys.
    node.send(erlPid, { reply: 'by pid', n: 42 });
    expect(await erl.eval('receive M -> M after 10000 -> timeout end')).toBe(
      '#{n => 42,reply => <<98,121,32,112,105,100>>}',
    );
    node.send({ name: 'ebox', node: ename }, [true, null, 7]);
    expect(await erl.eval('receive M -> M after 10000 -> timeout end')).toBe('[true,nil,7]');
    // A kindred pid travels to erl and back intact.
    node.send({ name: 'ebox', node: ename }, { me: box.pid });
    await erl.eval(`receive #{me := P} -> P ! {echo, P} after 10000 -> timeout end`);
    const echo = await boxed(tagged('echo'));
    expect(echo.elements[1]).toEqual(box.pid);
  });

  /** Gives erl the kindred pid `p` as persistent_term `key`. */
  const tellErl = async (key: string, p: Pid): Promise<void> => {
    node.send({ name: 'ebox', node: ename }, { key, pid: p });
    await erl.eval(
      `receive #{key := <<"${key}">>, pid := P} -> persistent_term:put(${key}, P) after 10000 -> timeout end`,
    );
  };

  it('links both ways: an erl crash reaches a trapping kindred process; a kindred crash kills the erl process', async () => {
    const trapper = recorder(node, (ctx) => ctx.trapExit(true));
    await tellErl('trapper', trapper.pid);
    await erl.eval('spawn(fun() -> link(persistent_term:get(trapper)), exit(boom) end)');
    await until(() => trapper.got.length === 1, POLL);
    expect(trapper.got[0]).toMatchObject({ type: 'EXIT', reason: 'boom' });
    expect((trapper.got[0] as ExitMessage).from.node).toBe(ename);

    await erl.eval(
      `register(victim, spawn(fun() -> receive _ -> ok end end)), {kbox, '${kname}'} ! {victim, whereis(victim)}`,
    );
    const victim = (await boxed(tagged('victim'))).elements[1] as unknown as Pid;
    const crasher = node.spawn(async (ctx) => {
      ctx.link(victim);
      await ctx.receive();
      throw new Error('kindred boom');
    });
    await until(async () => (await erl.eval('erlang:process_info(whereis(victim), links)')) !== '[]', POLL);
    node.send(crasher, 'go');
    await until(async () => (await erl.eval('whereis(victim)')) === 'undefined', POLL);

    // unlink from the kindred side: UNLINK_ID, which erl acknowledges, and the link is gone on erl's side too.
    await erl.eval(
      `register(keeper, spawn(fun() -> receive _ -> ok end end)), {kbox, '${kname}'} ! {keeper, whereis(keeper)}`,
    );
    const keeper = pidAt(await boxed(tagged('keeper')));
    const unlinker = node.spawn(async (ctx) => {
      ctx.link(keeper);
      await ctx.receive();
      ctx.unlink(keeper);
      await ctx.receive();
      throw new Error('after unlinking');
    });
    await until(
      async () => (await erl.eval('erlang:process_info(whereis(keeper), links)')) !== '{links,[]}',
      POLL,
    );
    node.send(unlinker, 'unlink');
    await until(
      async () => (await erl.eval('erlang:process_info(whereis(keeper), links)')) === '{links,[]}',
      POLL,
    );
    node.send(unlinker, 'crash');
    await until(() => !node.isAlive(unlinker), POLL);
    expect(await erl.eval('is_process_alive(whereis(keeper))')).toBe('true');
  });

  it('exit/2 both ways, kill untrappable; unlink (UNLINK_ID) keeps the erl process alive', async () => {
    const t = recorder(node, (ctx) => ctx.trapExit(true));
    await tellErl('t', t.pid);
    await erl.eval('exit(persistent_term:get(t), please)');
    await until(() => t.got.length === 1, POLL);
    expect(t.got[0]).toMatchObject({ type: 'EXIT', reason: 'please' });
    await erl.eval('exit(persistent_term:get(t), kill)');
    await until(() => !node.isAlive(t.pid), POLL);

    await erl.eval(
      `register(target, spawn(fun() -> process_flag(trap_exit, true), receive _ -> ok end end)), {kbox, '${kname}'} ! {target, whereis(target)}`,
    );
    const target = (await boxed(tagged('target'))).elements[1] as unknown as Pid;
    node.exit(target, 'kill');
    await until(async () => (await erl.eval('whereis(target)')) === 'undefined', POLL);

    const u = node.spawn(async (ctx) => {
      await ctx.receive();
      throw new Error('after unlink');
    });
    await tellErl('u', u);
    await erl.eval(
      'register(unlinker, spawn(fun() -> K = persistent_term:get(u), link(K), unlink(K), receive _ -> ok end end))',
    );
    await until(
      async () => (await erl.eval('erlang:process_info(whereis(unlinker), links)')) === '{links,[]}',
      POLL,
    );
    node.send(u, 'go');
    await until(() => !node.isAlive(u), POLL);
    expect(await erl.eval('is_process_alive(whereis(unlinker))')).toBe('true');
  });

  it('monitors both ways: DOWN with the reason, noproc by pid and by name', async () => {
    const watched = node.spawn(async (ctx) => {
      await ctx.receive();
      ctx.exit('bye');
    });
    await tellErl('watched', watched);
    await erl.eval(
      `spawn(fun() -> R = monitor(process, persistent_term:get(watched)), {kbox, '${kname}'} ! monitoring, receive {'DOWN', R, process, _, Why} -> {kbox, '${kname}'} ! {down, Why} end end)`,
    );
    await until(() => box.got.some((m) => isAtom(m, 'monitoring')), POLL);
    node.send(watched, 'go');
    const down = await boxed(tagged('down'));
    expect(isAtom(down.elements[1], 'bye')).toBe(true);
    // erl monitors a name kindred does not have: DOWN noproc at once.
    expect(
      await erl.eval(
        `R = monitor(process, {nobody, '${kname}'}), receive {'DOWN', R, process, _, Why} -> Why after 10000 -> timeout end`,
      ),
    ).toBe('noproc');

    // kindred monitors erl: by name (absent: noproc; present: its exit reason) and by dead pid (noproc).
    expect((await node.monitor({ name: 'nobody', node: ename }).down).reason).toBe('noproc');
    await erl.eval(
      `register(mon, spawn(fun() -> receive stop -> exit(stopped) end end)), {kbox, '${kname}'} ! {mon, whereis(mon)}`,
    );
    const mon = (await boxed(tagged('mon'))).elements[1] as unknown as Pid;
    const byName = node.monitor({ name: 'mon', node: ename });
    const byPid = node.monitor(mon);
    await until(
      async () => (await erl.eval('element(2, erlang:process_info(whereis(mon), monitored_by))')) !== '[]',
      POLL,
    );
    await erl.eval('mon ! stop');
    const [d1, d2] = await Promise.all([byName.down, byPid.down]);
    expect([d1.reason, d2.reason]).toEqual(['stopped', 'stopped']);
    expect(d1.item).toEqual({ name: 'mon', node: ename });
    expect((await node.monitor(mon).down).reason).toBe('noproc');
  });

  it("erl's rpc:call and erpc:call run exposed JS functions; unknown ones are undef as in BEAM", async () => {
    node.expose('mul', (x: number, y: number) => x * y);
    node.expose('greeter:hello', (who: string) => `hello ${who}`);
    node.expose('fails', () => {
      throw new Error('nope');
    });
    expect(await erl.eval(`rpc:call('${kname}', kindred, mul, [6, 7])`)).toBe('42');
    expect(await erl.eval(`erpc:call('${kname}', kindred, mul, [3, 5])`)).toBe('15');
    expect(await erl.eval(`rpc:call('${kname}', greeter, hello, [<<"erl">>])`)).toBe(
      '<<104,101,108,108,111,32,101,114,108>>',
    );
    expect(await erl.eval(`rpc:call('${kname}', nomod, nofun, [1])`)).toBe(
      "{badrpc,{'EXIT',{undef,[{nomod,nofun,[1],[]}]}}}",
    );
    expect(await erl.eval(`rpc:call('${kname}', kindred, fails, [])`)).toMatch(
      /^\{badrpc,\{'EXIT',\{\{kindred,<<[0-9,]+>>\},\[\]\}\}\}$/,
    );
  });

  it("gen_server calls both ways: erl's gen_server:call to a kindred process, kindred's call to an erl server", async () => {
    const srv = node.spawn(async (ctx) => {
      for (;;) {
        const m = await ctx.receive();
        if (isCallMessage(m)) ctx.reply(m.from, { echo: m.request });
      }
    });
    node.register('ksrv', srv);
    expect(await erl.eval(`gen_server:call({ksrv, '${kname}'}, {hello, 1})`)).toBe('#{echo => {hello,1}}');
    await erl.eval(
      "register(esrv, spawn(fun Loop() -> receive {'$gen_call', From, Req} -> gen:reply(From, {echo, Req}), Loop() end end))",
    );
    const reply = (await node.call({ name: 'esrv', node: ename }, 'ping')) as Tuple;
    expect(isAtom(reply.elements[0], 'echo')).toBe(true);
    expect(reply.elements[1]).toBe('ping');
  });

  it('kindred ping --erlang (the built CLI) gets pong from erl, pang for an unknown node', async () => {
    expect(existsSync(CLI), 'build first: bash scripts/pnpm.sh run build').toBe(true);
    const run = promisify(execFile);
    const env = { ...process.env, ERL_EPMD_PORT: String(epmd.port), KINDRED_COOKIE: cookie };
    const pong = await run('node', [CLI, 'ping', ename, '--erlang', '--json', '--name', `p${id}@127.0.0.1`], {
      env,
    });
    expect(JSON.parse(pong.stdout)).toMatchObject({ result: 'pong', node: ename });
    const pang = await run(
      'node',
      [CLI, 'ping', `nobody${id}@127.0.0.1`, '--erlang', '--json', '--name', `q${id}@127.0.0.1`],
      {
        env,
      },
    ).catch((err: { stdout: string; code: number }) => err);
    expect(JSON.parse(pang.stdout)).toMatchObject({ result: 'pang', reason: 'not_registered' });
    // A wrong cookie: erl closes the handshake (pang); a long-names node refuses `localhost` before dialing.
    const bad = await run('node', [CLI, 'ping', ename, '--erlang', '--json', '--name', `r${id}@127.0.0.1`], {
      env: { ...env, KINDRED_COOKIE: 'wrong' },
    }).catch((err: { stdout: string }) => err);
    expect(JSON.parse(bad.stdout)).toMatchObject({ result: 'pang', node: ename });
    const local = await run(
      'node',
      [CLI, 'ping', `e${id}@localhost`, '--erlang', '--json', '--name', `t${id}@127.0.0.1`],
      {
        env,
      },
    ).catch((err: { stdout: string }) => err);
    expect(JSON.parse(local.stdout)).toMatchObject({ result: 'pang', reason: 'illegal_hostname' });
  });

  it('kindred start --erlang (the built CLI) registers with epmd and erl pings it', async () => {
    const sname = `s${id}@127.0.0.1`;
    const env = {
      ...process.env,
      ERL_EPMD_PORT: String(epmd.port),
      KINDRED_COOKIE: cookie,
      KINDRED_LOG_LEVEL: 'warn',
    };
    const cli = new (await import('../../beam/test/helpers/erl.js')).Proc(
      'node',
      [CLI, 'start', '--erlang', '--name', sname, '--json'],
      env,
    );
    try {
      await cli.waitFor(/"event":"started"/);
      expect(await erl.eval(`net_adm:ping('${sname}')`)).toBe('pong');
      await cli.waitFor(new RegExp(`"event":"nodeup","node":"${ename}"`));
      // erl monitors the node's rex by name; a SIGKILL of the kindred node gives DOWN noconnection.
      await erl.eval(
        `spawn(fun() -> R = monitor(process, {rex, '${sname}'}), receive {'DOWN', R, process, _, Why} -> persistent_term:put(why, Why) end end)`,
      );
      cli.signal('SIGKILL');
      await until(async () => (await erl.eval('persistent_term:get(why, none)')) === 'noconnection', POLL);
    } finally {
      await cli.stop();
    }
  });

  it('a SIGKILLed erl: the kindred side gets nodedown, DOWN noconnection and a noconnection exit', async () => {
    const e2 = await Erl.start(`f${id}@127.0.0.1`, cookie, epmd.env);
    try {
      await e2.eval(
        `register(far, spawn(fun() -> receive _ -> ok end end)), {kbox, '${kname}'} ! {far, whereis(far)}`,
      );
      const far = (await boxed(tagged('far'))).elements[1] as unknown as Pid;
      const m = node.monitor(far);
      const linked = recorder(node, (ctx) => {
        ctx.trapExit(true);
        ctx.link(far);
      });
      await until(
        async () => (await e2.eval('erlang:process_info(whereis(far), links)')) !== '{links,[]}',
        POLL,
      );
      e2.proc.signal('SIGKILL');
      const down: DownMessage = await m.down;
      expect(down.reason).toBe('noconnection');
      await until(() => linked.got.length === 1, POLL);
      expect(linked.got[0]).toMatchObject({ type: 'EXIT', reason: 'noconnection' });
      await until(() => !node.nodes().includes(e2.name), POLL);
    } finally {
      await e2.stop();
    }
  });
});
