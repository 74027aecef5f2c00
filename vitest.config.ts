import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    testTimeout: 300_000, // generous: no test may fail because the machine is busy (nothing asserts timing)
    hookTimeout: 300_000,
  },
});
