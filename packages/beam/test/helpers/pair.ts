// JS endpoints on loopback, epmd-less: every node listens on the same port, so each gets its own loopback address
// (127.0.0.N) and its name says which.
import { freePort } from '@kindred/test-support';
import { JsNode } from './js-node.js';

let next = 10;

/** A JS node epmd-less on 127.0.0.N:port, named `<alive>@127.0.0.N`. */
export async function fixedNode(
  alive: string,
  port: number,
  extra: Partial<ConstructorParameters<typeof JsNode>[0]> = {},
): Promise<JsNode> {
  const host = `127.0.0.${next++}`;
  const node = new JsNode({
    name: `${alive}@${host}`,
    cookie: 'pair-cookie',
    discovery: { mode: 'fixed', port },
    listenHost: host,
    ...extra,
  });
  return node.start();
}

/** A free port (on 127.0.0.1; loopback addresses share the port space per address, so it is very likely free). */
export { freePort };
