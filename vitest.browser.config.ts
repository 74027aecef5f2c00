import { defineConfig } from 'vitest/config';

// The browser tests (`npm run test:browser`): Debian's Chromium via playwright-core.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 300_000, // generous: no test may fail because the machine is busy
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
