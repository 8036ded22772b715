import type { FastifyRequest } from 'fastify';
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import type { ProviderState } from '../../../../commands/provider.ts';
import type { ProviderKey } from '../../../../events/provider.ts';
import type { ProviderDirectory } from '../../../app/providers/provider-directory.ts';
import { routeGroup } from '../../route-group.ts';
import { adminAccess, adminActorOf, adminRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';
import { keyOfJwk, keysOfJwks, refusePrivateJwk } from '../../private-jwk.ts';

export const publicJwkSchema = {
  type: 'object',
  description: 'A public key: EC P-256 (ES256) or OKP Ed25519 (EdDSA). Private members are refused.',
  required: ['kty'],
  properties: {
    kty: { type: 'string', enum: ['EC', 'OKP'] },
    crv: { type: 'string', enum: ['P-256', 'Ed25519'] },
    x: { type: 'string', maxLength: 200 },
    y: { type: 'string', maxLength: 200 },
    kid: { type: 'string', minLength: 1, maxLength: 200 },
    alg: { type: 'string', enum: ['ES256', 'EdDSA'] },
    use: { type: 'string', enum: ['sig'] },
  },
  additionalProperties: false,
} as const;

const returnUrlsSchema = {
  type: 'array',
  description: 'Absolute URLs the citizen may be sent back to after authorization by authentication; compared exactly.',
  maxItems: 20,
  items: { type: 'string', minLength: 1, maxLength: 2000 },
} as const;

const providerView = {
  type: 'object',
  properties: {
    providerId: { type: 'string' },
    name: { type: 'string' },
    returnUrls: { type: 'array', items: { type: 'string' } },
    suspended: { type: 'boolean' },
    registeredAt: { type: 'string' },
    keys: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kid: { type: 'string' }, revoked: { type: 'boolean' }, jwk: { type: 'object', additionalProperties: true } },
      },
    },
  },
} as const;

const providerIdParams = {
  type: 'object',
  required: ['providerId'],
  properties: { providerId: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/** Admin API for providers: register, read, list, keys, return URLs, suspension. */
export const adminProviderRoutes = routeGroup(['config', 'providers', 'clock', 'admins', 'adminTokens'], async (app, { services }) => {
  app.addHook('onRequest', adminAccess(services, 'providers'));
  const context = (request: FastifyRequest) => ({ actor: adminActorOf(request), correlationId: request.id, now: services.clock().toISOString() });
  const security = [{ admin: [] }];

  app.post(
    '/api/v1/admin/providers',
    {
      config: { fieldProblems: { name: 'invalid-provider-name' } },
      preValidation: refusePrivateJwk(keysOfJwks, 'a provider'),
      schema: {
        tags: ['admin'],
        operationId: 'registerProvider',
        summary: 'Register a provider with its public keys and return URLs',
        description:
          'In the simulator a provider signs its client assertions with the plain public keys given here (`jwks`, required), and ' +
          'registering admits it for the simulator\'s support window (21 days). In integration and production there are no plain ' +
          'keys (`jwks` refused): the provider is admitted by an approved application and signs with registered signing certificates.',
        security,
        body: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            jwks: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', minItems: 1, maxItems: 10, items: publicJwkSchema } } },
            returnUrls: returnUrlsSchema,
            providerId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{2,62}$', description: 'Chosen id; a UUID is made when absent' },
          },
          additionalProperties: false,
        },
        response: {
          201: { type: 'object', required: ['providerId'], properties: { providerId: { type: 'string' } } },
          ...adminRefusals('conflict', 'concurrency-conflict'),
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const keys = await Promise.all((body.jwks?.keys ?? []).map(toProviderKey));
      const state = await services.providers.register(
        { name: body.name.trim(), keys, returnUrls: validReturnUrls(body.returnUrls ?? [], services.config.environment), ...(body.providerId ? { providerId: body.providerId } : {}) },
        context(request),
      );
      reply.code(201).header('location', `/api/v1/admin/providers/${state.providerId}`);
      return { providerId: state.providerId };
    },
  );

  app.get(
    '/api/v1/admin/providers',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listProviders',
        summary: 'List providers',
        security,
        response: { 200: { type: 'object', properties: { providers: { type: 'array', items: providerView } } }, ...adminRefusals() },
      },
    },
    async () => ({ providers: (await services.providers.list()).map(view) }),
  );

  app.get(
    '/api/v1/admin/providers/:providerId',
    { schema: { tags: ['admin'], operationId: 'getProvider', summary: 'Read one provider', security, params: providerIdParams, response: { 200: providerView, ...adminRefusals('not-found') } } },
    async (request) => view(await existing(services.providers, request.params.providerId)),
  );

  app.post(
    '/api/v1/admin/providers/:providerId/keys',
    {
      preValidation: refusePrivateJwk(keyOfJwk, 'a provider'),
      schema: {
        tags: ['admin'],
        operationId: 'addProviderKey',
        summary: 'Add a public key to a provider',
        security,
        params: providerIdParams,
        body: { type: 'object', required: ['jwk'], properties: { jwk: publicJwkSchema }, additionalProperties: false },
        response: { 201: { type: 'object', properties: { kid: { type: 'string' } } }, ...adminRefusals('not-found', 'conflict', 'concurrency-conflict') },
      },
    },
    async (request, reply) => {
      const { providerId } = request.params;
      const key = await toProviderKey(request.body.jwk);
      await services.providers.execute(providerId, { type: 'AddProviderKey', key, environment: services.providers.environment, now: services.clock().toISOString() }, context(request));
      reply.code(201);
      return { kid: key.kid };
    },
  );

  app.post(
    '/api/v1/admin/providers/:providerId/keys/:kid/revocation',
    {
      schema: {
        tags: ['admin'],
        operationId: 'revokeProviderKey',
        summary: 'Revoke a provider key: assertions signed with it are refused from now on',
        security,
        params: { type: 'object', required: ['providerId', 'kid'], properties: { providerId: { type: 'string' }, kid: { type: 'string' } } },
        response: { 200: providerView, ...adminRefusals('not-found', 'key-unknown', 'concurrency-conflict') },
      },
    },
    async (request) => {
      const { providerId, kid } = request.params;
      return view(await services.providers.execute(providerId, { type: 'RevokeProviderKey', kid, now: services.clock().toISOString() }, context(request)));
    },
  );

  app.put(
    '/api/v1/admin/providers/:providerId/return-urls',
    {
      schema: {
        tags: ['admin'],
        operationId: 'replaceProviderReturnUrls',
        summary: 'Replace a provider\'s return URLs',
        security,
        params: providerIdParams,
        body: { type: 'object', required: ['returnUrls'], properties: { returnUrls: returnUrlsSchema }, additionalProperties: false },
        response: { 200: providerView, ...adminRefusals('not-found', 'concurrency-conflict') },
      },
    },
    async (request) => {
      const { providerId } = request.params;
      const returnUrls = validReturnUrls(request.body.returnUrls, services.config.environment);
      return view(await services.providers.execute(providerId, { type: 'ChangeProviderReturnUrls', returnUrls, now: services.clock().toISOString() }, context(request)));
    },
  );

  app.put(
    '/api/v1/admin/providers/:providerId/suspension',
    {
      schema: {
        tags: ['admin'],
        operationId: 'suspendProvider',
        summary: 'Suspend a provider: its tokens and assertions are refused until reinstated',
        security,
        params: providerIdParams,
        body: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } }, additionalProperties: false },
        response: { 200: providerView, ...adminRefusals('not-found', 'concurrency-conflict') },
      },
    },
    async (request) => {
      const { providerId } = request.params;
      const reason = request.body.reason ?? '';
      return view(await services.providers.execute(providerId, { type: 'SuspendProvider', reason, now: services.clock().toISOString() }, context(request)));
    },
  );

  app.delete(
    '/api/v1/admin/providers/:providerId/suspension',
    { schema: { tags: ['admin'], operationId: 'reinstateProvider', summary: 'Reinstate a suspended provider', security, params: providerIdParams, response: { 200: providerView, ...adminRefusals('not-found', 'concurrency-conflict') } } },
    async (request) => {
      const { providerId } = request.params;
      return view(await services.providers.execute(providerId, { type: 'ReinstateProvider', now: services.clock().toISOString() }, context(request)));
    },
  );
});

