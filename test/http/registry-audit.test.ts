import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_AUDIT_SECTOR } from '../../events/registry.ts';
import { streamNames, type RecordedEvent } from '../../events/envelope.ts';
import type { Ledger } from '../../src/composition/ledger.ts';
import { testLedger } from '../support/ledger.ts';
import { namedAdminToken } from '../support/admins.ts';

const AIFO = 'audit-person-7731';
const PHONE = '+420777123456';
const OTHER_PHONE = '+420777654321';
const FCM_TOKEN = `fcm-audit-${'q'.repeat(40)}-tail`;

describe('registry changes in the log: by whom, with nothing personal', () => {
  let ledger: Ledger;
  let registry: { adminId: string; token: string };
  let activityToken: string;

  beforeAll(async () => {
    ledger = await testLedger({}, { inMemory: true });
    const named = await namedAdminToken(ledger, ['registry']);
    registry = { adminId: named.admin.adminId, token: named.token };
    activityToken = (await namedAdminToken(ledger, ['admins'])).token;
  });
  afterAll(() => ledger?.close());

  const send = (method: 'PUT' | 'POST' | 'DELETE' | 'GET', url: string, payload?: object, token = registry.token) =>
    ledger.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  const registryEvents = async (): Promise<RecordedEvent[]> =>
    (await ledger.services.eventStore.readAll({ limit: 10_000 })).filter((e) => e.streamName.startsWith('registry-'));

  it('records each change with the admin and the names of the fields, and an unchanged write records nothing', async () => {
    const fields = { displayName: 'Jana Audit', country: 'CZ', phone: PHONE, phoneVerified: true, phoneAllowed: true };
    expect((await send('PUT', `/api/v1/admin/citizens/${AIFO}`, fields)).statusCode).toBe(201);
    const repeat = await send('PUT', `/api/v1/admin/citizens/${AIFO}`, fields);
    expect(repeat.statusCode).toBe(200);
    expect(await registryEvents(), 'the repeat wrote nothing').toHaveLength(1);
    expect((await send('PUT', `/api/v1/admin/citizens/${AIFO}`, { ...fields, phone: OTHER_PHONE, phoneVerified: false })).statusCode).toBe(200);

    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const device = { fcmToken: FCM_TOKEN, label: 'Jana\'s phone', publicKey: await exportJWK(publicKey) };
    const added = await send('POST', `/api/v1/admin/citizens/${AIFO}/mobile-keys`, device);
    expect(added.statusCode, added.body).toBe(201);
    const { deviceId } = added.json() as { deviceId: string };
    expect((await send('POST', `/api/v1/admin/citizens/${AIFO}/mobile-keys`, device)).statusCode).toBe(200);
    expect((await send('POST', `/api/v1/admin/citizens/${AIFO}/mobile-keys`, { ...device, label: 'Work phone' })).statusCode).toBe(200);
    expect((await send('DELETE', `/api/v1/admin/citizens/${AIFO}/mobile-keys/${deviceId}`)).statusCode).toBe(204);
    // A removal refused (no such device) records nothing either.
    expect((await send('DELETE', `/api/v1/admin/citizens/${AIFO}/mobile-keys/${deviceId}`)).statusCode).toBe(404);

    const subject = ledger.services.pseudonyms.bsi(REGISTRY_AUDIT_SECTOR, AIFO);
    const events = await registryEvents();
    expect(events.map((e) => e.streamName)).toEqual(Array(5).fill(streamNames.registry(subject)));
    expect(events.map((e) => ({ type: e.type, data: e.data }))).toEqual([
      { type: 'CitizenRecordChanged', data: { subject, created: true, fields: ['displayName', 'country', 'phone', 'phoneVerified', 'phoneAllowed'], changedAt: expect.any(String) } },
      { type: 'CitizenRecordChanged', data: { subject, created: false, fields: ['phone', 'phoneVerified'], changedAt: expect.any(String) } },
      { type: 'MobileKeyRegistered', data: { subject, deviceId, created: true, fields: ['fcmToken', 'label', 'publicKey'], registeredAt: expect.any(String) } },
      { type: 'MobileKeyRegistered', data: { subject, deviceId, created: false, fields: ['label'], registeredAt: expect.any(String) } },
      { type: 'MobileKeyRemoved', data: { subject, deviceId, reason: 'admin', removedAt: expect.any(String) } },
    ]);
    expect(events.every((e) => e.metadata.actor === `admin:${registry.adminId}`)).toBe(true);

    // Nothing the registry can forget is in the log: not the AIFO, the phones, the name, the label or the token.
    const log = JSON.stringify(await ledger.services.eventStore.readAll({ limit: 10_000 }));
    for (const personal of [AIFO, PHONE, OTHER_PHONE, 'Jana Audit', 'Jana\'s phone', 'Work phone', FCM_TOKEN, FCM_TOKEN.slice(0, 20)]) expect(log).not.toContain(personal);
  });

  it('the activity list shows the registry actions of the named admin', async () => {
    const res = await send('GET', `/api/v1/admin/activity?adminId=${registry.adminId}&limit=50`, undefined, activityToken);
    expect(res.statusCode, res.body).toBe(200);
    const { activity } = res.json() as { activity: Array<{ adminId: string; type: string; streamName: string }> };
    expect(activity.map((e) => e.type)).toEqual(['MobileKeyRemoved', 'MobileKeyRegistered', 'MobileKeyRegistered', 'CitizenRecordChanged', 'CitizenRecordChanged']);
    expect(activity.every((e) => e.adminId === registry.adminId && e.streamName.startsWith('registry-'))).toBe(true);
  });
});
