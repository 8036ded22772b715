import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, type JWTPayload } from 'jose';
import type { Ledger } from '../../src/composition/ledger.ts';
import { streamNames } from '../../events/envelope.ts';
import type { ProviderRecord } from '../../events/provider.ts';
import { ADMIN_TOKEN, tempDir, testLedger } from '../support/ledger.ts';
import { namedAdminToken } from '../support/admins.ts';
import { providerSession } from '../support/act-flows.ts';
import { runSimulatorConformance } from '../support/conformance-flows.ts';
import { TestCertificates } from '../support/certificates.ts';
import { ENVIRONMENT_BOOTSTRAP, environmentLedger } from '../support/onboarding.ts';

const RETURN = 'https://provider.example/return';
const JANA = 'test-person-jana';
const DAYS_14 = 14 * 24 * 60 * 60;
const dir = tempDir('record-transfer-');


interface Answer {
  status: number;
  body: Record<string, any>;
  headers: Record<string, unknown>;
}

async function send(ledger: Ledger, token: string, method: 'GET' | 'POST', url: string, payload?: object): Promise<Answer> {
  const res = await ledger.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() as Record<string, any>, headers: res.headers };
}

/** The ledger's published key set, as /.well-known/jwks.json serves it, copied into a file. */
async function publishedKeysFile(ledger: Ledger, name: string): Promise<string> {
  const res = await ledger.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  expect(res.statusCode).toBe(200);
  const file = join(dir, `${name}-jwks.json`);
  writeFileSync(file, res.body);
  return file;
}

const application = { owner: { name: 'Transfer s.r.o.', registrationNumber: '87654321' }, technicalContact: { name: 'Ada Tester', email: 'ada@example.org' } };

/** Files an application for the ledger's environment and approves it (the only one waiting in its test ledger). */
async function admitted(ledger: Ledger, token: string, providerId: string, extra: object = {}): Promise<Answer> {
  const filed = await send(ledger, token, 'POST', `/api/v1/admin/providers/${providerId}/applications`, { ...application, ...extra });
  expect(filed.status, JSON.stringify(filed.body)).toBe(201);
  return send(ledger, token, 'POST', `/api/v1/admin/applications/${String(filed.body.applicationId)}/approval`, { reason: 'complete' });
}

