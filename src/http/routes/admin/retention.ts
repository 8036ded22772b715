import { randomUUID } from 'node:crypto';
import { FAILURE_REASONS } from '../../../../events/act.ts';
import type { RetentionPolicy } from '../../../../events/retention.ts';
import { retentionBounds } from '../../../../commands/retention.ts';
import type { RetentionView } from '../../../app/retention/retention-stream.ts';
import { retentionResult } from '../../../app/retention/retention-policy-change.ts';
import { parseDuration } from '../../../duration.ts';
import { routeGroup } from '../../route-group.ts';
import { awaitingConfirmationSchema, type AdminAccessFor } from './changes.ts';
import { adminAccess, adminActorOf, adminRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';
import { stringEnum } from '../../schema.ts';

const durationField = (what: string, bound: { min: string; max: string }) =>
  ({ type: 'string', minLength: 2, maxLength: 40, description: `${what}, an ISO 8601 duration from ${bound.min} to ${bound.max}`, examples: [bound.min] }) as const;

const policyProperties = {
  failedAuthorizationRetention: durationField('How long a failed authorization is kept before it is erased', retentionBounds.failedAuthorizationRetention),
  purgeEvery: durationField('How often the purge looks for failed authorizations past the retention', retentionBounds.purgeEvery),
} as const;

const retentionViewSchema = {
  type: 'object',
  required: ['failedAuthorizationRetention', 'purgeEvery', 'purgedActs'],
  properties: {
    ...policyProperties,
    changedAt: { type: 'string', format: 'date-time', description: 'Absent while the configured defaults hold' },
    changedBy: { type: 'string' },
    purgedActs: { type: 'integer', description: 'Failed acts erased so far' },
    lastPurgeAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const failedAuthorizationListSchema = {
  type: 'object',
  required: ['retention', 'failedAuthorizations'],
  properties: {
    retention: { type: 'string', description: 'The retention in force (ISO 8601 duration)' },
    failedAuthorizations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['actId', 'providerId', 'reason', 'failedAt', 'retainedUntil'],
        properties: {
          actId: { type: 'string' },
          providerId: { type: 'string' },
          reason: stringEnum(FAILURE_REASONS),
          failedAt: { type: 'string', format: 'date-time' },
          retainedUntil: { type: 'string', format: 'date-time', description: 'After this the purge erases it (at its next run)' },
        },
      },
    },
  },
} as const;

/** The admins' list: each failed authorization also says whether its person reported it as not theirs. */
const adminFailedAuthorizationListSchema = {
  ...failedAuthorizationListSchema,
  properties: {
    ...failedAuthorizationListSchema.properties,
    failedAuthorizations: {
      type: 'array',
      items: {
        ...failedAuthorizationListSchema.properties.failedAuthorizations.items,
        required: [...failedAuthorizationListSchema.properties.failedAuthorizations.items.required, 'reportedAt'],
        properties: {
          ...failedAuthorizationListSchema.properties.failedAuthorizations.items.properties,
          reportedAt: {
            type: ['string', 'null'],
            format: 'date-time',
            description: 'When the person reported in the portal that this attempt was not them ("this was not me"); null: not reported',
          },
        },
      },
    },
  },
} as const;

export const failedAuthorizationQuery = {
  reason: stringEnum(FAILURE_REASONS),
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
} as const;

const asBody = (view: RetentionView) => retentionResult(view);

function durationOf(field: string, text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new HttpProblem('invalid-retention-policy', `${field} is not an ISO 8601 duration such as PT24H`, { field });
  }
}


/**
 * Admin API for retention: the policy in force, changing it, and the failed authorizations kept until
 * then. `access` is the admin guard (tests mount the same routes behind another).
 */
