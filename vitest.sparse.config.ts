import { defineConfig } from 'vitest/config';

/**
 * The suites that touch log positions, run again with the events in memory at sparse positions
 * (n x 1000 plus jitter, as EventStoreDB's byte offsets are sparse): code that counts, subtracts
 * or steps with positions fails here without any server. `npm test` runs it after the main run.
 * Suites that share one data dir between processes or restarts, or read the SQLite file, stay
 * SQLite-only (test/http/retention.test.ts; tests marked with sparseEventStoreRun).
 */
export default defineConfig({
  test: {
    include: [
      'test/contract/event-store.memory.test.ts',
      'test/unit/projection-runner.test.ts',
      'test/unit/event-sequence.test.ts',
      'test/http/metrics.test.ts',
      'test/http/acts.test.ts',
      'test/http/retention-purge.test.ts',
      'test/http/receipt-verifications.test.ts',
    ],
    env: { LEDGER_TEST_EVENT_STORE: 'sparse' },
    // Fails a test whose ledger answered a problem type the OpenAPI does not list for the route.
    setupFiles: ['test/support/problem-check-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
