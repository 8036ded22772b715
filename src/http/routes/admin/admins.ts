import type { AdminState } from '../../../../commands/admin.ts';
import { ADMIN_ROLES } from '../../../../events/admin.ts';
import type { AdminDirectory } from '../../../app/admins/admin-directory.ts';
import { routeGroup } from '../../route-group.ts';
import { adminAccess, adminActorOf, adminRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';
import { keyOfJwk, keysOfJwks, refusePrivateJwk } from '../../private-jwk.ts';
import { stringEnum } from '../../schema.ts';
import { publicJwkSchema, toProviderKey } from './providers.ts';
import type { FastifyRequest } from 'fastify';

const adminView = {
  type: 'object',
  required: ['adminId', 'name', 'roles', 'suspended', 'keys'],
  properties: {
    adminId: { type: 'string' },
    name: { type: 'string' },
    roles: { type: 'array', items: stringEnum(ADMIN_ROLES) },
    suspended: { type: 'boolean' },
    registeredAt: { type: 'string' },
    keys: {
      type: 'array',
      items: { type: 'object', properties: { kid: { type: 'string' }, revoked: { type: 'boolean' }, jwk: { type: 'object', additionalProperties: true } } },
    },
  },
} as const;

const adminIdSchema = { type: 'string', pattern: '^adm_[A-Za-z0-9-]{1,100}$' } as const;
const adminIdParams = { type: 'object', required: ['adminId'], properties: { adminId: adminIdSchema } } as const;

const activityEntry = {
  type: 'object',
  required: ['number', 'adminId', 'type', 'streamName', 'eventId', 'occurredAt'],
  properties: {
    number: { type: 'integer', description: 'The entry\'s place in this listing (per admin when filtered by adminId), from 1' },
    adminId: { type: 'string', description: '`bootstrap` for the bootstrap token' },
    type: { type: 'string', description: 'The event type, e.g. ProviderSuspended' },
    streamName: { type: 'string', description: 'What it changed, e.g. provider-<providerId>' },
    eventId: { type: 'string' },
    correlationId: { type: 'string', description: 'The request id (x-request-id) of the admin call' },
    occurredAt: { type: 'string', format: 'date-time' },
  },
} as const;

/**
 * Admin API for the admins themselves: create (with public keys and roles), read, list, keys,
 * suspension; and what admins did. Every route needs the `admins` role. Outside the simulator the
 * bootstrap token may create admins, suspend them and revoke their keys, nothing else, so the first
 * named admins can be made and a lost or rogue one stopped.
 */
export const adminAdminRoutes = routeGroup(['config', 'admins', 'adminTokens', 'adminActivity', 'projections', 'eventStore', 'clock'], async (app, { services }) => {
  const security = [{ admin: [] }];
  const named = adminAccess(services, 'admins');
  const management = adminAccess(services, 'admins', { bootstrap: 'admin-management' });
  const context = (request: FastifyRequest) => ({ actor: adminActorOf(request), correlationId: request.id, now: services.clock().toISOString() });

  app.post(
    '/api/v1/admin/admins',
    {
      onRequest: management,
      preValidation: refusePrivateJwk(keysOfJwks, 'an admin'),
      schema: {
        tags: ['admin'],
        operationId: 'registerAdmin',
        summary: 'Create a named admin with its public keys and roles',
        description:
          'The admin proves itself at `POST /api/v1/token` with a client assertion signed by one of these keys (`iss` = `sub` = adminId) ' +
          'and gets a short-lived admin access token. The bootstrap token may call this in every environment.',
        security,
        body: {
          type: 'object',
          required: ['name', 'jwks', 'roles'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200, description: 'Who this admin is (a person\'s name or a function)' },
            jwks: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', minItems: 1, maxItems: 10, items: publicJwkSchema } } },
            roles: { type: 'array', minItems: 1, maxItems: ADMIN_ROLES.length, uniqueItems: true, items: stringEnum(ADMIN_ROLES) },
          },
          additionalProperties: false,
        },
        response: { 201: { type: 'object', required: ['adminId'], properties: { adminId: { type: 'string' } } }, ...adminRefusals('conflict', 'concurrency-conflict') },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const name = body.name.trim();
      if (!name) throw new HttpProblem('invalid-request', 'name must not be blank');
      const keys = await Promise.all(body.jwks.keys.map(toProviderKey));
      const state = await services.admins.register({ name, roles: body.roles, keys }, context(request));
      reply.code(201).header('location', `/api/v1/admin/admins/${state.adminId}`);
      return { adminId: state.adminId };
    },
  );

  app.get(
    '/api/v1/admin/admins',
    {
      onRequest: named,
      schema: { tags: ['admin'], operationId: 'listAdmins', summary: 'List named admins', security, response: { 200: { type: 'object', properties: { admins: { type: 'array', items: adminView } } }, ...adminRefusals() } },
    },
    async () => ({ admins: (await services.admins.list()).map(view) }),
  );

  app.get(
    '/api/v1/admin/admins/:adminId',
    { onRequest: named, schema: { tags: ['admin'], operationId: 'getAdmin', summary: 'Read one named admin', security, params: adminIdParams, response: { 200: adminView, ...adminRefusals('not-found') } } },
    async (request) => view(await existing(services.admins, request.params.adminId)),
  );

  app.post(
    '/api/v1/admin/admins/:adminId/keys',
    {
      onRequest: named,
      preValidation: refusePrivateJwk(keyOfJwk, 'an admin'),
      schema: {
        tags: ['admin'],
        operationId: 'addAdminKey',
        summary: 'Add a public key to an admin',
        security,
        params: adminIdParams,
        body: { type: 'object', required: ['jwk'], properties: { jwk: publicJwkSchema }, additionalProperties: false },
        response: { 201: { type: 'object', properties: { kid: { type: 'string' } } }, ...adminRefusals('not-found', 'conflict', 'concurrency-conflict') },
      },
    },
    async (request, reply) => {
      const key = await toProviderKey(request.body.jwk);
      await services.admins.execute(request.params.adminId, { type: 'AddAdminKey', key, now: services.clock().toISOString() }, context(request));
      reply.code(201);
      return { kid: key.kid };
    },
  );

  app.post(
    '/api/v1/admin/admins/:adminId/keys/:kid/revocation',
    {
      onRequest: management,
      schema: {
        tags: ['admin'],
        operationId: 'revokeAdminKey',
        summary: 'Revoke an admin key: assertions signed with it are refused from now on',
        description: 'The bootstrap token may call this in every environment.',
        security,
        params: { type: 'object', required: ['adminId', 'kid'], properties: { adminId: adminIdSchema, kid: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: { 200: adminView, ...adminRefusals('not-found', 'key-unknown', 'concurrency-conflict') },
      },
    },
    async (request) => {
      const { adminId, kid } = request.params;
      return view(await services.admins.execute(adminId, { type: 'RevokeAdminKey', kid, now: services.clock().toISOString() }, context(request)));
    },
  );

  app.put(
    '/api/v1/admin/admins/:adminId/suspension',
    {
      onRequest: management,
      schema: {
        tags: ['admin'],
        operationId: 'suspendAdmin',
        summary: 'Suspend an admin: no new tokens, and its live tokens stop working at once',
        description: 'The bootstrap token may call this in every environment.',
        security,
        params: adminIdParams,
        body: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } }, additionalProperties: false },
        response: { 200: adminView, ...adminRefusals('not-found', 'concurrency-conflict') },
      },
    },
    async (request) => {
      const reason = request.body?.reason ?? '';
      return view(await services.admins.execute(request.params.adminId, { type: 'SuspendAdmin', reason, now: services.clock().toISOString() }, context(request)));
    },
  );

  app.delete(
    '/api/v1/admin/admins/:adminId/suspension',
    { onRequest: named, schema: { tags: ['admin'], operationId: 'reinstateAdmin', summary: 'Reinstate a suspended admin', security, params: adminIdParams, response: { 200: adminView, ...adminRefusals('not-found', 'concurrency-conflict') } } },
    async (request) => view(await services.admins.execute(request.params.adminId, { type: 'ReinstateAdmin', now: services.clock().toISOString() }, context(request))),
  );

  app.get(
    '/api/v1/admin/activity',
    {
      onRequest: named,
      schema: {
        tags: ['admin'],
        operationId: 'listAdminActivity',
        summary: 'What admins did, from the log, newest first',
        description:
          'Every event whose actor is `admin:<adminId>` (`admin:bootstrap` for the bootstrap token). Needs the `admins` role: who did what is ' +
          'the admins\' own oversight. `after`: only actions after this instant. Pages: pass a page\'s `next` as `before`, with the same `adminId`.',
        security,
        querystring: {
          type: 'object',
          properties: {
            adminId: { type: 'string', minLength: 1, maxLength: 110 },
            after: { type: 'string', format: 'date-time' },
            before: { type: 'integer', minimum: 1 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', required: ['activity'], properties: { activity: { type: 'array', items: activityEntry }, next: { type: 'integer', description: 'The cursor of the next (older) page' } } },
          ...adminRefusals(),
        },
      },
    },
    async (request, reply) => {
      const { adminId, after, before, limit } = request.query;
      // The log as of this call: let the read model catch up with what was written a moment ago.
      await services.projections.waitFor(await services.eventStore.headPosition(), 2_000).catch(() => undefined);
      reply.header('cache-control', 'no-store');
      return services.adminActivity.list({ limit, ...(adminId ? { adminId } : {}), ...(after ? { after } : {}), ...(before ? { before } : {}) });
    },
  );
});

async function existing(admins: AdminDirectory, adminId: string): Promise<AdminState> {
  const state = await admins.get(adminId);
  if (!state.exists) throw new HttpProblem('not-found', 'admin not found');
  return state;
}

function view(state: AdminState) {
  return {
    adminId: state.adminId,
    name: state.name,
    roles: state.roles,
    suspended: state.suspended,
    registeredAt: state.registeredAt,
    keys: Object.values(state.keys).map((k) => ({ kid: k.kid, revoked: k.revoked, jwk: k.jwk })),
  };
}
