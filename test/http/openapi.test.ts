import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApi } from '../../src/cli/openapi.ts';

const COMMITTED = new URL('../../openapi/openapi.json', import.meta.url);

/** Which paths and operations one document has that the other lacks, for a readable failure. */
function operations(doc: string): Set<string> {
  const paths = (JSON.parse(doc) as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
  return new Set(Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)));
}

describe('openapi/openapi.json', () => {
  it('is what the route schemas generate (the committed document is not stale)', async () => {
    const generated = await generateOpenApi();
    if (!existsSync(COMMITTED)) expect.fail('openapi/openapi.json is missing: run npm run openapi and commit it.');
    const committed = readFileSync(COMMITTED, 'utf8');
    if (generated !== committed) {
      const [now, before] = [operations(generated), operations(committed)];
      const added = [...now].filter((o) => !before.has(o));
      const removed = [...before].filter((o) => !now.has(o));
      const lines = ['openapi/openapi.json is stale: run npm run openapi and commit the result.'];
      if (added.length) lines.push(`  not in the committed document: ${added.join(', ')}`);
      if (removed.length) lines.push(`  no longer served: ${removed.join(', ')}`);
      if (!added.length && !removed.length) lines.push('  (same operations; schemas or descriptions differ)');
      expect.fail(lines.join('\n'));
    }
    expect(operations(committed)).toContain('POST /api/v1/token');
  });
});
