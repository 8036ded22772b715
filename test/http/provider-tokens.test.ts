import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { CLIENT_ASSERTION_TYPE } from '../../src/app/providers/client-assertions.ts';
import { ADMIN_TOKEN, clientAssertion, providerKeyPair } from '../support/ledger.ts';
import { namedAdminToken } from '../support/admins.ts';
import { certificateAssertion, TestCertificates, thumbprintOf } from '../support/certificates.ts';
import { certificateInstant, ENVIRONMENT_BOOTSTRAP, environmentLedger, ledgerWithClock, MovingClock, OnboardingAdmin } from '../support/onboarding.ts';

async function askToken(ledger: Ledger, assertion: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await ledger.app.inject({
    method: 'POST',
    url: '/api/v1/token',
    payload: { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion },
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

const tokenEndpoint = (ledger: Ledger) => `${ledger.services.config.publicUrl}/api/v1/token`;

describe('tokens in an integration ledger: registered certificates sign, access decides', () => {
  const clock = new MovingClock();
  let ledger: Ledger;
  let admin: OnboardingAdmin;
  let certificates: TestCertificates;

  beforeAll(async () => {
    ledger = await environmentLedger('integration', {}, clock);
    admin = new OnboardingAdmin(ledger, (await namedAdminToken(ledger, ['onboarding', 'providers'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP })).token);
    certificates = new TestCertificates();
  }, 60_000);
  afterAll(async () => {
    certificates?.remove();
    await ledger?.close();
  });

  /** An assertion signed with certificate `name`'s key, naming it by x5t#S256 unless `header` says otherwise. */
  const signedBy = (providerId: string, name: string, pem: string, alg: string, header: Record<string, unknown> = {}) =>
    certificateAssertion({ providerId, privateKeyPem: certificates.privateKey(name), certificatePem: pem, alg, audience: tokenEndpoint(ledger), header });

  it('signs with a registered signing certificate named by x5t#S256 or kid, with the one algorithm its key pins', async () => {
    const providerId = await admin.admitted('Certificate Signer');
    const ec = certificates.current('ec-signer');
    const ecId = await admin.certificate(providerId, ec);
    const rsa = certificates.current('rsa-signer', 'rsa-2048');
    await admin.certificate(providerId, rsa);
    const ed = certificates.current('ed-signer', 'ed25519');
    await admin.certificate(providerId, ed);
    const p384 = certificates.current('p384-signer', 'P-384');
    await admin.certificate(providerId, p384);

    for (const assertion of [
      await signedBy(providerId, 'ec-signer', ec, 'ES256'),
      await signedBy(providerId, 'ec-signer', ec, 'ES256', { 'x5t#S256': undefined, kid: ecId }),
      await signedBy(providerId, 'ec-signer', ec, 'ES256', { 'x5t#S256': undefined, kid: thumbprintOf(ec) }),
      await signedBy(providerId, 'rsa-signer', rsa, 'PS256'),
      await signedBy(providerId, 'ed-signer', ed, 'EdDSA'),
      await signedBy(providerId, 'p384-signer', p384, 'ES384'),
    ]) {
      const answer = await askToken(ledger, assertion);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const profile = await ledger.app.inject({ method: 'GET', url: '/api/v1/provider', headers: { authorization: `Bearer ${answer.body.access_token}` } });
      expect(profile.statusCode, profile.body).toBe(200);
    }

    // RSASSA-PKCS1-v1_5 and a hash not the curve's are not the pinned algorithms.
    for (const assertion of [await signedBy(providerId, 'rsa-signer', rsa, 'RS256'), await signedBy(providerId, 'p384-signer', p384, 'ES256').catch(() => undefined)]) {
      if (!assertion) continue;
      const refused = await askToken(ledger, assertion);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ type: 'urn:problem:act-ledger:invalid-client', reason: 'claims-invalid' });
    }
  });

  it('refuses an assertion naming no registered certificate, signed by another key, or by a revoked or transport certificate', async () => {
    const providerId = await admin.admitted('Careful Signer');
    const mine = certificates.current('careful-signer');
    const mineId = await admin.certificate(providerId, mine);
    const stranger = certificates.current('stranger');
    const transport = certificates.current('careful-transport');
    await admin.certificate(providerId, transport, 'transport');

    const reasons = async (assertion: string) => {
      const answer = await askToken(ledger, assertion);
      expect(answer.status, JSON.stringify(answer.body)).toBe(401);
      expect(answer.body.type).toBe('urn:problem:act-ledger:invalid-client');
      return answer.body.reason as string;
    };
    expect(await reasons(await signedBy(providerId, 'stranger', stranger, 'ES256'))).toBe('certificate-unknown');
    // The stranger's key, claiming to be the registered certificate.
    expect(await reasons(await signedBy(providerId, 'stranger', stranger, 'ES256', { 'x5t#S256': thumbprintOf(mine) }))).toBe('signature-invalid');
    expect(await reasons(await signedBy(providerId, 'careful-transport', transport, 'ES256'))).toBe('certificate-unknown');
    // kid and x5t#S256 naming two different certificates.
    expect(await reasons(await signedBy(providerId, 'careful-signer', mine, 'ES256', { kid: 'another-certificate-id', 'x5t#S256': thumbprintOf(mine) }))).toBe('certificate-unknown');
    // No certificate named at all, and no plain keys outside the simulator.
    const pair = await providerKeyPair();
    expect(await reasons(await clientAssertion({ ...pair, providerId }, tokenEndpoint(ledger)))).toBe('certificate-unknown');

    const revoked = await admin.send('POST', `/api/v1/admin/providers/${providerId}/certificates/${mineId}/revocation`, { reason: 'key compromised' });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(await reasons(await signedBy(providerId, 'careful-signer', mine, 'ES256'))).toBe('certificate-revoked');
  });

  it('takes no plain keys outside the simulator', async () => {
    const res = await admin.send('POST', '/api/v1/admin/providers', { name: 'Plain Keys', jwks: { keys: [(await providerKeyPair()).publicJwk] } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('signing certificates');
  });

  it('a certificate that has expired since it was registered signs nothing', async () => {
    const providerId = await admin.admitted('Short Certificate');
    const now = Date.now();
    const pem = certificates.dated('short-lived', certificateInstant(now - 60_000), certificateInstant(now + 3_000));
    await admin.certificate(providerId, pem);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, now + 4_000 - Date.now())));
    const answer = await askToken(ledger, await signedBy(providerId, 'short-lived', pem, 'ES256'));
    expect(answer.status).toBe(401);
    expect(answer.body.reason).toBe('certificate-expired');
  });

  it('issues tokens inside the 30-day support window only; an extension opens it again', async () => {
    const providerId = await admin.admitted('Window Watcher');
    const pem = certificates.current('window-signer', 'P-256', 5);
    await admin.certificate(providerId, pem);
    const ask = async () => askToken(ledger, await signedBy(providerId, 'window-signer', pem, 'ES256'));
    expect((await ask()).status).toBe(200);

    clock.advanceDays(31);
    const expired = await ask();
    expect(expired.status).toBe(403);
    expect(expired.body).toMatchObject({ type: 'urn:problem:act-ledger:environment-access-expired' });

    const { access } = (await admin.send('GET', `/api/v1/admin/providers/${providerId}/onboarding`)).body as { access: Record<string, { grantedAt: string }> };
    const extended = await admin.send('POST', `/api/v1/admin/providers/${providerId}/support-extension`, {
      supportUntil: new Date(Date.parse(access.integration!.grantedAt) + 60 * 24 * 60 * 60 * 1000).toISOString(),
    });
    expect(extended.status, JSON.stringify(extended.body)).toBe(200);
    expect((await ask()).status).toBe(200);
    clock.advanceDays(30);
    expect((await ask()).body.type).toBe('urn:problem:act-ledger:environment-access-expired');
  });
});

describe('tokens in the simulator: registration admits for 21 days', () => {
  it('issues tokens from registration, and none once the support window has ended', async () => {
    const clock = new MovingClock();
    const ledger = await ledgerWithClock(clock);
    try {
      const pair = await providerKeyPair();
      const res = await ledger.app.inject({
        method: 'POST',
        url: '/api/v1/admin/providers',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'Sandbox e-service', jwks: { keys: [pair.publicJwk] } },
      });
      expect(res.statusCode, res.body).toBe(201);
      const identity = { ...pair, providerId: (res.json() as { providerId: string }).providerId };
      expect((await askToken(ledger, await clientAssertion(identity, tokenEndpoint(ledger)))).status).toBe(200);
      clock.advanceDays(20);
      expect((await askToken(ledger, await clientAssertion(identity, tokenEndpoint(ledger)))).status).toBe(200);
      clock.advanceDays(2);
      const ended = await askToken(ledger, await clientAssertion(identity, tokenEndpoint(ledger)));
      expect(ended.status).toBe(403);
      expect(ended.body).toMatchObject({ type: 'urn:problem:act-ledger:environment-access-expired', detail: expect.stringContaining('simulator') });
    } finally {
      await ledger.close();
    }
  });
});
