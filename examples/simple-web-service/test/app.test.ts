// Three real app processes on loopback with static discovery: /nodes converges to the full mesh; SIGTERM leaves
// cleanly (exit 0, the others see nodedown); a restarted node rejoins. Uses the built dist/main.js.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodesBody } from '../src/http-server.js';
import { makeCa, makeSecretDir } from './helpers/certs.js';
import {
  APP_MAIN,
  type AppProc,
  eventually,
  freePort,
  getJson,
  spawnApp,
  stopProc,
} from './helpers/procs.js';

const CONVERGE_MS = 20_000;

describe('simple-web-service: 3 processes, static discovery', () => {
  const procs: AppProc[] = [];
  afterAll(async () => {
    for (const p of procs) await stopProc(p, 'SIGKILL');
  });

  const viewOf = async (p: AppProc) => (await getJson<NodesBody>(p.httpPort, '/nodes'))?.body;
  const meshIs = async (members: AppProc[]) => {
    for (const p of members) {
      const view = await viewOf(p);
      const want = members
        .filter((m) => m !== p)
        .map((m) => m.node)
        .sort();
      if (view === undefined || view.self !== p.node || JSON.stringify(view.nodes) !== JSON.stringify(want))
        return false;
    }
    return true;
  };

  it('forms a full mesh, sees a SIGTERMed node leave, and takes it back after a restart', async () => {
    expect(existsSync(APP_MAIN), `${APP_MAIN} is missing: run 'pnpm run build' first`).toBe(true);
    const names = ['a', 'b', 'c'];
    const ports = await Promise.all(
      names.map(async () => ({ kindred: await freePort(), http: await freePort() })),
    );
    const spec = `static:${names.map((n, i) => `${n}@127.0.0.1:${ports[i]?.kindred}`).join(',')}`;
    names.forEach((n, i) => {
      procs.push(spawnApp(n, ports[i]?.kindred ?? 0, ports[i]?.http ?? 0, spec));
    });
    const [a, b, c] = procs as [AppProc, AppProc, AppProc];

    const formed = await eventually(() => meshIs([a, b, c]), CONVERGE_MS);
    expect(formed, `no full mesh; logs:\n${procs.map((p) => p.log.slice(-2000)).join('\n')}`).toBe(true);
    expect((await getJson<{ ready: boolean }>(a.httpPort, '/readyz'))?.status).toBe(200);

    // SIGTERM: b leaves cleanly and exits 0; a and c see its nodedown.
    expect(await stopProc(b)).toBe(0);
    expect(await eventually(() => meshIs([a, c]), CONVERGE_MS)).toBe(true);
    const aView = await viewOf(a);
    expect(aView?.events.some((e) => e.type === 'nodedown' && e.node === b.node)).toBe(true);

    // Restarted under the same name, it is found again at the next poll.
    const b2 = spawnApp('b', b.kindredPort, b.httpPort, spec);
    procs.push(b2);
    expect(await eventually(() => meshIs([a, b2, c]), CONVERGE_MS)).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${a.httpPort}/metrics`)).text();
    expect(metrics).toContain(`kindred_cluster_nodes{node="${a.node}"} 3`);
    expect(metrics).toMatch(new RegExp(`kindred_connects_total\\{node="${a.node}"\\} [3-9]`));
    expect(metrics).toMatch(new RegExp(`kindred_disconnects_total\\{node="${a.node}"\\} [1-9]`));
  });

  it('SIGTERM with KINDRED_DRAIN_MS: readiness off while still serving, then a leave the peers see as shutdown', async () => {
    const names = ['d1', 'd2'];
    const ports = await Promise.all(
      names.map(async () => ({ kindred: await freePort(), http: await freePort() })),
    );
    const spec = `static:${names.map((n, i) => `${n}@127.0.0.1:${ports[i]?.kindred}`).join(',')}`;
    const [d1, d2] = names.map((n, i) =>
      spawnApp(n, ports[i]?.kindred ?? 0, ports[i]?.http ?? 0, spec, { KINDRED_DRAIN_MS: '3000' }),
    ) as [AppProc, AppProc];
    procs.push(d1, d2);
    expect(await eventually(() => meshIs([d1, d2]), CONVERGE_MS)).toBe(true);
    const exited = new Promise<number | null>((resolve) => d2.child.once('exit', (code) => resolve(code)));
    d2.child.kill('SIGTERM');
    // Draining: /readyz says 503 while the other routes still answer, each telling the client to close.
    expect(
      await eventually(async () => (await getJson(d2.httpPort, '/readyz'))?.status === 503, CONVERGE_MS),
    ).toBe(true);
    const during = await fetch(`http://127.0.0.1:${d2.httpPort}/nodes`);
    expect(during.status).toBe(200);
    expect(during.headers.get('connection')).toBe('close');
    expect(((await during.json()) as NodesBody).nodes).toEqual([d1.node]);
    // Then it leaves: d1 sees nodedown with the leave reason, and d2 exits 0.
    expect(await exited).toBe(0);
    expect(
      await eventually(
        async () =>
          (await viewOf(d1))?.events.some(
            (e) => e.type === 'nodedown' && e.node === d2.node && e.reason === 'shutdown',
          ) === true,
        CONVERGE_MS,
      ),
    ).toBe(true);
  });

  it('KINDRED_TLS_DIR: nodes with certificates of one CA mesh over TLS; a node of another CA is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindred-app-tls-'));
    try {
      makeCa(dir, 'ca');
      makeCa(dir, 'rogue');
      const names = ['t1', 't2', 't3'];
      const ports = await Promise.all(
        names.map(async () => ({ kindred: await freePort(), http: await freePort() })),
      );
      const spec = `static:${names.map((n, i) => `${n}@127.0.0.1:${ports[i]?.kindred}`).join(',')}`;
      const [t1, t2, t3] = names.map((n, i) =>
        spawnApp(n, ports[i]?.kindred ?? 0, ports[i]?.http ?? 0, spec, {
          KINDRED_TLS_DIR: makeSecretDir(dir, n, n === 't3' ? 'rogue' : 'ca', 'IP:127.0.0.1'),
        }),
      ) as [AppProc, AppProc, AppProc];
      procs.push(t1, t2, t3);
      expect(await eventually(() => meshIs([t1, t2]), CONVERGE_MS), t1.log.slice(-2000)).toBe(true);
      // t3's certificate chains to another CA: its dials fail in the TLS handshake, and nobody takes it in.
      const failures = async (p: AppProc) => {
        const res = await fetch(`http://127.0.0.1:${p.httpPort}/metrics`).catch(() => undefined);
        return ((await res?.text()) ?? '')
          .split('\n')
          .filter((l) => l.startsWith('kindred_handshake_failures_total'))
          .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
      };
      expect(await eventually(async () => (await failures(t3)) > 0, CONVERGE_MS), t3.log.slice(-2000)).toBe(
        true,
      );
      expect((await viewOf(t1))?.nodes).toEqual([t2.node]);
      expect((await viewOf(t3))?.nodes).toEqual([]);
      expect(t1.log).toContain('"tls":true');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with the variable named when the configuration is bad', async () => {
    const p = spawnApp('d', 1, 1, 'static:x@127.0.0.1', { KINDRED_PORT: 'nope' });
    procs.push(p);
    const code = await new Promise<number | null>((resolve) => p.child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(p.log).toContain('KINDRED_PORT');
    expect(p.log).toContain('KINDRED_ERR_APP_CONFIG');
  });
});
