import { routeGroup } from '../../route-group.ts';
import { providerGuard, providerRefusals } from '../../auth.ts';

/** GET /api/v1/provider: the calling provider's own configuration, as the ledger holds it. */
export const providerProfileRoutes = routeGroup(['config', 'accessTokens', 'providers', 'actAsGrants'], async (app, { services }) => {
  app.get(
    '/api/v1/provider',
    {
      onRequest: providerGuard(services),
      schema: {
        tags: ['provider'],
        operationId: 'getProviderProfile',
        summary: 'The calling provider: name, return URLs and key ids as registered',
        security: [{ actAs: [] }],
        response: {
          200: {
            type: 'object',
            properties: {
              providerId: { type: 'string' },
              name: { type: 'string' },
              returnUrls: { type: 'array', items: { type: 'string' } },
              activeKeyIds: { type: 'array', items: { type: 'string' } },
            },
          },
          ...providerRefusals(),
        },
      },
    },
    async (request) => {
      const p = await services.providers.get(request.providerId!);
      return {
        providerId: p.providerId,
        name: p.name,
        returnUrls: p.returnUrls,
        activeKeyIds: Object.values(p.keys).filter((k) => !k.revoked).map((k) => k.kid),
      };
    },
  );
});
