import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { DISPATCH } from '../src/dispatch.js';
import { createNode, type Distribution, type KNode, OP, Pid } from '../src/index.js';

// The inbound dispatcher fed frames directly, as ws's receiver tests feed bytes: a fake distribution layer emits them.
class FakeDistribution extends EventEmitter implements Distribution {
  readonly sent: Array<[string, unknown]> = [];
  send(node: string, frame: unknown): void {
    this.sent.push([node, frame]);
  }
  async connect(): Promise<void> {}
  disconnect(): void {}
  async close(): Promise<void> {}
  nodes(): string[] {
    return [];
  }
}

const nodes: KNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});
function mk(): { node: KNode; dist: FakeDistribution } {
  const dist = new FakeDistribution();
  const node = createNode({ name: 'a@127.0.0.1', distribution: dist, creation: 3 });
  nodes.push(node);
  dist.emit('nodeup', 'b@127.0.0.1', {});
  return { node, dist };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('dispatch table', () => {
  it('has one handler for every operation of control.ts', () => {
    expect([...DISPATCH.keys()].sort((x, y) => x - y)).toEqual(Object.values(OP).sort((x, y) => x - y));
  });

  it('a frame is routed by its operation; unknown operations and spoofed senders are counted, not applied', async () => {
    const { node, dist } = mk();
    const got: unknown[] = [];
    const target = node.spawn(async (ctx) => {
      ctx.trapExit(true);
      for (;;) got.push(await ctx.receive());
    });
    await tick();
    const peerPid = new Pid('b@127.0.0.1', 9, 0, 1);
    const thirdPid = new Pid('c@127.0.0.1', 9, 0, 1);
    dist.emit('message', 'b@127.0.0.1', [[OP.SEND, '', target], 'hello']);
    dist.emit('message', 'b@127.0.0.1', [[OP.EXIT2, peerPid, target, 'bye']]);
    dist.emit('message', 'b@127.0.0.1', [[OP.EXIT2, thirdPid, target, 'spoofed']]);
    dist.emit('message', 'b@127.0.0.1', [[999, '', target], 'x']);
    dist.emit('message', 'b@127.0.0.1', [[OP.LINK, peerPid, target]]);
    await tick();
    expect(got).toEqual(['hello', { type: 'EXIT', from: peerPid, reason: 'bye' }]);
    expect(node.stats()).toMatchObject({ spoofedSignals: 1, badControl: 1, remoteLinks: 1 });
    // A LINK to a dead process is answered with EXIT noproc.
    const dead = new Pid(node.name, 12345, 0, node.creation);
    dist.emit('message', 'b@127.0.0.1', [[OP.LINK, peerPid, dead]]);
    expect(dist.sent.at(-1)).toEqual(['b@127.0.0.1', [[OP.EXIT, dead, peerPid, 'noproc']]]);
  });
});
