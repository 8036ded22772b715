import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../events/envelope.ts';
import type { RetentionEvent } from '../../events/retention.ts';
import { retentionDecider } from '../../commands/retention.ts';
import { failedAuthorizationsProjection } from '../../projections/failed-authorizations.ts';
import { pendingActsProjection } from '../../projections/pending-acts.ts';
import { retentionProjection } from '../../projections/retention-snapshot.ts';
import { foldEvents as project } from '../support/projection-spec.ts';

let position = 0;
const revisions = new Map<string, number>();
function recorded(streamName: string, type: string, data: Record<string, unknown>): RecordedEvent {
  const revision = (revisions.get(streamName) ?? -1) + 1;
  revisions.set(streamName, revision);
  return { streamName, revision, position: ++position, type, data, metadata: { eventId: `e${position}`, correlationId: 'c', occurredAt: '2026-11-20T08:00:00.000Z', actor: 'test', schemaVersion: 1 } };
}

const registered = (actId: string, personal: boolean) =>
  recorded(`act-${actId}`, 'ActRegistered', {
    actId,
    providerId: 'tax-office',
    providerName: 'Tax office',
    registeredAt: '2026-11-20T08:00:00.000Z',
    expiresAt: '2026-11-21T08:00:00.000Z',
    ...(personal ? { sepp: 'bsi', aifo: 'aifo', documentHash: 'a'.repeat(64), name: 'Tax return', description: 'd' } : { erased: true }),
  });

describe('read models of retention', () => {
  it('failed authorizations: a failed act with its provider and log position, nothing personal; gone once a purge records it', async () => {
    const events = [
      registered('a', true),
      registered('b', true),
      registered('c', true),
      recorded('act-a', 'ActAuthorizationFailed', { reason: 'identity-mismatch', failedAt: '2026-11-20T09:00:00.000Z' }),
      recorded('act-b', 'ActAuthorized', { method: 'sms', authorizedAt: '2026-11-20T09:00:00.000Z' }),
      recorded('act-c', 'ActAuthorizationFailed', { reason: 'expired', failedAt: '2026-11-21T08:00:00.000Z' }),
    ];
    const before = await project(failedAuthorizationsProjection, events);
    expect(before.failed_authorizations).toEqual({
      a: { actId: 'a', providerId: 'tax-office', reason: 'identity-mismatch', failedAt: '2026-11-20T09:00:00.000Z', logPosition: events[3]!.position, disputed: false },
      c: { actId: 'c', providerId: 'tax-office', reason: 'expired', failedAt: '2026-11-21T08:00:00.000Z', logPosition: events[5]!.position, disputed: false },
    });
    expect(before.failed_authorizations_staging).toEqual({});

    const purged = recorded('retention', 'RetentionPurgeExecuted', { runId: 'r', purgedActIds: ['a'], throughSequence: 4 });
    const after = await project(failedAuthorizationsProjection, [...events, purged]);
    expect(Object.keys(after.failed_authorizations!)).toEqual(['c']);
  });

  it('keeps nothing personal, even while an act is open with its fields unsealed', async () => {
    const open = [registered('o', true)];
    const failed = [...open, recorded('act-o', 'ActAuthorizationFailed', { reason: 'cancelled', failedAt: '2026-11-20T09:00:00.000Z' })];
    for (const p of [failedAuthorizationsProjection, pendingActsProjection]) {
      for (const events of [open, failed]) expect(JSON.stringify(await project(p, events)), p.name).not.toMatch(/bsi|aifo|Tax return|a{64}/);
    }
  });

  it('a replay after a purge (ActRegistered erased) ends without the purged act', async () => {
    const events = [
      registered('x', false),
      recorded('act-x', 'ActAuthorizationFailed', { reason: 'cancelled', failedAt: '2026-11-20T09:00:00.000Z' }),
      recorded('retention', 'RetentionPurgeExecuted', { runId: 'r', purgedActIds: ['x'] }),
    ];
    for (const p of [failedAuthorizationsProjection, pendingActsProjection]) {
      for (const docs of Object.values(await project(p, events))) expect(docs, p.name).toEqual({});
    }
  });

  it('pending acts: registered until authorized or failed', async () => {
    const events = [registered('p', true), registered('q', true), registered('r', true), recorded('act-q', 'ActAuthorized', { method: 'sms', authorizedAt: 'x' }), recorded('act-r', 'ActAuthorizationFailed', { reason: 'expired', failedAt: 'x' })];
    expect((await project(pendingActsProjection, events)).pending_acts).toEqual({ p: { actId: 'p', expiresAt: '2026-11-21T08:00:00.000Z' } });
  });

  it('every collection holding rows about an act indexes actId, so the purge can find them', () => {
    for (const p of [failedAuthorizationsProjection, pendingActsProjection]) for (const c of p.collections) expect(c.indexes, c.name).toContain('actId');
  });

  it('the retention snapshot is the decider\'s fold of the stream, with the revision it reflects', async () => {
    const policy = { failedAuthorizationRetentionMs: 3_600_000, purgeEveryMs: 60_000 };
    const stream = [
      recorded('retention', 'RetentionPolicyChanged', { by: 'admin', old: { failedAuthorizationRetentionMs: 86_400_000, purgeEveryMs: 300_000 }, new: policy, changedAt: 't1' }),
      recorded('act-z', 'ActAuthorizationFailed', { reason: 'expired', failedAt: 'x' }),
      recorded('retention', 'RetentionPurgeExecuted', { runId: 'r', purgedActIds: ['z', 'y'], throughSequence: 40, executedAt: 't2' }),
    ];
    const retentionEvents = stream.filter((e) => e.streamName === 'retention');
    const folded = retentionEvents.map((e) => ({ type: e.type, data: e.data }) as RetentionEvent).reduce(retentionDecider.evolve, retentionDecider.initialState());
    const snapshot = (await project(retentionProjection, stream)).retention_state!.retention;
    expect(snapshot).toEqual({ state: folded, revision: retentionEvents.at(-1)!.revision });
    expect(snapshot!.state).toMatchObject({ policy, purgedThrough: 40, purgedActs: 2 });
  });
});
