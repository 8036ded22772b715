import { routeGroup } from '../route-group.ts';

/** Liveness, readiness, the ledger's public keys, and the OpenAPI document. */
export const healthRoutes = routeGroup(['readiness', 'keys'], async (app, { services }) => {
  app.get('/healthz', { schema: { tags: ['operations'], operationId: 'checkLiveness', security: [], summary: 'Liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'checkReadiness',
        security: [],
        summary: 'Readiness: every part the ledger depends on answers (`degraded`, still 200: a part only some routes need does not)',
        response: {
          200: { type: 'object', additionalProperties: true },
          503: { type: 'object', additionalProperties: true },
        },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, unknown> = {};
      let ready = true;
      let degraded = false;
      for (const [name, check] of Object.entries(services.readiness)) {
        try {
          const result = await check();
          checks[name] = result;
          if (!result.ok && result.partial) degraded = true;
          else if (!result.ok) ready = false;
        } catch (error) {
          checks[name] = { ok: false, error: error instanceof Error ? error.message : String(error) };
          ready = false;
        }
      }
      reply.code(ready ? 200 : 503);
      return { status: !ready ? 'not-ready' : degraded ? 'degraded' : 'ready', checks };
    },
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getSigningKeys',
        security: [],
        summary: 'Public keys that verify what the ledger signs: ActAs and admin tokens, receipts, record exports',
        description:
          'The keys in service, then the keys rotated out (`"retired": true`): a retired key signs nothing any more and no token verifies with it, ' +
          'but receipts and record exports it signed stay verifiable with it, for years.',
        response: { 200: { type: 'object', properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } } } },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return services.keys.publicJwks();
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
