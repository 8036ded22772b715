import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type LedgerConfig } from '../../src/config.ts';
import { buildLedger, type Ledger } from '../../src/composition/ledger.ts';
import { createLogger } from '../../src/logger.ts';
import { testPersons } from '../../src/app/citizens/test-persons.ts';
import { freePort } from '../support/server.ts';
import { NO_EVENT_LOOP_CHECK, tempDir, testLedger } from '../support/ledger.ts';
import { isBrowserPath } from '../../src/http/request-framing.ts';
import { adminToken, createAdmin, namedAdminToken, requestAdminToken } from '../support/admins.ts';
import { providerKeyPair } from '../support/ledger.ts';
import { newRsaKeyPair, serviceAccountJson, writeServiceAccount } from '../support/standins.ts';

const ADMIN = 'p'.repeat(40);
const admin = { authorization: `Bearer ${ADMIN}` };

/** Every route the simulator environment adds, with a request it answers there (not 404). */
const SIMULATOR_ROUTES: Array<{ method: 'GET' | 'POST'; url: string; payload?: object; headers?: Record<string, string>; form?: string }> = [
  { method: 'GET', url: '/simulator' },
  { method: 'GET', url: '/simulator/phone/test-person-jana' },
  { method: 'GET', url: '/api/v1/simulator/outbox?aifo=test-person-jana', headers: admin },
  { method: 'GET', url: '/simulator/identity?request=anything' },
  { method: 'POST', url: '/simulator/identity', form: 'request=anything&action=cancel' },
  { method: 'POST', url: '/api/v1/admin/citizens', headers: admin, payload: { displayName: 'Test person' } },
  { method: 'GET', url: '/api/v1/admin/citizens', headers: admin },
];

