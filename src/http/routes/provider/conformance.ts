import { CONFORMANCE_ITEMS } from '../../../../projections/provider-conformance.ts';
import { ENVIRONMENTS } from '../../../../events/provider.ts';
import { routeGroup } from '../../route-group.ts';
import { adminAccess, providerGuard, adminRefusals, providerRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';
import { stringEnum } from '../../schema.ts';

const item = stringEnum(CONFORMANCE_ITEMS);

export const conformanceChecklistSchema = {
  type: 'object',
  required: ['environment', 'passed', 'items', 'missing'],
  additionalProperties: false,
  properties: {
    environment: stringEnum(ENVIRONMENTS),
    passed: { type: 'boolean' },
    passedAt: { type: 'string', format: 'date-time' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['item', 'seen'],
        additionalProperties: false,
        properties: { item, seen: { type: 'boolean' }, at: { type: 'string', format: 'date-time', description: 'When it was seen last' } },
      },
    },
    missing: { type: 'array', items: item, description: 'The items not seen yet inside the support window' },
  },
} as const;

const description =
  'In the simulator and integration the ledger watches the provider\'s own traffic: an act registered; a code flow authorized; a wrong ' +
  'code answered as a mismatch, then a right one; an authorization by authentication; a failed or cancelled authentication read back ' +
  '(GET of that act); results read (GET of a finished act). Items count only inside the support window. Once all are seen, ' +
  'ConformancePassed is recorded. Reads are noted by the instance that served them and are forgotten at a restart: read again then.';

/** GET /api/v1/provider/conformance: the calling provider's conformance checklist. */
export const providerConformanceRoutes = routeGroup(['config', 'accessTokens', 'providers', 'actAsGrants', 'conformance'], async (app, { services }) => {
  app.get(
    '/api/v1/provider/conformance',
    {
      onRequest: providerGuard(services),
      schema: {
        tags: ['provider'],
        operationId: 'getOwnConformance',
        summary: 'This provider\'s conformance checklist and what is still missing',
        description,
        security: [{ actAs: [] }],
        response: { 200: conformanceChecklistSchema, ...providerRefusals() },
      },
    },
    async (request) => services.conformance.checklist(request.providerId!),
  );
});

/** GET /api/v1/admin/providers/{providerId}/conformance: the same checklist, for the onboarding role. */
export const adminConformanceRoutes = routeGroup(['providers', 'conformance', 'admins', 'adminTokens', 'config'], async (app, { services }) => {
  app.addHook('onRequest', adminAccess(services, 'onboarding'));
  app.get(
    '/api/v1/admin/providers/:providerId/conformance',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getProviderConformance',
        summary: 'A provider\'s conformance checklist',
        description,
        security: [{ admin: [] }],
        params: { type: 'object', required: ['providerId'], properties: { providerId: { type: 'string', minLength: 1, maxLength: 100 } } },
        response: { 200: conformanceChecklistSchema, ...adminRefusals('not-found') },
      },
    },
    async (request) => {
      if (!(await services.providers.get(request.params.providerId, 0)).exists) throw new HttpProblem('not-found', 'provider not found');
      return services.conformance.checklist(request.params.providerId);
    },
  );
});
