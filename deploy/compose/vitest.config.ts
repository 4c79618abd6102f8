import { defineConfig } from 'vitest/config';

// The Docker suite (`pnpm test:docker`), kept out of the root config's projects: it needs a Docker engine.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['test/**/*.docker.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
});
