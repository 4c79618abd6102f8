import { freePort, until } from '@kindred/test-support';
import { afterEach } from 'vitest';
import { type StartedNode, startNode } from '../../src/index.js';
import { distributionSuite } from './distribution-suite.js';

// The same cross-node semantics over the real transport: nodes in this process, real sockets on loopback.
const started: StartedNode[] = [];
afterEach(async () => {
  for (const n of started.splice(0)) await n.stop();
});
const POLL = { timeoutMs: 10_000, intervalMs: 10 };

const portOf = (n: unknown): number => (n as StartedNode).port;

distributionSuite('Transport (loopback)', () => ({
  async node(base) {
    const n = await startNode({
      name: `${base}@127.0.0.1`,
      cookie: 'compliance-cookie',
      port: 0,
      host: '127.0.0.1',
    });
    started.push(n);
    return n;
  },
  async connect(a, b) {
    await a.connect(b.name, { port: portOf(b) });
    await until(() => b.nodes().includes(a.name), POLL);
  },
  async reach(a, b) {
    // A node dials a peer on the port it was told (by discovery, gossip or connect); an explicit connect teaches it,
    // then the connection is dropped so the test's first send sets it up again (auto-connect).
    await a.connect(b.name, { port: portOf(b) });
    a.disconnect(b.name);
    await until(() => !a.nodes().includes(b.name) && !b.nodes().includes(a.name), POLL);
  },
  async partition(a, b) {
    a.disconnect(b.name);
    await until(() => !a.nodes().includes(b.name) && !b.nodes().includes(a.name), POLL);
  },
  async ghost(a) {
    // Nothing listens on a port just found free: the dial fails, and the node keeps it in backoff.
    const name = 'ghost@127.0.0.1';
    await a.connect(name, { port: await freePort() }).catch(() => {});
    return name;
  },
  poll: POLL,
}));
