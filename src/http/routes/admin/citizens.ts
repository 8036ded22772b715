import { routeGroup } from '../../route-group.ts';
import { adminAccess, adminActorOf, adminRefusals } from '../../auth.ts';
import { refusePrivateJwk } from '../../private-jwk.ts';
import { aifoSchema, citizenFieldsSchema, deviceIdSchema, mobileKeySchema } from '../../../app/citizens/citizen-input.ts';

const aifoParams = { type: 'object', required: ['aifo'], properties: { aifo: aifoSchema } } as const;
const deviceParams = { type: 'object', required: ['aifo', 'deviceId'], properties: { aifo: aifoSchema, deviceId: deviceIdSchema } } as const;

const publicKeyView = {
  type: 'object',
  properties: { kty: { type: 'string' }, crv: { type: 'string' }, x: { type: 'string' }, y: { type: 'string' } },
} as const;

const deviceView = {
  type: 'object',
  required: ['deviceId', 'label'],
  properties: {
    deviceId: { type: 'string' },
    label: { type: 'string' },
    fcmTokenHint: { type: 'string', description: 'The FCM token masked: its first and last four characters' },
    publicKey: publicKeyView,
    registeredAt: { type: 'string' },
  },
} as const;

const citizenView = {
  type: 'object',
  required: ['aifo', 'displayName', 'country', 'phoneVerified', 'phoneAllowed', 'mobileKeys', 'removedMobileKeys', 'createdAt'],
  properties: {
    aifo: { type: 'string' },
    displayName: { type: 'string' },
    country: { type: 'string' },
    phone: { type: 'string' },
    phoneVerified: { type: 'boolean' },
    phoneAllowed: { type: 'boolean' },
    mobileKeys: { type: 'array', items: deviceView },
    removedMobileKeys: {
      type: 'array',
      description: 'Devices removed from the person, newest last: by an admin, or because the push service said the token is gone',
      items: {
        type: 'object',
        properties: { deviceId: { type: 'string' }, label: { type: 'string' }, reason: { type: 'string', enum: ['admin', 'unregistered'] }, removedAt: { type: 'string' } },
      },
    },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** A private key in a device key is refused by name, before the schema would call `d` merely unknown. */
const refusePrivateKey = refusePrivateJwk((body) => [{ key: (body as { publicKey?: unknown } | null)?.publicKey, pointer: '/publicKey' }], 'a device');

/**
 * The admin citizen API, in every environment: the operator feeds the registry (a person's country,
 * phone and its flags, Mobile Key devices) and support staff look up the SePP a provider knows a
 * person by. The simulator's test-person routes are added in the simulator environment only.
 */
export const adminCitizenRoutes = routeGroup(['config', 'citizenAdmin', 'testPersons', 'admins', 'adminTokens'], async (app, { services }) => {
  app.addHook('onRequest', adminAccess(services, 'registry'));
  const security = [{ admin: [] }];
  const { citizenAdmin } = services;

  app.put(
    '/api/v1/admin/citizens/:aifo',
    {
      schema: {
        tags: ['admin'],
        operationId: 'putCitizen',
        summary: 'Create a person or set their fields (devices are kept)',
        description: 'Idempotent: the same body again changes nothing. A phone left out is removed.',
        security,
        params: aifoParams,
        body: citizenFieldsSchema,
        response: { 200: citizenView, 201: citizenView, ...adminRefusals('conflict') },
      },
    },
    async (request, reply) => {
      const { outcome, citizen } = await citizenAdmin.upsert(request.params.aifo, request.body, adminActorOf(request));
      reply.code(outcome === 'created' ? 201 : 200).header('cache-control', 'no-store');
      return citizen;
    },
  );

  app.get(
    '/api/v1/admin/citizens/:aifo',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getCitizen',
        summary: 'A person\'s record: fields, devices (FCM token masked) and removed devices',
        security,
        params: aifoParams,
        response: { 200: citizenView, ...adminRefusals('not-found') },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return citizenAdmin.get(request.params.aifo);
    },
  );

  app.post(
    '/api/v1/admin/citizens/:aifo/mobile-keys',
    {
      preValidation: refusePrivateKey,
      schema: {
        tags: ['admin'],
        operationId: 'registerMobileKey',
        summary: 'Register a Mobile Key device for a person',
        description: 'The same FCM token again is the same device: its label and public key are updated (200) instead of a second device (201).',
        security,
        params: aifoParams,
        body: mobileKeySchema,
        response: { 200: deviceView, 201: deviceView, ...adminRefusals('not-found') },
      },
    },
    async (request, reply) => {
      const { outcome, device } = await citizenAdmin.addMobileKey(request.params.aifo, request.body, adminActorOf(request));
      reply.code(outcome === 'created' ? 201 : 200).header('cache-control', 'no-store');
      return device;
    },
  );

  app.delete(
    '/api/v1/admin/citizens/:aifo/mobile-keys/:deviceId',
    {
      schema: {
        tags: ['admin'],
        operationId: 'removeMobileKey',
        summary: 'Remove a person\'s device (kept in their removedMobileKeys)',
        security,
        params: deviceParams,
        response: { 204: { type: 'null', description: 'Removed' }, ...adminRefusals('not-found') },
      },
    },
    async (request, reply) => {
      await citizenAdmin.removeMobileKey(request.params.aifo, request.params.deviceId, adminActorOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/admin/citizens/:aifo/sepp',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getCitizenSepp',
        summary: 'The SePP (BSI) a provider knows a person by (for support)',
        security,
        params: aifoParams,
        querystring: { type: 'object', required: ['providerId'], properties: { providerId: { type: 'string', minLength: 1, maxLength: 100 } } },
        response: { 200: { type: 'object', required: ['sepp'], properties: { sepp: { type: 'string' } } }, ...adminRefusals('not-found') },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return { sepp: await citizenAdmin.seppFor(request.params.aifo, request.query.providerId) };
    },
  );

  if (services.config.environment !== 'simulator') return;

  app.post(
    '/api/v1/admin/citizens',
    {
      schema: {
        tags: ['simulator'],
        operationId: 'addTestPerson',
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
        response: { 201: { type: 'object', required: ['aifo'], properties: { aifo: { type: 'string' } } }, ...adminRefusals('conflict') },
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
        tags: ['simulator'],
        operationId: 'listTestPersons',
        summary: 'List test persons (simulator environment)',
        security,
        response: { 200: { type: 'object', properties: { citizens: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...adminRefusals() },
      },
    },
    async () => ({ citizens: await services.testPersons.list() }),
  );
});
