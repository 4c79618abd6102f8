import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { APP_DEFAULTS } from '../src/defaults.js';

describe('loadConfig', () => {
  it('uses the seed defaults with an empty environment', () => {
    expect(loadConfig({})).toEqual({
      name: 'app',
      host: undefined,
      cookie: undefined,
      kindredPort: 8585,
      discovery: 'dns-srv:_discovery._tcp.simple-web-service-headless',
      pollIntervalMs: APP_DEFAULTS.pollIntervalMs,
      ticktimeMs: 60_000,
      httpPort: 8080,
      httpHost: '0.0.0.0',
      logLevel: 'info',
      drainMs: 0,
      tlsDir: undefined,
    });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      KINDRED_NAME: 'web',
      KINDRED_HOST: 'ip',
      KINDRED_COOKIE: 'c',
      KINDRED_PORT: '4370',
      KINDRED_DISCOVERY: 'static:a@127.0.0.1:4370,b@127.0.0.1:4371',
      KINDRED_POLL_INTERVAL_MS: '500',
      KINDRED_TICKTIME_MS: '4000',
      PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      KINDRED_DRAIN_MS: '2500',
      KINDRED_TLS_DIR: '/etc/kindred/tls',
    });
    expect(c).toMatchObject({
      drainMs: 2500,
      tlsDir: '/etc/kindred/tls',
      name: 'web',
      host: 'ip',
      cookie: 'c',
      kindredPort: 4370,
      ticktimeMs: 4000,
      httpPort: 0,
      logLevel: 'debug',
    });
    expect(c.discovery).toBe('static:a@127.0.0.1:4370,b@127.0.0.1:4371');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    ['KINDRED_PORT', '0'],
    ['KINDRED_PORT', '70000'],
    ['KINDRED_PORT', 'http'],
    ['PORT', '-1'],
    ['KINDRED_NAME', 'app@host'],
    ['KINDRED_HOST', 'a b'],
    ['KINDRED_DISCOVERY', 'consul:x'],
    ['KINDRED_DISCOVERY', 'dns-srv:'],
    ['KINDRED_POLL_INTERVAL_MS', '10'],
    ['KINDRED_TICKTIME_MS', '99'],
    ['KINDRED_TICKTIME_MS', '1.5s'],
    ['LOG_LEVEL', 'loud'],
    ['HTTP_HOST', 'a b'],
    ['HTTP_HOST', '-bad'],
    ['KINDRED_DRAIN_MS', '5s'],
    ['KINDRED_DRAIN_MS', '600001'],
    ['KINDRED_TLS_DIR', 'relative/tls'],
  ])('refuses %s=%s with KINDRED_ERR_APP_CONFIG naming the variable', (variable, value) => {
    try {
      loadConfig({ [variable]: value });
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe('KINDRED_ERR_APP_CONFIG');
      expect((err as Error).message).toContain(variable);
    }
  });
});
