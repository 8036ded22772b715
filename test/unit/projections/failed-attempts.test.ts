import { describe, expect, it } from 'vitest';
import { FAILED_ATTEMPTS, failedAttemptsProjection } from '../../../projections/failed-attempts.ts';
import { foldEvents, projectionSpec } from '../../support/projection-spec.ts';
import { actAuthorized, actFailed, actRegistered, authorizationDisputed, codeIssued, personal, purgeExecuted } from '../../support/act-events.ts';

const STAGING = 'citizen_failed_attempts_staging';
const spec = projectionSpec(failedAttemptsProjection);
const staged = { actId: 'a', aifo: personal.aifo, providerName: 'Finanční úřad', actName: personal.name };
const attempt = { ...staged, reason: 'identity-mismatch', failedAt: '2026-11-21T08:00:00.000Z' };

describe('citizen-failed-attempts projection (the portal\'s failed attempts in a person\'s name)', () => {
  it('a registration waits in staging with whose act it is, its e-service and its name', async () => {
    await spec.given().when(actRegistered('a')).thenChanges([{ collection: STAGING, op: 'put', id: 'a', doc: staged }]);
  });

  it('an erased registration stages nothing: nothing of it can be shown', async () => {
    await spec.given().when(actRegistered('a', { erased: true })).thenNothing();
  });

  it('a failure moves the act to the person\'s failed attempts, with the reason and time', async () => {
    await spec
      .given({ [STAGING]: { a: staged } })
      .when(actFailed('a', 'identity-mismatch'))
      .thenChanges([
        { collection: FAILED_ATTEMPTS, op: 'put', id: 'a', doc: attempt },
        { collection: STAGING, op: 'delete', id: 'a' },
      ]);
  });

  it('a failure with nothing staged (erased, or delivered twice) adds nothing', async () => {
    await spec.given().when(actFailed('a')).thenNothing();
  });

  it('an authorized act is never a failed attempt', async () => {
    await spec.given({ [STAGING]: { a: staged } }).when(actAuthorized('a')).thenChanges([{ collection: STAGING, op: 'delete', id: 'a' }]);
  });

  it('a report marks the attempt with its time; a report of an attempt no longer there leaves nothing', async () => {
    await spec
      .given({ [FAILED_ATTEMPTS]: { a: attempt } })
      .when(authorizationDisputed('a', '2026-11-21T09:00:00.000Z'))
      .thenChanges([{ collection: FAILED_ATTEMPTS, op: 'merge', id: 'a', doc: { reportedAt: '2026-11-21T09:00:00.000Z' } }]);
    await spec.given().when(authorizationDisputed('a')).thenNothing();
  });

  it('a purge record deletes each act it names', async () => {
    await spec
      .given({ [FAILED_ATTEMPTS]: { a: attempt } })
      .when(purgeExecuted(['a']))
      .thenChanges([
        { collection: FAILED_ATTEMPTS, op: 'delete', id: 'a' },
        { collection: STAGING, op: 'delete', id: 'a' },
      ]);
  });

  it('a code issued changes nothing', async () => {
    await spec.given({ [STAGING]: { a: staged } }).when(codeIssued('a')).thenNothing();
  });

  it('the same events twice give the same read model', async () => {
    const events = [actRegistered('a'), actFailed('a', 'identity-mismatch'), authorizationDisputed('a', '2026-11-21T09:00:00.000Z')];
    const once = await foldEvents(failedAttemptsProjection, events);
    expect(await foldEvents(failedAttemptsProjection, events, structuredClone(once))).toEqual(once);
    expect(once[FAILED_ATTEMPTS]).toEqual({ a: { ...attempt, reportedAt: '2026-11-21T09:00:00.000Z' } });
  });
});
