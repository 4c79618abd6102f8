import { describe, expect, it } from 'vitest';
import { TRANSPORT_DEFAULTS } from '../src/defaults.js';
import { resolveTransportOptions } from '../src/options.js';

const base = { self: { node: 'a@127.0.0.1' }, cookie: 'c', env: {} };
const refusal = (options: object) => {
  try {
    resolveTransportOptions({ ...base, ...options } as never);
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
};

describe('resolveTransportOptions', () => {
  it('fills in every default and the naming mode', () => {
    const o = resolveTransportOptions(base);
    expect(o).toMatchObject({
      node: 'a@127.0.0.1',
      mode: 'longnames',
      port: TRANSPORT_DEFAULTS.port,
      dialPort: TRANSPORT_DEFAULTS.port,
      host: TRANSPORT_DEFAULTS.host,
      hostGiven: false,
      ticktimeMs: TRANSPORT_DEFAULTS.ticktimeMs,
      frameIntegrity: true,
      hidden: false,
    });
    expect(resolveTransportOptions({ ...base, env: { KINDRED_PORT: '4444' } }).port).toBe(4444);
    expect(resolveTransportOptions({ ...base, port: 0, env: { KINDRED_PORT: '4444' } }).port).toBe(0);
  });

  it('names the option in every refusal, with the one transport code', () => {
    for (const [options, option] of [
      [{ port: 70_000 }, 'port'],
      [{ env: { KINDRED_PORT: '4370x' } }, 'KINDRED_PORT'],
      [{ dialPort: 0 }, 'dialPort'],
      [{ ticktimeMs: 3 }, 'ticktimeMs'],
      [{ maxFrameValues: 1.5 }, 'maxFrameValues'],
      [{ frameIntegrity: 'yes' }, 'frameIntegrity'],
      [{ cookie: '' }, 'cookie'],
      [{ maxQueueBytes: 2048, maxMessageBytes: 4096 }, 'maxQueueBytes'],
      [{ flushAtBytes: 8192, maxMessageBytes: 4096 }, 'flushAtBytes'],
      [{ allow: 'a@b.c' }, 'allow'],
      [{ tls: { cert: 'x' } }, 'tls'],
    ] as const) {
      expect(refusal(options)).toMatchObject({
        code: 'KINDRED_ERR_TRANSPORT_OPTION',
        details: { option },
        message: expect.stringContaining(option),
      });
    }
  });
});
