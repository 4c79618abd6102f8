// kindred's pg scopes on Erlang's wire answer OTP's `pg` protocol (OTP 25's pg.erl), against a real erl (Debian's
// erlang-base) running its default `pg` scope (`-kernel start_pg true`) and a second scope: members joined on either
// side are seen on both, leaves and exits reach the other side, erl's scope survives, and a nodedown drops the
// peer's members.
import { until } from '@kindred/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Erl, type Proc, runId, startEpmd } from '../../beam/test/helpers/erl.js';
import { Pid, type StartedNode, startNode } from '../src/index.js';
import { recorder } from './support.js';

const POLL = { timeoutMs: 15_000, intervalMs: 20 };

describe("kindred's pg scopes and OTP's pg share groups over Erlang's wire", () => {
  let epmd: { port: number; proc: Proc; env: NodeJS.ProcessEnv };
  let erl: Erl;
  let node: StartedNode;
  const id = runId();
  const cookie = `cookie${id}`;
  const kname = `k${id}@127.0.0.1`;
  const ename = `e${id}@127.0.0.1`;

  beforeAll(async () => {
    epmd = await startEpmd();
    erl = await Erl.start(ename, cookie, epmd.env, ['-kernel', 'start_pg', 'true']);
    await erl.eval('{ok, _} = pg:start(chat)');
    await erl.eval('persistent_term:put(pgpid, whereis(pg))');
    node = await startNode({
      name: kname,
      cookie,
      distribution: 'erlang',
      erlang: { epmdPort: epmd.port },
      env: {},
    });
  });

  afterAll(async () => {
    await node?.stop();
    await erl?.stop();
    await epmd?.proc.stop();
  });

  /** How many of erl's members of `group` in `scope` are pids of the kindred node. */
  const erlSees = (scope: string, group: string): Promise<string> =>
    erl.eval(`length([P || P <- pg:get_members(${scope}, ${group}), node(P) =:= '${kname}'])`);

  it('a member joined on either side is seen by the other, in the default scope and a named one', async () => {
    expect(await erl.eval(`net_adm:ping('${kname}')`)).toBe('pong');
    const k = recorder(node);
    node.pg.join('room', k.pid);
    await until(async () => (await erl.eval('length(pg:get_members(room))')) === '1', POLL);
    expect(await erl.eval(`node(hd(pg:get_members(room))) =:= '${kname}'`)).toBe('true');

    await erl.eval(
      'register(emember, spawn(fun() -> pg:join(room, self()), pg:join(chat, lobby, self()), receive stop -> ok end end))',
    );
    await until(() => node.pg.members('room').length === 2, POLL);
    const erlMember = node.pg.members('room').find((p) => p.node === ename);
    expect(erlMember).toBeInstanceOf(Pid);
    // A scope of another name: kindred's `chat` scope sees erl's `chat` members, and the other way round.
    const chat = node.pgScope('chat');
    await until(() => chat.members('lobby').length === 1, POLL);
    chat.join('lobby', k.pid);
    await until(async () => (await erl.eval('length(pg:get_members(chat, lobby))')) === '2', POLL);
    expect(await erlSees('chat', 'lobby')).toBe('1');
    expect(chat.members('lobby').map((p) => p.node)).toEqual(expect.arrayContaining([kname, ename]));

    // Messages to the group's members reach the erl member.
    node.send(erlMember!, 'hello member');
    await until(
      async () =>
        (await erl.eval('erlang:process_info(whereis(emember), message_queue_len)')) ===
        '{message_queue_len,1}',
      POLL,
    );
  });

  it("leaves and exits reach the other side; erl's pg scope keeps running", async () => {
    const pids = node.pg.members('room').filter((p) => p.node === kname);
    expect(pids.length).toBe(1);
    node.pg.leave('room', pids[0]!);
    await until(async () => (await erl.eval('length(pg:get_members(room))')) === '1', POLL);
    const member = node.spawn(async (ctx) => {
      await ctx.receive();
    });
    node.pg.join('room', member);
    await until(async () => (await erl.eval('length(pg:get_members(room))')) === '2', POLL);
    node.send(member, 'exit');
    await until(async () => (await erl.eval('length(pg:get_members(room))')) === '1', POLL);

    await erl.eval('emember ! stop');
    await until(
      () => node.pg.members('room').length === 0 && node.pgScope('chat').members('lobby').length === 1,
      POLL,
    );
    expect(await erl.eval('whereis(pg) =:= persistent_term:get(pgpid)')).toBe('true');
    expect(node.pg.stats().droppedMessages).toBe(0);
  });

  it("a broadcast reaches erl's members one message per member (erl's pg cannot fan out for kindred)", async () => {
    await erl.eval(
      'register(enews, spawn(fun() -> pg:join(news, self()), pg:join(news, self()), ' +
        'Loop = fun L(N) -> receive M -> persistent_term:put(newsgot, {N + 1, M}), L(N + 1) end end, Loop(0) end))',
    );
    const k = recorder(node);
    node.pg.join('news', k.pid);
    await until(() => node.pg.members('news').length === 3, POLL);
    expect(node.broadcast('news', 'hello')).toBe(3);
    // Twice: erl's member joined twice, and got one message per join.
    await until(
      async () => (await erl.eval('persistent_term:get(newsgot, none) =:= {2, <<"hello">>}')) === 'true',
      POLL,
    );
    expect(k.got).toEqual(['hello']);
    await erl.eval('exit(whereis(enews), kill)');
    node.pg.leave('news', k.pid);
  });

  it("a nodedown drops erl's members on the kindred side and kindred's on erl's", async () => {
    await erl.eval('register(keep, spawn(fun() -> pg:join(room, self()), receive stop -> ok end end))');
    const k = recorder(node);
    node.pg.join('room', k.pid);
    await until(() => node.pg.members('room').length === 2, POLL);
    await until(async () => (await erl.eval('length(pg:get_members(room))')) === '2', POLL);
    expect(await erl.eval(`erlang:disconnect_node('${kname}')`)).toBe('true');
    await until(() => node.pg.members('room').length === 1, POLL);
    await until(async () => (await erl.eval('length(pg:get_members(room))')) === '1', POLL);
    // Reconnected: each side sees the other's members again.
    expect(await erl.eval(`net_adm:ping('${kname}')`)).toBe('pong');
    await until(() => node.pg.members('room').length === 2, POLL);
    await until(async () => (await erl.eval('length(pg:get_members(room))')) === '2', POLL);
  });
});
