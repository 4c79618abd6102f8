import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one closing line `tests: N passed, N failed, N skipped` after vitest's own output, the plain form CI reads
 * to tell a run that tested something from one that ran nothing. Above it, one line per reason tests were skipped
 * with (`ctx.skip(reason)`, e.g. the docker project on a machine without root), `skipped N: <project>: <reason>`, so
 * no test is skipped silently.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const reasons = new Map<string, number>();
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') failed++;
        else {
          skipped++;
          const why = `${mod.project.name || 'default'}: ${(result.state === 'skipped' && result.note) || 'no reason given'}`;
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
        }
      }
      // A file that failed to load has no tests but must still count as a failure.
      if (mod.state() === 'failed' && !mod.children.size) failed++;
    }
    const lines = [...reasons].map(([why, n]) => `skipped ${n}: ${why}\n`).join('');
    process.stdout.write(`\n${lines}tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
