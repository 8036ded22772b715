import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ADMIN_ROLES, type AdminRole } from '../../events/admin.ts';
import { streamNames } from '../../events/envelope.ts';
import type { Ledger } from '../../src/composition/ledger.ts';
import { ADMIN_TOKEN, actAsToken, providerKeyPair, registerProvider, testLedger } from '../support/ledger.ts';
import { adminToken, createAdmin, namedAdminToken, requestAdminToken } from '../support/admins.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Every admin route (and the simulator's outbox, an admin's too) with the role it requires. A body
 * that is not valid is fine: the guard answers before the body is read, so 403 or not tells the role.
 */
const ROUTES: Array<{ method: Method; url: string; role: AdminRole; pattern: string }> = [
  { method: 'POST', url: '/api/v1/admin/providers', role: 'providers', pattern: '/api/v1/admin/providers' },
  { method: 'GET', url: '/api/v1/admin/providers', role: 'providers', pattern: '/api/v1/admin/providers' },
  { method: 'GET', url: '/api/v1/admin/providers/nobody', role: 'providers', pattern: '/api/v1/admin/providers/{providerId}' },
  { method: 'POST', url: '/api/v1/admin/providers/nobody/keys', role: 'providers', pattern: '/api/v1/admin/providers/{providerId}/keys' },
  { method: 'POST', url: '/api/v1/admin/providers/nobody/keys/k1/revocation', role: 'providers', pattern: '/api/v1/admin/providers/{providerId}/keys/{kid}/revocation' },
  { method: 'PUT', url: '/api/v1/admin/providers/nobody/return-urls', role: 'providers', pattern: '/api/v1/admin/providers/{providerId}/return-urls' },
  { method: 'PUT', url: '/api/v1/admin/providers/nobody/suspension', role: 'providers', pattern: '/api/v1/admin/providers/{providerId}/suspension' },
  { method: 'DELETE', url: '/api/v1/admin/providers/nobody/suspension', role: 'providers', pattern: '/api/v1/admin/providers/{providerId}/suspension' },
  { method: 'GET', url: '/api/v1/admin/providers/nobody/conformance', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/conformance' },
  { method: 'PUT', url: '/api/v1/admin/citizens/cz-role-test', role: 'registry', pattern: '/api/v1/admin/citizens/{aifo}' },
  { method: 'GET', url: '/api/v1/admin/citizens/cz-role-test', role: 'registry', pattern: '/api/v1/admin/citizens/{aifo}' },
  { method: 'POST', url: '/api/v1/admin/citizens/cz-role-test/mobile-keys', role: 'registry', pattern: '/api/v1/admin/citizens/{aifo}/mobile-keys' },
  { method: 'DELETE', url: '/api/v1/admin/citizens/cz-role-test/mobile-keys/d1', role: 'registry', pattern: '/api/v1/admin/citizens/{aifo}/mobile-keys/{deviceId}' },
  { method: 'GET', url: '/api/v1/admin/citizens/cz-role-test/sepp?providerId=x', role: 'registry', pattern: '/api/v1/admin/citizens/{aifo}/sepp' },
  { method: 'POST', url: '/api/v1/admin/citizens', role: 'registry', pattern: '/api/v1/admin/citizens' },
  { method: 'GET', url: '/api/v1/admin/citizens', role: 'registry', pattern: '/api/v1/admin/citizens' },
  { method: 'GET', url: '/api/v1/simulator/outbox?aifo=test-person-jana', role: 'registry', pattern: '/api/v1/simulator/outbox' },
  { method: 'GET', url: '/api/v1/admin/retention', role: 'retention', pattern: '/api/v1/admin/retention' },
  { method: 'PUT', url: '/api/v1/admin/retention', role: 'retention', pattern: '/api/v1/admin/retention' },
  { method: 'POST', url: '/api/v1/admin/retention/purge', role: 'retention', pattern: '/api/v1/admin/retention/purge' },
  { method: 'GET', url: '/api/v1/admin/failed-authorizations', role: 'retention', pattern: '/api/v1/admin/failed-authorizations' },
  { method: 'POST', url: '/api/v1/admin/admins', role: 'admins', pattern: '/api/v1/admin/admins' },
  { method: 'GET', url: '/api/v1/admin/admins', role: 'admins', pattern: '/api/v1/admin/admins' },
  { method: 'GET', url: '/api/v1/admin/admins/adm_nobody', role: 'admins', pattern: '/api/v1/admin/admins/{adminId}' },
  { method: 'POST', url: '/api/v1/admin/admins/adm_nobody/keys', role: 'admins', pattern: '/api/v1/admin/admins/{adminId}/keys' },
  { method: 'POST', url: '/api/v1/admin/admins/adm_nobody/keys/k1/revocation', role: 'admins', pattern: '/api/v1/admin/admins/{adminId}/keys/{kid}/revocation' },
  { method: 'PUT', url: '/api/v1/admin/admins/adm_nobody/suspension', role: 'admins', pattern: '/api/v1/admin/admins/{adminId}/suspension' },
  { method: 'DELETE', url: '/api/v1/admin/admins/adm_nobody/suspension', role: 'admins', pattern: '/api/v1/admin/admins/{adminId}/suspension' },
  { method: 'GET', url: '/api/v1/admin/activity', role: 'admins', pattern: '/api/v1/admin/activity' },
  { method: 'POST', url: '/api/v1/admin/providers/nobody/applications', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/applications' },
  { method: 'GET', url: '/api/v1/admin/applications?status=undecided', role: 'onboarding', pattern: '/api/v1/admin/applications' },
  { method: 'POST', url: '/api/v1/admin/applications/nothing/approval', role: 'onboarding', pattern: '/api/v1/admin/applications/{applicationId}/approval' },
  { method: 'POST', url: '/api/v1/admin/applications/nothing/rejection', role: 'onboarding', pattern: '/api/v1/admin/applications/{applicationId}/rejection' },
  { method: 'POST', url: '/api/v1/admin/providers/nobody/support-extension', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/support-extension' },
  { method: 'POST', url: '/api/v1/admin/providers/nobody/certificates', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/certificates' },
  { method: 'POST', url: '/api/v1/admin/providers/nobody/certificates/c1/revocation', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/certificates/{certificateId}/revocation' },
  { method: 'POST', url: '/api/v1/admin/providers/nobody/connection-decision', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/connection-decision' },
  { method: 'POST', url: '/api/v1/admin/providers/nobody/production-activation', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/production-activation' },
  { method: 'GET', url: '/api/v1/admin/providers/nobody/onboarding', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/onboarding' },
  { method: 'GET', url: '/api/v1/admin/providers/nobody/timeline', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/timeline' },
  { method: 'GET', url: '/api/v1/admin/onboarding/attention', role: 'onboarding', pattern: '/api/v1/admin/onboarding/attention' },
  { method: 'GET', url: '/api/v1/admin/providers/nobody/record-export', role: 'onboarding', pattern: '/api/v1/admin/providers/{providerId}/record-export' },
  { method: 'POST', url: '/api/v1/admin/provider-imports', role: 'onboarding', pattern: '/api/v1/admin/provider-imports' },
];

/**
 * Open to every named admin: what waits for a second pair of eyes. Confirming then needs the role of the
 * change itself (test/http/four-eyes.test.ts).
 */
const ANY_ADMIN_ROUTES: Array<{ method: Method; url: string; pattern: string }> = [
  { method: 'GET', url: '/api/v1/admin/changes', pattern: '/api/v1/admin/changes' },
  { method: 'GET', url: '/api/v1/admin/changes/00000000-0000-4000-8000-000000000000', pattern: '/api/v1/admin/changes/{changeId}' },
  { method: 'POST', url: '/api/v1/admin/changes/00000000-0000-4000-8000-000000000000/confirmation', pattern: '/api/v1/admin/changes/{changeId}/confirmation' },
];

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const send = (ledger: Ledger, method: Method, url: string, token: string, payload?: object) =>
  ledger.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : method === 'POST' || method === 'PUT' ? { payload: {} } : {}) });

describe('named admins: roles, tokens of their own, accountability', () => {
  let ledger: Ledger;
  /** For each role: a token holding only it, and one holding every other role. */
  const only = {} as Record<AdminRole, string>;
  const allBut = {} as Record<AdminRole, string>;

  beforeAll(async () => {
    ledger = await testLedger({}, { inMemory: true });
    for (const role of ADMIN_ROLES) {
      only[role] = (await namedAdminToken(ledger, [role])).token;
      allBut[role] = (await namedAdminToken(ledger, ADMIN_ROLES.filter((r) => r !== role))).token;
    }
  });
  afterAll(async () => ledger?.close());

  it('the table names every admin operation the API documents', () => {
    const paths = (ledger.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
    const documented = Object.entries(paths)
      .filter(([path]) => path.startsWith('/api/v1/admin/') || path === '/api/v1/simulator/outbox')
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const listed = [...ROUTES, ...ANY_ADMIN_ROUTES].map((r) => `${r.method} ${r.pattern}`);
    expect(documented.filter((op) => !listed.includes(op))).toEqual([]);
  });

  it.each(ANY_ADMIN_ROUTES)('$method $url is open to an admin of any role, and to nobody else', async ({ method, url }) => {
    for (const role of ADMIN_ROLES) {
      const res = await send(ledger, method, url, only[role]);
      expect(res.statusCode, `${method} ${url} with ${role}: ${res.body}`).not.toBe(403);
      expect(res.statusCode).not.toBe(401);
      expect(res.statusCode).toBeLessThan(500);
    }
    expect((await ledger.app.inject({ method, url })).statusCode).toBe(401);
  });

  it.each(ROUTES)('$method $url needs the $role role', async ({ method, url, role }) => {
    const allowed = await send(ledger, method, url, only[role]);
    expect(allowed.statusCode, `${method} ${url} with ${role}: ${allowed.body}`).not.toBe(403);
    expect(allowed.statusCode).not.toBe(401);
    expect(allowed.statusCode).toBeLessThan(500);

    const refused = await send(ledger, method, url, allBut[role]);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = refused.json() as { type: string; detail: string; role: string };
    expect(problem.type).toBe('urn:problem:act-ledger:missing-role');
    expect(problem.role).toBe(role);
    expect(problem.detail).toContain(`the ${role} role`);
  });

  it('an admin token has its own type and audience, and lives five minutes', async () => {
    const token = only.providers;
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'admin+jwt', alg: 'EdDSA' });
    const claims = decodeJwt(token);
    expect(claims.aud).toBe(`${ledger.services.config.publicUrl}/api/v1/admin`);
    expect(claims.sub).toMatch(/^adm_/);
    expect(claims.exp! - claims.iat!).toBe(300);
  });

  it('an admin token is refused on provider routes, a provider ActAs token on admin routes', async () => {
    const onActs = await ledger.app.inject({ method: 'POST', url: '/api/v1/acts', headers: bearer(only.providers), payload: {} });
    expect(onActs.statusCode).toBe(401);
    expect(onActs.json()).toMatchObject({ type: 'urn:problem:act-ledger:invalid-token' });
    const onProfile = await ledger.app.inject({ method: 'GET', url: '/api/v1/acts/00000000-0000-4000-8000-000000000000', headers: bearer(only.providers) });
    expect(onProfile.statusCode).toBe(401);

    const provider = await registerProvider(ledger);
    const actAs = await actAsToken(ledger, provider);
    for (const url of ['/api/v1/admin/providers', '/api/v1/admin/admins', '/api/v1/admin/retention', '/api/v1/admin/activity']) {
      const res = await send(ledger, 'GET', url, actAs);
      expect(res.statusCode, url).toBe(403);
      expect(res.json()).toMatchObject({ type: 'urn:problem:act-ledger:forbidden' });
    }
  });

  it('an assertion naming an admin id is checked against the admin, never a provider', async () => {
    const stranger = { ...(await providerKeyPair('EdDSA')), adminId: 'adm_unknown', roles: [] as AdminRole[] };
    const res = await requestAdminToken(ledger, stranger);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ type: 'urn:problem:act-ledger:invalid-client', reason: 'admin-unknown' });
  });

  it('a suspended admin gets no token, and its live tokens stop working at once; reinstated, it works again', async () => {
    const admin = await createAdmin(ledger, ['providers']);
    const token = await adminToken(ledger, admin);
    expect((await send(ledger, 'GET', '/api/v1/admin/providers', token)).statusCode).toBe(200);

    const suspended = await send(ledger, 'PUT', `/api/v1/admin/admins/${admin.adminId}/suspension`, only.admins, { reason: 'left the office' });
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect(suspended.json()).toMatchObject({ adminId: admin.adminId, suspended: true });

    const refused = await send(ledger, 'GET', '/api/v1/admin/providers', token);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ type: 'urn:problem:act-ledger:admin-suspended' });
    const noToken = await requestAdminToken(ledger, admin);
    expect(noToken.status).toBe(401);
    expect(JSON.parse(noToken.body)).toMatchObject({ reason: 'admin-suspended' });

    expect((await send(ledger, 'DELETE', `/api/v1/admin/admins/${admin.adminId}/suspension`, only.admins)).statusCode).toBe(200);
    expect((await send(ledger, 'GET', '/api/v1/admin/providers', token)).statusCode).toBe(200);
  });

  it('a revoked admin key signs no more assertions; a key added signs them', async () => {
    const admin = await createAdmin(ledger, ['retention']);
    const spare = await providerKeyPair('ES256');
    const added = await send(ledger, 'POST', `/api/v1/admin/admins/${admin.adminId}/keys`, only.admins, { jwk: spare.publicJwk });
    expect(added.statusCode, added.body).toBe(201);
    const revoked = await send(ledger, 'POST', `/api/v1/admin/admins/${admin.adminId}/keys/${admin.kid}/revocation`, only.admins);
    expect(revoked.statusCode).toBe(200);
    const res = await requestAdminToken(ledger, admin);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'key-unknown' });
    expect((await requestAdminToken(ledger, { ...admin, ...spare })).status).toBe(200);
  });

  it('creating an admin checks its roles and keys; reading one shows them, private members never accepted', async () => {
    const pair = await providerKeyPair();
    const badRole = await send(ledger, 'POST', '/api/v1/admin/admins', only.admins, { name: 'X', jwks: { keys: [pair.publicJwk] }, roles: ['root'] });
    expect(badRole.statusCode).toBe(400);
    const noRole = await send(ledger, 'POST', '/api/v1/admin/admins', only.admins, { name: 'X', jwks: { keys: [pair.publicJwk] }, roles: [] });
    expect(noRole.statusCode).toBe(400);
    const privateKey = await send(ledger, 'POST', '/api/v1/admin/admins', only.admins, { name: 'X', jwks: { keys: [{ ...pair.publicJwk, d: 'secret' }] }, roles: ['registry'] });
    expect(privateKey.statusCode).toBe(400);
    expect(privateKey.json()).toMatchObject({ type: 'urn:problem:act-ledger:invalid-request', detail: expect.stringContaining('/jwks/keys/0/d: an admin registers its public key only') });

    const made = await send(ledger, 'POST', '/api/v1/admin/admins', only.admins, { name: 'Eva Nováková', jwks: { keys: [pair.publicJwk] }, roles: ['retention', 'registry'] });
    expect(made.statusCode, made.body).toBe(201);
    const { adminId } = made.json() as { adminId: string };
    expect(adminId).toMatch(/^adm_/);
    const one = await send(ledger, 'GET', `/api/v1/admin/admins/${adminId}`, only.admins);
    expect(one.json()).toMatchObject({ adminId, name: 'Eva Nováková', roles: ['registry', 'retention'], suspended: false, keys: [{ kid: pair.kid, revoked: false }] });
    const list = (await send(ledger, 'GET', '/api/v1/admin/admins', only.admins)).json() as { admins: Array<{ adminId: string }> };
    expect(list.admins.map((a) => a.adminId)).toContain(adminId);
    expect((await send(ledger, 'GET', '/api/v1/admin/admins/adm_nobody', only.admins)).statusCode).toBe(404);
  });

  it('events a named admin causes carry admin:<adminId>; the bootstrap token\'s carry admin:bootstrap', async () => {
    const { admin, token } = await namedAdminToken(ledger, ['providers', 'retention']);
    const pair = await providerKeyPair();
    const registered = await send(ledger, 'POST', '/api/v1/admin/providers', token, { name: 'Úřad', jwks: { keys: [pair.publicJwk] } });
    const { providerId } = registered.json() as { providerId: string };
    await send(ledger, 'PUT', `/api/v1/admin/providers/${providerId}/suspension`, token, { reason: 'audit' });
    const byBootstrap = await send(ledger, 'DELETE', `/api/v1/admin/providers/${providerId}/suspension`, ADMIN_TOKEN);
    expect(byBootstrap.statusCode).toBe(200);
    const events = await ledger.services.eventStore.readStream(streamNames.provider(providerId));
    expect(events.map((e) => [e.type, e.metadata.actor])).toEqual([
      ['ProviderRegistered', `admin:${admin.adminId}`],
      // Registering in the simulator admits for its support window: the same command, the same admin.
      ['EnvironmentAccessGranted', `admin:${admin.adminId}`],
      ['ProviderSuspended', `admin:${admin.adminId}`],
      ['ProviderReinstated', 'admin:bootstrap'],
    ]);

    const policy = await send(ledger, 'PUT', '/api/v1/admin/retention', token, { failedAuthorizationRetention: 'P3D', purgeEvery: 'PT1H' });
    expect(policy.statusCode, policy.body).toBe(200);
    expect(policy.json()).toMatchObject({ changedBy: `admin:${admin.adminId}` });
    const purge = await send(ledger, 'POST', '/api/v1/admin/retention/purge', token);
    expect(purge.statusCode, purge.body).toBe(200);
    expect(purge.json()).toMatchObject({ erasedActs: 0, retention: 'P3D' });
  });

  it('the activity list shows admins\' actions newest first, by admin, after an instant, page by page', async () => {
    const { admin, token } = await namedAdminToken(ledger, ['providers']);
    const other = await namedAdminToken(ledger, ['providers']);
    const names = ['First', 'Second', 'Third'];
    for (const name of names) {
      const pair = await providerKeyPair();
      expect((await send(ledger, 'POST', '/api/v1/admin/providers', token, { name, jwks: { keys: [pair.publicJwk] } })).statusCode).toBe(201);
      const theirs = await providerKeyPair();
      expect((await send(ledger, 'POST', '/api/v1/admin/providers', other.token, { name, jwks: { keys: [theirs.publicJwk] } })).statusCode).toBe(201);
    }
    type Page = { activity: Array<{ adminId: string; type: string; streamName: string; occurredAt: string; number: number }>; next?: number };
    const list = async (query: string) => {
      const res = await send(ledger, 'GET', `/api/v1/admin/activity${query}`, only.admins);
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as Page;
    };

    const all = await list('?limit=500');
    const mine = all.activity.filter((e) => e.adminId === admin.adminId);
    // Each registration in the simulator also admits the provider (EnvironmentAccessGranted), newest first.
    expect(mine.map((e) => e.type)).toEqual(Array.from({ length: 3 }, () => ['EnvironmentAccessGranted', 'ProviderRegistered']).flat());
    // Newest first: numbers count down, and the last registration made is the first listed.
    const numbers = all.activity.map((e) => e.number);
    expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    expect(all.activity[0]).toMatchObject({ adminId: other.admin.adminId, type: 'EnvironmentAccessGranted' });
    expect(all.activity[1]).toMatchObject({ adminId: other.admin.adminId, type: 'ProviderRegistered' });
    // The bootstrap token made the admins themselves.
    expect(all.activity.some((e) => e.adminId === 'bootstrap' && e.type === 'AdminRegistered')).toBe(true);

    const byAdmin = await list(`?adminId=${admin.adminId}`);
    expect(byAdmin.activity.map((e) => e.adminId)).toEqual(Array.from({ length: 6 }, () => admin.adminId));
    expect(byAdmin.activity.map((e) => e.streamName)).toEqual([...mine.map((e) => e.streamName)]);
    expect(byAdmin.next).toBeUndefined();

    const firstPage = await list(`?adminId=${admin.adminId}&limit=4`);
    expect(firstPage.activity).toHaveLength(4);
    expect(firstPage.next).toBeDefined();
    const secondPage = await list(`?adminId=${admin.adminId}&limit=4&before=${firstPage.next}`);
    expect([...firstPage.activity, ...secondPage.activity].map((e) => e.streamName)).toEqual(byAdmin.activity.map((e) => e.streamName));
    expect(secondPage.next).toBeUndefined();

    const after = await list(`?adminId=${admin.adminId}&after=${encodeURIComponent(byAdmin.activity[2]!.occurredAt)}`);
    expect(after.activity.every((e) => Date.parse(e.occurredAt) > Date.parse(byAdmin.activity[2]!.occurredAt))).toBe(true);
    expect(after.activity.length).toBeLessThan(byAdmin.activity.length);
    expect((await list('?after=2999-01-01T00:00:00Z')).activity).toEqual([]);
    expect((await send(ledger, 'GET', '/api/v1/admin/activity?after=yesterday', only.admins)).statusCode).toBe(400);
  });
});
