// Ticks between kindred runtime nodes on Erlang's wire and a real erl (Debian's erlang-base), both with a ticktime
// of 4 s (erl's `-kernel net_ticktime 4`, the node's `erlang.ticktimeMs`): an idle link lives through 12 s whichever
// side dialed, and a SIGSTOPped erl is dropped with the runtime's nodedown reason `net_tick_timeout`.
import { until } from '@kindred/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Erl, type Proc, runId, startEpmd } from '../../beam/test/helpers/erl.js';
import { type NodeEvent, type StartedNode, startNode } from '../src/index.js';

const TICKTIME_S = 4;

describe("ticks between a kindred node on Erlang's wire and a real erl (net_ticktime 4)", () => {
  let epmd: { port: number; proc: Proc; env: NodeJS.ProcessEnv };
  const id = runId();
  const cookie = `cookie${id}`;
  const cleanup: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    epmd = await startEpmd();
  });

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    await epmd?.proc.stop();
  });

  /** A kindred node with a ticktime of 4 s and the node events it saw. */
  async function kindred(name: string): Promise<{ node: StartedNode; events: NodeEvent[] }> {
    const node = await startNode({
      name,
      cookie,
      distribution: 'erlang',
      erlang: { epmdPort: epmd.port, ticktimeMs: TICKTIME_S * 1000 },
      env: {},
    });
    cleanup.push(() => node.stop());
    const events: NodeEvent[] = [];
    node.monitorNodes((e) => events.push(e));
    return { node, events };
  }

  async function erl(name: string): Promise<Erl> {
    const e = await Erl.start(name, cookie, epmd.env, ['-kernel', 'net_ticktime', String(TICKTIME_S)]);
    cleanup.push(() => e.stop());
    return e;
  }

  it('an idle link lives through 12 s, erl dialing one node and the other node dialing erl', async () => {
    const e = await erl(`e${id}@127.0.0.1`);
    const dialed = await kindred(`a${id}@127.0.0.1`);
    const dialer = await kindred(`b${id}@127.0.0.1`);
    expect(await e.eval(`net_adm:ping('${dialed.node.name}')`)).toBe('pong');
    await dialer.node.connect(e.name);
    expect(await e.eval('net_kernel:get_net_ticktime()')).toBe(String(TICKTIME_S));
    // erl watches both links for 12 s with nothing else on them: a nodedown would arrive as a message.
    const watched = await e.eval(
      `monitor_node('${dialed.node.name}', true), monitor_node('${dialer.node.name}', true), ` +
        'receive {nodedown, N} -> {nodedown, N} after 12000 -> up end',
      30_000,
    );
    expect(watched).toBe('up');
    for (const k of [dialed, dialer]) {
      expect(k.events.filter((ev) => ev.type === 'nodedown')).toEqual([]);
      expect(k.node.nodes()).toEqual([e.name]);
      const stats = k.node.beam?.endpoint.connection(e.name)?.stats;
      expect(stats?.ticksIn).toBeGreaterThan(0);
      expect(stats?.ticksOut).toBeGreaterThan(0);
    }
  });

  it('a SIGSTOPped erl is dropped with nodedown net_tick_timeout', async () => {
    const e = await erl(`s${id}@127.0.0.1`);
    const k = await kindred(`k${id}@127.0.0.1`);
    await k.node.connect(e.name);
    const down = k.node.monitor({ name: 'init', node: e.name });
    e.proc.signal('SIGSTOP');
    try {
      await until(() => k.events.some((ev) => ev.type === 'nodedown'), { timeoutMs: 20_000, intervalMs: 50 });
    } finally {
      e.proc.signal('SIGCONT');
    }
    expect(k.events.filter((ev) => ev.type === 'nodedown')).toEqual([
      { type: 'nodedown', node: e.name, reason: 'net_tick_timeout' },
    ]);
    expect((await down.down).reason).toBe('noconnection');
    expect(k.node.nodes()).toEqual([]);
  });
});
