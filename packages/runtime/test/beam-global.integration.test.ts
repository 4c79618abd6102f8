// erl's `global` with a kindred node on Erlang's wire connected (OTP 25's global.erl, Debian's erlang-base): on nodeup
// erl's global_name_server casts `init_connect` to `{global_name_server, KindredNode}` and `global:sync()` waits until
// that node is synced. kindred answers `{in_sync, Node, true}` (README.md, "The runtime on Erlang's wire"), so
// `global:sync()` returns, and global's names and locks keep working between the erl nodes. Each `eval` below has a
// 15 s bound: a sync that never returns fails the test instead of hanging it (a hang check, not a speed assertion).
import { until } from '@kindred/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Erl, type Proc, runId, startEpmd } from '../../beam/test/helpers/erl.js';
import { type StartedNode, startNode } from '../src/index.js';

const POLL = { timeoutMs: 15_000, intervalMs: 20 };
/** How long one erl expression may take before the test fails (sync blocked forever before kindred answered). */
const BOUND_MS = 15_000;

describe("erl's global with a kindred node on Erlang's wire", () => {
  let epmd: { port: number; proc: Proc; env: NodeJS.ProcessEnv };
  let e1: Erl;
  let e2: Erl | undefined;
  let node: StartedNode;
  const id = runId();
  const cookie = `cookie${id}`;
  const kname = `k${id}@127.0.0.1`;
  const e1name = `e${id}@127.0.0.1`;
  const e2name = `f${id}@127.0.0.1`;

  beforeAll(async () => {
    epmd = await startEpmd();
    node = await startNode({
      name: kname,
      cookie,
      distribution: 'erlang',
      erlang: { epmdPort: epmd.port },
      env: {},
    });
    e1 = await Erl.start(e1name, cookie, epmd.env);
  });

  afterAll(async () => {
    await node?.stop();
    await e1?.stop();
    await e2?.stop();
    await epmd?.proc.stop();
  });

  it('global:sync() returns ok on erl with the kindred node connected; names register and resolve', async () => {
    expect(await e1.eval(`net_adm:ping('${kname}')`)).toBe('pong');
    expect(await e1.eval(`lists:member('${kname}', nodes())`)).toBe('true');
    // {Microseconds, ok}: the time is printed for whoever reads the log, only the ok is asserted.
    expect(await e1.eval('timer:tc(global, sync, [])', BOUND_MS)).toMatch(/^\{\d+,ok\}$/);
    expect(node.beam?.counters.globalInSync).toBeGreaterThanOrEqual(1);
    expect(await e1.eval('global:register_name(a_name, self())', BOUND_MS)).toBe('yes');
    expect(await e1.eval('global:whereis_name(a_name) =:= self()', BOUND_MS)).toBe('true');
    expect(await e1.eval('global:registered_names()', BOUND_MS)).toBe('[a_name]');
    // A lock over every connected node (the kindred node included) and a transaction under it.
    expect(await e1.eval('global:trans({a_lock, self()}, fun() -> done end)', BOUND_MS)).toBe('done');
    // Still connected: kindred's answer does not make erl drop the node.
    expect(await e1.eval(`lists:member('${kname}', nodes())`)).toBe('true');
    expect(node.nodes()).toContain(e1name);
  });

  it('the kindred node reconnected: global syncs again', async () => {
    node.disconnect(e1name);
    await until(async () => (await e1.eval(`lists:member('${kname}', nodes())`)) === 'false', POLL);
    await node.connect(e1name);
    expect(await e1.eval(`lists:member('${kname}', nodes())`)).toBe('true');
    expect(await e1.eval('timer:tc(global, sync, [])', BOUND_MS)).toMatch(/^\{\d+,ok\}$/);
  });

  it("two erl nodes and the kindred node: both erl nodes' global sync and share names", async () => {
    const second = await Erl.start(e2name, cookie, epmd.env);
    e2 = second;
    // The kindred node dials the second erl (the other direction than above); the erl nodes connect to each other.
    await node.connect(e2name);
    expect(await second.eval(`lists:member('${kname}', nodes())`)).toBe('true');
    expect(await second.eval(`net_adm:ping('${e1name}')`)).toBe('pong');
    expect(await second.eval('timer:tc(global, sync, [])', BOUND_MS)).toMatch(/^\{\d+,ok\}$/);
    expect(await e1.eval('timer:tc(global, sync, [])', BOUND_MS)).toMatch(/^\{\d+,ok\}$/);
    expect(await second.eval('lists:sort(nodes())', BOUND_MS)).toBe(
      `[${[e1name, kname]
        .sort()
        .map((n) => `'${n}'`)
        .join(',')}]`,
    );
    // e1's name (registered in the first test) is known to the second erl, and a name of the second reaches e1.
    expect(await second.eval(`node(global:whereis_name(a_name)) =:= '${e1name}'`, BOUND_MS)).toBe('true');
    expect(await second.eval('global:register_name(b_name, self())', BOUND_MS)).toBe('yes');
    expect(await e1.eval(`node(global:whereis_name(b_name)) =:= '${e2name}'`, BOUND_MS)).toBe('true');
    expect(await e1.eval('lists:sort(global:registered_names())', BOUND_MS)).toBe('[a_name,b_name]');
    // A kindred pid registered from erl: both erl nodes resolve it; when the process ends, erl's monitor of it fires
    // and the name goes on both.
    await e1.eval('register(ebox, self())');
    const kproc = node.spawn(async (ctx) => {
      await ctx.receive();
    });
    node.send({ name: 'ebox', node: e1name }, kproc);
    expect(await e1.eval('receive P -> global:register_name(k_name, P) end', BOUND_MS)).toBe('yes');
    expect(await second.eval(`node(global:whereis_name(k_name)) =:= '${kname}'`, BOUND_MS)).toBe('true');
    node.send(kproc, 'stop');
    await until(async () => (await second.eval('global:whereis_name(k_name)')) === 'undefined', POLL);
    expect(await e1.eval('global:whereis_name(k_name)')).toBe('undefined');
    // Neither erl logged anything (global logs a warning for a message it did not expect, and for partitions).
    const logged = (e: Erl): string[] => e.proc.lines.filter((l) => !/^(READY|RESULT \d+ )/.test(l));
    expect(logged(e1)).toEqual([]);
    expect(logged(second)).toEqual([]);
  });
});
