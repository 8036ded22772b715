import type { FastifyRequest } from 'fastify';
import { ACT_STATUSES, AUTHORIZATION_METHODS, CODE_CHANNELS, CODE_DELIVERY_STATES, FAILURE_REASONS, LOAS, VERIFICATION_RESULTS } from '../../../../events/act.ts';
import { TaskQueueUnavailableError } from '../../../ports/task-queue.ts';
import { ReceiptIntegrityError } from '../../../app/acts/receipts.ts';
import { providerGuard, providerRefusals } from '../../auth.ts';
import { ACT_DESCRIPTION_MAX, ACT_NAME_MAX } from '../../../../commands/act-text.ts';
import { HttpProblem } from '../../problems.ts';
import { DomainError } from '../../../../commands/errors.ts';
import { routeGroup } from '../../route-group.ts';
import { stringEnum } from '../../schema.ts';
import { OPENAPI_EXAMPLES } from '../../openapi-examples.ts';

const codeDelivery = stringEnum(CODE_DELIVERY_STATES, {
  description: '`pending` while the ledger is delivering the code (retries included), then `sent` (the gateway accepted it) or `failed` (final; ask for a new code or use another method)',
});

const codeView = {
  type: 'object',
  required: ['codeId', 'channel', 'delivery', 'issuedAt', 'expiresAt'],
  properties: {
    codeId: { type: 'string', format: 'uuid' },
    channel: stringEnum(CODE_CHANNELS),
    delivery: codeDelivery,
    issuedAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    deliveredAt: { type: 'string', format: 'date-time' },
    failure: {
      type: 'object',
      required: ['reason', 'failedAt'],
      properties: {
        reason: { type: 'string', description: 'Why the delivery failed, in words (e.g. `unregistered`, or what the gateway answered)' },
        failedAt: { type: 'string', format: 'date-time' },
      },
    },
  },
} as const;

const actView = {
  type: 'object',
  required: ['actId', 'status', 'codes'],
  properties: {
    actId: { type: 'string', format: 'uuid' },
    status: stringEnum(ACT_STATUSES),
    method: stringEnum(AUTHORIZATION_METHODS),
    authorizedAt: { type: 'string', format: 'date-time' },
    failure: {
      type: 'object',
      properties: {
        reason: stringEnum(FAILURE_REASONS),
        failedAt: { type: 'string', format: 'date-time' },
      },
    },
    methods: { type: 'array', items: stringEnum(AUTHORIZATION_METHODS) },
    registeredAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    codes: { type: 'array', items: codeView, description: 'Every code issued for the act, oldest first, with where its delivery stands' },
    receipt: {
      type: 'object',
      description:
        'For an authorized act: `pending` until a signed checkpoint of the log covers its ActAuthorized (seconds), then `issued` with ' +
        'what anyone can check offline (POST /api/v1/public/receipts/verifications, the /verify page, `ledger audit receipt`): `jws`, ' +
        'the ledger\'s JWS (typ `act-receipt+jwt`, keys at /.well-known/jwks.json) over { actId, documentHash, nameSha256, ' +
        'descriptionSha256, providerId, providerName, method, loa, authorizedAt, sequence, position, salt }; `event`, base64 of the ' +
        'ActAuthorized\'s canonical bytes, whose `receiptCommitment` = hex SHA-256(salt bytes ‖ UTF-8 canonical JSON (RFC 8785) of the ' +
        'claims but sequence, position and salt); `proof`, a c2sp.org/tlog-proof@v1 of that event (index = sequence - 1) under a ' +
        'checkpoint signed with the key of GET /api/v1/audit/log-key. Acts authorized before receipts existed have none.',
      required: ['status'],
      properties: {
        status: { type: 'string', enum: ['issued', 'pending'] },
        jws: { type: 'string' },
        event: { type: 'string' },
        proof: { type: 'string' },
      },
    },
  },
} as const;

const actParams = {
  type: 'object',
  required: ['actId'],
  properties: { actId: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } },
} as const;

