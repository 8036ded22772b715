import { describe, it } from 'vitest';
import { FAILED_AUTHORIZATIONS, failedAuthorizationsProjection } from '../../../projections/failed-authorizations.ts';
import { projectionSpec } from '../../support/projection-spec.ts';
import { actAuthorized, actFailed, actRegistered, authorizationDisputed, codeIssued, purgeExecuted } from '../../support/act-events.ts';

const OPEN_ACTS = 'failed_authorizations_staging';
const spec = projectionSpec(failedAuthorizationsProjection);
const open = { a: { actId: 'a', providerId: 'tax-office' } };
const failedDoc = (actId: string, reason: string, logPosition: number) => ({ actId, providerId: 'tax-office', reason, failedAt: '2026-11-21T08:00:00.000Z', logPosition, disputed: false });

describe('failed-authorizations projection', () => {
  it('a registered act is remembered with its provider, and nothing personal', async () => {
    await spec.given().when(actRegistered('a')).thenChanges([{ collection: OPEN_ACTS, op: 'put', id: 'a', doc: { actId: 'a', providerId: 'tax-office' } }]);
  });

  it('an erased registration still names its provider (a public field)', async () => {
    await spec.given().when(actRegistered('a', { erased: true })).thenChanges([{ collection: OPEN_ACTS, op: 'put', id: 'a', doc: { actId: 'a', providerId: 'tax-office' } }]);
  });

  it('a failure becomes a failed authorization with its provider, reason and log position', async () => {
    await spec
      .given({ [OPEN_ACTS]: open })
      .when(actFailed('a', 'attempts-exhausted', '2026-11-21T08:00:00.000Z', { position: 42 }))
      .thenChanges([
        { collection: FAILED_AUTHORIZATIONS, op: 'put', id: 'a', doc: failedDoc('a', 'attempts-exhausted', 42) },
        { collection: OPEN_ACTS, op: 'delete', id: 'a' },
      ]);
  });

  it('a failure of an act it never saw registered has no provider', async () => {
    await spec
      .given()
      .when(actFailed('b', 'expired', '2026-11-21T08:00:00.000Z', { position: 7 }))
      .thenChanges([
        { collection: FAILED_AUTHORIZATIONS, op: 'put', id: 'b', doc: { ...failedDoc('b', 'expired', 7), providerId: '' } },
        { collection: OPEN_ACTS, op: 'delete', id: 'b' },
      ]);
  });

  it('an authorized act is forgotten, never listed as failed', async () => {
    await spec.given({ [OPEN_ACTS]: open }).when(actAuthorized('a')).thenChanges([{ collection: OPEN_ACTS, op: 'delete', id: 'a' }]);
  });

  it('a purge record deletes each act it names, from both collections', async () => {
    await spec
      .given({ [FAILED_AUTHORIZATIONS]: { a: failedDoc('a', 'expired', 3), b: failedDoc('b', 'cancelled', 4) } })
      .when(purgeExecuted(['a', 'b']))
      .thenChanges([
        { collection: FAILED_AUTHORIZATIONS, op: 'delete', id: 'a' },
        { collection: OPEN_ACTS, op: 'delete', id: 'a' },
        { collection: FAILED_AUTHORIZATIONS, op: 'delete', id: 'b' },
        { collection: OPEN_ACTS, op: 'delete', id: 'b' },
      ]);
  });

  it('the person\'s report marks the failed authorization as disputed, for admins; none is made up for an act no longer listed', async () => {
    await spec
      .given({ [FAILED_AUTHORIZATIONS]: { a: failedDoc('a', 'identity-mismatch', 3) } })
      .when(authorizationDisputed('a', '2026-11-21T09:00:00.000Z'))
      .thenChanges([{ collection: FAILED_AUTHORIZATIONS, op: 'merge', id: 'a', doc: { disputed: true, reportedAt: '2026-11-21T09:00:00.000Z' } }]);
    await spec.given().when(authorizationDisputed('a')).thenNothing();
  });

  it('a code issued changes nothing', async () => {
    await spec.given({ [OPEN_ACTS]: open }).when(codeIssued('a')).thenNothing();
  });
});
