import { until } from '@kindred/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { isCallMessage, isDownMessage, type StartedNode, startNode } from '../src/index.js';

const POLL = { timeoutMs: 10_000, intervalMs: 20 };

// Real transport, real sockets on loopback, nodes in this process (the three-OS-process tests are in cluster.test.ts).
const started: StartedNode[] = [];
afterEach(async () => {
  for (const n of started.splice(0)) await n.stop();
});

async function start(name: string, extra: Parameters<typeof startNode>[0] = {}): Promise<StartedNode> {
  const n = await startNode({
    name: `${name}@127.0.0.1`,
    cookie: 'runtime-test-cookie',
    port: 0,
    host: '127.0.0.1',
    ...extra,
  });
  started.push(n);
  return n;
}

describe('startNode', () => {
  it('validates options', async () => {
    await expect(startNode({ reconnectIntervalMs: 1 })).rejects.toMatchObject({
      code: 'KINDRED_ERR_RUNTIME_BAD_OPTION',
    });
    // Runtime options reach the node (and a refused one closes the listener it opened).
    for (const bad of [{ maxMailboxBytes: 0 }, { maxQueuedBytesPerPeer: -1 }, { maxDialsPerSecond: 1.5 }]) {
      await expect(start('rbad', bad)).rejects.toMatchObject({ code: 'KINDRED_ERR_RUNTIME_BAD_OPTION' });
    }
  });

  it("rpc works again after a peer's exit(rex, kill), over the real transport", async () => {
    const a = await start('rx');
    const b = await start('ry');
    b.expose('add', (x: number, y: number) => x + y);
    await a.connect(b.name, { port: b.port });
    expect(await a.rpc(b.name, 'add', [1, 2])).toBe(3);
    const rex = b.whereis('rex')!;
    a.exit(rex, 'kill');
    await until(() => !b.isAlive(rex), POLL);
    expect(await a.rpc(b.name, 'add', [2, 3])).toBe(5);
    expect(b.stats().rexRestarts).toBe(1);
  });

  it('sends, calls and monitors across the real transport; connect_all meshes a third node', async () => {
    const a = await start('ra');
    const b = await start('rb');
    const c = await start('rc');
    b.spawn(
      async (ctx) => {
        for (;;) {
          const m = await ctx.receive(isCallMessage);
          ctx.reply(m.from, { echo: m.request, by: ctx.self });
        }
      },
      { name: 'echo' },
    );
    await a.connect(b.name, { port: b.port });
    const r = (await a.call({ name: 'echo', node: b.name }, 'hi')) as { echo: string; by: { node: string } };
    expect(r.echo).toBe('hi');
    expect(r.by.node).toBe(b.name);
    // c connects to a only; connect_all brings b.
    await c.connect(a.name, { port: a.port });
    await until(() => c.nodes().includes(b.name) && b.nodes().includes(c.name), POLL);
    expect(c.nodes().sort()).toEqual([a.name, b.name].sort());
    // Monitor from c a process on b, then stop b: DOWN noconnection.
    const echo = b.whereis('echo')!;
    const down = new Promise((resolve) => {
      c.spawn(async (ctx) => {
        ctx.monitor(echo);
        resolve(await ctx.receive(isDownMessage));
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    const events: unknown[] = [];
    a.monitorNodes((e) => events.push(e));
    await b.stop();
    expect(await down).toMatchObject({ reason: expect.stringMatching(/^(shutdown|noconnection)$/) });
    await until(() => events.length > 0, POLL);
    expect(events[0]).toMatchObject({ type: 'nodedown', node: b.name });
  });

  it('discovery (static) connects to the listed peers', async () => {
    const a = await start('sa');
    const b = await start('sb', {
      discovery: `static:${'sa@127.0.0.1'}:${a.port}`,
      discoveryOptions: { pollIntervalMs: 100 },
    });
    await until(() => b.nodes().includes(a.name), POLL);
    expect(a.nodes()).toContain(b.name);
  });

  it('polls discovery at once when a visible node it does not list yet connects (DNS changed since the last poll)', async () => {
    const x = await start('nx');
    let lists = 0;
    // Nobody is published at the first poll; the next poll would come only a minute later.
    const seen = await start('ns', {
      discovery: {
        name: 'scripted',
        async list() {
          lists++;
          return lists === 1
            ? []
            : [{ node: x.name, host: '127.0.0.1', port: x.port, addresses: ['127.0.0.1'] }];
        },
      },
      discoveryOptions: { pollIntervalMs: 60_000 },
    });
    await until(() => lists === 1, POLL);
    await x.connect(seen.name, { port: seen.port });
    await until(() => seen.discovery?.peers().some((p) => p.node === x.name) === true, POLL);
    expect(lists).toBe(2);
  });

  it('leave(): the peers see nodedown shutdown, and their discovery does not dial it again while the hold lasts', async () => {
    const a = await start('la', { connectAll: false });
    // connect_all off on every node here, so only discovery dials: with it on, b2's connection to `eager` would
    // introduce b2 to `held` (a nodeup ends a hold: b2 is a member again), racing the check below.
    const b = await start('lb', { connectAll: false });
    const listed = `static:${a.name}:${a.port},${b.name}:${b.port}`;
    // `held` keeps a left peer alone for the default hold; `eager` holds for 1 ms, so it dials again at once.
    const held = await start('lh', {
      discovery: listed,
      reconnectIntervalMs: 20,
      connectAll: false,
      discoveryOptions: { pollIntervalMs: 100 },
    });
    const eager = await start('le', {
      discovery: listed,
      reconnectIntervalMs: 20,
      leaveHoldMs: 1,
      connectAll: false,
      discoveryOptions: { pollIntervalMs: 100 },
    });
    await until(() => held.nodes().includes(b.name) && eager.nodes().includes(b.name), POLL);
    const reasons: unknown[] = [];
    held.monitorNodes((e) => {
      if (e.type === 'nodedown' && e.node === b.name) reasons.push(e.reason);
    });
    await b.leave();
    await until(() => reasons.length > 0, POLL);
    expect(reasons).toEqual(['shutdown']);
    // The same name comes back on the same port, but does not dial anyone itself: only discovery can reconnect it.
    const b2 = await start('lb', { port: b.port, connectAll: false });
    await until(() => eager.nodes().includes(b2.name), POLL);
    // `eager` redialled within a few reconnect intervals; `held` had as many and left it alone.
    expect(held.nodes()).not.toContain(b2.name);
    // A crash (plain stop) is no leave: the others see connection_closed and dial again when it is back.
    await expect(start('lbad', { leaveHoldMs: -1 })).rejects.toMatchObject({
      code: 'KINDRED_ERR_RUNTIME_BAD_OPTION',
    });
    const down = new Promise<unknown>((resolve) =>
      eager.monitorNodes((e) => {
        if (e.type === 'nodedown' && e.node === b2.name) resolve(e.reason);
      }),
    );
    await b2.stop();
    expect(await down).toBe('connection_closed');
  });

  it('dials peers whose spec carries no port on its own listen port, as replicas of one app share it', async () => {
    const a = await start('pa', { name: 'pa@127.0.0.1', host: '127.0.0.1' });
    // The same port on another loopback address: what two pods of one Deployment look like.
    const b = await start('pb', {
      name: 'pb@127.0.0.2',
      host: '127.0.0.2',
      port: a.port,
      discovery: 'static:pa@127.0.0.1',
      discoveryOptions: { pollIntervalMs: 100 },
    });
    await until(() => b.nodes().includes(a.name), POLL);
    expect(a.nodes()).toContain(b.name);
  });

  it("KINDRED_ERL_EPMD_PORT puts a node on Erlang's wire epmd-less: it listens on that port and dials peers there", async () => {
    const env = { KINDRED_DISTRIBUTION: 'erlang', KINDRED_ERL_EPMD_PORT: '0' };
    await expect(start('eb', { name: 'eb@127.0.0.2', host: '127.0.0.2', env })).rejects.toMatchObject({
      code: 'KINDRED_ERR_RUNTIME_BAD_OPTION',
    });
    // A free port, then both nodes on it at two loopback addresses (two pods of one Deployment, no epmd).
    const probe = await start('ep', { name: 'ep@127.0.0.2', host: '127.0.0.2' });
    const port = probe.port;
    await probe.stop();
    started.splice(started.indexOf(probe), 1);
    const fixed = { ...env, KINDRED_ERL_EPMD_PORT: String(port) };
    const a = await start('ea', { name: 'ea@127.0.0.2', host: '127.0.0.2', env: fixed });
    const b = await start('eb', {
      name: 'eb@127.0.0.3',
      host: '127.0.0.3',
      env: fixed,
      discovery: 'static:ea@127.0.0.2',
      discoveryOptions: { pollIntervalMs: 100 },
    });
    expect(a.port).toBe(port);
    expect(b.port).toBe(port);
    await until(() => b.nodes().includes(a.name), POLL);
    expect(a.nodes()).toContain(b.name);
  });

  it('a hidden node connects but stays out of nodes() and the mesh', async () => {
    const a = await start('ha');
    const b = await start('hb');
    await b.connect(a.name, { port: a.port });
    const h = await start('hh', { hidden: true });
    await h.connect(a.name, { port: a.port });
    await until(() => a.hiddenNodes().includes(h.name), POLL);
    expect(a.nodes()).toEqual([b.name]);
    await new Promise((r) => setTimeout(r, 200));
    // As in erl: on a hidden node every connection is hidden.
    expect(h.nodes()).toEqual([]);
    expect(h.hiddenNodes()).toEqual([a.name]);
    expect(b.hiddenNodes()).toEqual([]);
    // Messages still flow to a hidden node.
    const got = new Promise((resolve) => {
      h.spawn(async (ctx) => resolve(await ctx.receive()), { name: 'inbox' });
    });
    await new Promise((r) => setTimeout(r, 20));
    a.send({ name: 'inbox', node: h.name }, 'to hidden');
    expect(await got).toBe('to hidden');
  });
});
