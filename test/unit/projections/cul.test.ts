import { describe, it } from 'vitest';
import { CUL_ENTRIES, CUL_LOG_TYPE, culProjection } from '../../../projections/cul.ts';
import { projectionSpec } from '../../support/projection-spec.ts';
import { DOCUMENT, actAuthorized, actFailed, actRegistered, codeIssued } from '../../support/act-events.ts';

const STAGED = 'cul_pending';
const spec = projectionSpec(culProjection);
const staged = { actId: 'a', aifo: 'aifo-jana', providerName: 'Finanční úřad', actName: 'Tax return 2025', description: 'Annual income tax return', documentHash: DOCUMENT };

describe('cul projection: one digital-act-authorization entry per authorized act, in its citizen\'s log', () => {
  it('a registered act is staged under the AIFO of its citizen', async () => {
    await spec.given().when(actRegistered('a')).thenChanges([{ collection: STAGED, op: 'put', id: 'a', doc: staged }]);
  });

  it('an erased registration stages nothing', async () => {
    await spec.given().when(actRegistered('a', { erased: true })).thenNothing();
  });

  it('an authorization writes the log entry, with method and time, and unstages the act', async () => {
    await spec
      .given({ [STAGED]: { a: staged } })
      .when(actAuthorized('a', 'authentication', '2026-11-20T08:09:00.000Z'))
      .thenChanges([
        { collection: CUL_ENTRIES, op: 'put', id: 'a', doc: { ...staged, logType: CUL_LOG_TYPE, method: 'authentication', occurredAt: '2026-11-20T08:09:00.000Z' } },
        { collection: STAGED, op: 'delete', id: 'a' },
      ]);
  });

  it('an authorization with nothing staged writes no entry', async () => {
    await spec.given().when(actAuthorized('a')).thenNothing();
  });

  it('a failure writes no entry and unstages the act', async () => {
    await spec.given({ [STAGED]: { a: staged } }).when(actFailed('a', 'cancelled')).thenChanges([{ collection: STAGED, op: 'delete', id: 'a' }]);
  });

  it('a code issued changes nothing', async () => {
    await spec.given({ [STAGED]: { a: staged } }).when(codeIssued('a')).thenNothing();
  });
});
