import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { namedAdminToken } from '../support/admins.ts';
import { TestCertificates } from '../support/certificates.ts';
import { ENVIRONMENT_BOOTSTRAP, environmentLedger, OnboardingAdmin } from '../support/onboarding.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('onboarding in an integration ledger', () => {
  let ledger: Ledger;
  let admin: OnboardingAdmin;
  let certificates: TestCertificates;

  beforeAll(async () => {
    ledger = await environmentLedger('integration');
    const named = await namedAdminToken(ledger, ['onboarding', 'providers'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP });
    admin = new OnboardingAdmin(ledger, named.token, { skipSimulator: true });
    certificates = new TestCertificates();
  }, 60_000);
  afterAll(async () => {
    certificates?.remove();
    await ledger?.close();
  });

  it('applications are numbered in filing order; deciding a later one first needs a reason', async () => {
    const first = await admin.file(await admin.provider('First Filer'));
    const second = await admin.file(await admin.provider('Second Filer'));
    expect(second.filingSequence).toBeGreaterThan(first.filingSequence);

    const queue = await admin.send('GET', '/api/v1/admin/applications?status=undecided');
    expect(queue.status).toBe(200);
    const ids = (queue.body.applications as Array<{ applicationId: string; environment: string }>).map((a) => a.applicationId);
    expect(ids.indexOf(first.applicationId)).toBeLessThan(ids.indexOf(second.applicationId));
    expect(queue.body.applications.every((a: { environment: string }) => a.environment === 'integration')).toBe(true);

    const early = await admin.send('POST', `/api/v1/admin/applications/${second.applicationId}/approval`, { reason: 'complete' });
    expect(early.status).toBe(409);
    expect(early.contentType).toMatch(/^application\/problem\+json/);
    expect(early.body).toMatchObject({ type: 'urn:problem:act-ledger:application-out-of-order', earliestUndecidedFilingSequence: first.filingSequence });

    const withReason = await admin.send('POST', `/api/v1/admin/applications/${second.applicationId}/approval`, { reason: 'complete', outOfOrderReason: 'the earlier filer asked us to wait' });
    expect(withReason.status, JSON.stringify(withReason.body)).toBe(200);
    const taken = (await admin.send('GET', '/api/v1/admin/applications?status=approved')).body.applications.find((a: { applicationId: string }) => a.applicationId === second.applicationId);
    expect(taken).toMatchObject({ status: 'approved', outOfOrderReason: 'the earlier filer asked us to wait' });

    // Now the earlier one is the first in the queue and is decided without a reason.
    const rejected = await admin.send('POST', `/api/v1/admin/applications/${first.applicationId}/rejection`, { reason: 'owner not identified' });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    const again = await admin.send('POST', `/api/v1/admin/applications/${first.applicationId}/approval`, { reason: 'second thoughts' });
    expect(again.body).toMatchObject({ type: 'urn:problem:act-ledger:application-already-decided' });
  });

  it('filings at the same moment each get a number of their own', async () => {
    const providers = await Promise.all([1, 2, 3, 4, 5].map((n) => admin.provider(`Concurrent Filer ${n}`)));
    const filed = await Promise.all(providers.map((providerId) => admin.file(providerId)));
    expect(new Set(filed.map((f) => f.filingSequence)).size).toBe(5);
    // Clear the queue for the tests after, in filing order.
    for (const { applicationId } of [...filed].sort((a, b) => a.filingSequence - b.filingSequence)) {
      const res = await admin.send('POST', `/api/v1/admin/applications/${applicationId}/rejection`, { reason: 'test filing' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
  });

  it('an application for an unknown provider is refused', async () => {
    const res = await admin.send('POST', '/api/v1/admin/providers/nobody-here/applications', { owner: { name: 'Nobody', registrationNumber: '1234567890' }, technicalContact: { name: 'Ada Tester', email: 'ada@example.org' } });
    expect(res.status).toBe(404);
    expect(res.body.type).toBe('urn:problem:act-ledger:not-found');
  });

  it('approval grants access with a 30-day support window, extendable to at most 90 days from the grant', async () => {
    const providerId = await admin.provider('Supported Provider');
    const { applicationId } = await admin.file(providerId);
    const approved = await admin.send('POST', `/api/v1/admin/applications/${applicationId}/approval`, { reason: 'complete', outOfOrderReason: 'other tests leave undecided ones' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const access = approved.body.access.integration as { grantedAt: string; supportUntil: string };
    expect(Date.parse(access.supportUntil) - Date.parse(access.grantedAt)).toBe(30 * DAY_MS);

    const tooLong = await admin.send('POST', `/api/v1/admin/providers/${providerId}/support-extension`, { supportUntil: new Date(Date.parse(access.grantedAt) + 91 * DAY_MS).toISOString() });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.type).toBe('urn:problem:act-ledger:support-extension-not-allowed');

    const sixty = new Date(Date.parse(access.grantedAt) + 60 * DAY_MS).toISOString();
    const extended = await admin.send('POST', `/api/v1/admin/providers/${providerId}/support-extension`, { supportUntil: sixty });
    expect(extended.status, JSON.stringify(extended.body)).toBe(200);
    const timeline = await admin.send('GET', `/api/v1/admin/providers/${providerId}/onboarding`);
    expect(timeline.body.access.integration.supportUntil).toBe(sixty);
  });

  it('registers a current certificate and refuses an expired or malformed one', async () => {
    const providerId = await admin.provider('Certified Provider');
    const { applicationId } = await admin.file(providerId);
    await admin.send('POST', `/api/v1/admin/applications/${applicationId}/approval`, { reason: 'complete', outOfOrderReason: 'other tests leave undecided ones' });

    const registered = await admin.send('POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose: 'signing', pem: certificates.current('signing') });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.thumbprintSha256).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const expired = await admin.send('POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose: 'signing', pem: certificates.dated('expired', '20200101000000Z', '20200201000000Z') });
    expect(expired.status).toBe(422);
    expect(expired.contentType).toMatch(/^application\/problem\+json/);
    expect(expired.body.type).toBe('urn:problem:act-ledger:certificate-expired');

    const malformed = await admin.send('POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose: 'transport', pem: 'not a certificate' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.type).toBe('urn:problem:act-ledger:certificate-malformed');

    const revoked = await admin.send('POST', `/api/v1/admin/providers/${providerId}/certificates/${registered.body.certificateId}/revocation`, { reason: 'key rotated' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.certificates.find((c: { certificateId: string }) => c.certificateId === registered.body.certificateId).revoked).toBe(true);
  });
});

describe('onboarding in a production ledger', () => {
  let ledger: Ledger;
  let first: OnboardingAdmin;
  let second: OnboardingAdmin;
  let withoutRole: OnboardingAdmin;

  beforeAll(async () => {
    ledger = await environmentLedger('production');
    first = new OnboardingAdmin(ledger, (await namedAdminToken(ledger, ['onboarding', 'providers'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP })).token);
    second = new OnboardingAdmin(ledger, (await namedAdminToken(ledger, ['onboarding'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP })).token);
    withoutRole = new OnboardingAdmin(ledger, (await namedAdminToken(ledger, ['providers', 'retention'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP })).token);
  }, 60_000);
  afterAll(async () => ledger?.close());

  it('the connection decision needs a second admin; activation needs an approving decision', async () => {
    const providerId = await first.provider('Production Provider');
    const { applicationId } = await first.file(providerId);
    const approved = await first.send('POST', `/api/v1/admin/applications/${applicationId}/approval`, { reason: 'connection agreement signed' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.access.production.supportUntil).toBeNull();

    // Approving needs conformance passed in integration, which this ledger has not seen.
    const approve = await first.send('POST', `/api/v1/admin/providers/${providerId}/connection-decision`, { decision: 'approve', reason: 'ready' });
    expect(approve.body.type).toBe('urn:problem:act-ledger:conformance-missing');

    const proposed = await first.send('POST', `/api/v1/admin/providers/${providerId}/connection-decision`, { decision: 'refuse', reason: 'no conformance record' });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(202);
    expect(proposed.body).toMatchObject({ status: 'awaiting-confirmation' });
    expect((await first.send('GET', `/api/v1/admin/providers/${providerId}/onboarding`)).body.connection).toBeUndefined();

    const self = await first.send('POST', `/api/v1/admin/changes/${proposed.body.changeId}/confirmation`);
    expect(self.status).toBe(403);
    expect(self.body.type).toBe('urn:problem:act-ledger:change-self-confirmation');

    const noRole = await withoutRole.send('POST', `/api/v1/admin/changes/${proposed.body.changeId}/confirmation`);
    expect(noRole.status).toBe(403);
    expect(noRole.body.type).toBe('urn:problem:act-ledger:change-role-missing');

    const confirmed = await second.send('POST', `/api/v1/admin/changes/${proposed.body.changeId}/confirmation`);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body).toMatchObject({ kind: 'provider-connection-decision', status: 'applied', result: { providerId, connection: { decision: 'refuse' } } });
    const timeline = await first.send('GET', `/api/v1/admin/providers/${providerId}/onboarding`);
    expect(timeline.body.connection).toMatchObject({ decision: 'refuse' });

    const activation = await first.send('POST', `/api/v1/admin/providers/${providerId}/production-activation`);
    expect(activation.status).toBe(409);
    expect(activation.body.type).toBe('urn:problem:act-ledger:connection-not-decided');
  });
});