const send = (app: FastifyInstance, route: (typeof SIMULATOR_ROUTES)[number]) =>
  app.inject({
    method: route.method,
    url: route.url,
    headers: { ...route.headers, ...(route.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(route.payload ? { payload: route.payload } : route.form ? { payload: route.form } : {}),
  });

/** Operations of the OpenAPI document tagged `simulator`, as "METHOD path". */
const simulatorOperations = (app: FastifyInstance) =>
  Object.entries((app.swagger() as { paths: Record<string, Record<string, { tags?: string[] }>> }).paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => op.tags?.includes('simulator'))
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  );

/**
 * A ledger built in the production environment, configured by loadConfig with everything real. No
 * message is sent here, so the gateways named need not answer (test/e2e/production.test.ts sends).
 */
async function productionLedger(): Promise<Ledger> {
  const config: LedgerConfig = loadConfig({
    LEDGER_ENVIRONMENT: 'production',
    LEDGER_DATA_DIR: tempDir(),
    LEDGER_PUBLIC_URL: 'https://ledger.example',
    LEDGER_ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'silent',
    // A busy test machine runs event loops late; the overload refusal has its own tests.
    ...NO_EVENT_LOOP_CHECK,
    LEDGER_SMS: 'http',
    SMS_HTTP_URL: 'https://sms.example/v1/messages',
    SMS_HTTP_TOKEN: 'gateway-token',
    LEDGER_MOBILE_KEY: 'fcm',
    FCM_SERVICE_ACCOUNT_FILE: writeServiceAccount(
      serviceAccountJson({ projectId: 'ledger-prod', clientEmail: 'ledger@ledger-prod.iam.gserviceaccount.com', privateKeyId: 'k1', privateKeyPem: newRsaKeyPair().privateKeyPem, tokenUri: 'https://oauth2.example/token' }),
    ),
    // Nothing listens there: the ledger starts all the same.
    OIDC_ISSUER: `http://127.0.0.1:${await freePort()}`,
    OIDC_CLIENT_ID: 'ledger',
    OIDC_CLIENT_SECRET: 'secret',
  });
  const ledger = await buildLedger(config, { logger: createLogger('silent') });
  await ledger.app.ready();
  return ledger;
}

describe('the production environment runs nothing simulated', () => {
  let production: Ledger;
  let simulator: Ledger;
  // In production the bootstrap token only manages admins: the registry is fed by a named admin.
  let registrar: { authorization: string };

  beforeAll(async () => {
    [production, simulator] = await Promise.all([productionLedger(), testLedger({ LEDGER_ADMIN_TOKEN: ADMIN }, { inMemory: true })]);
    registrar = { authorization: `Bearer ${(await namedAdminToken(production, ['registry'], { bootstrapToken: ADMIN })).token}` };
  });
  afterAll(async () => {
    await production?.close();
    await simulator?.close();
  });

  it('every simulator route answers 404, as any unknown route does (and answers in the simulator): a page on browser paths, problem+json elsewhere', async () => {
    for (const route of SIMULATOR_ROUTES) {
      const there = await send(simulator.app, route);
      expect(there.statusCode, `${route.method} ${route.url} in the simulator`).not.toBe(404);

      const res = await send(production.app, route);
      expect(res.statusCode, `${route.method} ${route.url} in production`).toBe(404);
      if (isBrowserPath(route.url)) {
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.body).toContain('data-problem="page-not-found"');
      } else {
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ type: 'urn:problem:act-ledger:not-found', status: 404 });
      }
    }
    // The list above is all of them: the simulator's document has no other simulator operation, production's none.
    const listed = SIMULATOR_ROUTES.map((r) => `${r.method} ${r.url.split('?')[0]}`);
    expect(simulatorOperations(simulator.app).filter((op) => !listed.includes(op))).toEqual([]);
    expect(simulatorOperations(simulator.app).length).toBeGreaterThan(0);
    expect(simulatorOperations(production.app)).toEqual([]);
  });

  it('seeds no test persons', async () => {
    expect(await production.services.citizens.list()).toEqual([]);
    for (const person of testPersons) {
      const res = await production.app.inject({ method: 'GET', url: `/api/v1/admin/citizens/${person.aifo}`, headers: registrar });
      expect(res.statusCode).toBe(404);
    }
    expect(await simulator.services.citizens.get('test-person-jana')).toBeDefined();
  });

  it('the operator feeds the registry through the admin citizen API', async () => {
    const put = await production.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/citizens/cz-0001',
      headers: registrar,
      payload: { country: 'CZ', phone: '+420777000111', phoneVerified: true, phoneAllowed: true },
    });
    expect(put.statusCode, put.body).toBe(201);
    const key = await production.app.inject({ method: 'POST', url: '/api/v1/admin/citizens/cz-0001/mobile-keys', headers: registrar, payload: { fcmToken: 'f'.repeat(64), label: 'phone' } });
    expect(key.statusCode).toBe(201);
    const record = await production.app.inject({ method: 'GET', url: '/api/v1/admin/citizens/cz-0001', headers: registrar });
    expect(record.json()).toMatchObject({ aifo: 'cz-0001', phone: '+420777000111', mobileKeys: [{ fcmTokenHint: 'ffff…ffff' }] });
    const anonymous = await production.app.inject({ method: 'GET', url: '/api/v1/admin/citizens/cz-0001' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('starts without its OpenID Provider, and /readyz says so: degraded, still ready for what needs no sign-in', async () => {
    const res = await production.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'degraded', checks: { identityProvider: { ok: false, kind: 'oidc' }, eventStore: { ok: true } } });
  });

  it('the bootstrap token may create admins, suspend them and revoke their keys; every other admin route refuses it, saying why', async () => {
    const made = await createAdmin(production, ['admins', 'providers'], { bootstrapToken: ADMIN });
    const spare = await providerKeyPair();
    const named = await adminToken(production, made);
    // A named admin with the role adds a key; the bootstrap token may revoke one and suspend the admin.
    expect((await production.app.inject({ method: 'POST', url: `/api/v1/admin/admins/${made.adminId}/keys`, headers: { authorization: `Bearer ${named}` }, payload: { jwk: spare.publicJwk } })).statusCode).toBe(201);
    const revoke = await production.app.inject({ method: 'POST', url: `/api/v1/admin/admins/${made.adminId}/keys/${spare.kid}/revocation`, headers: admin });
    expect(revoke.statusCode, revoke.body).toBe(200);

    const refusals: Array<{ method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string }> = [
      { method: 'GET', url: '/api/v1/admin/providers' },
      { method: 'POST', url: '/api/v1/admin/providers' },
      { method: 'GET', url: '/api/v1/admin/citizens/cz-0001' },
      { method: 'GET', url: '/api/v1/admin/retention' },
      { method: 'POST', url: '/api/v1/admin/retention/purge' },
      { method: 'GET', url: '/api/v1/admin/admins' },
      { method: 'POST', url: `/api/v1/admin/admins/${made.adminId}/keys` },
      { method: 'DELETE', url: `/api/v1/admin/admins/${made.adminId}/suspension` },
      { method: 'GET', url: '/api/v1/admin/activity' },
    ];
    for (const { method, url } of refusals) {
      const res = await production.app.inject({ method, url, headers: admin, ...(method === 'POST' ? { payload: {} } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = res.json() as { type: string; detail: string };
      expect(problem.type).toBe('urn:problem:act-ledger:bootstrap-token-limited');
      expect(problem.detail).toMatch(/bootstrap token .* may only create admins, suspend them and revoke their keys/);
    }

    const suspend = await production.app.inject({ method: 'PUT', url: `/api/v1/admin/admins/${made.adminId}/suspension`, headers: admin, payload: { reason: 'key lost' } });
    expect(suspend.statusCode, suspend.body).toBe(200);
    const afterSuspension = await production.app.inject({ method: 'GET', url: '/api/v1/admin/providers', headers: { authorization: `Bearer ${named}` } });
    expect(afterSuspension.statusCode).toBe(403);
    expect(afterSuspension.json()).toMatchObject({ type: 'urn:problem:act-ledger:admin-suspended' });
    expect((await requestAdminToken(production, made)).status).toBe(401);

    // What the bootstrap token did is on record as admin:bootstrap.
    const activity = await production.app.inject({ method: 'GET', url: '/api/v1/admin/activity?adminId=bootstrap', headers: { authorization: `Bearer ${(await namedAdminToken(production, ['admins'], { bootstrapToken: ADMIN })).token}` } });
    expect(activity.statusCode).toBe(200);
    const types = (activity.json() as { activity: Array<{ type: string }> }).activity.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['AdminRegistered', 'AdminSuspended', 'AdminKeyRevoked']);
  });

  it('in the simulator the bootstrap token may still do everything', async () => {
    for (const url of ['/api/v1/admin/providers', '/api/v1/admin/retention', '/api/v1/admin/admins', '/api/v1/admin/activity']) {
      expect((await simulator.app.inject({ method: 'GET', url, headers: admin })).statusCode, url).toBe(200);
    }
  });
});
