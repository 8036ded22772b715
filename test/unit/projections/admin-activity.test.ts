import { describe, it } from 'vitest';
import type { RecordedEvent } from '../../../events/envelope.ts';
import { ADMIN_ACTIVITY, ADMIN_ACTIVITY_BY_ADMIN, ADMIN_ACTIVITY_HEAD, adminActivityProjection } from '../../../projections/admin-activity.ts';
import { projectionSpec } from '../../support/projection-spec.ts';

const event = (actor: string, position = 7): RecordedEvent => ({
  streamName: 'provider-p1',
  revision: 0,
  position,
  type: 'ProviderSuspended',
  data: { providerId: 'p1', reason: 'audit', suspendedAt: '2026-11-22T10:00:00.000Z' },
  metadata: { eventId: 'e1', correlationId: 'req-1', occurredAt: '2026-11-22T10:00:00.000Z', actor, schemaVersion: 1 },
});
const spec = projectionSpec(adminActivityProjection);

describe('admin-activity projection', () => {
  it('numbers an admin\'s event overall and per admin, after what is already there', async () => {
    const entry = (number: number) => ({ number, adminId: 'adm_1', type: 'ProviderSuspended', streamName: 'provider-p1', eventId: 'e1', correlationId: 'req-1', occurredAt: '2026-11-22T10:00:00.000Z', position: 7 });
    await spec
      .given({ [ADMIN_ACTIVITY_HEAD]: { all: { count: 4 }, 'admin:adm_1': { count: 1 } } })
      .when(event('admin:adm_1'))
      .thenChanges([
        { collection: ADMIN_ACTIVITY, op: 'put', id: '000000000005', doc: entry(5) },
        { collection: ADMIN_ACTIVITY_BY_ADMIN, op: 'put', id: 'adm_1:000000000002', doc: entry(2) },
        { collection: ADMIN_ACTIVITY_HEAD, op: 'put', id: 'all', doc: { count: 5 } },
        { collection: ADMIN_ACTIVITY_HEAD, op: 'put', id: 'admin:adm_1', doc: { count: 2 } },
      ]);
  });

  it('leaves every event no admin caused alone', async () => {
    for (const actor of ['p1', 'system:retention', 'citizen', 'admin:', 'administrator']) await spec.given().when(event(actor)).thenNothing();
  });
});
