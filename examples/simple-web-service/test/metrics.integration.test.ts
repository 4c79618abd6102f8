// The built app's /metrics passes `promtool check metrics` (Debian's prometheus package, installed by
// scripts/setup.sh), with a peer connected so per-peer, event and latency metrics are in it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  APP_MAIN,
  type AppProc,
  eventually,
  freePort,
  getJson,
  spawnApp,
  stopProc,
} from './helpers/procs.js';

describe('simple-web-service /metrics', () => {
  const procs: AppProc[] = [];
  afterAll(async () => {
    for (const p of procs) await stopProc(p, 'SIGKILL');
  });

  it('passes promtool check metrics, with Node process metrics and the library’s', async () => {
    expect(existsSync(APP_MAIN), `${APP_MAIN} is missing: run 'pnpm run build' first`).toBe(true);
    const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    expect(promtool.status, 'promtool is missing: run scripts/setup.sh (Debian package prometheus)').toBe(0);
    const ports = [
      { kindred: await freePort(), http: await freePort() },
      { kindred: await freePort(), http: await freePort() },
    ];
    const spec = `static:m1@127.0.0.1:${ports[0]!.kindred},m2@127.0.0.1:${ports[1]!.kindred}`;
    const a = spawnApp('m1', ports[0]!.kindred, ports[0]!.http, spec);
    const b = spawnApp('m2', ports[1]!.kindred, ports[1]!.http, spec);
    procs.push(a, b);
    const meshed = await eventually(
      async () =>
        (await getJson<{ nodes: string[] }>(a.httpPort, '/nodes'))?.body.nodes.includes(b.node) === true,
      20_000,
    );
    expect(meshed, a.log.slice(-2000)).toBe(true);
    const res = await fetch(`http://127.0.0.1:${a.httpPort}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'process_cpu_user_seconds_total',
      'kindred_processes{node="m1@127.0.0.1"}',
      `kindred_peer_bytes_out_total{node="m1@127.0.0.1",peer="m2@127.0.0.1"`,
      'kindred_nodeup_total{node="m1@127.0.0.1",hidden="false"} 1',
      'kindred_connections_refused_total{node="m1@127.0.0.1"}',
      '# TYPE kindred_call_duration_seconds histogram',
      'kindred_discovery_runs_total{node="m1@127.0.0.1"}',
      'kindred_connects_total{node="m1@127.0.0.1"} 1',
    ]) {
      expect(text).toContain(name);
    }
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);

    // The same node seen from inside, as JSON.
    const observed = await getJson<{
      node: string;
      registered: Array<{ name: string }>;
      peers: Array<{ node: string }>;
    }>(a.httpPort, '/observe');
    expect(observed?.status).toBe(200);
    expect(observed?.body.node).toBe(a.node);
    expect(observed?.body.registered.map((r) => r.name)).toContain('rex');
    expect(observed?.body.peers.map((p) => p.node)).toEqual([b.node]);
  });
});
