// The peers of bench/join.mjs: N nodes of one build's @kindred/runtime in this one process, node i named
// `p<i>@127.77.0.<i+1>` and listening on that address and port argv[4], meshed by static discovery, so a joiner
// meets a formed cluster. Prints `meshed` once every node sees all others; SIGTERM stops them all.
//   node bench/lib/join-peers.mjs RUNTIME_DIST_INDEX N PORT COOKIE
import { pathToFileURL } from 'node:url';

const [runtimeIndex, nText, portText, cookie] = process.argv.slice(2);
const { startNode } = await import(pathToFileURL(runtimeIndex).href);
const n = Number(nText);
const port = Number(portText);
const names = Array.from({ length: n }, (_, i) => `p${i}@127.77.0.${i + 1}`);
const spec = `static:${names.map((name) => `${name}:${port}`).join(',')}`;
const nodes = [];
for (let i = 0; i < n; i++) {
  nodes.push(
    await startNode({
      name: names[i],
      host: `127.77.0.${i + 1}`,
      port,
      cookie,
      discovery: spec,
      discoveryOptions: { pollIntervalMs: 1_000 },
    }),
  );
}
while (!nodes.every((node) => node.nodes().length >= n - 1)) await new Promise((r) => setTimeout(r, 100));
process.stdout.write('meshed\n');
process.once('SIGTERM', () => {
  Promise.all(nodes.map((node) => node.stop())).finally(() => process.exit(0));
});
