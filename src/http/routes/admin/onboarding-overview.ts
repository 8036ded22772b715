import { CERTIFICATE_PURPOSES, ENVIRONMENTS } from '../../../../events/provider.ts';
import { CERTIFICATE_ATTENTION_DAYS, SUPPORT_ATTENTION_DAYS } from '../../../app/providers/onboarding-overview.ts';
import { routeGroup } from '../../route-group.ts';
import { adminAccess, adminRefusals } from '../../auth.ts';
import { stringEnum } from '../../schema.ts';

const text = { type: 'string' } as const;

const timelineEntry = {
  type: 'object',
  required: ['type', 'at', 'actor', 'summary'],
  properties: {
    type: { type: 'string', description: 'The event type, e.g. `ApplicationFiled`' },
    at: { type: 'string', description: 'When the command that caused it was decided' },
    actor: { type: 'string', description: '`admin:<adminId>`, the provider id, `system:…`' },
    summary: { type: 'object', description: 'A few plain facts of the event, as text (never keys)', additionalProperties: text },
  },
} as const;

const supportEnding = {
  type: 'object',
  required: ['providerId', 'name', 'environment', 'grantedAt', 'supportUntil', 'ended'],
  properties: { providerId: text, name: text, environment: stringEnum(ENVIRONMENTS), grantedAt: text, supportUntil: text, ended: { type: 'boolean' } },
} as const;

const certificateExpiring = {
  type: 'object',
  required: ['providerId', 'name', 'certificateId', 'purpose', 'environment', 'subject', 'notAfter', 'thumbprintSha256', 'expired'],
  properties: {
    providerId: text,
    name: text,
    certificateId: text,
    purpose: stringEnum(CERTIFICATE_PURPOSES),
    environment: stringEnum(ENVIRONMENTS),
    subject: text,
    notAfter: text,
    thumbprintSha256: text,
    expired: { type: 'boolean' },
  },
} as const;

/** Admin API for watching onboarding (role `onboarding`): a provider's timeline, and what runs out soon. */
export const adminOnboardingOverviewRoutes = routeGroup(['config', 'onboardingOverview', 'admins', 'adminTokens'], async (app, { services }) => {
  app.addHook('onRequest', adminAccess(services, 'onboarding'));
  const security = [{ admin: [] }];

  app.get(
    '/api/v1/admin/providers/:providerId/timeline',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getProviderTimeline',
        summary: "A provider's events, oldest first: what happened, when and by whom",
        security,
        params: { type: 'object', required: ['providerId'], properties: { providerId: { type: 'string', minLength: 1, maxLength: 100 } } },
        response: {
          200: {
            type: 'object',
            required: ['providerId', 'name', 'events'],
            properties: { providerId: text, name: { type: 'string', description: 'Empty while the provider has only filed' }, events: { type: 'array', items: timelineEntry } },
          },
          ...adminRefusals('not-found'),
        },
      },
    },
    async (request) => services.onboardingOverview.timeline(request.params.providerId),
  );

  app.get(
    '/api/v1/admin/onboarding/attention',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getOnboardingAttention',
        summary: 'Support windows running out and certificates expiring, by the ledger clock',
        description: `Support windows in this environment ending within ${SUPPORT_ATTENTION_DAYS} days or ended already; unrevoked certificates expiring within \`withinDays\` (default ${CERTIFICATE_ATTENTION_DAYS}) or expired already. Soonest first.`,
        security,
        querystring: {
          type: 'object',
          properties: { withinDays: { type: 'integer', minimum: 1, maximum: 366, default: CERTIFICATE_ATTENTION_DAYS, description: 'How many days ahead to look for expiring certificates' } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['now', 'supportWithinDays', 'certificatesWithinDays', 'supportEnding', 'certificatesExpiring'],
            properties: {
              now: { type: 'string', description: 'The ledger clock the answer was computed at' },
              supportWithinDays: { type: 'integer' },
              certificatesWithinDays: { type: 'integer' },
              supportEnding: { type: 'array', items: supportEnding },
              certificatesExpiring: { type: 'array', items: certificateExpiring },
            },
          },
          ...adminRefusals(),
        },
      },
    },
    async (request) => services.onboardingOverview.attention(request.query.withinDays),
  );
});
