import { routeGroup } from '../../route-group.ts';
import { providerGuard, providerRefusals } from '../../auth.ts';
import { failedAuthorizationListSchema, failedAuthorizationQuery } from '../admin/retention.ts';

/** GET /api/v1/failed-authorizations: the calling provider's own failed acts, until retention erases them. */
export const providerFailedAuthorizationRoutes = routeGroup(['config', 'accessTokens', 'providers', 'actAsGrants', 'failedAuthorizations'], async (app, { services }) => {
  app.get(
    '/api/v1/failed-authorizations',
    {
      onRequest: providerGuard(services),
      schema: {
        tags: ['provider'],
        operationId: 'listOwnFailedAuthorizations',
        summary: 'This provider\'s failed authorizations, newest first, until the retention erases them',
        description:
          'Acts of this provider that failed (identity mismatch, attempts exhausted, expired, cancelled, ...). Each is kept for the ' +
          'retention in force (`retention`), then erased: it leaves this list and its personal data can no longer be read.',
        security: [{ actAs: [] }],
        querystring: { type: 'object', properties: failedAuthorizationQuery, additionalProperties: false },
        response: { 200: failedAuthorizationListSchema, ...providerRefusals() },
      },
    },
    async (request) => {
      const { reason, limit } = request.query;
      return services.failedAuthorizations.list({ providerId: request.providerId!, ...(reason ? { reason } : {}) }, limit);
    },
  );
});
