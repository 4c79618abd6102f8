import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/ports.js';

describe('freePort', () => {
  it('gives a port that can then be listened on, on the asked address', async () => {
    for (const host of ['127.0.0.1', '127.0.0.2']) {
      const port = await freePort(host);
      expect(port).toBeGreaterThan(0);
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
