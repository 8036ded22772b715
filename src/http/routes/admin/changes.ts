import type { onRequestAsyncHookHandler } from 'fastify';
import { ADMIN_ROLES, type AdminRole } from '../../../../events/admin.ts';
import type { ChangeView } from '../../../app/admins/changes.ts';
import { routeGroup } from '../../route-group.ts';
import { adminAccess, adminRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';
import { stringEnum } from '../../schema.ts';

/** The guard of an admin route needing `role` (`any`: the route checks the role itself); it sets `request.admin`. */
export type AdminAccessFor = (role: AdminRole | 'any') => onRequestAsyncHookHandler;

/** What a change needing four eyes answers at first: nothing is done yet, and by when a second admin holding `role` must confirm. */
export const awaitingConfirmationSchema = (role: AdminRole) =>
  ({
    type: 'object',
    required: ['changeId', 'status', 'expiresAt'],
    properties: {
      changeId: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: ['awaiting-confirmation'] },
      expiresAt: { type: 'string', format: 'date-time', description: `A second admin with the ${role} role must confirm before this` },
    },
  }) as const;

const CHANGE_STATUSES = ['pending', 'expired', 'confirmed', 'applied'] as const;

export const changeViewSchema = {
  type: 'object',
  required: ['changeId', 'kind', 'status', 'payload', 'requiredRole', 'proposedBy', 'proposedAt', 'expiresAt'],
  properties: {
    changeId: { type: 'string', format: 'uuid' },
    kind: { type: 'string', description: 'What the change does, e.g. `retention-shortening`' },
    status: { ...stringEnum(CHANGE_STATUSES), description: '`expired`: still unconfirmed at `expiresAt`; nothing can confirm it any more' },
    payload: { type: 'object', additionalProperties: true, description: 'What the change does, in the shape of its kind' },
    requiredRole: { ...stringEnum(ADMIN_ROLES), description: 'The role the confirming admin must hold' },
    proposedBy: { type: 'string', description: 'The proposing admin, as `admin:<adminId>`' },
    proposedAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time', description: 'A confirmation at or after this is refused' },
    confirmedBy: { type: 'string' },
    confirmedAt: { type: 'string', format: 'date-time' },
    appliedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const changeIdParams = {
  type: 'object',
  required: ['changeId'],
  properties: { changeId: { type: 'string', minLength: 36, maxLength: 36, pattern: '^[0-9a-f-]{36}$' } },
} as const;

const asBody = (view: ChangeView) => ({ ...view });

/**
 * Admin API for four-eyes changes: what waits for a second admin, and confirming it. A route that
 * makes such a change answers `202 { changeId, status: "awaiting-confirmation", expiresAt }`; the
 * confirmation applies it. `access` is the admin guard (tests mount the same routes behind another).
 */
export const adminChangeRoutesWith = (access?: AdminAccessFor) =>
  routeGroup(['config', 'changes', 'projections', 'admins', 'adminTokens'], async (app, { services }) => {
    const guard: AdminAccessFor = access ?? ((role) => adminAccess(services, role));
    // Every admin may see what waits; whether one may confirm depends on the change's role.
    app.addHook('onRequest', guard('any'));
    const security = [{ admin: [] }];

    app.get(
      '/api/v1/admin/changes',
      {
        schema: {
          tags: ['admin'],
          operationId: 'listChanges',
          summary: 'Four-eyes changes, newest first (`status=pending`: what waits for a second admin)',
          security,
          querystring: {
            type: 'object',
            properties: { status: stringEnum(CHANGE_STATUSES), limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
            additionalProperties: false,
          },
          response: { 200: { type: 'object', required: ['changes'], properties: { changes: { type: 'array', items: changeViewSchema } } }, ...adminRefusals() },
        },
      },
      async (request) => ({ changes: (await services.changes.list(request.query.status, request.query.limit)).map(asBody) }),
    );

    app.get(
      '/api/v1/admin/changes/:changeId',
      {
        schema: { tags: ['admin'], operationId: 'getChange', summary: 'One four-eyes change', security, params: changeIdParams, response: { 200: changeViewSchema, ...adminRefusals('not-found') } },
      },
      async (request) => {
        const view = await services.changes.get(request.params.changeId);
        if (!view) throw new HttpProblem('not-found', 'no such change');
        return asBody(view);
      },
    );

    app.post(
      '/api/v1/admin/changes/:changeId/confirmation',
      {
        schema: {
          tags: ['admin'],
          operationId: 'confirmChange',
          summary: 'Confirm a change proposed by another admin, which applies it',
          description:
            'By an admin other than the proposer, holding the change\'s `requiredRole`, before `expiresAt`. Records ChangeConfirmed, has the ' +
            'owning service apply the change (its events caused by the confirmation), records ChangeApplied, and answers the change with ' +
            'what applying it gave (`result`). Refusals: `change-self-confirmation` and `change-role-missing` (403), `change-expired` and ' +
            '`change-already-confirmed` (409).',
          security,
          params: changeIdParams,
          response: {
            200: { ...changeViewSchema, required: [...changeViewSchema.required, 'result'], properties: { ...changeViewSchema.properties, result: { type: 'object', additionalProperties: true } } },
            ...adminRefusals('not-found', 'change-self-confirmation', 'change-role-missing', 'change-expired', 'change-already-confirmed', 'conflict', 'concurrency-conflict', 'conformance-missing', 'connection-not-decided', 'connection-already-decided'),
          },
        },
      },
      async (request) => {
        const confirmed = await services.changes.confirm(request.admin!, request.params.changeId);
        // The pending list is a read model: let it catch up, so the change no longer shows as waiting.
        if (confirmed.position !== undefined) await services.projections.waitFor(confirmed.position, 2_000).catch(() => undefined);
        return { ...asBody(confirmed.change), result: confirmed.result };
      },
    );
  });

export const adminChangeRoutes = adminChangeRoutesWith();