async function existing(providers: ProviderDirectory, providerId: string): Promise<ProviderState> {
  const state = await providers.get(providerId, 0);
  if (!state.exists) throw new HttpProblem('not-found', 'provider not found');
  return state;
}

function view(state: ProviderState) {
  return {
    providerId: state.providerId,
    name: state.name,
    returnUrls: state.returnUrls,
    suspended: state.suspended,
    registeredAt: state.registeredAt,
    keys: Object.values(state.keys).map((k) => ({ kid: k.kid, revoked: k.revoked, jwk: k.jwk })),
  };
}

export async function toProviderKey(jwk: JWK): Promise<ProviderKey> {
  const okCurve = (jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.x && jwk.y) || (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x && !jwk.y);
  if (!okCurve) throw new HttpProblem('invalid-request', 'keys must be EC P-256 (with x and y) or OKP Ed25519 (with x)');
  const { kid: givenKid, ...members } = jwk;
  // Importing checks what the schema cannot: the point lies on the curve, the coordinates have their length.
  try {
    await importJWK(members, jwk.kty === 'EC' ? 'ES256' : 'EdDSA');
  } catch {
    throw new HttpProblem('invalid-request', 'the key is not a valid public key of its curve');
  }
  const kid = givenKid ?? (await calculateJwkThumbprint(members));
  return { kid, jwk: { ...members, kid } };
}

/** Return URLs are absolute, without fragment or credentials; plain http only for loopback outside production. */
function validReturnUrls(urls: string[], environment: string): string[] {
  return urls.map((raw) => {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new HttpProblem('invalid-request', `return URL is not absolute: ${raw}`);
    }
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
    const schemeOk = u.protocol === 'https:' || (u.protocol === 'http:' && (loopback || environment === 'simulator'));
    if (!schemeOk || u.hash || u.username || u.password) {
      throw new HttpProblem('invalid-request', `return URL must be https (http only on loopback or in the simulator), without fragment or credentials: ${raw}`);
    }
    return u.href;
  });
}
