import { describe, it } from 'vitest';
import { RETENTION_SNAPSHOT_ID, RETENTION_STATE, retentionProjection } from '../../../projections/retention-snapshot.ts';
import { projectionSpec, recordedEvent } from '../../support/projection-spec.ts';
import { policyChanged, purgeExecuted } from '../../support/act-events.ts';

const spec = projectionSpec(retentionProjection);
const policy = { failedAuthorizationRetentionMs: 3_600_000, purgeEveryMs: 300_000 };
const snapshot = (state: object, revision: number) => ({ collection: RETENTION_STATE, op: 'put' as const, id: RETENTION_SNAPSHOT_ID, doc: { state, revision } });

describe('retention projection: the retention stream folded, with the revision it reflects', () => {
  it('the first policy change starts the snapshot', async () => {
    await spec
      .given()
      .when(policyChanged(3_600_000, { revision: 0 }))
      .thenChanges([snapshot({ purgedThrough: 0, purgedActs: 0, policy, changedAt: '2026-11-20T09:00:00.000Z', changedBy: 'admin:ops' }, 0)]);
  });

  it('a purge record adds its acts and moves the purged-through position', async () => {
    const before = { purgedThrough: 10, purgedActs: 4, policy, changedAt: '2026-11-20T09:00:00.000Z', changedBy: 'admin:ops' };
    await spec
      .given({ [RETENTION_STATE]: { [RETENTION_SNAPSHOT_ID]: { state: before, revision: 0 } } })
      .when(purgeExecuted(['a', 'b', 'c'], { revision: 1 }))
      .thenChanges([snapshot({ ...before, purgedThrough: 50, purgedActs: 7, lastPurgeAt: '2026-11-22T08:00:00.000Z' }, 1)]);
  });

  it('a later policy change keeps what the purges recorded', async () => {
    const before = { purgedThrough: 50, purgedActs: 7, lastPurgeAt: '2026-11-22T08:00:00.000Z' };
    await spec
      .given({ [RETENTION_STATE]: { [RETENTION_SNAPSHOT_ID]: { state: before, revision: 4 } } })
      .when(policyChanged(3_600_000, { revision: 5 }))
      .thenChanges([snapshot({ ...before, policy, changedAt: '2026-11-20T09:00:00.000Z', changedBy: 'admin:ops' }, 5)]);
  });

  it('an event of its types on another stream changes nothing', async () => {
    await spec.given().when(recordedEvent('retention-archive', 'RetentionPolicyChanged', { new: policy })).thenNothing();
  });
});
