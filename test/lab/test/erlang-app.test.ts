import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compileErlangApp, erlangDeployment, LAB_DEFAULTS } from '../src/index.js';

describe('erlangDeployment', () => {
  it('runs erl -name $KINDRED_NAME@$(hostname -f) with the cookie, kernel pg and lab_app, ready on /readyz', () => {
    const d = erlangDeployment({ codeDir: '/tmp/code', replicas: 2 });
    expect(d.name).toBe('erlang-app');
    expect(d.replicas).toBe(2);
    expect(d.command[0]).toBe('sh');
    expect(d.command[2]).toContain(
      'exec erl -name "$KINDRED_NAME@$(hostname -f)" -setcookie "$KINDRED_COOKIE"',
    );
    expect(d.command[2]).toContain('-kernel start_pg true -pa "$0"');
    expect(d.command[2]).not.toContain('erl_epmd_port');
    expect(d.command[3]).toBe('/tmp/code');
    expect(d.env).toEqual({ PORT: String(LAB_DEFAULTS.httpPort) });
    expect(d.readiness).toEqual({
      httpGet: { port: LAB_DEFAULTS.httpPort, path: LAB_DEFAULTS.readinessPath },
    });
  });

  it('epmd-less: -start_epmd false -erl_epmd_port P; a name and environment of its own', () => {
    const d = erlangDeployment({
      codeDir: '/c',
      replicas: 1,
      name: 'elixir',
      erlEpmdPort: 8585,
      env: { KINDRED_POLL_INTERVAL_MS: '1000' },
    });
    expect(d.name).toBe('elixir');
    expect(d.command[2]).toContain('-start_epmd false -erl_epmd_port 8585');
    expect(d.env).toEqual({ PORT: String(LAB_DEFAULTS.httpPort), KINDRED_POLL_INTERVAL_MS: '1000' });
  });

  it("pod-ip: erl -name $KINDRED_NAME@$POD_IP, KINDRED_NAMING=pod-ip and the Service's A records to poll", () => {
    const d = erlangDeployment({ codeDir: '/c', replicas: 2, naming: 'pod-ip' });
    expect(d.command[2]).toContain('exec erl -name "$KINDRED_NAME@$POD_IP" -setcookie "$KINDRED_COOKIE"');
    expect(d.command[2]).not.toContain('hostname -f');
    expect(d.env).toEqual({
      PORT: String(LAB_DEFAULTS.httpPort),
      KINDRED_NAMING: 'pod-ip',
      KINDRED_DISCOVERY: `dns-a:${LAB_DEFAULTS.service}`,
    });
    const other = erlangDeployment({
      codeDir: '/c',
      replicas: 1,
      naming: 'pod-ip',
      service: 'shop-headless',
    });
    expect(other.env?.KINDRED_DISCOVERY).toBe('dns-a:shop-headless');
    // fqdn, said explicitly, is the default.
    expect(erlangDeployment({ codeDir: '/c', replicas: 1, naming: 'fqdn' })).toEqual(
      erlangDeployment({ codeDir: '/c', replicas: 1 }),
    );
  });
});

describe('compileErlangApp', () => {
  it("compiles test/lab/erlang's sources with erlc into a fresh directory erl loads them from", async () => {
    const dir = await compileErlangApp();
    try {
      expect(existsSync(join(dir, 'lab_app.beam'))).toBe(true);
      const { stdout } = await promisify(execFile)('erl', [
        '-noshell',
        '-pa',
        dir,
        '-eval',
        'io:format("~p", [lists:sort(lab_app:module_info(exports))]), halt().',
      ]);
      expect(stdout).toContain('{k8s_reverse_lookup,1}');
      expect(stdout).toContain('{start,0}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
