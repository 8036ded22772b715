import { describe, it } from 'vitest';
import { VERIFIED_ACTS, verificationIndexProjection } from '../../../projections/verification-index.ts';
import { projectionSpec } from '../../support/projection-spec.ts';
import { DOCUMENT, actAuthorized, actFailed, actRegistered, codeIssued } from '../../support/act-events.ts';

const STAGED = 'verification_pending';
const spec = projectionSpec(verificationIndexProjection);
const staged = { actId: 'a', documentHash: DOCUMENT, name: 'Tax return 2025', description: 'Annual income tax return', providerName: 'Finanční úřad' };

describe('verification-index projection: document hash -> authorized acts, nothing that identifies the citizen', () => {
  it('a registered act is staged with its document and naming, without SePP or AIFO', async () => {
    await spec.given().when(actRegistered('a')).thenChanges([{ collection: STAGED, op: 'put', id: 'a', doc: staged }]);
  });

  it('an erased registration stages nothing', async () => {
    await spec.given().when(actRegistered('a', { erased: true })).thenNothing();
  });

  it('an authorization moves the staged act into the index, with its method and time', async () => {
    await spec
      .given({ [STAGED]: { a: staged } })
      .when(actAuthorized('a', 'mobile-key', '2026-11-20T08:07:00.000Z'))
      .thenChanges([
        { collection: VERIFIED_ACTS, op: 'put', id: 'a', doc: { ...staged, authorizedAt: '2026-11-20T08:07:00.000Z', method: 'mobile-key' } },
        { collection: STAGED, op: 'delete', id: 'a' },
      ]);
  });

  it('an authorization with nothing staged (erased, or delivered twice) changes nothing', async () => {
    await spec.given({ [VERIFIED_ACTS]: { a: { ...staged, authorizedAt: '2026-11-20T08:07:00.000Z', method: 'sms' } } }).when(actAuthorized('a')).thenNothing();
  });

  it('a failure drops the staged act: a failed act is never shown as authorized', async () => {
    await spec.given({ [STAGED]: { a: staged } }).when(actFailed('a', 'identity-mismatch')).thenChanges([{ collection: STAGED, op: 'delete', id: 'a' }]);
  });

  it('a code issued changes nothing', async () => {
    await spec.given({ [STAGED]: { a: staged } }).when(codeIssued('a')).thenNothing();
  });
});
