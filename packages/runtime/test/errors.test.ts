import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { badOption, formatTerm } from '../src/errors.js';
import { Pid, ProcessExitedError, Ref, RUNTIME_DEFAULTS, RUNTIME_ERRORS } from '../src/index.js';

const errorsMd = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '../../../docs/errors.md'),
  'utf8',
);

describe('runtime errors and defaults', () => {
  it('every runtime code is listed exactly once in docs/errors.md, as @kindred/runtime', () => {
    for (const code of Object.values(RUNTIME_ERRORS)) {
      const rows = errorsMd.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`));
      expect(rows, code).toHaveLength(1);
      expect(rows[0]).toContain('| @kindred/runtime |');
    }
  });

  it('ProcessExitedError carries the reason and the code', () => {
    const e = new ProcessExitedError({ why: 1 });
    expect(e).toMatchObject({
      code: RUNTIME_ERRORS.PROCESS_EXITED,
      reason: { why: 1 },
      name: 'ProcessExitedError',
    });
  });

  it('defaults are frozen', () => {
    expect(Object.isFrozen(RUNTIME_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(RUNTIME_ERRORS)).toBe(true);
  });

  it('formatTerm prints any value short and never throws', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withNullPrototype: true,
          withMap: true,
          withSet: true,
          withBoxedValues: true,
        }),
        fc.integer({ min: 1, max: 300 }),
        (v, max) => {
          const text = formatTerm(v, max);
          expect(typeof text).toBe('string');
          expect(text.length).toBeLessThanOrEqual(max + 1);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('formatTerm: BigInt, throwing or non-function toString, throwing getters, cycles, depth, size', () => {
    expect(formatTerm(2n ** 64n)).toBe('18446744073709551616n');
    expect(formatTerm(2n ** 100_000n)).toMatch(/^<bigint of \d+ bits>$/);
    expect(formatTerm({ toString: 1 })).toBe('{"toString": 1}');
    const throwing = {
      toString() {
        throw new Error('no');
      },
      get x() {
        throw new Error('getter');
      },
    };
    expect(formatTerm(throwing)).toContain('<unprintable>');
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(formatTerm(cyclic)).toBe('[1, [1, [1, [1, …]]]]');
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(formatTerm(deep)).toBe('[[[[…]]]]');
    expect(formatTerm(Array.from({ length: 1e6 }, (_, i) => i))).toBe(
      '[0, 1, 2, 3, 4, 5, 6, 7, … 999992 more]',
    );
    expect(formatTerm('s'.repeat(1e6)).length).toBeLessThanOrEqual(201);
    expect(formatTerm(new Pid('a@h', 1, 2, 3))).toBe('<a@h.1.2>');
    expect(formatTerm(new Ref('a@h', 3, [1, 2, 3]))).toBe('#Ref<a@h.3.2.1>');
    expect(formatTerm(Symbol('s'))).toBe('Symbol("s")');
    expect(formatTerm(new TypeError('bad'))).toBe('TypeError: "bad"');
  });

  it('badOption names the option and prints the value safely', () => {
    const e = badOption('maxMailboxBytes', 'an integer >= 1', 10n);
    expect(e).toMatchObject({
      code: RUNTIME_ERRORS.RUNTIME_BAD_OPTION,
      details: { option: 'maxMailboxBytes' },
    });
    expect(e.message).toContain('10n');
  });
});
