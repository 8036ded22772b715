import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderRecord } from '../../events/provider.ts';
import { clientAssertion, providerKeyPair, type ProviderIdentity } from '../support/ledger.ts';
import { freePort, startServer, type RunningServer } from '../support/server.ts';
import { namedAdminToken } from '../support/admins.ts';
import { TestCertificates } from '../support/certificates.ts';
import { startOpenIdProvider, type TestOpenIdProvider } from '../support/openid-provider.ts';
import { newRsaKeyPair, serviceAccountJson, startSmsGateway, writeServiceAccount, type SmsGatewayStandIn } from '../support/standins.ts';
import { openIdProviderLogin, providerApi, runConformance, simulatedIdentityNode, simulatorPhone, smsGatewayCodes } from '../support/conformance-http.ts';
import { codeInText, settledDelivery, type DeliveredCodeView } from '../support/delivery.ts';
import { AdminSession, admit, certificateToken, confirmedByFourEyes, importRecord, registerCertificates, type SigningCertificate } from '../support/provider-onboarding.ts';

/**
 * One provider from its application to production activation across three real ledger processes,
 * each its own environment: the simulator (plain keys, simulated identity node and phones),
 * integration and production (certificates made here, an OpenID Provider, an SMS gateway stand-in).
 * Each ledger records conformance from the provider's own traffic; the record is passed on as a
 * JWS the next ledger verifies against the previous one's published keys.
 */
const RETURN = 'https://provider.example/return';
const JANA = 'test-person-jana';
const PRODUCTION_URL = 'https://production.ledger.test';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface Answer {
  status: number;
  body: Record<string, any>;
}

