import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { until } from '@kindred/test-support';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const POLL = { timeoutMs: 15_000, intervalMs: 50 };

// Three kindred nodes in separate OS processes on loopback over the real transport. Each runs
// test/fixtures/node.mjs on the BUILT runtime (built in beforeAll) and is driven with JSON lines.
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const fixture = join(here, 'fixtures/node.mjs');
const cookie = `c${randomBytes(8).toString('hex')}`;
const run = randomBytes(3).toString('hex');

type Json = Record<string, unknown>;
type PidJson = { node: string; id: number; serial: number; creation: number };

class NodeProc {
  readonly child: ChildProcessWithoutNullStreams;
  readonly events: Json[] = [];
  #seq = 0;
  readonly #pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  #wake: Array<() => void> = [];
  stderr = '';
  name = '';
  port = 0;

  constructor() {
    this.child = spawn(process.execPath, [fixture], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const m = JSON.parse(line) as Json;
      if (typeof m.seq === 'number') {
        const p = this.#pending.get(m.seq);
        this.#pending.delete(m.seq);
        if (m.ok) p?.resolve(m);
        else p?.reject(Object.assign(new Error(JSON.stringify(m.error)), m.error as object));
      } else {
        this.events.push(m);
        for (const w of this.#wake.splice(0)) w();
      }
    });
    this.child.on('exit', () => {
      for (const p of this.#pending.values())
        p.reject(new Error(`node process exited; stderr: ${this.stderr}`));
      this.#pending.clear();
    });
  }

  cmd(cmd: string, args: Json = {}): Promise<Json> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ seq, cmd, ...args })}\n`);
    });
  }

  async start(base: string, extra: Json = {}): Promise<this> {
    const r = await this.cmd('start', { name: `${base}${run}@127.0.0.1`, cookie, ...extra });
    this.name = r.node as string;
    this.port = r.port as number;
    return this;
  }

  /** Waits for an event matching `pred`, removing it from the list. */
  async event(pred: (e: Json) => boolean, ms = 15_000): Promise<Json> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0]!;
      if (Date.now() > end) throw new Error(`no matching event; have ${JSON.stringify(this.events)}`);
      await new Promise<void>((r) => {
        this.#wake.push(r);
        setTimeout(r, 50);
      });
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return new Promise((r) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return r();
      this.child.once('exit', () => r());
      this.child.kill(signal);
    });
  }
}

const procs: NodeProc[] = [];
function launch(): NodeProc {
  const p = new NodeProc();
  procs.push(p);
  return p;
}
let n1: NodeProc;
let n2: NodeProc;
let n3: NodeProc;

beforeAll(async () => {
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-b', 'packages/runtime'], {
    cwd: root,
    stdio: 'inherit',
  });
  [n1, n2, n3] = await Promise.all([launch().start('n1'), launch().start('n2'), launch().start('n3')]);
  // Connect n2 and n3 to n1 only: connect_all makes the full mesh.
  await n2.cmd('connect', { node: n1.name, port: n1.port });
  await n3.cmd('connect', { node: n1.name, port: n1.port });
  for (const n of [n1, n2, n3]) {
    const others = [n1, n2, n3]
      .filter((o) => o !== n)
      .map((o) => o.name)
      .sort();
    await until(async () => JSON.stringify((await n.cmd('nodes')).nodes) === JSON.stringify(others), POLL);
  }
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
});

describe('three nodes in separate OS processes', () => {
  it('send by pid and by {name, node}, call and rpc across nodes', async () => {
    const { pid } = await n2.cmd('spawn', { tag: 'p2', register: 'p2' });
    await n1.cmd('spawn', { tag: 'p1' });
    await n1.cmd('do', { tag: 'p1', op: 'send', args: { dest: pid, msg: 'by-pid' } });
    await n1.cmd('do', {
      tag: 'p1',
      op: 'send',
      args: { dest: { name: 'p2', node: n2.name }, msg: 'by-name' },
    });
    expect((await n2.event((e) => e.tag === 'p2')).msg).toBe('by-pid');
    expect((await n2.event((e) => e.tag === 'p2')).msg).toBe('by-name');
    await n3.cmd('server', { register: 'srv' });
    const r = await n1.cmd('call', { dest: { name: 'srv', node: n3.name }, msg: { q: 1 } });
    expect(r.result).toEqual({ echo: { q: 1 }, node: n3.name });
    expect((await n2.cmd('rpc', { node: n3.name, handler: 'add', args: [2, 40] })).result).toBe(42);
    await expect(n2.cmd('rpc', { node: n3.name, handler: 'nope', args: [] })).rejects.toMatchObject({
      code: 'KINDRED_ERR_RPC_UNKNOWN_HANDLER',
    });
    await expect(
      n1.cmd('call', { dest: { name: 'srv', node: n3.name }, msg: 'crash' }),
    ).rejects.toMatchObject({
      code: 'KINDRED_ERR_CALL_EXIT',
    });
    // Remote spawn (SPAWN_REQUEST): n1 starts a process on n3 and sends to it.
    const remote = (await n1.cmd('spawnOn', { node: n3.name, name: 'reporter', args: ['r3'] }))
      .pid as PidJson;
    expect(remote.node).toBe(n3.name);
    await n1.cmd('do', { tag: 'p1', op: 'send', args: { dest: remote, msg: 'to spawned' } });
    expect((await n3.event((e) => e.tag === 'r3')).msg).toBe('to spawned');
  });

  it('links propagate exits across nodes; trapping turns them into EXIT messages; monitors see DOWN', async () => {
    const a = (await n1.cmd('spawn', { tag: 'la', trap: true })).pid as PidJson;
    const b = (await n2.cmd('spawn', { tag: 'lb' })).pid as PidJson;
    const c = (await n3.cmd('spawn', { tag: 'lc' })).pid as PidJson;
    await n3.cmd('spawn', { tag: 'watch3' });
    // b links to a (trapping, n1) and to c (not trapping, n3); n3's watcher monitors c.
    await n2.cmd('do', { tag: 'lb', op: 'link', args: { pid: a } });
    await n2.cmd('do', { tag: 'lb', op: 'link', args: { pid: c } });
    await n3.cmd('do', { tag: 'watch3', op: 'monitor', args: { dest: c } });
    await n2.cmd('do', { tag: 'lb', op: 'exit', args: { reason: 'boom' } });
    const exit = await n1.event((e) => e.tag === 'la');
    expect(exit.msg).toMatchObject({ type: 'EXIT', from: b, reason: 'boom' });
    const down = await n3.event((e) => e.tag === 'watch3');
    expect(down.msg).toMatchObject({ type: 'DOWN', item: c, reason: 'boom' });
    expect((await n3.cmd('alive', { tag: 'lc' })).alive).toBe(false);
  });

  it('exit/2 (trapped, then kill), unlink, and monitors by {name, node} across nodes', async () => {
    const x = (await n2.cmd('spawn', { tag: 'x1', trap: true })).pid as PidJson;
    await n1.cmd('exit', { pid: x, reason: 'please' });
    expect((await n2.event((e) => e.tag === 'x1')).msg).toMatchObject({ type: 'EXIT', reason: 'please' });
    await n1.cmd('exit', { pid: x, reason: 'kill' });
    await until(async () => (await n2.cmd('alive', { tag: 'x1' })).alive === false, POLL);

    const y = (await n3.cmd('spawn', { tag: 'y1' })).pid as PidJson;
    await n1.cmd('spawn', { tag: 'z1' });
    await n1.cmd('spawn', { tag: 'w1' });
    await n1.cmd('do', { tag: 'z1', op: 'link', args: { pid: y } });
    await n1.cmd('do', { tag: 'z1', op: 'unlink', args: { pid: y } });
    await n1.cmd('do', { tag: 'w1', op: 'monitor', args: { dest: y } });
    await n1.cmd('do', { tag: 'w1', op: 'monitor', args: { dest: { name: 'no_such', node: n3.name } } });
    const noproc = await n1.event((e) => e.tag === 'w1');
    expect(noproc.msg).toMatchObject({
      type: 'DOWN',
      item: { name: 'no_such', node: n3.name },
      reason: 'noproc',
    });
    await n3.cmd('exit', { pid: y, reason: 'crash' });
    expect((await n1.event((e) => e.tag === 'w1')).msg).toMatchObject({
      type: 'DOWN',
      item: y,
      reason: 'crash',
    });
    expect((await n1.cmd('alive', { tag: 'z1' })).alive).toBe(true);
  });

  it('a fourth node started with static discovery joins the full mesh; its stop is a nodedown everywhere', async () => {
    const n4 = await launch().start('n4', { discovery: `static:${n1.name}:${n1.port}` });
    await until(async () => ((await n4.cmd('nodes')).nodes as string[]).length === 3, POLL);
    expect((await n4.cmd('nodes')).nodes).toEqual([n1.name, n2.name, n3.name].sort());
    await n1.event((e) => e.event === 'nodeup' && e.node === n4.name);
    await n2.event((e) => e.event === 'nodeup' && e.node === n4.name);
    await n4.cmd('stop').catch(() => {});
    await n4.kill();
    expect((await n2.event((e) => e.event === 'nodedown' && e.node === n4.name)).reason).toEqual(
      expect.any(String),
    );
    await until(async () => !((await n1.cmd('nodes')).nodes as string[]).includes(n4.name), POLL);
  });

  it('FIFO per pair of processes holds under load (property)', async () => {
    await n3.cmd('collector', { register: `fifo` });
    let expected = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            from: fc.constantFrom(0, 1),
            count: fc.integer({ min: 1, max: 3000 }),
            pad: fc.integer({ min: 0, max: 2000 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (bursts) => {
          const senders = [n1, n2];
          await Promise.all(
            bursts.map((b, i) =>
              senders[b.from]!.cmd('flood', {
                dest: { name: 'fifo', node: n3.name },
                count: b.count,
                src: `${expected}-${i}`,
                pad: b.pad,
              }),
            ),
          );
          expected += bursts.reduce((s, b) => s + b.count, 0);
          await until(async () => (await n3.cmd('report', { register: 'fifo' })).total === expected, {
            timeoutMs: 30_000,
            intervalMs: 50,
          });
          const r = await n3.cmd('report', { register: 'fifo' });
          expect(r.errors).toBe(0);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('pg membership converges across nodes, and again after a node leaves and rejoins', async () => {
    for (const [n, tag] of [
      [n1, 'g1'],
      [n2, 'g2'],
      [n3, 'g3'],
    ] as const) {
      await n.cmd('spawn', { tag });
      await n.cmd('do', { tag, op: 'join', args: { group: 'room' } });
    }
    const count = async (n: NodeProc) =>
      ((await n.cmd('members', { group: 'room' })).members as unknown[]).length;
    await until(
      async () => (await count(n1)) === 3 && (await count(n2)) === 3 && (await count(n3)) === 3,
      POLL,
    );
    expect((await n1.cmd('broadcast', { group: 'room', msg: 'hi all' })).count).toBe(3);
    for (const [n, tag] of [
      [n1, 'g1'],
      [n2, 'g2'],
      [n3, 'g3'],
    ] as const) {
      expect((await n.event((e) => e.tag === tag)).msg).toBe('hi all');
    }
    // n3 leaves (a clean stop), then a new n3 process with the same name rejoins.
    const oldName = n3.name;
    await n3.cmd('stop').catch(() => {});
    await n3.kill();
    await until(async () => (await count(n1)) === 2 && (await count(n2)) === 2, POLL);
    n3 = await launch().start('n3');
    expect(n3.name).toBe(oldName);
    await n3.cmd('connect', { node: n2.name, port: n2.port });
    await n3.cmd('spawn', { tag: 'g3b' });
    await n3.cmd('do', { tag: 'g3b', op: 'join', args: { group: 'room' } });
    await until(
      async () => (await count(n1)) === 3 && (await count(n2)) === 3 && (await count(n3)) === 3,
      POLL,
    );
  });

  it('SIGKILL of a node: DOWN noconnection, EXIT noconnection and nodedown with a reason', async () => {
    const victim = (await n2.cmd('spawn', { tag: 'victim' })).pid as PidJson;
    await n1.cmd('spawn', { tag: 'mon1', trap: true });
    await n1.cmd('do', { tag: 'mon1', op: 'monitor', args: { dest: victim } });
    await n1.cmd('do', { tag: 'mon1', op: 'link', args: { pid: victim } });
    n1.events.length = 0;
    await n2.kill('SIGKILL');
    const down = await n1.event((e) => e.tag === 'mon1' && (e.msg as Json).type === 'DOWN');
    expect(down.msg).toMatchObject({ type: 'DOWN', item: victim, reason: 'noconnection' });
    const exit = await n1.event((e) => e.tag === 'mon1' && (e.msg as Json).type === 'EXIT');
    expect(exit.msg).toMatchObject({ from: victim, reason: 'noconnection' });
    const nd = await n1.event((e) => e.event === 'nodedown' && e.node === n2.name);
    expect(nd.reason).toMatch(/^(connection_closed|net_tick_timeout|disconnect)$/);
    const nd3 = await n3.event((e) => e.event === 'nodedown' && e.node === n2.name);
    expect(typeof nd3.reason).toBe('string');
  });
});
