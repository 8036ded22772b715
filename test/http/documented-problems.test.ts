import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyPluginAsync } from 'fastify';
import { buildLedger, type Ledger } from '../../src/composition/ledger.ts';
import { HttpProblem, problemType } from '../../src/http/problems.ts';
import { routeGroup } from '../../src/http/route-group.ts';
import { committedProblems, takeProblemViolations, undocumentedProblem } from '../support/documented-problems.ts';
import { testBuildOptions, testConfig } from '../support/ledger.ts';

/** Makes /healthz answer a problem its OpenAPI does not list, on request: what a route forgetting to document a refusal does. */
const answersUndocumented: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', async (request) => {
    if (request.headers['x-answer'] === 'certificate-weak') throw new HttpProblem('certificate-weak', 'no route of this kind answers this');
  });
};
Object.assign(answersUndocumented, { [Symbol.for('skip-override')]: true });

describe('problem types the OpenAPI lists per route', () => {
  it('are read from the committed document, per operation and status', () => {
    const acts = committedProblems().get('POST /api/v1/acts');
    expect([...(acts?.get(400) ?? [])]).toEqual(expect.arrayContaining([problemType('invalid-document-hash'), problemType('invalid-request')]));
    expect([...(acts?.get(401) ?? [])]).toContain(problemType('unauthorized'));
    expect(undocumentedProblem(committedProblems(), { method: 'POST', route: '/api/v1/acts', status: 422, type: problemType('sepp-unknown') })).toBeUndefined();
    expect(undocumentedProblem(committedProblems(), { method: 'GET', route: '/healthz', status: 422, type: problemType('certificate-weak') })).toMatch(/GET \/healthz answered 422 urn:problem:act-ledger:certificate-weak/);
    // The wildcard route is found under its OpenAPI path.
    expect(undocumentedProblem(committedProblems(), { method: 'GET', route: '/tlog/tile/*', status: 404, type: problemType('tile-not-found') })).toBeUndefined();
  });

  describe('checked on every answer of a test ledger', () => {
    let ledger: Ledger;
    beforeAll(async () => {
      ledger = await buildLedger(testConfig(), testBuildOptions({ inMemory: true, extraRoutes: [routeGroup([], answersUndocumented)] }));
      await ledger.app.ready();
    });
    afterAll(() => ledger?.close());

    it('notes a problem whose type the spec does not list for the route, and lets documented ones pass', async () => {
      const undocumented = await ledger.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-answer': 'certificate-weak' } });
      expect(undocumented.json()).toMatchObject({ type: problemType('certificate-weak') });
      // Taken here, so the setup file does not fail this test for it.
      expect(takeProblemViolations()).toEqual([expect.stringMatching(/^GET \/healthz answered 422 urn:problem:act-ledger:certificate-weak, which openapi\/openapi.json does not list/)]);

      const documented = await ledger.app.inject({ method: 'POST', url: '/api/v1/acts', payload: {} });
      expect(documented.json()).toMatchObject({ type: problemType('unauthorized') });
      expect(takeProblemViolations()).toEqual([]);
    });
  });
});
