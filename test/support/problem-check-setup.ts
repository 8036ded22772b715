import { afterEach } from 'vitest';
import { takeProblemViolations } from './documented-problems.ts';

// Every test ledger notes the problems it answered that the OpenAPI does not list for their route
// (test/support/documented-problems.ts); the test that made them fails here, naming each.
afterEach(() => {
  const violations = takeProblemViolations();
  if (violations.length) throw new Error(`undocumented problem types:\n  ${[...new Set(violations)].join('\n  ')}`);
});
