import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { generateOpenApi } from '../../src/cli/openapi.ts';

const DOCUMENT = '/openapi.json';

/**
 * Exceptions to Redocly's recommended rules, each one operation and why; everything else must pass.
 * `GET /authorize/{actId}` is a browser redirect: it answers 303 to the identity provider or an HTML
 * refusal page, never a 2XX, so `operation-2xx-response` does not fit it.
 */
const EXCEPTIONS = { [DOCUMENT]: { 'operation-2xx-response': new Set(['#/paths/~1authorize~1{actId}/get/responses']) } };

function described(problems: NormalizedProblem[]): string[] {
  return problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer).join(', ')}`);
}

describe('the generated OpenAPI document', () => {
  it('passes the Redocly linter with the recommended rules, without errors or warnings', async () => {
    const config = await createConfig({ extends: ['recommended'] }, { ignore: EXCEPTIONS });
    const problems = (await lintFromString({ source: await generateOpenApi(), absoluteRef: DOCUMENT, config })).filter((p) => !p.ignored);
    expect(described(problems)).toEqual([]);
  });

  it('gives every operation a unique camelCase operationId and a security statement', async () => {
    const doc = JSON.parse(await generateOpenApi()) as { paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, ...op })));
    expect(operations.filter((op) => !/^[a-z][a-zA-Z0-9]*$/.test(op.operationId ?? '')).map((op) => op.at)).toEqual([]);
    expect(new Set(operations.map((op) => op.operationId)).size).toBe(operations.length);
    expect(operations.filter((op) => !Array.isArray(op.security)).map((op) => op.at)).toEqual([]);
    // The public routes say so, rather than leaving security out.
    const publicOnes = operations.filter((op) => op.security?.length === 0).map((op) => op.at);
    expect(publicOnes).toEqual(expect.arrayContaining(['POST /api/v1/public/verifications', 'GET /tlog/checkpoint', 'GET /api/v1/audit/log-key', 'POST /api/v1/token', 'GET /healthz']));
  });
});
