import { until as poll } from '@kindred/test-support';
import { afterEach } from 'vitest';
import {
  createNode,
  type KNode,
  type MemoryEndpoint,
  MemoryNetwork,
  type Pid,
  type ProcessContext,
} from '../src/index.js';

/** A process on `node` that records everything it receives in `got` (after an optional `setup`, e.g. trapExit). */
export function recorder(node: KNode, setup?: (ctx: ProcessContext) => void): { pid: Pid; got: unknown[] } {
  const got: unknown[] = [];
  const pid = node.spawn(async (ctx) => {
    setup?.(ctx);
    for (;;) got.push(await ctx.receive());
  });
  return { pid, got };
}

/** A process on `node` that waits for one message. */
export const idle = (node: KNode): Pid => node.spawn(async (ctx) => ctx.receive());

/** Polls `f` every 5 ms until it is true; rejects after `ms`. */
export function until(f: () => boolean, ms = 5000): Promise<boolean> {
  return poll(f, { timeoutMs: ms, intervalMs: 5 });
}

/** Connects the first node to every other one and waits until each sees all the others. */
export async function mesh(...ns: KNode[]): Promise<void> {
  for (const n of ns.slice(1)) await ns[0]!.connect(n.name);
  await until(() => ns.every((n) => n.nodes().length === ns.length - 1));
}

/** Nodes on one in-memory network (see {@link memoryCluster}). */
export interface MemoryCluster {
  /** The network of the current test (a new one after each {@link MemoryCluster.stop}). */
  readonly net: MemoryNetwork;
  /** The endpoint of each node made by {@link MemoryCluster.node}, by node name. */
  readonly endpoints: Map<string, MemoryEndpoint>;
  /** Makes node `<name>@mem` on {@link MemoryCluster.net}. */
  node(name: string): KNode;
  /** Stops every node made so far and starts a new network. */
  stop(): Promise<void>;
}

/**
 * Nodes `<name>@mem` on one in-memory network, all stopped after each test (the network replaced by a new one).
 * With `closeOnStop`, a node's stop() closes its endpoint, as startNode closes its transport (peers see nodedown at
 * once).
 */
export function memoryCluster(options: { closeOnStop?: boolean } = {}): MemoryCluster {
  let net = new MemoryNetwork();
  const nodes: KNode[] = [];
  const endpoints = new Map<string, MemoryEndpoint>();
  const cluster: MemoryCluster = {
    get net() {
      return net;
    },
    endpoints,
    node(name) {
      const endpoint = net.endpoint(`${name}@mem`);
      endpoints.set(endpoint.node, endpoint);
      const onStop = options.closeOnStop === true ? { onStop: () => endpoint.close() } : {};
      const n = createNode({ name: endpoint.node, distribution: endpoint, ...onStop });
      nodes.push(n);
      return n;
    },
    async stop() {
      for (const n of nodes.splice(0)) await n.stop();
      endpoints.clear();
      net = new MemoryNetwork();
    },
  };
  afterEach(() => cluster.stop());
  return cluster;
}
