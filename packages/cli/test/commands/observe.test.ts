import { type KNode, type NodeSnapshot, type StartedNode, startNode } from '@kindred/runtime';
import { captureIO } from '@kindred/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserveCommand, renderSnapshot } from '../../src/commands/observe.js';

const COOKIE = 'observe-test-cookie';
const started: StartedNode[] = [];
afterEach(async () => {
  for (const n of started.splice(0)) await n.stop();
});

/** A real node on loopback holding what the test looks for: 3 queued messages, a pg group of 2, a monitor. */
async function populated(): Promise<StartedNode> {
  const node = await startNode({ name: 'target@127.0.0.1', cookie: COOKIE, port: 0, host: '127.0.0.1' });
  started.push(node);
  const inbox = node.spawn(
    async function inbox(ctx) {
      await ctx.receive((m) => m === 'never');
    },
    { name: 'inbox' },
  );
  for (const m of [1, 2, 3]) node.send(inbox, m);
  const members = [node.spawnHandler(function worker() {}), node.spawnHandler(function worker() {})];
  node.pg.join('workers', members);
  node.spawn(async function watcher(ctx) {
    ctx.monitor(inbox);
    await ctx.receive((m) => m === 'never');
  });
  return node;
}

// This machine may have no FQDN: the observing side names itself on loopback too.
const ME = ['--name', 'observe-test@127.0.0.1'];
const run = (argv: string[], env: NodeJS.ProcessEnv = { KINDRED_COOKIE: COOKIE }) => {
  const io = captureIO(env);
  return { io, done: createObserveCommand().run([...argv, ...ME], io) };
};

describe('kindred observe', () => {
  it('--json prints the snapshot once, from a hidden node the cluster does not see', async () => {
    const node = await populated();
    const { io, done } = run(['target@127.0.0.1', '--port', String(node.port), '--json']);
    expect(await done).toBe(0);
    const [snap] = io.lines() as unknown as NodeSnapshot[];
    expect(snap?.node).toBe('target@127.0.0.1');
    expect(snap?.processes.find((p) => p.name === 'inbox')).toMatchObject({
      mailbox: 3,
      function: 'inbox',
      monitoredByCount: 1,
    });
    expect(snap?.processes.find((p) => p.function === 'watcher')?.monitorCount).toBe(1);
    expect(snap?.groups).toContainEqual(
      expect.objectContaining({ scope: 'pg', group: 'workers', memberCount: 2 }),
    );
    expect(snap?.peers).toEqual([expect.objectContaining({ hidden: true, direction: 'in' })]);
    expect(node.nodes()).toEqual([]);
    expect(io.err()).toBe('');
  });

  it('prints a top-like table --count times, the fullest mailbox first', async () => {
    const node = await populated();
    const { io, done } = run([
      'target@127.0.0.1',
      '--port',
      String(node.port),
      '--count',
      '2',
      '--interval',
      '0.01',
    ]);
    expect(await done).toBe(0);
    const screens = io.out().split(/\n(?=target@127\.0\.0\.1 {2}up )/);
    expect(screens).toHaveLength(2);
    const lines = screens[0]!.split('\n');
    expect(lines[0]).toMatch(/^target@127\.0\.0\.1 {2}up \d+s {2}processes \d+/);
    expect(lines[2]).toMatch(/^PID +NAME +FUNCTION +STATUS +MAILBOX +LINKS +MONITORS +MONITORED_BY$/);
    expect(lines[3]).toMatch(/ inbox +inbox +waiting +3 +0 +0 +1$/);
    expect(screens[0]).toMatch(
      /\n {2}pg\/workers {2}2: <target@127\.0\.0\.1\.\d+\.0> <target@127\.0\.0\.1\.\d+\.0>\n/,
    );
    expect(screens[0]).toMatch(
      /\nPEER +DIR +HIDDEN +BYTES_IN +BYTES_OUT +QUEUED +LAST_SEEN\nobserve-test@127\.0\.0\.1 +in +yes /,
    );
  });

  it('refreshes until stopped', async () => {
    const node = await populated();
    const io = captureIO({ KINDRED_COOKIE: COOKIE });
    const ticks: number[] = [];
    const cmd = createObserveCommand({
      sleep: async () => {
        ticks.push(1);
        if (ticks.length === 3) io.stop('SIGINT');
      },
    });
    const stdout = Object.assign(io.stdout, { isTTY: true });
    expect(await cmd.run(['target@127.0.0.1', '--port', String(node.port), ...ME], { ...io, stdout })).toBe(
      0,
    );
    expect(io.out().split('\x1b[H\x1b[2J')).toHaveLength(4); // three screens, each after a clear
  });

  it('exits 1 with the reason when the node cannot be reached or the cookie is wrong, 2 on usage errors', async () => {
    const node: KNode = await populated();
    const port = String((node as StartedNode).port);
    const bad = run(['target@127.0.0.1', '--port', port, '--json'], { KINDRED_COOKIE: 'wrong' });
    expect(await bad.done).toBe(1);
    expect(bad.io.err()).toContain('kindred observe: bad_cookie');
    const wrongName = run(['other@127.0.0.1', '--port', port]);
    expect(await wrongName.done).toBe(1);
    expect(wrongName.io.err()).toContain('kindred observe: name_mismatch');
    for (const argv of [
      [],
      ['a@h', 'b@h'],
      ['a@h', '--interval', '0'],
      ['a@h', '--max-processes', '100000'],
      ['a@h', '--json', '--count', '2'],
    ]) {
      await expect(run(argv).done).rejects.toMatchObject({ code: 'KINDRED_ERR_USAGE' });
    }
  });

  it('renders a snapshot it did not list whole', () => {
    const text = renderSnapshot({
      node: 'n@h',
      creation: 1,
      hidden: false,
      at: 10_000,
      uptimeMs: 3_725_000,
      stats: {} as NodeSnapshot['stats'],
      processCount: 5,
      processes: [],
      registered: [],
      groups: [],
      peers: [
        {
          node: 'p@h',
          hidden: false,
          direction: null,
          bytesIn: 20_000,
          bytesOut: null,
          messagesIn: null,
          messagesOut: null,
          queuedBytes: 0,
          lastInAt: 7_000,
        },
      ],
    });
    expect(text).toContain('n@h  up 1h02m  processes 5');
    expect(text).toContain('(5 more processes not listed)');
    expect(text).toMatch(/\np@h +- +no +20K +- +0 +3s ago\n/);
  });
});
