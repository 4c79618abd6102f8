import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_VERSION } from '../src/version.js';

describe('CLI_VERSION', () => {
  it('is the version in the package.json that ships with the CLI', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(CLI_VERSION).toBe(manifest.version);
    expect(CLI_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
