import { describe, it } from 'vitest';
import { UNDELIVERED_CODES, undeliveredCodesProjection } from '../../../projections/undelivered-codes.ts';
import { projectionSpec, recordedEvent } from '../../support/projection-spec.ts';
import { actAuthorized, codeIssued, purgeExecuted } from '../../support/act-events.ts';

const spec = projectionSpec(undeliveredCodesProjection);
const waiting = { 'code-1': { actId: 'a', codeId: 'code-1', expiresAt: '2026-11-20T08:05:00.000Z' } };

describe('undelivered-codes projection', () => {
  it('an issued code waits for its delivery, by its expiry', async () => {
    await spec.given().when(codeIssued('a')).thenChanges([{ collection: UNDELIVERED_CODES, op: 'put', id: 'code-1', doc: waiting['code-1'] }]);
  });

  it('a code recorded sent leaves', async () => {
    await spec
      .given({ [UNDELIVERED_CODES]: waiting })
      .when(recordedEvent('act-a', 'CodeDelivered', { codeId: 'code-1', channel: 'sms', deliveredAt: '2026-11-20T08:00:01.000Z', attempts: 1 }, { revision: 2 }))
      .thenChanges([{ collection: UNDELIVERED_CODES, op: 'delete', id: 'code-1' }]);
  });

  it('a code recorded failed leaves', async () => {
    await spec
      .given({ [UNDELIVERED_CODES]: waiting })
      .when(recordedEvent('act-a', 'CodeDeliveryFailed', { codeId: 'code-1', channel: 'sms', reason: 'not delivered before the code expired', failedAt: '2026-11-20T08:05:00.000Z', attempts: 0 }, { revision: 2 }))
      .thenChanges([{ collection: UNDELIVERED_CODES, op: 'delete', id: 'code-1' }]);
  });

  it('the act ending does not settle its code: only a delivery fact does', async () => {
    await spec.given({ [UNDELIVERED_CODES]: waiting }).when(actAuthorized('a')).thenNothing();
  });

  it('a purge record erases the codes of its acts, whatever their delivery', async () => {
    await spec
      .given({ [UNDELIVERED_CODES]: waiting })
      .when(purgeExecuted(['a', 'b']))
      .thenChanges([
        { collection: UNDELIVERED_CODES, op: 'deleteWhere', where: { actId: 'a' } },
        { collection: UNDELIVERED_CODES, op: 'deleteWhere', where: { actId: 'b' } },
      ]);
  });

  it('an event of that type outside an act stream changes nothing', async () => {
    await spec.given().when(recordedEvent('imported-a', 'CodeIssued', { codeId: 'code-1', expiresAt: '2026-11-20T08:05:00.000Z' })).thenNothing();
  });
});
