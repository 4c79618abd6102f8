import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStats, ClusterView } from '../src/cluster-view.js';
import { createHttpServer } from '../src/http-server.js';

// A ClusterView the test controls, to drive the HTTP side through each state (the real one is tested in app.test.ts).
const state = { discovered: false, stopping: false, nodes: ['app@b.example'] };
const stats: ClusterStats = {
  connects: 1,
  disconnects: 0,
  handshakeFailures: { bad_cookie: 2 },
  messagesIn: 5,
  messagesOut: 6,
  discoveryRuns: 0,
  discoveryErrors: 0,
};
const view: ClusterView = {
  self: 'app@a.example',
  nodes: () => [...state.nodes],
  discovered: () => state.discovered,
  stopping: () => state.stopping,
  stats: () => stats,
  recentEvents: () => [{ type: 'nodeup', node: 'app@b.example', at: 1 }],
};

describe('the HTTP routes', () => {
  const server = createHttpServer(view, pino({ level: 'silent' }));
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('GET /nodes gives self, the connected peers and recent events', async () => {
    const res = await fetch(`${base}/nodes`);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({
      self: 'app@a.example',
      nodes: ['app@b.example'],
      events: [{ type: 'nodeup', node: 'app@b.example', at: 1 }],
    });
  });

  it('/readyz is 503 until discovery has run and while stopping; /healthz is always 200', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    state.discovered = true;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, nodes: 2 });
    state.stopping = true;
    const draining = await fetch(`${base}/readyz`);
    expect(draining.status).toBe(503);
    // While stopping, every answer closes its connection (keep-alive clients go elsewhere).
    expect(draining.headers.get('connection')).toBe('close');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    state.stopping = false;
  });

  it('/metrics is Prometheus text with the cluster size', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toContain('kindred_cluster_nodes{node="app@a.example"} 2');
    expect(text).toContain('kindred_handshake_failures_total{node="app@a.example",reason="bad_cookie"} 2');
  });

  it('GET / is the live page polling /nodes; unknown paths are 404, other methods 405', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain("fetch('nodes'");
    expect(html).toContain('setInterval(refresh');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const post = await fetch(`${base}/nodes`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('GET /singleton', () => {
  it('is 404 without a singleton, and the singleton view with one', async () => {
    const singleton = {
      name: 'leader',
      where: 'app@b.example',
      running: false,
      names: { leader: 'app@b.example' },
    };
    const withOne = createHttpServer({ ...view, singleton: () => singleton }, pino({ level: 'silent' }));
    const without = createHttpServer(view, pino({ level: 'silent' }));
    const urls: string[] = [];
    for (const s of [withOne, without]) {
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    }
    try {
      const res = await fetch(`${urls[0]}/singleton`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ self: 'app@a.example', ...singleton });
      expect((await fetch(`${urls[1]}/singleton`)).status).toBe(404);
    } finally {
      for (const s of [withOne, without]) await new Promise((resolve) => s.close(resolve));
    }
  });
});
