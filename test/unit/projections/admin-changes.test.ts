import { describe, it } from 'vitest';
import { ADMIN_CHANGES, adminChangesProjection } from '../../../projections/admin-changes.ts';
import { projectionSpec, recordedEvent } from '../../support/projection-spec.ts';

const spec = projectionSpec(adminChangesProjection);
const proposal = {
  changeId: 'c-1',
  kind: 'retention-shortening',
  payload: { policy: { failedAuthorizationRetentionMs: 3_600_000, purgeEveryMs: 300_000 } },
  requiredRole: 'retention',
  proposedBy: 'admin:alice',
  proposedAt: '2026-11-20T08:00:00.000Z',
  expiresAt: '2026-11-21T08:00:00.000Z',
};

describe('admin-changes projection', () => {
  it('a proposal waits, as pending', async () => {
    await spec.given().when(recordedEvent('change-c-1', 'ChangeProposed', proposal)).thenChanges([{ collection: ADMIN_CHANGES, op: 'put', id: 'c-1', doc: { ...proposal, status: 'pending' } }]);
  });

  it('a confirmation and the application move it on, naming who and when', async () => {
    await spec
      .given({ [ADMIN_CHANGES]: { 'c-1': { ...proposal, status: 'pending' } } })
      .when(recordedEvent('change-c-1', 'ChangeConfirmed', { changeId: 'c-1', confirmedBy: 'admin:bob', confirmedAt: '2026-11-20T09:00:00.000Z' }, { revision: 1 }))
      .thenChanges([{ collection: ADMIN_CHANGES, op: 'merge', id: 'c-1', doc: { status: 'confirmed', confirmedBy: 'admin:bob', confirmedAt: '2026-11-20T09:00:00.000Z' } }]);
    await spec
      .given()
      .when(recordedEvent('change-c-1', 'ChangeApplied', { changeId: 'c-1', appliedAt: '2026-11-20T09:00:00.000Z' }, { revision: 2 }))
      .thenChanges([{ collection: ADMIN_CHANGES, op: 'merge', id: 'c-1', doc: { status: 'applied', appliedAt: '2026-11-20T09:00:00.000Z' } }]);
  });

  it('an event of that type outside a change stream changes nothing', async () => {
    await spec.given().when(recordedEvent('imported-c-1', 'ChangeProposed', proposal)).thenNothing();
  });
});
