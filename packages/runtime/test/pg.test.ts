import { afterEach, describe, expect, it } from 'vitest';
import { createNode, type KNode, MemoryNetwork, Pid, RUNTIME_ERRORS } from '../src/index.js';

let net = new MemoryNetwork();
const nodes: KNode[] = [];
function mk(name: string): KNode {
  const n = createNode({ name: `${name}@mem`, distribution: net.endpoint(`${name}@mem`) });
  nodes.push(n);
  return n;
}
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
  net = new MemoryNetwork();
});
const idle = (n: KNode) => n.spawn(async (ctx) => ctx.receive());
async function until(f: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('PgScope', () => {
  it('only local, live processes can join; a pid may join several times and leaves once per leave', () => {
    const a = mk('a');
    const p = idle(a);
    expect(() => a.pg.join('g', new Pid('other@mem', 1, 0, 1))).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.NOT_LOCAL }),
    );
    expect(() => a.pg.join('g', new Pid(a.name, 999_999, 0, a.creation))).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.NOPROC }),
    );
    expect(() => a.pg.join('', p)).toThrow(expect.objectContaining({ code: RUNTIME_ERRORS.BAD_OPTION }));
    a.pg.join('g', p);
    a.pg.join('g', p);
    expect(a.pg.members('g')).toHaveLength(2);
    a.pg.leave('g', p);
    expect(a.pg.localMembers('g')).toEqual([p]);
    expect(a.pg.groups()).toEqual(['g']);
  });

  it('scopes are independent across nodes, and a scope started later still syncs', async () => {
    const a = mk('a');
    const b = mk('b');
    const pa = idle(a);
    a.pgScope('chat').join('lobby', pa);
    await a.connect(b.name);
    await until(() => b.nodes().length === 1);
    // b starts the scope after the nodeup: its discover brings a's members.
    await until(() => b.pgScope('chat').members('lobby').length === 1);
    expect(b.pg.members('lobby')).toEqual([]);
    const pb = idle(b);
    b.pgScope('chat').join('lobby', pb);
    await until(() => a.pgScope('chat').members('lobby').length === 2);
  });

  it('ignores malformed scope messages and pids a peer claims for another node', async () => {
    const a = mk('a');
    const evil = net.endpoint('evil@mem');
    await evil.connect(a.name);
    const sys = new Pid('evil@mem', 0, 0, 1);
    const frame = (msg: unknown) => [[6, sys, '', 'pg'], msg];
    evil.send(a.name, frame({ type: 'discover' }));
    evil.send(a.name, frame({ type: 'sync', groups: 'nope' }));
    evil.send(
      a.name,
      frame({ type: 'sync', groups: [['g', [new Pid(a.name, 1, 0, a.creation)]], [1, 2], null] }),
    );
    evil.send(a.name, frame({ type: 'join', group: 'g', pids: [new Pid('evil@mem', 5, 0, 1), 'x'] }));
    evil.send(a.name, frame({ type: 'leave', group: 7, pids: null }));
    evil.send(a.name, frame(null));
    await until(() => a.pg.members('g').length === 1);
    expect(a.pg.members('g')).toEqual([new Pid('evil@mem', 5, 0, 1)]);
    evil.kill();
    await until(() => a.pg.members('g').length === 0);
  });
});
