import { until } from '@kindred/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  type KNode,
  MemoryNetwork,
  OBSERVE_LIST_MAX,
  type StartedNode,
  startNode,
} from '../src/index.js';

const POLL = { timeoutMs: 5_000, intervalMs: 5 };
const nodes: KNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});

/** On `node`: a registered process with 3 queued messages, a pg group of 2, a monitor. */
function populate(node: KNode) {
  const inbox = node.spawn(
    async function inbox(ctx) {
      await ctx.receive((m) => m === 'never');
    },
    { name: 'inbox' },
  );
  for (const m of ['one', 'two', 'three']) node.send(inbox, m);
  const member1 = node.spawnHandler(function member() {});
  const member2 = node.spawnHandler(function member() {});
  node.pg.join('workers', [member1, member2]);
  const watcher = node.spawn(async function watcher(ctx) {
    ctx.monitor(inbox);
    ctx.link(member1);
    await ctx.receive((m) => m === 'never');
  });
  return { inbox, member1, member2, watcher };
}

describe('observe', () => {
  it('lists processes, names, groups and monitors of this node', async () => {
    const node = createNode({ name: 'ob@mem' });
    nodes.push(node);
    const { inbox, member1, member2, watcher } = populate(node);
    await until(() => node.mailboxSize(inbox) === 3, POLL);
    const s = await node.observe();
    expect(s.node).toBe('ob@mem');
    expect(s.processCount).toBe(node.processes().length);
    const byPid = new Map(s.processes.map((p) => [p.pid, p]));
    expect(byPid.get(inbox.toString())).toMatchObject({
      name: 'inbox',
      mailbox: 3,
      kind: 'spawn',
      function: 'inbox',
      status: 'waiting',
      monitoredBy: [watcher.toString()],
      monitoredByCount: 1,
    });
    expect(byPid.get(watcher.toString())).toMatchObject({
      function: 'watcher',
      monitors: [inbox.toString()],
      links: [member1.toString()],
      linkCount: 1,
    });
    expect(byPid.get(member1.toString())).toMatchObject({
      kind: 'handler',
      function: 'member',
      status: 'waiting',
    });
    expect(s.registered).toContainEqual({ name: 'inbox', pid: inbox.toString() });
    expect(s.groups).toContainEqual({
      scope: 'pg',
      group: 'workers',
      members: expect.arrayContaining([member1.toString(), member2.toString()]),
      memberCount: 2,
    });
    expect(s.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(s.stats.processes).toBe(s.processCount);
    expect((await node.observe(undefined, { maxProcesses: 1 })).processes).toHaveLength(1);
    await expect(node.observe(undefined, { maxProcesses: -1 })).rejects.toMatchObject({
      code: 'KINDRED_ERR_RUNTIME_BAD_OPTION',
    });
  });

  it('bounds the lists of one entry', async () => {
    const node = createNode({ name: 'obb@mem' });
    nodes.push(node);
    const hub = node.spawnHandler(() => {});
    for (let i = 0; i < OBSERVE_LIST_MAX + 5; i++)
      node.link(
        node.spawn((ctx) => ctx.receive()),
        hub,
      );
    const h = (await node.observe()).processes.find((p) => p.pid === hub.toString())!;
    expect(h.links).toHaveLength(OBSERVE_LIST_MAX);
    expect(h.linkCount).toBe(OBSERVE_LIST_MAX + 5);
  });

  it('answers a hidden node over the network, and counts a malformed request as a bad control message', async () => {
    const net = new MemoryNetwork();
    const target = createNode({ name: 'ot@mem', distribution: net.endpoint('ot@mem') });
    const probe = createNode({
      name: 'op@mem',
      hidden: true,
      distribution: net.endpoint('op@mem', { hidden: true }),
    });
    nodes.push(target, probe);
    const { inbox } = populate(target);
    await probe.connect('ot@mem');
    const s = await probe.observe('ot@mem');
    expect(s.node).toBe('ot@mem');
    expect(s.processes.find((p) => p.name === 'inbox')).toMatchObject({ pid: inbox.toString(), mailbox: 3 });
    expect(s.groups.find((g) => g.group === 'workers')?.memberCount).toBe(2);
    expect(s.peers).toContainEqual(expect.objectContaining({ node: 'op@mem', hidden: true }));
    // The observed node's answer to a bad maxProcesses.
    await expect(probe.observe('ot@mem', { maxProcesses: 10 ** 6 })).rejects.toMatchObject({
      code: 'KINDRED_ERR_RUNTIME_BAD_OPTION',
    });
    const before = target.stats().badControl;
    probe.send({ name: 'kindred_observe', node: 'ot@mem' }, { type: 'nope' });
    await until(() => target.stats().badControl === before + 1, POLL);
    // The name is the runtime's: nobody can register it.
    expect(() => target.register('kindred_observe', inbox)).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_BAD_NAME' }),
    );
  });

  it('times out on a node that does not answer', async () => {
    const net = new MemoryNetwork();
    const probe = createNode({ name: 'oq@mem', distribution: net.endpoint('oq@mem') });
    nodes.push(probe);
    await expect(probe.observe('nobody@mem', { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'KINDRED_ERR_CALL_TIMEOUT',
    });
  });

  it('answers with an error, not silence, when the snapshot is over the message cap', async () => {
    const opts = { cookie: 'obs-cookie', port: 0, host: '127.0.0.1' };
    const big: StartedNode = await startNode({
      name: 'obig@127.0.0.1',
      ...opts,
      transport: { maxMessageBytes: 4096 },
    });
    const probe: StartedNode = await startNode({ name: 'oprobe@127.0.0.1', ...opts, hidden: true });
    nodes.push(big, probe);
    for (let i = 0; i < 100; i++) big.spawnHandler(() => {});
    await probe.connect(big.name, { port: big.port });
    await expect(probe.observe(big.name)).rejects.toMatchObject({
      code: 'KINDRED_ERR_OBSERVE_FAILED',
      details: { code: 'KINDRED_ERR_MESSAGE_TOO_LARGE' },
    });
    expect((await probe.observe(big.name, { maxProcesses: 5 })).processes).toHaveLength(5);
  });

  it('gives peers with direction and traffic over the real transport', async () => {
    const opts = { cookie: 'obs-cookie', port: 0, host: '127.0.0.1' };
    const a: StartedNode = await startNode({ name: 'oa@127.0.0.1', ...opts });
    const b: StartedNode = await startNode({ name: 'ob@127.0.0.1', ...opts });
    nodes.push(a, b);
    await a.connect(b.name, { port: b.port });
    const s = await b.observe(a.name);
    expect(s.peers).toEqual([
      expect.objectContaining({
        node: b.name,
        hidden: false,
        direction: 'out',
        lastInAt: expect.any(Number),
      }),
    ]);
    expect(s.peers[0]!.bytesOut).toBeGreaterThan(0);
  });
});
