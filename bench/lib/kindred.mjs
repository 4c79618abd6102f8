// kindred measurements: two nodes in separate OS processes (bench/kindred/peer.mjs) and local spawn/send.
export async function runKindredRemote() {
  return { notMeasured: 'runtime not ready: @kindred/runtime has no startNode in packages/runtime/dist yet' };
}
export async function runKindredLocal() {
  return { notMeasured: 'runtime not ready: @kindred/runtime has no startNode in packages/runtime/dist yet' };
}
