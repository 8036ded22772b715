import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails a test whose ledger answered a problem type the OpenAPI does not list for the route.
    setupFiles: ['test/support/problem-check-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e and browser suites start servers and Chromium; two cores do not take more at once.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
