import { defineConfig } from 'vitest/config';

// Tests run against each package's TypeScript source through the `@kindred/source` export condition, so a
// change is tested without a rebuild. Tests that drive the CLI or apps as processes use the built dist/.
const conditions = ['@kindred/source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@kindred/source'] } },
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      // unit: a package's own code, in-process; may use loopback sockets, child processes and a BIND on a loopback
      // port, but never root.
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'examples/*/test/**/*.test.ts',
            'deploy/*/test/**/*.test.ts',
          ],
          exclude: ['**/*.integration.test.ts', '**/*.docker.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      // integration: a package's *.integration.test.ts: root, network namespaces, real erl, built CLIs and apps.
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            'packages/*/test/**/*.integration.test.ts',
            'examples/*/test/**/*.integration.test.ts',
            // the release path, across every package: pack, npm install, strict consumer (test/packaging)
            'test/packaging/test/**/*.integration.test.ts',
          ],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: ['test/*/test/**/*.test.ts'],
          exclude: ['test/packaging/**', '**/node_modules/**'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      // docker: deploy/**/test/*.docker.test.ts: a real Docker engine the suite starts (root, Linux; skipped with the
      // reason elsewhere), the image from deploy/Dockerfile, deploy/compose and testcontainers. One file at a time:
      // each starts and stops its own engine, which changes the root network namespace while it runs.
      {
        extends: true,
        test: {
          name: 'docker',
          include: ['deploy/**/test/**/*.docker.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
