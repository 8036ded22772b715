import { describe, it } from 'vitest';
import { CONFORMANCE_ACTS, PROVIDER_CONFORMANCE, providerConformanceProjection } from '../../../projections/provider-conformance.ts';
import { projectionSpec, recordedEvent } from '../../support/projection-spec.ts';
import { actAuthorized, actFailed, actRegistered, purgeExecuted } from '../../support/act-events.ts';

const spec = projectionSpec(providerConformanceProjection);
const AT = '2026-11-20T08:05:00.000Z';
const act = (extra: object = {}) => ({ [CONFORMANCE_ACTS]: { a: { actId: 'a', providerId: 'tax-office', ...extra } } });
const attempted = (outcome: 'matched' | 'mismatch') =>
  recordedEvent('act-a', 'CodeAttempted', { codeId: 'c1', outcome, attemptsLeft: 3, attemptedAt: AT });
const authenticationCompleted = (outcome: 'cancelled' | 'failed' | 'authenticated') =>
  recordedEvent('act-a', 'AuthenticationCompleted', { authenticationId: 'x1', outcome, loaAchieved: null, means: null, completedAt: AT });

describe('provider-conformance projection', () => {
  it('a registered act is remembered with its provider and marks the provider\'s first item', async () => {
    await spec.given().when(actRegistered('a')).thenChanges([
      { collection: CONFORMANCE_ACTS, op: 'put', id: 'a', doc: { actId: 'a', providerId: 'tax-office' } },
      { collection: PROVIDER_CONFORMANCE, op: 'put', id: 'tax-office', doc: { providerId: 'tax-office', seen: { 'act-registered': '2026-11-20T08:00:00.000Z' } } },
    ]);
  });

  it('a right code counts as a wrong code handled only after a mismatch on the same act', async () => {
    await spec.given(act()).when(attempted('matched')).thenNothing();
    await spec.given(act()).when(attempted('mismatch')).thenChanges([{ collection: CONFORMANCE_ACTS, op: 'merge', id: 'a', doc: { mismatchSeen: true } }]);
    await spec.given(act({ mismatchSeen: true })).when(attempted('mismatch')).thenNothing();
    await spec.given(act({ mismatchSeen: true })).when(attempted('matched')).thenChanges([
      { collection: PROVIDER_CONFORMANCE, op: 'put', id: 'tax-office', doc: { providerId: 'tax-office', seen: { 'wrong-code-handled': AT } } },
    ]);
  });

  it('an authorization marks the code flow or the authentication, by its method, and lets the act go', async () => {
    const stored = { ...act(), [PROVIDER_CONFORMANCE]: { 'tax-office': { providerId: 'tax-office', seen: { 'act-registered': 'earlier' } } } };
    await spec.given(stored).when(actAuthorized('a', 'mobile-key', AT)).thenChanges([
      { collection: PROVIDER_CONFORMANCE, op: 'put', id: 'tax-office', doc: { providerId: 'tax-office', seen: { 'act-registered': 'earlier', 'code-flow-authorized': AT } } },
      { collection: CONFORMANCE_ACTS, op: 'delete', id: 'a' },
    ]);
    await spec.given(act()).when(actAuthorized('a', 'authentication', AT)).thenChanges([
      { collection: PROVIDER_CONFORMANCE, op: 'put', id: 'tax-office', doc: { providerId: 'tax-office', seen: { 'authentication-authorized': AT } } },
      { collection: CONFORMANCE_ACTS, op: 'delete', id: 'a' },
    ]);
  });

  it('an act whose authentication failed or was cancelled stays for its read-back; other failed acts go', async () => {
    await spec.given(act()).when(authenticationCompleted('cancelled')).thenChanges([{ collection: CONFORMANCE_ACTS, op: 'merge', id: 'a', doc: { failedAuthenticationAt: AT } }]);
    await spec.given(act()).when(authenticationCompleted('authenticated')).thenNothing();
    await spec.given(act({ failedAuthenticationAt: AT })).when(actFailed('a', 'cancelled')).thenNothing();
    await spec.given(act()).when(actFailed('a', 'attempts-exhausted')).thenChanges([{ collection: CONFORMANCE_ACTS, op: 'delete', id: 'a' }]);
    await spec.given(act({ failedAuthenticationAt: AT })).when(purgeExecuted(['a'])).thenChanges([{ collection: CONFORMANCE_ACTS, op: 'delete', id: 'a' }]);
  });

  it('an event of an act it never saw registered changes nothing', async () => {
    await spec.given().when(actAuthorized('a')).thenNothing();
  });
});
