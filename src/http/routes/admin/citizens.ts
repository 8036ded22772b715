import { routeGroup } from '../../route-group.ts';
import { adminGuard } from '../../auth.ts';
import { problemResponses } from '../../problems.ts';

/** Admin API for the simulator's test persons and the SePP a provider knows them by. */
export const adminCitizenRoutes = routeGroup(['config', 'testPersons'], async (app, { services }) => {
  if (services.config.environment !== 'simulator') return;
  app.addHook('onRequest', adminGuard(services.config.adminToken));
  const security = [{ admin: [] }];

  app.post(
    '/api/v1/admin/citizens',
    {
      schema: {
        tags: ['admin', 'simulator'],
        summary: 'Add a test person (simulator environment)',
        security,
        body: {
          type: 'object',
          properties: {
            displayName: { type: 'string', minLength: 1, maxLength: 100 },
            country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166 alpha-2; default the home country' },
            phone: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' },
            phoneVerified: { type: 'boolean', default: false },
            phoneAllowed: { type: 'boolean', default: false },
            mobileKey: { type: 'boolean', default: false, description: 'Register a Mobile Key device for the person' },
          },
          additionalProperties: false,
        },
        response: { 201: { type: 'object', required: ['aifo'], properties: { aifo: { type: 'string' } } }, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const citizen = await services.testPersons.add(request.body);
      reply.code(201);
      return { aifo: citizen.aifo };
    },
  );

  app.get(
    '/api/v1/admin/citizens',
    {
      schema: {
        tags: ['admin', 'simulator'],
        summary: 'List test persons (simulator environment)',
        security,
        response: { 200: { type: 'object', properties: { citizens: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...problemResponses(401, 403) },
      },
    },
    async () => ({ citizens: await services.testPersons.list() }),
  );

  app.get(
    '/api/v1/admin/citizens/:aifo/sepp',
    {
      schema: {
        tags: ['admin', 'simulator'],
        summary: 'The SePP (BSI) a provider knows a test person by',
        security,
        params: { type: 'object', required: ['aifo'], properties: { aifo: { type: 'string', maxLength: 100 } } },
        querystring: { type: 'object', required: ['providerId'], properties: { providerId: { type: 'string', maxLength: 100 } } },
        response: { 200: { type: 'object', required: ['sepp'], properties: { sepp: { type: 'string' } } }, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { aifo } = request.params;
      const { providerId } = request.query;
      return { sepp: await services.testPersons.seppFor(aifo, providerId) };
    },
  );
});