async function send(baseUrl: string, token: string, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

async function tokenFor(baseUrl: string, assertion: string): Promise<Answer> {
  const res = await fetch(`${baseUrl}/api/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** What a ledger outside the simulator needs besides its environment: gateways, an OpenID Provider, a strong bootstrap token. */
function realEnvironment(environment: 'integration' | 'production', options: { bootstrap: string; sms: SmsGatewayStandIn; previousJwks: string; oidc: { issuer: string; secret: string } }): Record<string, string> {
  return {
    LEDGER_ENVIRONMENT: environment,
    LEDGER_ADMIN_TOKEN: options.bootstrap,
    LEDGER_PREVIOUS_ENVIRONMENT_JWKS: options.previousJwks,
    ...options.sms.env,
    // No Mobile Key code is sent in this test: the service account only has to be one.
    LEDGER_MOBILE_KEY: 'fcm',
    FCM_SERVICE_ACCOUNT_FILE: writeServiceAccount(
      serviceAccountJson({ projectId: 'ledger-e2e', clientEmail: 'ledger@ledger-e2e.iam.gserviceaccount.com', privateKeyId: 'k1', privateKeyPem: newRsaKeyPair().privateKeyPem, tokenUri: 'http://127.0.0.1:9/token' }),
    ),
    OIDC_ISSUER: options.oidc.issuer,
    OIDC_CLIENT_ID: 'act-ledger',
    OIDC_CLIENT_SECRET: options.oidc.secret,
  };
}

describe('a provider onboarded across three ledger processes: simulator, integration, production', () => {
  let certificates: TestCertificates;
  let sms: SmsGatewayStandIn;
  let op: TestOpenIdProvider;
  let simulator: RunningServer;
  let integration: RunningServer;
  let production: RunningServer;
  const integrationBootstrap = randomBytes(32).toString('base64url');
  const productionBootstrap = randomBytes(32).toString('base64url');

  let simulatorKeys: ProviderIdentity;
  let providerId: string;
  let simulatorRecord: string;
  let integrationRecord: string;
  let integrationAdmin: AdminSession;
  let integrationToken: string;

  beforeAll(async () => {
    certificates = new TestCertificates();
    sms = await startSmsGateway();
    simulator = await startServer();
    // The integration ledger is configured with the OpenID Provider's address before the OP starts
    // (it needs the ledger's callback URL); the ledger discovers it on first use.
    const opPort = await freePort();
    const oidc = { issuer: `http://127.0.0.1:${opPort}`, secret: randomBytes(24).toString('base64url') };
    integration = await startServer(realEnvironment('integration', { bootstrap: integrationBootstrap, sms, previousJwks: `${simulator.url}/.well-known/jwks.json`, oidc }));
    op = await startOpenIdProvider({ redirectUri: `${integration.url}/authorize/callback`, port: opPort, clientSecret: oidc.secret });
    // Production authenticates nobody here: its OpenID Provider need not answer.
    production = await startServer({
      ...realEnvironment('production', { bootstrap: productionBootstrap, sms, previousJwks: `${integration.url}/.well-known/jwks.json`, oidc: { issuer: 'http://127.0.0.1:9/op', secret: 'secret' } }),
      LEDGER_PUBLIC_URL: PRODUCTION_URL,
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([simulator?.stop(), integration?.stop(), production?.stop()]);
    await Promise.all([sms?.stop(), op?.close()]);
    for (const server of [simulator, integration, production]) if (server) rmSync(server.dataDir, { recursive: true, force: true });
    certificates?.remove();
  });

  /** Certificate `name` (P-256 unless told) made now, with its key, as a client would sign with it. */
  const made = (name: string, keyType: 'P-256' | 'P-384' | 'rsa-2048' = 'P-256'): SigningCertificate => {
    const certificatePem = certificates.current(name, keyType);
    return { certificatePem, privateKeyPem: certificates.privateKey(name), alg: keyType === 'rsa-2048' ? 'RS256' : keyType === 'P-384' ? 'ES384' : 'ES256' };
  };

  it('simulator: registered with plain keys, the scripted set run over HTTP, conformance recorded by the ledger, the record exported', async () => {
    const admin = simulator.adminToken;
    simulatorKeys = { ...(await providerKeyPair()), providerId: '' };
    const registered = await send(simulator.url, admin, 'POST', '/api/v1/admin/providers', { name: 'Stavební úřad Brno', jwks: { keys: [simulatorKeys.publicJwk] }, returnUrls: [RETURN] });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    providerId = String(registered.body.providerId);
    simulatorKeys.providerId = providerId;

    const issued = await tokenFor(simulator.url, await clientAssertion(simulatorKeys, `${simulator.url}/api/v1/token`));
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    const token = String(issued.body.access_token);

    const before = await send(simulator.url, token, 'GET', '/api/v1/provider/conformance');
    expect(before.body).toMatchObject({ environment: 'simulator', passed: false });
    expect(before.body.missing).toHaveLength(6);
    const early = await send(simulator.url, admin, 'GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(early.body.type).toBe('urn:problem:act-ledger:conformance-missing');

    const sepp = String((await send(simulator.url, admin, 'GET', `/api/v1/admin/citizens/${JANA}/sepp?providerId=${providerId}`)).body.sepp);
    await runConformance({ ledgerUrl: simulator.url, token, sepp, returnUrl: RETURN, readCode: simulatorPhone(simulator.url, admin, JANA), authenticate: simulatedIdentityNode(JANA) });

    const checklist = await send(simulator.url, token, 'GET', '/api/v1/provider/conformance');
    expect(checklist.body, JSON.stringify(checklist.body)).toMatchObject({ environment: 'simulator', passed: true, missing: [] });

    const exported = await send(simulator.url, admin, 'GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(exported.status, JSON.stringify(exported.body)).toBe(200);
    simulatorRecord = String(exported.body.record);
    const claims = decodeJwt(simulatorRecord);
    expect(claims).toMatchObject({ iss: simulator.url, sub: providerId, aud: 'integration' });
    expect((claims.record as ProviderRecord).conformance.simulator).toBe(checklist.body.passedAt);
  }, 120_000);

  it('integration: imported, filed and approved, certificates registered, tokens only for assertions signed by the signing certificate', async () => {
    const target = { url: integration.url, publicUrl: integration.url };
    integrationAdmin = new AdminSession(integration.url, (await namedAdminToken(target, ['onboarding', 'providers', 'registry'], { bootstrapToken: integrationBootstrap })).token);

    const imported = await importRecord(integrationAdmin, simulatorRecord);
    expect(imported.body).toMatchObject({ providerId, imported: true, from: { environment: 'simulator', issuer: simulator.url } });
    // Without skipping the simulator: the imported record is what lets this approval through.
    const approved = await admit(integrationAdmin, providerId, 'simulator conformance imported');
    expect(approved.body.access.integration).toMatchObject({ supportUntil: expect.any(String) });

    const signing = made('integration-signing');
    const transport = made('integration-transport', 'rsa-2048');
    await registerCertificates(integrationAdmin, providerId, { signing: signing.certificatePem, transport: transport.certificatePem });

    // The simulator's plain key is the simulator's: here only a registered signing certificate counts.
    const plain = await tokenFor(integration.url, await clientAssertion(simulatorKeys, `${integration.url}/api/v1/token`));
    expect(plain.status, JSON.stringify(plain.body)).toBe(401);
    const byTransportKey = await certificateToken(integration.url, integration.url, providerId, transport);
    expect(byTransportKey.status, 'a transport certificate signs no client assertion').toBe(401);

    const issued = await certificateToken(integration.url, integration.url, providerId, signing);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    integrationToken = String(issued.body.access_token);
  }, 60_000);

  it('integration: the scripted set through the OpenID Provider and the SMS gateway passes conformance; the record is exported', async () => {
    const early = await integrationAdmin.send('GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(early.body.type).toBe('urn:problem:act-ledger:conformance-missing');

    // A citizen from the registry, with a phone the gateway delivers to and their subject at the OpenID Provider.
    const aifo = `aifo-${randomUUID()}`;
    const login = `op-${aifo}`;
    const put = await integrationAdmin.send('PUT', `/api/v1/admin/citizens/${aifo}`, {
      displayName: 'Jana Nováková', country: 'CZ', phone: '+420601555201', phoneVerified: true, phoneAllowed: true, identitySubject: login,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const sepp = String((await integrationAdmin.send('GET', `/api/v1/admin/citizens/${aifo}/sepp?providerId=${providerId}`)).body.sepp);

    const before = await send(integration.url, integrationToken, 'GET', '/api/v1/provider/conformance');
    expect(before.body).toMatchObject({ environment: 'integration', passed: false });
    expect(before.body.missing).toHaveLength(6);

    await runConformance({ ledgerUrl: integration.url, token: integrationToken, sepp, returnUrl: RETURN, readCode: smsGatewayCodes(sms), authenticate: openIdProviderLogin(op.issuer, login) });
    expect(op.interactions.length, 'the citizen met the OP login page').toBeGreaterThanOrEqual(2);
    const { failures, requests } = await sms.received();
    expect(failures).toEqual([]);
    expect(requests.filter((r) => r.body?.to === '+420601555201')).toHaveLength(2);

    const checklist = await send(integration.url, integrationToken, 'GET', '/api/v1/provider/conformance');
    expect(checklist.body, JSON.stringify(checklist.body)).toMatchObject({ environment: 'integration', passed: true, missing: [] });

    const exported = await integrationAdmin.send('GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(exported.status, JSON.stringify(exported.body)).toBe(200);
    integrationRecord = String(exported.body.record);
    const record = decodeJwt(integrationRecord).record as ProviderRecord;
    expect(decodeJwt(integrationRecord)).toMatchObject({ iss: integration.url, aud: 'production', sub: providerId });
    expect(Object.keys(record.conformance).sort()).toEqual(['integration', 'simulator']);
    expect(record.certificates.map((c) => [c.purpose, c.profile])).toEqual([
      ['signing', { keyType: 'ec', curve: 'P-256', signatureAlgorithm: 'ecdsa-with-SHA256' }],
      ['transport', expect.objectContaining({ keyType: 'rsa', modulusBits: 2048 })],
    ]);
  }, 120_000);

  it('production: imported, certificates held to the integration profiles, connection decided and activated by four eyes, then a first token and act', async () => {
    const target = { url: production.url, publicUrl: PRODUCTION_URL };
    const first = new AdminSession(production.url, (await namedAdminToken(target, ['onboarding', 'providers', 'registry'], { bootstrapToken: productionBootstrap })).token);
    const second = new AdminSession(production.url, (await namedAdminToken(target, ['onboarding'], { bootstrapToken: productionBootstrap })).token);

    // A record signed by a key integration does not publish is refused, whatever it says.
    const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ ...decodeJwt(integrationRecord), jti: randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'provider-record+jwt', kid: 'integration-key-unknown' })
      .sign(stranger.privateKey);
    const refused = await first.send('POST', '/api/v1/admin/provider-imports', { record: forged });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body.type).toBe('urn:problem:act-ledger:import-signature-invalid');
    expect((await first.send('GET', `/api/v1/admin/providers/${providerId}`)).status, 'nothing registered by it').toBe(404);

    const imported = await importRecord(first, integrationRecord);
    expect(imported.body).toMatchObject({ providerId, imported: true, from: { environment: 'integration', issuer: integration.url } });

    // An integration ActAs token is no token here.
    const crossed = await fetch(`${production.url}/api/v1/acts/${randomUUID()}`, { headers: { authorization: `Bearer ${integrationToken}` } });
    expect(crossed.status).toBe(401);

    await admit(first, providerId, 'connection agreement signed');
    const otherCurve = made('production-signing-p384', 'P-384');
    const mismatch = await first.send('POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose: 'signing', pem: otherCurve.certificatePem });
    expect(mismatch.status, JSON.stringify(mismatch.body)).toBe(422);
    expect(mismatch.body.type).toBe('urn:problem:act-ledger:certificate-profile-mismatch');
    const signing = made('production-signing');
    await registerCertificates(first, providerId, { signing: signing.certificatePem, transport: made('production-transport', 'rsa-2048').certificatePem });

    const notYet = await certificateToken(production.url, PRODUCTION_URL, providerId, signing);
    expect(notYet.status, JSON.stringify(notYet.body)).toBe(403);
    expect(notYet.body.type).toBe('urn:problem:act-ledger:production-not-activated');

    const decided = await confirmedByFourEyes(first, second, `/api/v1/admin/providers/${providerId}/connection-decision`, { decision: 'approve', reason: 'conformance passed in integration' });
    expect(decided).toMatchObject({ kind: 'provider-connection-decision', result: { providerId, connection: { decision: 'approve' } } });
    const stillNot = await certificateToken(production.url, PRODUCTION_URL, providerId, signing);
    expect(stillNot.body.type, 'decided is not yet activated').toBe('urn:problem:act-ledger:production-not-activated');
    await confirmedByFourEyes(first, second, `/api/v1/admin/providers/${providerId}/production-activation`);

    const issued = await certificateToken(production.url, PRODUCTION_URL, providerId, signing);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    const token = String(issued.body.access_token);

    // The first production act, for a citizen from the registry, authorized by a code the gateway carried.
    const aifo = `aifo-${randomUUID()}`;
    const put = await first.send('PUT', `/api/v1/admin/citizens/${aifo}`, { displayName: 'Petr Svoboda', country: 'CZ', phone: '+420601555202', phoneVerified: true, phoneAllowed: true });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const sepp = String((await first.send('GET', `/api/v1/admin/citizens/${aifo}/sepp?providerId=${providerId}`)).body.sepp);
    const api = providerApi(production.url, token);
    const act = await api.call('POST', '/api/v1/acts', { sepp, documentHash: createHash('sha256').update(randomUUID()).digest('hex'), name: 'Stavební povolení', description: 'První podání v produkci' });
    const actId = String(act.actId);
    const code = await api.call('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
    const delivery = await settledDelivery(async () => (await api.call('GET', `/api/v1/acts/${actId}`)) as { codes: DeliveredCodeView[] }, String(code.codeId), 30_000);
    expect(delivery.delivery).toBe('sent');
    const sent = (await sms.received()).requests.find((r) => r.idempotencyKey === code.codeId)!;
    expect(sent.body).toMatchObject({ to: '+420601555202' });
    expect(sent.body!.text).toContain('Stavební úřad Brno');
    const digits = codeInText(sent.body!.text)!;
    const verified = await api.call('POST', `/api/v1/acts/${actId}/codes/${String(code.codeId)}/verifications`, { codeSha512: createHash('sha512').update(`${actId}:${digits}`).digest('hex') });
    expect(verified).toMatchObject({ result: 'authorized', status: 'authorized' });
    expect(await api.call('GET', `/api/v1/acts/${actId}`)).toMatchObject({ status: 'authorized', method: 'sms' });
  }, 120_000);
});
