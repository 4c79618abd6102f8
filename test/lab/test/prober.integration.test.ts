import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_ERRORS } from '../src/errors.js';
import { assertLabPrerequisites, LabNetwork, Prober } from '../src/index.js';

// The prober runs in the router namespace and reaches hosts over the bridge, as kubelet probes pods from the node.
describe('Prober (from the router namespace)', () => {
  let net: LabNetwork;
  let prober: Prober;

  beforeAll(async () => {
    await assertLabPrerequisites();
    net = await LabNetwork.create();
    const host = await net.addHost({ hostname: 'web', address: '10.244.1.2' });
    const server = host.spawn(
      [
        'node',
        '-e',
        "require('node:http').createServer((q, r) => { r.statusCode = q.url === '/missing' ? 404 : 200; r.end(q.url); }).listen(8080, '10.244.1.2', () => console.log('up'))",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    prober = new Prober(net);
  });

  afterAll(async () => {
    prober?.close();
    await net?.destroy();
  });

  it('GETs a status and body', async () => {
    expect(await prober.get('10.244.1.2', 8080, '/readyz')).toEqual({ status: 200, body: '/readyz' });
    expect((await prober.get('10.244.1.2', 8080, '/missing')).status).toBe(404);
  });

  it('connects over TCP, and rejects with a code and the reason for a closed port', async () => {
    await prober.tcp('10.244.1.2', 8080);
    await expect(prober.tcp('10.244.1.2', 9)).rejects.toMatchObject({
      code: LAB_ERRORS.LAB_PROBE_FAILED,
      details: { reason: 'ECONNREFUSED' },
    });
  });

  it('times out on a partitioned host', async () => {
    await net.host('web')!.setLink(false);
    await expect(prober.get('10.244.1.2', 8080, '/readyz', 500)).rejects.toMatchObject({
      code: LAB_ERRORS.LAB_PROBE_FAILED,
    });
    await net.host('web')!.setLink(true);
    expect((await prober.get('10.244.1.2', 8080, '/readyz')).status).toBe(200);
  });
});
