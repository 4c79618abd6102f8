import type { KNode, Pid, ProcessContext } from '../src/index.js';

/** A process on `node` that records everything it receives in `got` (after an optional `setup`, e.g. trapExit). */
export function recorder(node: KNode, setup?: (ctx: ProcessContext) => void): { pid: Pid; got: unknown[] } {
  const got: unknown[] = [];
  const pid = node.spawn(async (ctx) => {
    setup?.(ctx);
    for (;;) got.push(await ctx.receive());
  });
  return { pid, got };
}