export const adminRetentionRoutesWith = (access?: AdminAccessFor) =>
  routeGroup(['config', 'retention', 'retentionPolicy', 'retentionPurge', 'projections', 'eventStore', 'failedAuthorizations', 'admins', 'adminTokens'], async (app, { services }) => {
    app.addHook('onRequest', (access ?? ((role) => adminAccess(services, role)))('retention'));
    const security = [{ admin: [] }];

    app.get(
      '/api/v1/admin/retention',
      { schema: { tags: ['admin'], operationId: 'getRetentionPolicy', summary: 'The retention policy in force', security, response: { 200: retentionViewSchema, ...adminRefusals() } } },
      async () => asBody(services.retention.view((await services.retention.current()).state)),
    );

    app.put(
      '/api/v1/admin/retention',
      {
        config: { fieldProblems: { failedAuthorizationRetention: 'invalid-retention-policy', purgeEvery: 'invalid-retention-policy' } },
        schema: {
          tags: ['admin'],
          operationId: 'changeRetentionPolicy',
          summary: 'Change the retention policy',
          description:
            'A longer or equal failed-authorization retention (or a new purge interval alone) takes effect at once: a RetentionPolicyChanged ' +
            'event (who, when, old, new) in the `retention` stream, and the purge rescheduled in every ledger process. 200: the purge follows ' +
            'the new policy; 202 with `reschedule: "pending"`: recorded, but the job backend (Redis) does not answer, and the new interval is ' +
            'applied as soon as it does. A SHORTER retention erases sooner and cannot be undone: it needs four eyes. The call answers ' +
            '202 `{ changeId, status: "awaiting-confirmation", expiresAt }` and changes nothing yet; a second admin with the retention role ' +
            'confirms it at `POST /api/v1/admin/changes/{changeId}/confirmation`. In the simulator environment the bootstrap token applies ' +
            'a shortening at once (there is no second person there).',
          security,
          body: { type: 'object', required: ['failedAuthorizationRetention', 'purgeEvery'], properties: policyProperties, additionalProperties: false },
          response: {
            200: { ...retentionViewSchema, properties: { ...retentionViewSchema.properties, reschedule: { type: 'string', enum: ['applied', 'unchanged'] } } },
            202: {
              anyOf: [awaitingConfirmationSchema('retention'), { ...retentionViewSchema, properties: { ...retentionViewSchema.properties, reschedule: { type: 'string', enum: ['pending'] } } }],
            },
            ...adminRefusals('invalid-retention-policy', 'concurrency-conflict'),
          },
        },
      },
      async (request, reply) => {
        const { body } = request;
        const policy: RetentionPolicy = {
          failedAuthorizationRetentionMs: durationOf('failedAuthorizationRetention', body.failedAuthorizationRetention),
          purgeEveryMs: durationOf('purgeEvery', body.purgeEvery),
        };
        const outcome = await services.retentionPolicy.request(request.admin!, policy, request.id);
        if (outcome.status === 'awaiting-confirmation') {
          reply.code(202);
          return { changeId: outcome.changeId, status: outcome.status, expiresAt: outcome.expiresAt };
        }
        reply.code(outcome.reschedule === 'pending' ? 202 : 200);
        return retentionResult(outcome.view, outcome.reschedule);
      },
    );

    app.post(
      '/api/v1/admin/retention/purge',
      {
        schema: {
          tags: ['admin'],
          operationId: 'runRetentionPurge',
          summary: 'Run the purge now, once, as the schedule would (safe beside it)',
          description: 'Erases the failed authorizations past the retention in force; what it records names the admin who asked.',
          security,
          response: {
            200: {
              type: 'object',
              required: ['runId', 'retention', 'cutoff', 'erasedActs'],
              properties: {
                runId: { type: 'string' },
                retention: { type: 'string' },
                cutoff: { type: 'string', format: 'date-time' },
                recordedActs: { type: 'integer' },
                erasedActs: { type: 'integer' },
                keysDestroyed: { type: 'integer' },
                batches: { type: 'integer' },
              },
            },
            ...adminRefusals('concurrency-conflict'),
          },
        },
      },
      async (request, reply) => {
        // The purge finds acts through the read models: let them show every failure recorded so far.
        await services.projections.waitFor(await services.eventStore.headPosition(), 10_000).catch(() => undefined);
        const report = await services.retentionPurge.run(`admin:${randomUUID()}`, adminActorOf(request));
        reply.header('cache-control', 'no-store');
        return report;
      },
    );

    app.get(
      '/api/v1/admin/failed-authorizations',
      {
        schema: {
          tags: ['admin'],
          operationId: 'listFailedAuthorizations',
          summary: 'Failed authorizations kept until the retention erases them, newest first',
          description:
            'Nothing personal: the act id, its provider, why and when it failed, and `reportedAt` when the person in whose name ' +
            'the act was registered reported in the portal that the attempt was not them (`disputed=true` lists only those).',
          security,
          querystring: {
            type: 'object',
            properties: {
              providerId: { type: 'string', minLength: 1, maxLength: 100 },
              disputed: { type: 'boolean', description: 'true: only attempts the person reported as not theirs; false: only the others' },
              ...failedAuthorizationQuery,
            },
            additionalProperties: false,
          },
          response: { 200: adminFailedAuthorizationListSchema, ...adminRefusals() },
        },
      },
      async (request) => {
        const { providerId, reason, disputed, limit } = request.query;
        return services.failedAuthorizations.listWithReports({ ...(providerId ? { providerId } : {}), ...(reason ? { reason } : {}), ...(disputed !== undefined ? { disputed } : {}) }, limit);
      },
    );
  });

export const adminRetentionRoutes = adminRetentionRoutesWith();
