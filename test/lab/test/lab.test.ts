import { describe, expect, it } from 'vitest';
import { Lab } from '../src/index.js';

// Lab.start's checks of LabOptions.deployments run before anything is created (no root needed).
describe('Lab.start: extra Deployments are checked before anything is created', () => {
  const bad = async (deployments: Parameters<typeof Lab.start>[0]) =>
    Lab.start(deployments).then(
      () => {
        throw new Error('started');
      },
      (err: { code?: string; message: string }) => err,
    );

  it('refuses a name that is not a DNS label, or one taken by another Deployment', async () => {
    for (const name of ['Erlang', 'erl_app', '', 'simple-web-service']) {
      const err = await bad({ deployments: [{ name, replicas: 1, command: ['erl'] }] });
      expect(err.code).toBe('KINDRED_ERR_LAB_BAD_OPTION');
      expect(err.message).toContain('deployments');
    }
    const twice = await bad({
      deployments: [
        { name: 'erl', replicas: 1, command: ['erl'] },
        { name: 'erl', replicas: 1, command: ['erl'] },
      ],
    });
    expect(twice.code).toBe('KINDRED_ERR_LAB_BAD_OPTION');
  });

  it('refuses bad replicas and an empty command', async () => {
    for (const replicas of [-1, 1.5, 201]) {
      const err = await bad({ deployments: [{ name: 'erl', replicas, command: ['erl'] }] });
      expect(err.code).toBe('KINDRED_ERR_LAB_BAD_OPTION');
      expect(err.message).toContain('replicas');
    }
    const err = await bad({ deployments: [{ name: 'erl', replicas: 1, command: [] }] });
    expect(err.code).toBe('KINDRED_ERR_LAB_BAD_OPTION');
    expect(err.message).toContain('command');
  });
});
