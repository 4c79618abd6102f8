import { afterEach } from 'vitest';
import { createNode, type KNode, MemoryNetwork } from '../../src/index.js';
import { distributionSuite } from './distribution-suite.js';

// The cross-node semantics over the in-memory network (fast, deterministic).
let net = new MemoryNetwork();
const nodes: KNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
  net = new MemoryNetwork();
});

distributionSuite('MemoryNetwork', () => ({
  async node(base) {
    const n = createNode({ name: `${base}@mem`, distribution: net.endpoint(`${base}@mem`) });
    nodes.push(n);
    return n;
  },
  async connect(a, b) {
    await a.connect(b.name);
  },
  // Every node of a memory network can dial every other: nothing to teach.
  async reach() {},
  async partition(a, b) {
    net.partition(a.name, b.name);
  },
  async ghost() {
    return 'ghost@mem';
  },
  poll: { timeoutMs: 2_000, intervalMs: 5 },
}));
