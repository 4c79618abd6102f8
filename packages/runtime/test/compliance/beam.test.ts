import type { BeamDistribution } from '@kindred/beam';
import { freePort, until } from '@kindred/test-support';
import { afterEach } from 'vitest';
import { createNode, createRuntimeBeamDistribution, type KNode } from '../../src/index.js';
import { distributionSuite } from './distribution-suite.js';

// The cross-node semantics over Erlang's own wire (@kindred/beam), kindred to kindred on loopback, epmd-less:
// every node listens on one port on its own address 127.0.0.N and is named after it.
const nodes: KNode[] = [];
const dists = new Map<string, BeamDistribution>();
let host = 20;
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
  dists.clear();
});

let port = 0;
distributionSuite("Erlang's wire (BeamDistribution)", () => ({
  async node(base) {
    if (port === 0) port = await freePort();
    const name = `${base}@127.0.0.${host++}`;
    const dist = await createRuntimeBeamDistribution({
      name,
      cookie: 'compliance',
      discovery: { mode: 'fixed', port },
      listenHost: name.split('@')[1]!,
    });
    dists.set(name, dist);
    const n = createNode({ name, distribution: dist, creation: dist.creation, onStop: () => dist.close() });
    nodes.push(n);
    return n;
  },
  async connect(a, b) {
    await a.connect(b.name);
    await until(() => b.nodes().includes(a.name), { timeoutMs: 5_000, intervalMs: 5 });
  },
  // Epmd-less: every node is dialable on the shared port.
  async reach() {},
  async partition(a, b) {
    dists.get(a.name)!.endpoint.connection(b.name)?.close('connection_closed');
    await until(() => !a.nodes().includes(b.name) && !b.nodes().includes(a.name), {
      timeoutMs: 5_000,
      intervalMs: 5,
    });
  },
  async ghost() {
    return `ghost@127.0.0.${host++}`;
  },
  poll: { timeoutMs: 5_000, intervalMs: 5 },
}));
