import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TRANSPORT_DEFAULTS } from '@kindred/transport';
import { describe, expect, it } from 'vitest';
import { CLI_ERRORS, UsageError } from '../src/command.js';
import { DOCTOR_CHECKS, DOCTOR_DEFAULTS, doctorCommand } from '../src/commands/doctor.js';
import { CLI_DEFAULTS } from '../src/defaults.js';

describe('CLI_DEFAULTS', () => {
  it('is frozen all the way down, and doctor takes its defaults (and documents them) from it', () => {
    expect(Object.isFrozen(CLI_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(CLI_DEFAULTS.doctor)).toBe(true);
    expect(DOCTOR_DEFAULTS).toBe(CLI_DEFAULTS.doctor);
    expect(doctorCommand.help).toContain(CLI_DEFAULTS.doctor.service);
    expect(doctorCommand.help).toContain(`KINDRED_PORT, else ${CLI_DEFAULTS.doctor.port}`);
  });

  it("doctor's default port is the transport's (the port `kindred start` listens on), not an example app's", () => {
    expect(CLI_DEFAULTS.doctor.port).toBe(TRANSPORT_DEFAULTS.port);
    for (const c of DOCTOR_CHECKS) expect(doctorCommand.help).toContain(`  ${c.id.padEnd(10)} ${c.title}`);
  });
});

describe('CLI_ERRORS', () => {
  it('is frozen, used by UsageError, and each code is a @kindred/cli row of docs/errors.md', () => {
    expect(Object.isFrozen(CLI_ERRORS)).toBe(true);
    expect(new UsageError('x').code).toBe(CLI_ERRORS.USAGE);
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');
    for (const code of Object.values(CLI_ERRORS)) {
      const rows = doc.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`));
      expect(rows, code).toHaveLength(1);
      expect(rows[0]).toContain('@kindred/cli');
    }
  });
});