/** Provider API for acts: register, read the result, request a code, confirm it. */
export const actRoutes = routeGroup(['acts', 'actReceipts', 'accessTokens', 'providers', 'actAsGrants', 'config', 'conformance'], async (app, { services }) => {
  app.addHook('onRequest', providerGuard(services));
  const security = [{ actAs: [] }];
  const providerOf = (request: FastifyRequest) => request.providerId!;

  app.post(
    '/api/v1/acts',
    {
      config: {
        fieldProblems: { documentHash: 'invalid-document-hash', name: 'invalid-act-name', description: 'invalid-act-description', sepp: 'invalid-sepp', loa: 'invalid-loa' },
      },
      schema: {
        tags: ['provider'],
        operationId: 'registerAct',
        summary: 'Register a digital act for a citizen',
        description:
          'Stores the act and answers the authorization methods available to that citizen. With an `Idempotency-Key` header, ' +
          'the same body answers the same act again (header `Idempotent-Replayed: true`); a different body is refused with 409.',
        security,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', description: '1-200 visible ASCII characters' } } },
        body: {
          type: 'object',
          required: ['sepp', 'documentHash', 'name'],
          properties: {
            sepp: { type: 'string', minLength: 1, maxLength: 200, description: 'The SePP (BSI) this provider knows the citizen by; foreign persons carry an eIDAS prefix XX/CZ/' },
            documentHash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the document, lowercase hex' },
            name: {
              type: 'string',
              minLength: 1,
              maxLength: ACT_NAME_MAX,
              description: `Name of the act, 1-${ACT_NAME_MAX} characters (trimmed), with a visible character; no control characters, no bidi overrides or isolates (U+202A-U+202E, U+2066-U+2069)`,
            },
            description: {
              type: 'string',
              maxLength: ACT_DESCRIPTION_MAX,
              default: '',
              description: `Description, at most ${ACT_DESCRIPTION_MAX} characters (trimmed); no control characters, no bidi overrides or isolates`,
            },
            loa: stringEnum(LOAS, { description: 'LoA required for authorization by authentication; ignored for foreign persons' }),
          },
          additionalProperties: false,
          examples: [OPENAPI_EXAMPLES.actRequest],
        },
        response: {
          201: {
            type: 'object',
            examples: [OPENAPI_EXAMPLES.actRegistered],
            required: ['actId', 'status', 'methods', 'expiresAt', 'authorizationUrl'],
            properties: {
              actId: { type: 'string', format: 'uuid' },
              status: actView.properties.status,
              methods: actView.properties.methods,
              expiresAt: { type: 'string', format: 'date-time' },
              authorizationUrl: { type: 'string', description: 'Send the citizen here (add redirect_uri and state) to authorize by authentication' },
            },
          },
          ...providerRefusals('idempotency-key-reused', 'invalid-idempotency-key', 'sepp-unknown', 'conflict', 'concurrency-conflict'),
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const key = request.headers['idempotency-key'];
      if (key !== undefined && (typeof key !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(key))) {
        throw new HttpProblem('invalid-idempotency-key', 'Idempotency-Key must be 1 to 200 visible ASCII characters');
      }
      const { act, replayed } = await services.acts
        .register(
          providerOf(request),
          { sepp: body.sepp, documentHash: body.documentHash, name: body.name, description: body.description ?? '', ...(body.loa ? { loa: body.loa } : {}) },
          { ...(key ? { idempotencyKey: key } : {}), correlationId: request.id },
        )
        .catch((error: unknown) => {
          throw services.config.environment === 'simulator' ? withSeppLookup(error, providerOf(request)) : error;
        });
      reply.code(201).header('location', `/api/v1/acts/${act.actId}`);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return { actId: act.actId, status: act.status, methods: act.methods, expiresAt: act.expiresAt, authorizationUrl: `${services.config.publicUrl}/authorize/${act.actId}` };
    },
  );

  app.get(
    '/api/v1/acts/:actId',
    {
      schema: {
        tags: ['provider'],
        operationId: 'getAct',
        summary: 'The act\'s status and result',
        description:
          'Computed from the act\'s own events: a write answered a moment ago is always visible. Another provider\'s act answers 404. ' +
          'An authorized act carries its `receipt` (pending until the log\'s next signed checkpoint).',
        security,
        params: actParams,
        response: { 200: { ...actView, examples: [OPENAPI_EXAMPLES.act] }, ...providerRefusals('not-found') },
      },
    },
    async (request) => {
      const act = await services.acts.get(providerOf(request), request.params.actId);
      // A provider reading its results is part of conformance; the read answers even when noting it fails.
      await services.conformance.actRead(providerOf(request), act).catch((error: unknown) => request.log.warn({ err: error }, 'conformance could not note a read'));
      if (act.status !== 'authorized') return act;
      let receipt;
      try {
        receipt = await services.actReceipts.of(act.actId);
      } catch (error) {
        // A proof that would not verify is the log's damage, for operators to see; the provider still reads its result.
        if (!(error instanceof ReceiptIntegrityError)) throw error;
        request.log.error({ err: error, actId: act.actId }, 'no receipt: the log does not prove this authorization');
      }
      return receipt ? { ...act, receipt } : act;
    },
  );

  app.post(
    '/api/v1/acts/:actId/codes',
    {
      config: { fieldProblems: { channel: 'invalid-channel' } },
      schema: {
        tags: ['provider'],
        operationId: 'sendCode',
        summary: 'Send the citizen an authorization code by SMS or to the Mobile Key',
        description:
          'Answers `codeSha256` = hex(SHA-256(UTF-8("<actId>:<code>"))) at once, with `delivery: "pending"`: the ledger delivers ' +
          'the code in the background, retrying while the code is valid, and `GET /api/v1/acts/{actId}` shows each code\'s delivery ' +
          '(`sent` or `failed`). A newer code supersedes the older one; a code whose delivery failed cannot be confirmed. ' +
          'Codes per citizen are rate limited. 503 when the delivery could not be queued (the code is then recorded as failed).',
        security,
        params: actParams,
        body: {
          type: 'object',
          required: ['channel'],
          properties: { channel: stringEnum(CODE_CHANNELS) },
          additionalProperties: false,
          examples: [OPENAPI_EXAMPLES.codeRequest],
        },
        response: {
          201: {
            type: 'object',
            required: ['codeId', 'codeSha256', 'expiresAt', 'attemptsLeft', 'delivery'],
            examples: [OPENAPI_EXAMPLES.codeIssued],
            properties: {
              codeId: { type: 'string', format: 'uuid' },
              codeSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
              expiresAt: { type: 'string', format: 'date-time' },
              attemptsLeft: { type: 'integer' },
              delivery: codeDelivery,
            },
          },
          ...providerRefusals('not-found', 'act-not-pending', 'channel-unavailable', 'code-rate-limited', 'service-unavailable', 'concurrency-conflict'),
        },
      },
    },
    async (request, reply) => {
      const { actId } = request.params;
      const { channel } = request.body;
      let issued;
      try {
        issued = await services.acts.issueCode(providerOf(request), actId, channel, request.id);
      } catch (error) {
        if (error instanceof TaskQueueUnavailableError) {
          throw new HttpProblem('service-unavailable', 'the code could not be queued for delivery; try again shortly', {}, { 'retry-after': '5' });
        }
        throw error;
      }
      reply.code(201).header('cache-control', 'no-store');
      return issued;
    },
  );

  app.post(
    '/api/v1/acts/:actId/codes/:codeId/verifications',
    {
      config: { fieldProblems: { codeSha512: 'invalid-code-hash' } },
      schema: {
        tags: ['provider'],
        operationId: 'verifyCode',
        summary: 'Confirm a code with its SHA-512 of the defined way',
        description:
          'Send `codeSha512` = hex(SHA-512(UTF-8("<actId>:<code>"))). Results: `authorized`; `mismatch` (an attempt is used; ' +
          'the last one fails the act with attempts-exhausted); `expired` and `superseded` (ask for a new code); `locked` (attempts exhausted).',
        security,
        params: {
          type: 'object',
          required: ['actId', 'codeId'],
          properties: { actId: actParams.properties.actId, codeId: { type: 'string', format: 'uuid' } },
        },
        body: {
          type: 'object',
          required: ['codeSha512'],
          properties: { codeSha512: { type: 'string', pattern: '^[0-9a-f]{128}$', description: 'hex(SHA-512(UTF-8("<actId>:<code>"))), lowercase' } },
          additionalProperties: false,
          examples: [OPENAPI_EXAMPLES.codeVerification],
        },
        response: {
          200: {
            type: 'object',
            required: ['result', 'attemptsLeft', 'status'],
            examples: [OPENAPI_EXAMPLES.codeVerified],
            properties: {
              result: stringEnum(VERIFICATION_RESULTS),
              attemptsLeft: { type: 'integer' },
              status: actView.properties.status,
            },
          },
          ...providerRefusals('not-found', 'code-unknown', 'act-not-pending', 'concurrency-conflict'),
        },
      },
    },
    async (request) => {
      const { actId, codeId } = request.params;
      const { codeSha512 } = request.body;
      return services.acts.verifyCode(providerOf(request), actId, codeId, codeSha512, request.id);
    },
  );
});

/**
 * In the simulator, `sepp-unknown` says where a test person's SePP comes from: a newcomer's first
 * guess is the AIFO the simulator lists, which is not a SePP (each provider knows a person by its own).
 */
function withSeppLookup(error: unknown, providerId: string): unknown {
  if (!(error instanceof DomainError) || error.code !== 'sepp-unknown') return error;
  const seppLookup = `/api/v1/admin/citizens/{aifo}/sepp?providerId=${encodeURIComponent(providerId)}`;
  return new DomainError(
    'sepp-unknown',
    `${error.message}. In the simulator, GET ${seppLookup} (admin token) answers the SePP this provider knows a test person by; ` +
      'the AIFOs on /simulator (e.g. test-person-jana) are not SePPs',
    { ...error.details, seppLookup },
  );
}
