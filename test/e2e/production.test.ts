import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { compactDecrypt, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/server.ts';
import { namedAdminToken } from '../support/admins.ts';
import { TestCertificates } from '../support/certificates.ts';
import {
  AdminSession,
  IntegrationRecordSigner,
  admit,
  certificateToken,
  decideAndActivate,
  importRecord,
  passedIntegrationRecord,
  registerCertificates,
  type SigningCertificate,
} from '../support/provider-onboarding.ts';
import { startGoogle, startSmsGateway, type GoogleStandIn, type SmsGatewayStandIn } from '../support/standins.ts';
import { codeInText } from '../support/delivery.ts';

/**
 * The production environment end to end: a real ledger process with nothing simulated, an SMS
 * gateway and Google (token endpoint and FCM) of the test's own as separate processes. Citizens come
 * from the admin citizen API, codes are read from what the stand-ins received, and a device that
 * registered a public key gets its code as a JWE only it can open. The provider is onboarded as
 * production onboards one: its integration record imported (signed by a key of the test's own, which
 * the ledger is told is integration's), an application approved, certificates of the integration
 * profiles registered, the connection decided and the provider activated, each by four eyes.
 */
const PUBLIC_URL = 'https://ledger.test';

describe('production environment: real delivery end to end', () => {
  let sms: SmsGatewayStandIn;
  let google: GoogleStandIn;
  let ledger: RunningServer;
  let providerId: string;
  let signing: SigningCertificate;
  let certificates: TestCertificates;
  let device: { privateKey: CryptoKey; publicJwk: Record<string, unknown> };
  const adminToken = randomBytes(32).toString('base64url');
  // The bootstrap token only makes admins here: providers and citizens are a named admin's work.
  let operatorToken: string;

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${ledger.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${operatorToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    [sms, google] = await Promise.all([startSmsGateway(), startGoogle()]);
    const integration = await IntegrationRecordSigner.create();
    ledger = await startServer({
      LEDGER_ENVIRONMENT: 'production',
      LEDGER_PUBLIC_URL: PUBLIC_URL,
      LEDGER_ADMIN_TOKEN: adminToken,
      ...sms.env,
      ...google.env,
      // Nothing listens here: starting must not depend on the OpenID Provider (codes need none).
      OIDC_ISSUER: 'http://127.0.0.1:9/op',
      OIDC_CLIENT_ID: 'ledger',
      OIDC_CLIENT_SECRET: 'secret',
      LEDGER_PREVIOUS_ENVIRONMENT_JWKS: integration.jwksFile,
    });
    const target = { url: ledger.url, publicUrl: PUBLIC_URL };
    operatorToken = (await namedAdminToken(target, ['providers', 'registry', 'onboarding'], { bootstrapToken: adminToken })).token;
    const confirmer = new AdminSession(ledger.url, (await namedAdminToken(target, ['onboarding'], { bootstrapToken: adminToken })).token);
    const operator = new AdminSession(ledger.url, operatorToken);

    certificates = new TestCertificates();
    const ec = { keyType: 'ec', curve: 'P-256', signatureAlgorithm: 'ecdsa-with-SHA256' } as const;
    const record = passedIntegrationRecord({ name: 'Finanční úřad', returnUrls: ['https://provider.example/return'] }, [
      { purpose: 'signing', pem: certificates.current('integration-signing'), profile: ec },
      { purpose: 'transport', pem: certificates.current('integration-transport'), profile: ec },
    ]);
    providerId = randomUUID();
    await importRecord(operator, await integration.sign(providerId, record));
    await admit(operator, providerId, 'connection agreement signed');
    signing = { certificatePem: certificates.current('production-signing'), privateKeyPem: certificates.privateKey('production-signing'), alg: 'ES256' };
    await registerCertificates(operator, providerId, { signing: signing.certificatePem, transport: certificates.current('production-transport') });
    await decideAndActivate(operator, confirmer, providerId);
    const keys = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const { kty, crv, x, y } = await exportJWK(keys.publicKey);
    device = { privateKey: keys.privateKey, publicJwk: { kty, crv, x, y } };
  }, 120_000);

  afterAll(async () => {
    await ledger?.stop();
    await Promise.all([sms?.stop(), google?.stop()]);
    certificates?.remove();
  });

  async function accessToken(): Promise<string> {
    const res = await certificateToken(ledger.url, PUBLIC_URL, providerId, signing);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return String(res.body.access_token);
  }

  /** A citizen fed by the operator, and the SePP the provider knows them by. */
  async function citizen(options: { phone?: string; mobileKey?: boolean }): Promise<string> {
    const aifo = `aifo-${randomUUID()}`;
    const put = await admin('PUT', `/api/v1/admin/citizens/${aifo}`, {
      displayName: 'Jana Nováková',
      country: 'CZ',
      ...(options.phone ? { phone: options.phone, phoneVerified: true, phoneAllowed: true } : { phoneVerified: false, phoneAllowed: false }),
    });
    expect(put.status, await put.clone().text()).toBe(201);
    if (options.mobileKey) {
      const added = await admin('POST', `/api/v1/admin/citizens/${aifo}/mobile-keys`, { fcmToken: `fcm-${randomUUID()}`, label: 'Jana’s phone', publicKey: device.publicJwk });
      expect(added.status, await added.clone().text()).toBe(201);
    }
    const sepp = await admin('GET', `/api/v1/admin/citizens/${aifo}/sepp?providerId=${providerId}`);
    expect(sepp.status).toBe(200);
    return ((await sepp.json()) as { sepp: string }).sepp;
  }

  async function api(token: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${ledger.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  async function deliveredCode(token: string, actId: string, codeId: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const act = await api(token, 'GET', `/api/v1/acts/${actId}`);
      const code = (act.body.codes as Array<{ codeId: string; delivery: string }>).find((c) => c.codeId === codeId)!;
      if (code.delivery !== 'pending') return code;
      if (Date.now() > deadline) throw new Error(`code ${codeId} still pending`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function authorizeWith(channel: 'sms' | 'mobile-key', sepp: string, readCode: (codeId: string) => Promise<string>) {
    const token = await accessToken();
    const documentHash = createHash('sha256').update(randomUUID()).digest('hex');
    const act = await api(token, 'POST', '/api/v1/acts', { sepp, documentHash, name: 'Daňové přiznání 2026', description: 'Podání přiznání k dani z příjmů' });
    expect(act.status).toBe(201);
    expect(act.body.methods).toContain(channel);
    const actId = act.body.actId as string;
    const issued = await api(token, 'POST', `/api/v1/acts/${actId}/codes`, { channel });
    expect(issued.status).toBe(201);
    expect(issued.body.delivery).toBe('pending');
    const codeId = issued.body.codeId as string;
    expect(await deliveredCode(token, actId, codeId)).toMatchObject({ delivery: 'sent' });
    const code = await readCode(codeId);
    expect(createHash('sha256').update(`${actId}:${code}`).digest('hex')).toBe(issued.body.codeSha256);
    const verified = await api(token, 'POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { codeSha512: createHash('sha512').update(`${actId}:${code}`).digest('hex') });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ result: 'authorized', status: 'authorized' });
    expect((await api(token, 'GET', `/api/v1/acts/${actId}`)).body).toMatchObject({ status: 'authorized', method: channel });
  }

  it('authorizes an act by SMS, the code read from what the gateway received', async () => {
    const sepp = await citizen({ phone: '+420601555123' });
    await authorizeWith('sms', sepp, async (codeId) => {
      const { requests, failures } = await sms.received();
      expect(failures).toEqual([]);
      const request = requests.find((r) => r.idempotencyKey === codeId)!;
      expect(request.body).toMatchObject({ to: '+420601555123', reference: codeId });
      expect(request.body!.text).toContain('Finanční úřad');
      return codeInText(request.body!.text)!;
    });
  });

  it('authorizes an act by Mobile Key, the code a JWE for the device that FCM carried but could not read', async () => {
    const sepp = await citizen({ mobileKey: true });
    await authorizeWith('mobile-key', sepp, async (codeId) => {
      const { messages, grants, failures } = await google.received();
      expect(failures).toEqual([]);
      expect(grants.length).toBeGreaterThan(0);
      expect(grants.every((g) => g.signatureValid)).toBe(true);
      const sent = messages.find((m) => m.message && JSON.stringify(m.message).length > 0 && m.message.data.jwe)!;
      expect(sent.message!.android.priority).toBe('high');
      expect(Object.keys(sent.message!.data)).toEqual(['jwe']);
      // No code in clear in what FCM carries, in either language of the text.
      expect(JSON.stringify(sent.message)).not.toMatch(/(Code|Kód): \d/);
      const { plaintext, protectedHeader } = await compactDecrypt(sent.message!.data.jwe!, device.privateKey);
      expect(protectedHeader).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });
      const payload = JSON.parse(new TextDecoder().decode(plaintext)) as { codeId: string; code: string };
      expect(payload.codeId).toBe(codeId);
      return payload.code;
    });
  });

  async function registerAct(token: string, sepp: string) {
    const documentHash = createHash('sha256').update(randomUUID()).digest('hex');
    const act = await api(token, 'POST', '/api/v1/acts', { sepp, documentHash, name: 'Daňové přiznání 2026', description: 'Podání přiznání k dani z příjmů' });
    expect(act.status).toBe(201);
    return act.body as { actId: string; methods: string[] };
  }

  it('retries an SMS the gateway answered 503 with Retry-After, and fails for good one it refused with 400', async () => {
    const token = await accessToken();
    const sepp = await citizen({ phone: '+420601555124' });
    const { actId } = await registerAct(token, sepp);

    await sms.script('sms', { status: 503, headers: { 'retry-after': '1' } });
    const first = await api(token, 'POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
    expect(first.body.delivery).toBe('pending');
    expect(await deliveredCode(token, actId, first.body.codeId)).toMatchObject({ delivery: 'sent' });
    const tries = (await sms.received()).requests.filter((r) => r.idempotencyKey === first.body.codeId);
    expect(tries.map((r) => r.answered)).toEqual([503, expect.any(Number)]);
    expect(Date.parse(tries[1]!.receivedAt) - Date.parse(tries[0]!.receivedAt), 'the retry waited for Retry-After').toBeGreaterThanOrEqual(950);

    await sms.script('sms', { status: 400 });
    const second = await api(token, 'POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
    const failed = (await deliveredCode(token, actId, second.body.codeId)) as { delivery: string; failure?: { reason: string } };
    expect(failed).toMatchObject({ delivery: 'failed' });
    expect(failed.failure!.reason).toContain('400');
    expect((await sms.received()).requests.filter((r) => r.idempotencyKey === second.body.codeId)).toHaveLength(1);
  });

  it('FCM UNREGISTERED removes the device from the registry, and the person is no longer offered mobile-key', async () => {
    const token = await accessToken();
    const aifo = `aifo-${randomUUID()}`;
    expect((await admin('PUT', `/api/v1/admin/citizens/${aifo}`, { country: 'CZ', phoneVerified: false, phoneAllowed: false })).status).toBe(201);
    expect((await admin('POST', `/api/v1/admin/citizens/${aifo}/mobile-keys`, { fcmToken: `fcm-${randomUUID()}`, label: 'Old phone' })).status).toBe(201);
    const sepp = ((await (await admin('GET', `/api/v1/admin/citizens/${aifo}/sepp?providerId=${providerId}`)).json()) as { sepp: string }).sepp;
    const { actId, methods } = await registerAct(token, sepp);
    expect(methods).toContain('mobile-key');

    await google.script('send', { status: 404, errorCode: 'UNREGISTERED' });
    const issued = await api(token, 'POST', `/api/v1/acts/${actId}/codes`, { channel: 'mobile-key' });
    const failed = (await deliveredCode(token, actId, issued.body.codeId)) as { delivery: string; failure?: { reason: string } };
    expect(failed).toMatchObject({ delivery: 'failed' });
    expect(failed.failure!.reason).toMatch(/unregistered/i);

    const record = (await (await admin('GET', `/api/v1/admin/citizens/${aifo}`)).json()) as { mobileKeys: unknown[]; removedMobileKeys?: Array<{ reason: string; label: string }> };
    expect(record.mobileKeys).toEqual([]);
    expect(record.removedMobileKeys).toEqual([expect.objectContaining({ reason: 'unregistered', label: 'Old phone' })]);
    expect((await registerAct(token, sepp)).methods).not.toContain('mobile-key');
  });

  it('serves nothing of the simulator', async () => {
    for (const path of ['/simulator/identity', '/simulator/phones', '/api/v1/admin/test-persons']) {
      const res = await fetch(`${ledger.url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(res.status, path).toBe(404);
    }
  });
});
