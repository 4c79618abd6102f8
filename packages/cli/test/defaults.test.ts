import { describe, expect, it } from 'vitest';
import { DOCTOR_DEFAULTS, doctorCommand } from '../src/commands/doctor.js';
import { CLI_DEFAULTS } from '../src/defaults.js';

describe('CLI_DEFAULTS', () => {
  it('is frozen all the way down, and doctor takes its defaults (and documents them) from it', () => {
    expect(Object.isFrozen(CLI_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(CLI_DEFAULTS.doctor)).toBe(true);
    expect(DOCTOR_DEFAULTS).toBe(CLI_DEFAULTS.doctor);
    expect(doctorCommand.help).toContain(CLI_DEFAULTS.doctor.service);
    expect(doctorCommand.help).toContain(`KINDRED_PORT, else ${CLI_DEFAULTS.doctor.port}`);
  });
});
