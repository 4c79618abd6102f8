// The supervisor against the oracle: each scenario of supervisor-scenarios.ts runs under OTP's own supervisor
// (fixtures/kso.erl, compiled with erlc and run by Debian's erl, OTP 25) and under kindred's; the event sequences
// (which children started and stopped, with what reason, in what order, when the supervisor gave up, which
// children were left) must be equal. Needs erlang-base (scripts/setup.sh).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKindred, SCENARIOS, type Scenario, toErlang } from './supervisor-scenarios.js';

const run = promisify(execFile);
let dir = '';

beforeAll(async () => {
  if (!existsSync('/usr/bin/erl') || !existsSync('/usr/bin/erlc')) {
    throw new Error("erl/erlc are missing: run 'bash scripts/setup.sh' (erlang-base)");
  }
  dir = await mkdtemp(join(tmpdir(), 'kindred-kso-'));
  await run('erlc', ['-o', dir, join(import.meta.dirname, 'fixtures', 'kso.erl')]);
});
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function runErlang(s: Scenario): Promise<string[]> {
  const { stdout } = await run(
    'erl',
    ['-noshell', '-kernel', 'logger_level', 'none', '-pa', dir, '-eval', `kso:run(${toErlang(s)}), halt().`],
    { timeout: 30_000 },
  );
  return stdout.split('\n').filter((l) => /^(start|stop|ignore|sup_exit|final):/.test(l));
}

describe('supervisor scenarios: kindred and erl print the same events', () => {
  for (const s of SCENARIOS) {
    it(s.name, async () => {
      const [erl, kindred] = await Promise.all([runErlang(s), runKindred(s)]);
      expect(erl.length).toBeGreaterThan(0);
      expect(kindred).toEqual(erl);
    });
  }
});
