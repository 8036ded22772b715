import { PreviousKeysUnavailableError } from '../../../app/providers/record-transfer.ts';
import { routeGroup } from '../../route-group.ts';
import { adminAccess, adminActorOf, adminRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';

const providerIdParams = {
  type: 'object',
  required: ['providerId'],
  properties: { providerId: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/** Where an imported record came from, as the onboarding view shows it under `previous`. */
const origin = {
  type: 'object',
  required: ['environment', 'issuer', 'keyId', 'exportId', 'exportedAt'],
  properties: {
    environment: { type: 'string', description: "The exporting ledger's environment" },
    issuer: { type: 'string', description: "The exporting ledger's public URL" },
    keyId: { type: 'string', description: 'The key it signed with (kid)' },
    exportId: { type: 'string', description: "The export's id (jti)" },
    exportedAt: { type: 'string' },
  },
} as const;

const importAnswer = {
  type: 'object',
  required: ['providerId', 'imported', 'from'],
  properties: {
    providerId: { type: 'string' },
    imported: { type: 'boolean', description: 'False when this export had been imported before' },
    from: origin,
  },
} as const;

/**
 * Passing a provider on (role `onboarding`): the simulator and integration ledgers export a
 * provider's record, signed; the integration and production ledgers import one from the
 * environment before theirs.
 */
export const adminRecordTransferRoutes = routeGroup(['config', 'recordTransfer', 'clock', 'admins', 'adminTokens'], async (app, { services }) => {
  app.addHook('onRequest', adminAccess(services, 'onboarding'));
  const security = [{ admin: [] }];

  app.get(
    '/api/v1/admin/providers/:providerId/record-export',
    {
      schema: {
        tags: ['admin'],
        operationId: 'exportProviderRecord',
        summary: "Export the provider's record for the next environment's ledger (simulator and integration)",
        description:
          'A JWT (typ `provider-record+jwt`, EdDSA) signed with the key published at /.well-known/jwks.json, for the next environment as its audience, valid 14 days: ' +
          'the conformance passed, applications and decisions, and certificate profiles. Only once the provider passed conformance here (`conformance-missing`); ' +
          'production exports nothing (`record-transfer-not-allowed`).',
        security,
        params: providerIdParams,
        response: {
          200: {
            type: 'object',
            required: ['record', 'exportId', 'audience', 'expiresAt'],
            properties: {
              record: { type: 'string', description: 'The signed record (compact JWS), for POST /api/v1/admin/provider-imports of the next ledger' },
              exportId: { type: 'string' },
              audience: { type: 'string', description: 'The environment whose ledger may import it' },
              expiresAt: { type: 'string' },
            },
          },
          ...adminRefusals('not-found', 'conformance-missing', 'record-transfer-not-allowed'),
        },
      },
    },
    async (request, reply) => {
      const exported = await services.recordTransfer.export(request.params.providerId);
      reply.header('cache-control', 'no-store');
      return exported;
    },
  );

  app.post(
    '/api/v1/admin/provider-imports',
    {
      schema: {
        tags: ['admin'],
        operationId: 'importProviderRecord',
        summary: "Import a provider's record exported by the previous environment's ledger (integration and production)",
        description:
          "Verified against the previous environment's keys (LEDGER_PREVIOUS_ENVIRONMENT_JWKS; unset: `previous-environment-unknown`): " +
          'a signature no published key verifies is `import-signature-invalid`; a record for another audience or from another environment, expired, or not a provider record is `import-record-invalid`. ' +
          'A provider this ledger does not know is registered by it (without keys: outside the simulator providers sign with certificates). ' +
          'Answers 201 when recorded, 200 when this export was imported already (nothing is recorded twice).',
        security,
        body: {
          type: 'object',
          required: ['record'],
          properties: { record: { type: 'string', minLength: 1, maxLength: 60_000, description: 'The compact JWS the previous ledger exported' } },
          additionalProperties: false,
        },
        response: {
          201: importAnswer,
          200: importAnswer,
          ...adminRefusals('previous-environment-unknown', 'record-transfer-not-allowed', 'import-record-invalid', 'import-signature-invalid', 'conformance-missing', 'conflict', 'service-unavailable', 'concurrency-conflict'),
        },
      },
    },
    async (request, reply) => {
      const context = { actor: adminActorOf(request), correlationId: request.id, now: services.clock().toISOString() };
      let outcome;
      try {
        outcome = await services.recordTransfer.import(request.body.record, context);
      } catch (error) {
        if (error instanceof PreviousKeysUnavailableError) throw new HttpProblem('service-unavailable', error.message, {}, { 'retry-after': '30' });
        throw error;
      }
      reply.code(outcome.imported ? 201 : 200);
      return { providerId: outcome.providerId, imported: outcome.imported, from: outcome.from };
    },
  );
});
