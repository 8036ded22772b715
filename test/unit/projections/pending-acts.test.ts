import { describe, it } from 'vitest';
import { PENDING_ACTS, pendingActsProjection } from '../../../projections/pending-acts.ts';
import { projectionSpec, recordedEvent } from '../../support/projection-spec.ts';
import { actAuthorized, actFailed, actRegistered, codeIssued } from '../../support/act-events.ts';

const spec = projectionSpec(pendingActsProjection);
const pending = { a: { actId: 'a', expiresAt: '2026-11-21T08:00:00.000Z' } };

describe('pending-acts projection', () => {
  it('a registered act is pending until it expires', async () => {
    await spec.given().when(actRegistered('a')).thenChanges([{ collection: PENDING_ACTS, op: 'put', id: 'a', doc: { actId: 'a', expiresAt: '2026-11-21T08:00:00.000Z' } }]);
  });

  it('an act whose personal fields are erased is still pending by its public expiry', async () => {
    await spec.given().when(actRegistered('a', { erased: true })).thenChanges([{ collection: PENDING_ACTS, op: 'put', id: 'a', doc: { actId: 'a', expiresAt: '2026-11-21T08:00:00.000Z' } }]);
  });

  it('an authorized act leaves', async () => {
    await spec.given({ [PENDING_ACTS]: pending }).when(actAuthorized('a')).thenChanges([{ collection: PENDING_ACTS, op: 'delete', id: 'a' }]);
  });

  it('a failed act leaves, whatever the reason', async () => {
    await spec.given({ [PENDING_ACTS]: pending }).when(actFailed('a', 'cancelled')).thenChanges([{ collection: PENDING_ACTS, op: 'delete', id: 'a' }]);
  });

  it('a code issued for it changes nothing', async () => {
    await spec.given({ [PENDING_ACTS]: pending }).when(codeIssued('a')).thenNothing();
  });

  it('an event of that type outside an act stream changes nothing', async () => {
    await spec.given().when(recordedEvent('imported-a', 'ActRegistered', { expiresAt: '2026-11-21T08:00:00.000Z' })).thenNothing();
  });
});
