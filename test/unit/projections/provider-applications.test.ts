import { describe, it } from 'vitest';
import { PROVIDER_APPLICATIONS, providerApplicationsProjection } from '../../../projections/provider-applications.ts';
import { projectionSpec, recordedEvent } from '../../support/projection-spec.ts';

const spec = projectionSpec(providerApplicationsProjection);
const filed = {
  providerId: 'p-1',
  applicationId: 'a-1',
  environment: 'integration',
  owner: { name: 'Owner', registrationNumber: '123' },
  technicalContact: { name: 'Ada', email: 'ada@example.org' },
  skipSimulator: false,
  filingSequence: 7,
  filedAt: '2026-11-20T08:00:00.000Z',
};

describe('provider-applications projection', () => {
  it('a filed application is undecided, with its environment and filing sequence (no owner or contact)', async () => {
    await spec
      .given()
      .when(recordedEvent('provider-p-1', 'ApplicationFiled', filed))
      .thenChanges([
        {
          collection: PROVIDER_APPLICATIONS,
          op: 'put',
          id: 'a-1',
          doc: { applicationId: 'a-1', providerId: 'p-1', environment: 'integration', filingSequence: 7, skipSimulator: false, filedAt: filed.filedAt, status: 'undecided' },
        },
      ]);
  });

  it('a decision names who, when, and why it was taken early', async () => {
    await spec
      .given()
      .when(recordedEvent('provider-p-1', 'ApplicationApproved', { providerId: 'p-1', applicationId: 'a-1', by: 'admin:bob', reason: 'ok', outOfOrderReason: 'urgent', approvedAt: '2026-11-20T09:00:00.000Z' }, { revision: 1 }))
      .thenChanges([{ collection: PROVIDER_APPLICATIONS, op: 'merge', id: 'a-1', doc: { status: 'approved', decidedBy: 'admin:bob', decidedAt: '2026-11-20T09:00:00.000Z', outOfOrderReason: 'urgent' } }]);
    await spec
      .given()
      .when(recordedEvent('provider-p-1', 'ApplicationRejected', { providerId: 'p-1', applicationId: 'a-1', by: 'admin:bob', reason: 'no', rejectedAt: '2026-11-20T09:00:00.000Z' }, { revision: 1 }))
      .thenChanges([{ collection: PROVIDER_APPLICATIONS, op: 'merge', id: 'a-1', doc: { status: 'rejected', decidedBy: 'admin:bob', decidedAt: '2026-11-20T09:00:00.000Z' } }]);
  });
});
