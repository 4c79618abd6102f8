import { createServer } from 'node:net';

/**
 * A TCP port free on `host` right now (the OS picks it, the listener is closed again). Another process may take it
 * before the caller binds it; tests that can should listen on port 0 instead.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error(`no TCP port on ${host}`);
  return address.port;
}
