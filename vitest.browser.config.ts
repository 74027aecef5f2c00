import { defineConfig } from 'vitest/config';

// The browser tests (`npm run test:browser`): Debian's Chromium via playwright-core.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
