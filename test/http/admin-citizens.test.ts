import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { ADMIN_TOKEN, actAsToken, registerProvider, seppOf, testLedger, type ProviderIdentity } from '../support/ledger.ts';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const FCM_TOKEN = `fcm-${'x'.repeat(40)}-end1`;

async function devicePublicJwk() {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
  return { publicJwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
}

describe('admin citizen API', () => {
  let ledger: Ledger;
  let provider: ProviderIdentity;

  beforeAll(async () => {
    ledger = await testLedger({}, { inMemory: true });
    provider = await registerProvider(ledger);
  });
  afterAll(() => ledger?.close());

  const put = (aifo: string, payload: unknown, headers: Record<string, string> = admin) =>
    ledger.app.inject({ method: 'PUT', url: `/api/v1/admin/citizens/${aifo}`, headers, payload: payload as object });
  const get = (aifo: string) => ledger.app.inject({ method: 'GET', url: `/api/v1/admin/citizens/${aifo}`, headers: admin });
  const addKey = (aifo: string, payload: unknown) => ledger.app.inject({ method: 'POST', url: `/api/v1/admin/citizens/${aifo}/mobile-keys`, headers: admin, payload: payload as object });
  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, type: string) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: `urn:problem:act-ledger:${type}`, status });
  };

  it('creates a person (201), updates them (200), and a repeat changes nothing', async () => {
    const created = await put('op-person-1', { country: 'CZ', phone: '+420777000111', phoneVerified: true, phoneAllowed: true });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ aifo: 'op-person-1', displayName: 'op-person-1', country: 'CZ', phone: '+420777000111', phoneVerified: true, phoneAllowed: true, mobileKeys: [], removedMobileKeys: [] });

    const updated = await put('op-person-1', { displayName: 'Eva Malá', country: 'CZ', phone: '+420777000222', phoneVerified: false, phoneAllowed: true });
    expect(updated.statusCode).toBe(200);
    const afterUpdate = updated.json() as { updatedAt: string; phone: string; displayName: string };
    expect(afterUpdate).toMatchObject({ displayName: 'Eva Malá', phone: '+420777000222', phoneVerified: false });

    const repeated = await put('op-person-1', { displayName: 'Eva Malá', country: 'CZ', phone: '+420777000222', phoneVerified: false, phoneAllowed: true });
    expect(repeated.statusCode).toBe(200);
    expect((repeated.json() as { updatedAt: string }).updatedAt, 'nothing was written').toBe(afterUpdate.updatedAt);

    // A phone left out is removed; the name given once stays.
    const noPhone = await put('op-person-1', { country: 'CZ', phoneVerified: false, phoneAllowed: false });
    expect(noPhone.json()).not.toHaveProperty('phone');
    expect(noPhone.json()).toMatchObject({ displayName: 'Eva Malá' });
    expect((await get('op-person-1')).json()).not.toHaveProperty('phone');
  });

  it('refuses bad bodies and AIFOs as problem+json, and a verified phone that is not there', async () => {
    const good = { country: 'CZ', phone: '+420777000111', phoneVerified: true, phoneAllowed: true };
    for (const body of [
      { ...good, country: 'cz' },
      { ...good, phone: '777000111' },
      { ...good, phoneVerified: 'true' },
      { ...good, extra: 1 },
      { ...good, displayName: 'Eva\u202Eevil' },
      { phone: '+420777000111', phoneVerified: true, phoneAllowed: true },
    ]) {
      expectProblem(await put('op-person-2', body), 400, 'invalid-request');
    }
    expectProblem(await put('op-person-2', { country: 'CZ', phoneVerified: true, phoneAllowed: false }), 400, 'invalid-request');
    expectProblem(await put('bad%20aifo', good), 400, 'invalid-request');
    expectProblem(await put('x'.repeat(65), good), 400, 'invalid-request');
    expectProblem(await get('op-person-2'), 404, 'not-found');
  });

  it("links the person's subject at the OpenID Provider once, for good, and refuses it for another person", async () => {
    const body = { country: 'CZ', phoneVerified: false, phoneAllowed: false };
    const subject = `op-sub-${randomBytes(6).toString('hex')}`;
    expect((await put('op-linked', { ...body, identitySubject: subject })).statusCode).toBe(201);
    expect(await ledger.services.citizens.resolve('oidc', subject)).toBe('op-linked');
    // The same again writes nothing; leaving it out keeps the link.
    const repeated = await put('op-linked', { ...body, identitySubject: subject });
    expect(repeated.statusCode).toBe(200);
    expect((await put('op-linked', body)).statusCode).toBe(200);
    expect(await ledger.services.citizens.resolve('oidc', subject)).toBe('op-linked');
    // A person already on file gets a link: recorded as a change of that field, by name only.
    expect((await put('op-later', body)).statusCode).toBe(201);
    const later = `op-sub-${randomBytes(6).toString('hex')}`;
    expect((await put('op-later', { ...body, identitySubject: later })).statusCode).toBe(200);
    expect(await ledger.services.citizens.resolve('oidc', later)).toBe('op-later');
    const changes = (await ledger.services.eventStore.readAll({ after: 0, limit: 10_000 })).filter((e) => e.type === 'CitizenRecordChanged');
    expect(changes.at(-1)!.data).toMatchObject({ created: false, fields: ['identitySubject'] });
    expect(JSON.stringify(changes)).not.toContain(later);

    const taken = await put('op-other', { ...body, identitySubject: subject });
    expectProblem(taken, 409, 'conflict');
    expect((await get('op-other')).statusCode, 'nothing written for a refused link').toBe(404);
    expectProblem(await put('op-bad', { ...body, identitySubject: 'line\nbreak' }), 400, 'invalid-request');
  });

  it('authenticates before it reads a body', async () => {
    expectProblem(await put('op-person-3', 'not json at all', {}), 401, 'unauthorized');
    expectProblem(await put('op-person-3', { country: 'CZ' }, { authorization: 'Bearer not-the-admin-token' }), 403, 'forbidden');
    expectProblem(await ledger.app.inject({ method: 'GET', url: '/api/v1/admin/citizens/op-person-3' }), 401, 'unauthorized');
  });

  it('registers Mobile Key devices with a checked public key, shows the FCM token masked, and removes them', async () => {
    await put('op-person-4', { country: 'CZ', phoneVerified: false, phoneAllowed: false });
    const { publicJwk, privateJwk } = await devicePublicJwk();

    const added = await addKey('op-person-4', { fcmToken: FCM_TOKEN, label: 'Eva\'s phone', publicKey: publicJwk });
    expect(added.statusCode, added.body).toBe(201);
    const device = added.json() as { deviceId: string };
    expect(device).toEqual({ deviceId: expect.stringMatching(/^mk-/), label: 'Eva\'s phone', fcmTokenHint: 'fcm-…end1', publicKey: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y }, registeredAt: expect.any(String) });
    expect(added.body).not.toContain(FCM_TOKEN);

    // The same token again is the same device.
    const again = await addKey('op-person-4', { fcmToken: FCM_TOKEN, label: 'Eva\'s new label' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ deviceId: device.deviceId, label: 'Eva\'s new label' });

    const record = await get('op-person-4');
    expect(record.body).not.toContain(FCM_TOKEN);
    expect(record.json()).toMatchObject({ mobileKeys: [{ deviceId: device.deviceId, fcmTokenHint: 'fcm-…end1' }] });

    // A private key, a point off the curve, another curve, unknown members: refused, nothing added.
    expectProblem(await addKey('op-person-4', { fcmToken: 'other-token-0123456789', label: 'x', publicKey: privateJwk }), 400, 'invalid-request');
    expect((await addKey('op-person-4', { fcmToken: 'other-token-0123456789', label: 'x', publicKey: privateJwk })).json()).toMatchObject({ detail: expect.stringContaining('/publicKey/d') });
    expectProblem(await addKey('op-person-4', { fcmToken: 'other-token-0123456789', label: 'x', publicKey: { ...publicJwk, y: publicJwk.x } }), 400, 'invalid-request');
    expectProblem(await addKey('op-person-4', { fcmToken: 'other-token-0123456789', label: 'x', publicKey: { ...publicJwk, crv: 'P-384' } }), 400, 'invalid-request');
    expectProblem(await addKey('op-person-4', { fcmToken: 'other-token-0123456789', label: 'x', color: 'red' }), 400, 'invalid-request');
    expectProblem(await addKey('op-person-4', { fcmToken: 'has space', label: 'x' }), 400, 'invalid-request');
    expectProblem(await addKey('nobody-here', { fcmToken: 'other-token-0123456789', label: 'x' }), 404, 'not-found');
    expect(((await get('op-person-4')).json() as { mobileKeys: unknown[] }).mobileKeys).toHaveLength(1);

    const removed = await ledger.app.inject({ method: 'DELETE', url: `/api/v1/admin/citizens/op-person-4/mobile-keys/${device.deviceId}`, headers: admin });
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBe('');
    expect((await get('op-person-4')).json()).toMatchObject({ mobileKeys: [], removedMobileKeys: [{ deviceId: device.deviceId, label: 'Eva\'s new label', reason: 'admin' }] });
    expectProblem(await ledger.app.inject({ method: 'DELETE', url: `/api/v1/admin/citizens/op-person-4/mobile-keys/${device.deviceId}`, headers: admin }), 404, 'not-found');
    expectProblem(await ledger.app.inject({ method: 'DELETE', url: `/api/v1/admin/citizens/nobody-here/mobile-keys/${device.deviceId}`, headers: admin }), 404, 'not-found');
  });

  it('what the operator feeds is what a provider sees: the SePP lookup, and the methods of an act', async () => {
    await put('op-person-5', { country: 'CZ', phone: '+420777000555', phoneVerified: true, phoneAllowed: true });
    const token = await actAsToken(ledger, provider);
    const register = async () => {
      const res = await ledger.app.inject({
        method: 'POST',
        url: '/api/v1/acts',
        headers: { authorization: `Bearer ${token}` },
        payload: { sepp: await seppOf(ledger, 'op-person-5', provider.providerId), documentHash: randomBytes(32).toString('hex'), name: 'Change of address' },
      });
      expect(res.statusCode, res.body).toBe(201);
      return (res.json() as { methods: string[] }).methods;
    };
    expect(await register()).toEqual(['authentication', 'sms']);
    await addKey('op-person-5', { fcmToken: FCM_TOKEN, label: 'phone' });
    expect(await register()).toEqual(['authentication', 'sms', 'mobile-key']);

    const sepp = (query: string) => ledger.app.inject({ method: 'GET', url: `/api/v1/admin/citizens/op-person-5/sepp${query}`, headers: admin });
    expectProblem(await sepp('?providerId=no-such-provider'), 404, 'not-found');
    expectProblem(await sepp(''), 400, 'invalid-request');
  });
});