describe("passing a provider on: the simulator's record, signed, imported into integration, and integration's into production", () => {
  let simulator: Ledger;
  let integration: Ledger;
  let production: Ledger;
  let integrationAdmin: string;
  let productionAdmin: string;
  let certificates: TestCertificates;
  let providerId: string;
  let simulatorExport: string;
  let simulatorProviderToken: string;

  beforeAll(async () => {
    certificates = new TestCertificates();
    simulator = await testLedger({}, { inMemory: true });
    integration = await environmentLedger('integration', { LEDGER_PREVIOUS_ENVIRONMENT_JWKS: await publishedKeysFile(simulator, 'simulator') });
    integrationAdmin = (await namedAdminToken(integration, ['onboarding', 'providers'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP })).token;
  }, 60_000);
  afterAll(async () => {
    certificates?.remove();
    await Promise.all([simulator?.close(), integration?.close(), production?.close()]);
  });

  const providerEvents = async (ledger: Ledger) => (await ledger.services.eventStore.readStream(streamNames.provider(providerId))).map((e) => e.type);
  const importInto = (ledger: Ledger, token: string, record: string) => send(ledger, token, 'POST', '/api/v1/admin/provider-imports', { record });
  /** A record as the simulator ledger would sign it, with `change` made to it: the trusted key, claims of the test's choosing. */
  const signedBySimulator = async (change: { payload?: Partial<JWTPayload>; record?: Partial<ProviderRecord>; typ?: string }) => {
    const claims = decodeJwt(simulatorExport);
    const key = simulator.services.keys.current;
    return new SignJWT({ ...claims, record: { ...(claims.record as ProviderRecord), ...change.record }, jti: crypto.randomUUID(), ...change.payload })
      .setProtectedHeader({ alg: 'EdDSA', typ: change.typ ?? 'provider-record+jwt', kid: key.kid })
      .sign(await importJWK(key.privateJwk, 'EdDSA'));
  };

  it('the simulator exports a provider only once it passed conformance there, by its own traffic', async () => {
    const session = await providerSession(simulator, 'Transfer e-service');
    providerId = session.provider.providerId;
    simulatorProviderToken = session.token;
    const early = await send(simulator, ADMIN_TOKEN, 'GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(early.status).toBe(409);
    expect(early.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(early.body.type).toBe('urn:problem:act-ledger:conformance-missing');

    expect((await admitted(simulator, ADMIN_TOKEN, providerId)).status).toBe(200);
    await runSimulatorConformance(simulator, session, { aifo: JANA, returnUrl: RETURN });
    expect((await send(simulator, ADMIN_TOKEN, 'GET', `/api/v1/admin/providers/${providerId}/conformance`)).body).toMatchObject({ environment: 'simulator', passed: true });

    const exported = await send(simulator, ADMIN_TOKEN, 'GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(exported.status, JSON.stringify(exported.body)).toBe(200);
    expect(exported.headers['cache-control']).toBe('no-store');
    simulatorExport = String(exported.body.record);
    const header = decodeProtectedHeader(simulatorExport);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'provider-record+jwt', kid: simulator.services.keys.current.kid });
    const claims = decodeJwt(simulatorExport);
    expect(claims).toMatchObject({ iss: simulator.services.config.publicUrl, sub: providerId, aud: 'integration', jti: exported.body.exportId });
    expect(claims.exp! - claims.iat!).toBe(DAYS_14);
    expect(exported.body).toMatchObject({ audience: 'integration', expiresAt: new Date(claims.exp! * 1000).toISOString() });
    const record = claims.record as ProviderRecord;
    expect(record).toMatchObject({
      environment: 'simulator',
      provider: { name: 'Transfer e-service', returnUrls: [RETURN] },
      conformance: { simulator: expect.any(String) },
      applications: [{ environment: 'simulator', status: 'approved', decidedBy: 'admin:bootstrap', filingSequence: 1 }],
      certificates: [],
    });
    expect(record).not.toHaveProperty('importedFrom');
  }, 60_000);

  it('integration imports it, registering the provider it did not know, and shows where the record came from', async () => {
    const before = await importInto(integration, ENVIRONMENT_BOOTSTRAP, simulatorExport);
    expect(before.body.type).toBe('urn:problem:act-ledger:bootstrap-token-limited');

    const imported = await importInto(integration, integrationAdmin, simulatorExport);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const claims = decodeJwt(simulatorExport);
    const from = { environment: 'simulator', issuer: simulator.services.config.publicUrl, keyId: simulator.services.keys.current.kid, exportId: claims.jti, exportedAt: new Date(claims.iat! * 1000).toISOString() };
    expect(imported.body).toEqual({ providerId, imported: true, from });

    const provider = await send(integration, integrationAdmin, 'GET', `/api/v1/admin/providers/${providerId}`);
    expect(provider.status).toBe(200);
    expect(provider.body).toMatchObject({ providerId, name: 'Transfer e-service', returnUrls: [RETURN] });

    const onboarding = await send(integration, integrationAdmin, 'GET', `/api/v1/admin/providers/${providerId}/onboarding`);
    expect(onboarding.body).toMatchObject({ environment: 'integration', previous: { ...from, conformance: { simulator: (claims.record as ProviderRecord).conformance.simulator }, importedAt: expect.any(String) } });
    // What the simulator decided stays the simulator's: nothing here is approved or passed yet.
    expect(onboarding.body).toMatchObject({ applications: {}, access: {}, conformance: {} });
    expect(await providerEvents(integration)).toEqual(['ProviderRegistered', 'ProviderRecordImported']);
  });

  it('the same export imported again records nothing', async () => {
    const again = await importInto(integration, integrationAdmin, simulatorExport);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ providerId, imported: false, from: { exportId: decodeJwt(simulatorExport).jti } });
    expect(await providerEvents(integration)).toEqual(['ProviderRegistered', 'ProviderRecordImported']);
  });

  it('refuses a record signed by a key the simulator does not publish, and a tampered one, with one stable type', async () => {
    const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const claims = decodeJwt(simulatorExport);
    const forged = async (kid: string) => new SignJWT({ ...claims, jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'EdDSA', typ: 'provider-record+jwt', kid }).sign(stranger.privateKey);
    // Signed by the simulator's own key, but naming none: which key vouched for it could not be recorded.
    const key = simulator.services.keys.current;
    const unnamed = await new SignJWT({ ...claims, jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'EdDSA', typ: 'provider-record+jwt' }).sign(await importJWK(key.privateJwk, 'EdDSA'));
    const [header, , signature] = simulatorExport.split('.');
    const tamperedClaims = { ...claims, record: { ...(claims.record as ProviderRecord), conformance: { simulator: '2020-01-01T00:00:00.000Z', integration: '2020-01-01T00:00:00.000Z' } } };
    const tampered = `${header}.${Buffer.from(JSON.stringify(tamperedClaims)).toString('base64url')}.${signature}`;
    for (const record of [await forged('ledger-unknown'), await forged(simulator.services.keys.current.kid), tampered, unnamed, 'not.a.jws']) {
      const refused = await importInto(integration, integrationAdmin, record);
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.type).toBe('urn:problem:act-ledger:import-signature-invalid');
    }
    expect(await providerEvents(integration)).toEqual(['ProviderRegistered', 'ProviderRecordImported']);
  });

  it('refuses a record the simulator signed for another audience, from another environment, of another type, or expired', async () => {
    const cases: Array<[string, string]> = [
      [await signedBySimulator({ payload: { aud: 'production' } }), 'audience'],
      [await signedBySimulator({ record: { environment: 'integration' } }), 'environment'],
      [await signedBySimulator({ record: { conformance: { simulator: 'yesterday' } } }), 'record'],
      [await signedBySimulator({ payload: { iat: 1_700_000_000, exp: 1_700_000_000 + DAYS_14 } }), 'expired'],
      // A provider's ActAs token is signed by the same key, and is no record.
      [simulatorProviderToken, 'typ'],
    ];
    for (const [record, reason] of cases) {
      const refused = await importInto(integration, integrationAdmin, record);
      expect(refused.status, `${reason}: ${JSON.stringify(refused.body)}`).toBe(422);
      expect(refused.body).toMatchObject({ type: 'urn:problem:act-ledger:import-record-invalid', reason });
    }
    expect(await providerEvents(integration)).toEqual(['ProviderRegistered', 'ProviderRecordImported']);
  });

  it("admits to integration without skipping the simulator only a provider whose simulator record was imported", async () => {
    const stranger = await send(integration, integrationAdmin, 'POST', '/api/v1/admin/providers', { name: 'Never in the simulator' });
    expect(stranger.status, JSON.stringify(stranger.body)).toBe(201);
    const refused = await admitted(integration, integrationAdmin, String(stranger.body.providerId));
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:problem:act-ledger:simulator-not-passed');
    // Cleared from the queue, so that the next approval is in filing order.
    const [waiting] = (await send(integration, integrationAdmin, 'GET', '/api/v1/admin/applications?status=undecided')).body.applications;
    expect((await send(integration, integrationAdmin, 'POST', `/api/v1/admin/applications/${String(waiting.applicationId)}/rejection`, { reason: 'apply again, skipping the simulator' })).status).toBe(200);

    const approved = await admitted(integration, integrationAdmin, providerId);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.access.integration).toMatchObject({ supportUntil: expect.any(String) });
  });

  it('integration passes on what it imported with its own record; production imports it and holds certificates to its profiles', async () => {
    const signing = await send(integration, integrationAdmin, 'POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose: 'signing', pem: certificates.current('integration-signing') });
    expect(signing.status, JSON.stringify(signing.body)).toBe(201);
    const early = await send(integration, integrationAdmin, 'GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(early.body.type).toBe('urn:problem:act-ledger:conformance-missing');
    // Integration traffic needs an OpenID Provider and real gateways: its conformance is recorded through the provider directory, as the conformance watch records it.
    const now = integration.services.clock().toISOString();
    await integration.services.providers.execute(providerId, { type: 'RecordConformancePassed', environment: 'integration', now }, { actor: 'system:conformance', now });

    const exported = await send(integration, integrationAdmin, 'GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(exported.status, JSON.stringify(exported.body)).toBe(200);
    const claims = decodeJwt(String(exported.body.record));
    expect(claims).toMatchObject({ iss: 'https://integration.ledger.example', aud: 'production', sub: providerId });
    const record = claims.record as ProviderRecord;
    expect(record.environment).toBe('integration');
    expect(Object.keys(record.conformance).sort()).toEqual(['integration', 'simulator']);
    expect(record.importedFrom).toEqual({ issuer: simulator.services.config.publicUrl, environment: 'simulator', exportId: decodeJwt(simulatorExport).jti });
    expect(record.applications.map((a) => `${a.environment}:${a.status}`)).toEqual(['simulator:approved', 'integration:approved']);
    expect(record.certificates).toEqual([
      expect.objectContaining({ environment: 'integration', purpose: 'signing', thumbprintSha256: signing.body.thumbprintSha256, profile: { keyType: 'ec', curve: 'P-256', signatureAlgorithm: 'ecdsa-with-SHA256' }, revoked: false }),
    ]);

    production = await environmentLedger('production', { LEDGER_PREVIOUS_ENVIRONMENT_JWKS: await publishedKeysFile(integration, 'integration') });
    productionAdmin = (await namedAdminToken(production, ['onboarding', 'providers'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP })).token;
    // The simulator's record is not production's to import: integration's keys do not verify it.
    expect((await importInto(production, productionAdmin, simulatorExport)).body.type).toBe('urn:problem:act-ledger:import-signature-invalid');
    const imported = await importInto(production, productionAdmin, String(exported.body.record));
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body.from).toMatchObject({ environment: 'integration', issuer: 'https://integration.ledger.example', keyId: integration.services.keys.current.kid });
    expect((await send(production, productionAdmin, 'GET', `/api/v1/admin/providers/${providerId}/onboarding`)).body.previous).toMatchObject({
      environment: 'integration',
      conformance: { simulator: record.conformance.simulator, integration: record.conformance.integration },
      importedFrom: record.importedFrom,
    });

    expect((await admitted(production, productionAdmin, providerId)).status).toBe(200);
    // No integration certificate is registered in this ledger: the imported record's profiles rule.
    const sameProfile = await send(production, productionAdmin, 'POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose: 'signing', pem: certificates.current('production-signing') });
    expect(sameProfile.status, JSON.stringify(sameProfile.body)).toBe(201);
    const nothingToMatch = await send(production, productionAdmin, 'POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose: 'transport', pem: certificates.current('production-transport') });
    expect(nothingToMatch.status).toBe(422);
    expect(nothingToMatch.body.type).toBe('urn:problem:act-ledger:certificate-profile-mismatch');
    // Integration conformance is vouched for by the import: the connection decision may be proposed.
    const proposed = await send(production, productionAdmin, 'POST', `/api/v1/admin/providers/${providerId}/connection-decision`, { decision: 'approve', reason: 'conformance passed in integration' });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(202);
  }, 60_000);

  it('production exports nothing, and the simulator imports nothing', async () => {
    const fromProduction = await send(production, productionAdmin, 'GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(fromProduction.status).toBe(409);
    expect(fromProduction.body.type).toBe('urn:problem:act-ledger:record-transfer-not-allowed');
    const intoSimulator = await importInto(simulator, ADMIN_TOKEN, simulatorExport);
    expect(intoSimulator.status).toBe(409);
    expect(intoSimulator.body.type).toBe('urn:problem:act-ledger:record-transfer-not-allowed');
  });
});

describe("the previous environment's keys, fetched from its published URL or not given at all", () => {
  let simulator: Ledger;
  let fetching: Ledger;
  let unconfigured: Ledger;
  let unreachable: Ledger;
  let brokenFile: Ledger;
  /** What the simulator exported in the first test. */
  let record: string;

  beforeAll(async () => {
    simulator = await testLedger({}, { inMemory: true });
    const listening = await simulator.app.listen({ host: '127.0.0.1', port: 0 });
    fetching = await environmentLedger('integration', { LEDGER_PREVIOUS_ENVIRONMENT_JWKS: `${listening}/.well-known/jwks.json` });
    unconfigured = await environmentLedger('integration');
    // A port nothing listens on: the one just closed by a server of the test's own.
    const closed = await testLedger({}, { inMemory: true });
    const gone = await closed.app.listen({ host: '127.0.0.1', port: 0 });
    await closed.close();
    unreachable = await environmentLedger('integration', { LEDGER_PREVIOUS_ENVIRONMENT_JWKS: `${gone}/.well-known/jwks.json` });
    const broken = join(dir, 'broken-jwks.json');
    writeFileSync(broken, '{"keys": [');
    brokenFile = await environmentLedger('integration', { LEDGER_PREVIOUS_ENVIRONMENT_JWKS: broken });
  }, 60_000);
  afterAll(async () => Promise.all([simulator?.close(), fetching?.close(), unconfigured?.close(), unreachable?.close(), brokenFile?.close()]));

  it('verifies against the key set served at the URL', async () => {
    const session = await providerSession(simulator, 'Fetched e-service');
    const providerId = session.provider.providerId;
    expect((await admitted(simulator, ADMIN_TOKEN, providerId)).status).toBe(200);
    await runSimulatorConformance(simulator, session, { aifo: JANA, returnUrl: RETURN });
    const exported = await send(simulator, ADMIN_TOKEN, 'GET', `/api/v1/admin/providers/${providerId}/record-export`);
    expect(exported.status, JSON.stringify(exported.body)).toBe(200);
    record = String(exported.body.record);

    const admin = (await namedAdminToken(fetching, ['onboarding'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP })).token;
    const imported = await send(fetching, admin, 'POST', '/api/v1/admin/provider-imports', { record });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body).toMatchObject({ providerId, imported: true, from: { environment: 'simulator' } });
  }, 60_000);

  it('answers 503 with Retry-After while the key set cannot be had, unreachable or not a key set', async () => {
    for (const ledger of [unreachable, brokenFile]) {
      const admin = (await namedAdminToken(ledger, ['onboarding'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP })).token;
      const refused = await send(ledger, admin, 'POST', '/api/v1/admin/provider-imports', { record });
      expect(refused.status, JSON.stringify(refused.body)).toBe(503);
      expect(refused.body.type).toBe('urn:problem:act-ledger:service-unavailable');
      expect(refused.headers['retry-after']).toBe('30');
    }
  });

  it('without LEDGER_PREVIOUS_ENVIRONMENT_JWKS an import is refused, saying what is missing', async () => {
    const admin = (await namedAdminToken(unconfigured, ['onboarding'], { bootstrapToken: ENVIRONMENT_BOOTSTRAP })).token;
    const refused = await send(unconfigured, admin, 'POST', '/api/v1/admin/provider-imports', { record: 'a.b.c' });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:problem:act-ledger:previous-environment-unknown');
    expect(refused.body.detail).toContain('LEDGER_PREVIOUS_ENVIRONMENT_JWKS');
  });
});
