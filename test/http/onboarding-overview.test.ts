import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { streamNames } from '../../events/envelope.ts';
import { namedAdminToken } from '../support/admins.ts';
import { TestCertificates } from '../support/certificates.ts';
import { certificateInstant, DAY_MS, ledgerWithClock, MovingClock, OnboardingAdmin } from '../support/onboarding.ts';

type Timeline = { providerId: string; name: string; events: Array<{ type: string; at: string; actor: string; summary: Record<string, string> }> };
type Attention = {
  now: string;
  supportEnding: Array<{ providerId: string; supportUntil: string; ended: boolean }>;
  certificatesExpiring: Array<{ providerId: string; certificateId: string; name: string; notAfter: string; expired: boolean }>;
};

describe("the onboarding overview: a provider's timeline and what runs out soon", () => {
  const clock = new MovingClock();
  let ledger: Ledger;
  let admin: OnboardingAdmin;
  let adminId: string;
  let withoutRole: OnboardingAdmin;
  let certificates: TestCertificates;

  beforeAll(async () => {
    ledger = await ledgerWithClock(clock);
    const named = await namedAdminToken(ledger, ['onboarding', 'providers']);
    admin = new OnboardingAdmin(ledger, named.token);
    adminId = named.admin.adminId;
    withoutRole = new OnboardingAdmin(ledger, (await namedAdminToken(ledger, ['providers', 'registry', 'retention', 'admins'])).token);
    certificates = new TestCertificates();
  }, 60_000);
  afterAll(async () => {
    certificates?.remove();
    await ledger?.close();
  });

  it("lists the provider's events in stream order, with who and when, and no key material", async () => {
    const providerId = await admin.provider('Timeline Provider');
    const { applicationId, filingSequence } = await admin.file(providerId);
    await admin.approve(applicationId, 'papers in order');
    const certificateId = await admin.certificate(providerId, certificates.current('timeline'));
    const revoked = await admin.send('POST', `/api/v1/admin/providers/${providerId}/certificates/${certificateId}/revocation`, { reason: 'key rotated' });
    expect(revoked.status).toBe(200);

    const res = await admin.send('GET', `/api/v1/admin/providers/${providerId}/timeline`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const timeline = res.body as Timeline;
    expect(timeline.name).toBe('Timeline Provider');
    expect(timeline.events.map((e) => e.type)).toEqual(['ProviderRegistered', 'EnvironmentAccessGranted', 'ApplicationFiled', 'ApplicationApproved', 'EnvironmentAccessGranted', 'CertificateRegistered', 'CertificateRevoked']);
    const recorded = await ledger.services.eventStore.readStream(streamNames.provider(providerId));
    expect(timeline.events.map((e) => e.at)).toEqual(recorded.map((r) => r.metadata.occurredAt));
    expect(timeline.events.every((e) => e.actor === `admin:${adminId}`)).toBe(true);
    // Registering in the simulator admitted it; the approved application admitted it again.
    expect(timeline.events[1]!.summary).toMatchObject({ environment: 'simulator' });
    expect(timeline.events[2]!.summary).toMatchObject({ applicationId, filingSequence: String(filingSequence), environment: 'simulator' });
    expect(timeline.events[3]!.summary).toMatchObject({ reason: 'papers in order', by: `admin:${adminId}` });
    expect(timeline.events[5]!.summary).toMatchObject({ certificateId, purpose: 'signing' });
    expect(timeline.events[6]!.summary).toMatchObject({ certificateId, reason: 'key rotated' });

    // The key is named by its kid; the JWK itself is not repeated.
    const registered = recorded[0]!.data as { keys: Array<{ kid: string; jwk: Record<string, string> }> };
    const key = registered.keys[0]!;
    expect(timeline.events[0]!.summary.keys).toBe(key.kid);
    const body = JSON.stringify(res.body);
    expect(body).not.toContain(key.jwk.x!);
    expect(body).not.toContain('"jwk"');
  });

  it('an unknown provider has no timeline', async () => {
    const res = await admin.send('GET', '/api/v1/admin/providers/nobody-here/timeline');
    expect(res.status).toBe(404);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toBe('urn:problem:act-ledger:not-found');
  });

  it('names support windows ending within 7 days or ended, and certificates expiring within 30 days (or as asked)', async () => {
    const start = clock.now().getTime();
    // Simulator support lasts 21 days from approval.
    const early = await admin.admitted('Early Provider');
    const soon = await admin.certificate(early, certificates.dated('soon', certificateInstant(start - DAY_MS), certificateInstant(start + 20 * DAY_MS)));
    const later = await admin.certificate(early, certificates.dated('later', certificateInstant(start - DAY_MS), certificateInstant(start + 60 * DAY_MS)), 'transport');
    const dropped = await admin.certificate(early, certificates.dated('dropped', certificateInstant(start - DAY_MS), certificateInstant(start + 10 * DAY_MS)));
    expect((await admin.send('POST', `/api/v1/admin/providers/${early}/certificates/${dropped}/revocation`, { reason: 'replaced' })).status).toBe(200);
    clock.advanceDays(10);
    const recent = await admin.admitted('Recent Provider');
    clock.advanceDays(6);

    const attention = async (query = ''): Promise<Attention> => {
      const res = await admin.send('GET', `/api/v1/admin/onboarding/attention${query}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as Attention;
    };
    const at16 = await attention();
    expect(Date.parse(at16.now)).toBeGreaterThanOrEqual(start + 16 * DAY_MS);
    const support = at16.supportEnding.filter((s) => [early, recent].includes(s.providerId));
    // Early's window ends in 5 days; Recent's in 15.
    expect(support).toEqual([expect.objectContaining({ providerId: early, ended: false })]);
    const certs = at16.certificatesExpiring.filter((c) => c.providerId === early);
    expect(certs).toEqual([expect.objectContaining({ certificateId: soon, name: 'Early Provider', expired: false })]);
    expect(at16.certificatesExpiring.map((c) => c.certificateId)).not.toContain(later);
    expect(at16.certificatesExpiring.map((c) => c.certificateId)).not.toContain(dropped);

    const wider = await attention('?withinDays=50');
    expect(wider.certificatesExpiring.filter((c) => c.providerId === early).map((c) => c.certificateId)).toEqual([soon, later]);

    clock.advanceDays(6);
    const at22 = await attention();
    expect(at22.supportEnding.filter((s) => [early, recent].includes(s.providerId))).toEqual([expect.objectContaining({ providerId: early, ended: true })]);
    expect(at22.certificatesExpiring.find((c) => c.certificateId === soon)).toMatchObject({ expired: true });
  });

  it('refuses a withinDays that is not a whole number of days from 1', async () => {
    for (const query of ['?withinDays=0', '?withinDays=abc', '?withinDays=1.5', '?other=1']) {
      const res = await admin.send('GET', `/api/v1/admin/onboarding/attention${query}`);
      expect(res.status, query).toBe(400);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
    }
  });

  it('needs the onboarding role, and an admin token at all', async () => {
    for (const url of ['/api/v1/admin/onboarding/attention', '/api/v1/admin/providers/nobody-here/timeline']) {
      const refused = await withoutRole.send('GET', url);
      expect(refused.status, url).toBe(403);
      expect(refused.body).toMatchObject({ type: 'urn:problem:act-ledger:missing-role', role: 'onboarding' });
      const anonymous = await ledger.app.inject({ method: 'GET', url });
      expect(anonymous.statusCode).toBe(401);
    }
  });
});
