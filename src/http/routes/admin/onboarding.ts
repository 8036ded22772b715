import type { FastifyRequest } from 'fastify';
import type { ProviderState } from '../../../../commands/provider.ts';
import { CERTIFICATE_PURPOSES, CONNECTION_DECISIONS } from '../../../../events/provider.ts';
import { routeGroup } from '../../route-group.ts';
import { awaitingConfirmationSchema } from './changes.ts';
import { adminAccess, adminActorOf, adminRefusals } from '../../auth.ts';
import { stringEnum } from '../../schema.ts';

const providerIdParams = {
  type: 'object',
  required: ['providerId'],
  properties: { providerId: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

const applicationIdParams = {
  type: 'object',
  required: ['applicationId'],
  properties: { applicationId: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

const line = (max: number) => ({ type: 'string', minLength: 1, maxLength: max, pattern: '\\S' }) as const;

const decisionBody = {
  type: 'object',
  required: ['reason'],
  properties: {
    reason: line(1000),
    outOfOrderReason: { ...line(1000), description: 'Why this application is decided before an earlier-filed one; required exactly then' },
  },
  additionalProperties: false,
} as const;


const applicationView = {
  type: 'object',
  properties: {
    applicationId: { type: 'string' },
    providerId: { type: 'string' },
    environment: { type: 'string' },
    filingSequence: { type: 'integer' },
    skipSimulator: { type: 'boolean' },
    filedAt: { type: 'string' },
    status: { type: 'string', enum: ['undecided', 'approved', 'rejected'] },
    decidedBy: { type: 'string' },
    decidedAt: { type: 'string' },
    outOfOrderReason: { type: 'string' },
  },
} as const;

const onboardingView = {
  type: 'object',
  description: "The provider's way to production as this ledger knows it",
  properties: {
    providerId: { type: 'string' },
    environment: { type: 'string', description: "This ledger's environment" },
    applications: { type: 'object', additionalProperties: true },
    access: { type: 'object', additionalProperties: true },
    certificates: { type: 'array', items: { type: 'object', additionalProperties: true } },
    conformance: { type: 'object', additionalProperties: true },
    connection: { type: 'object', additionalProperties: true },
    activatedAt: { type: 'string' },
    previous: {
      type: 'object',
      additionalProperties: true,
      description:
        "The record imported from the previous environment's ledger: where it came from (environment, issuer, keyId, exportId, exportedAt, importedAt) and what it vouches for (conformance, applications, certificates)",
    },
  },
} as const;

/** Admin API for onboarding (role `onboarding`): applications in filing order, support, certificates, production. */
export const adminOnboardingRoutes = routeGroup(['config', 'onboarding', 'clock', 'admins', 'adminTokens'], async (app, { services }) => {
  app.addHook('onRequest', adminAccess(services, 'onboarding'));
  const context = (request: FastifyRequest) => ({ actor: adminActorOf(request), correlationId: request.id, now: services.clock().toISOString() });
  const security = [{ admin: [] }];
  const view = (state: ProviderState) => ({
    providerId: state.providerId,
    environment: services.config.environment,
    ...state.onboarding,
    certificates: Object.values(state.onboarding.certificates),
  });

  app.post(
    '/api/v1/admin/providers/:providerId/applications',
    {
      schema: {
        tags: ['admin'],
        operationId: 'fileApplication',
        summary: "File a provider's application for this ledger's environment",
        description: 'Numbered in the order filed, across every provider; applications are decided in that order.',
        security,
        params: providerIdParams,
        body: {
          type: 'object',
          required: ['owner', 'technicalContact'],
          properties: {
            owner: { type: 'object', required: ['name', 'registrationNumber'], properties: { name: line(200), registrationNumber: line(50) }, additionalProperties: false },
            technicalContact: {
              type: 'object',
              required: ['name', 'email'],
              properties: { name: line(200), email: { type: 'string', maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' } },
              additionalProperties: false,
            },
            skipSimulator: { type: 'boolean', default: false, description: 'An integrator experienced with the simulator applies for integration directly' },
          },
          additionalProperties: false,
        },
        response: {
          201: { type: 'object', required: ['applicationId', 'filingSequence'], properties: { applicationId: { type: 'string' }, filingSequence: { type: 'integer' } } },
          ...adminRefusals('not-found', 'conflict', 'concurrency-conflict'),
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const filed = await services.onboarding.file(
        request.params.providerId,
        { owner: body.owner, technicalContact: body.technicalContact, skipSimulator: body.skipSimulator ?? false },
        context(request),
      );
      reply.code(201);
      return { applicationId: filed.applicationId, filingSequence: filed.filingSequence };
    },
  );

  app.get(
    '/api/v1/admin/applications',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listApplications',
        summary: "Applications for this ledger's environment, in filing order (`status=undecided`: the queue)",
        security,
        querystring: { type: 'object', properties: { status: stringEnum(['undecided', 'approved', 'rejected']) }, additionalProperties: false },
        response: { 200: { type: 'object', required: ['applications'], properties: { applications: { type: 'array', items: applicationView } } }, ...adminRefusals() },
      },
    },
    async (request) => ({ applications: await services.onboarding.applications(request.query.status) }),
  );

  for (const [path, summary, decide, operationId] of [
    ['approval', 'Approve an application: access to the environment with its support window', 'approve', 'approveApplication'],
    ['rejection', 'Reject an application', 'reject', 'rejectApplication'],
  ] as const) {
    app.post(
      `/api/v1/admin/applications/:applicationId/${path}`,
      {
        schema: {
          tags: ['admin'],
          operationId,
          summary,
          description: 'Refused (`application-out-of-order`) while an earlier-filed application for the environment is undecided, unless `outOfOrderReason` says why.',
          security,
          params: applicationIdParams,
          body: decisionBody,
          response: { 200: onboardingView, ...adminRefusals('application-not-filed', 'application-already-decided', 'application-out-of-order', 'simulator-not-passed', 'concurrency-conflict') },
        },
      },
      async (request) => {
        const { reason, outOfOrderReason } = request.body;
        const input = { reason, ...(outOfOrderReason !== undefined ? { outOfOrderReason } : {}) };
        return view(await services.onboarding[decide](request.params.applicationId, input, context(request)));
      },
    );
  }

  app.post(
    '/api/v1/admin/providers/:providerId/support-extension',
    {
      schema: {
        tags: ['admin'],
        operationId: 'extendSupport',
        summary: 'Extend integration support, to at most 90 days from the grant',
        security,
        params: providerIdParams,
        body: { type: 'object', required: ['supportUntil'], properties: { supportUntil: { type: 'string', format: 'date-time' } }, additionalProperties: false },
        response: { 200: onboardingView, ...adminRefusals('not-found', 'support-extension-not-allowed', 'environment-access-missing', 'concurrency-conflict') },
      },
    },
    async (request) => view(await services.onboarding.extendSupport(request.params.providerId, request.body.supportUntil, context(request))),
  );

  app.post(
    '/api/v1/admin/providers/:providerId/certificates',
    {
      schema: {
        tags: ['admin'],
        operationId: 'registerCertificate',
        summary: 'Register an X.509 certificate (PEM) for signing or transport',
        description: 'Refused when expired, not yet valid, weak, malformed, or in production with another profile than in integration.',
        security,
        params: providerIdParams,
        body: {
          type: 'object',
          required: ['purpose', 'pem'],
          properties: { purpose: stringEnum(CERTIFICATE_PURPOSES), pem: { type: 'string', minLength: 1, maxLength: 16_384 } },
          additionalProperties: false,
        },
        response: {
          201: { type: 'object', required: ['certificateId', 'thumbprintSha256'], properties: { certificateId: { type: 'string' }, thumbprintSha256: { type: 'string' } } },
          ...adminRefusals('not-found', 'environment-access-missing', 'conflict', 'certificate-malformed', 'certificate-weak', 'certificate-purpose-mismatch', 'certificate-profile-mismatch', 'certificate-expired', 'certificate-not-yet-valid', 'concurrency-conflict'),
        },
      },
    },
    async (request, reply) => {
      const { providerId } = request.params;
      const registered = await services.onboarding.registerCertificate(providerId, request.body.purpose, request.body.pem, context(request));
      reply.code(201);
      return { certificateId: registered.certificateId, thumbprintSha256: registered.state.onboarding.certificates[registered.certificateId]!.thumbprintSha256 };
    },
  );

  app.post(
    '/api/v1/admin/providers/:providerId/certificates/:certificateId/revocation',
    {
      schema: {
        tags: ['admin'],
        operationId: 'revokeCertificate',
        summary: 'Revoke a registered certificate',
        security,
        params: { type: 'object', required: ['providerId', 'certificateId'], properties: { providerId: { type: 'string', maxLength: 100 }, certificateId: { type: 'string', maxLength: 100 } } },
        body: { type: 'object', required: ['reason'], properties: { reason: line(1000) }, additionalProperties: false },
        response: { 200: onboardingView, ...adminRefusals('not-found', 'certificate-unknown', 'concurrency-conflict') },
      },
    },
    async (request) => {
      const { providerId, certificateId } = request.params;
      return view(await services.onboarding.revokeCertificate(providerId, certificateId, request.body.reason, context(request)));
    },
  );

  app.post(
    '/api/v1/admin/providers/:providerId/connection-decision',
    {
      schema: {
        tags: ['admin'],
        operationId: 'proposeConnectionDecision',
        summary: 'Propose the formal connection decision (four eyes)',
        description: 'Answers 202; a second admin with the onboarding role confirms at `POST /api/v1/admin/changes/{changeId}/confirmation`, which records it.',
        security,
        params: providerIdParams,
        body: { type: 'object', required: ['decision', 'reason'], properties: { decision: stringEnum(CONNECTION_DECISIONS), reason: line(1000) }, additionalProperties: false },
        response: { 202: awaitingConfirmationSchema('onboarding'), ...adminRefusals('not-found', 'environment-access-missing', 'connection-already-decided', 'conformance-missing', 'concurrency-conflict') },
      },
    },
    async (request, reply) => {
      const proposed = await services.onboarding.proposeConnectionDecision(request.admin!, request.params.providerId, request.body.decision, request.body.reason);
      reply.code(202);
      return proposed;
    },
  );

  app.post(
    '/api/v1/admin/providers/:providerId/production-activation',
    {
      schema: {
        tags: ['admin'],
        operationId: 'proposeProductionActivation',
        summary: 'Propose activating the provider in production (four eyes)',
        description: 'Needs an approving connection decision. Answers 202; a second admin with the onboarding role confirms at `POST /api/v1/admin/changes/{changeId}/confirmation`.',
        security,
        params: providerIdParams,
        response: { 202: awaitingConfirmationSchema('onboarding'), ...adminRefusals('not-found', 'connection-not-decided', 'concurrency-conflict') },
      },
    },
    async (request, reply) => {
      const proposed = await services.onboarding.proposeProductionActivation(request.admin!, request.params.providerId);
      reply.code(202);
      return proposed;
    },
  );

  app.get(
    '/api/v1/admin/providers/:providerId/onboarding',
    { schema: { tags: ['admin'], operationId: 'getProviderOnboarding', summary: "A provider's applications, access, certificates and decisions", security, params: providerIdParams, response: { 200: onboardingView, ...adminRefusals('not-found') } } },
    async (request) => view(await services.onboarding.state(request.params.providerId)),
  );
});
