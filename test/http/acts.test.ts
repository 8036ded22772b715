import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import type { Ledger } from '../../src/composition/ledger.ts';
import { codeHashes } from '../../src/app/acts/act-service.ts';
import { streamNames } from '../../events/envelope.ts';
import { codeInText, deliveredMessage, settledDelivery, type DeliveredCodeView } from '../support/delivery.ts';
import { actAsToken, registerProvider, seppOf, testLedger, type ProviderIdentity } from '../support/ledger.ts';

const JANA = 'test-person-jana';
const PETR = 'test-person-petr';
const MARIE = 'test-person-marie';
const HANS = 'test-person-hans';

describe('acts over HTTP', () => {
  let ledger: Ledger;
  let provider: ProviderIdentity;
  let other: ProviderIdentity;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    ledger = await testLedger({ LEDGER_CODE_SENDS_PER_HOUR: '100' });
    provider = await registerProvider(ledger, { name: 'Tax office e-service' });
    other = await registerProvider(ledger, { name: 'Another e-service' });
    token = await actAsToken(ledger, provider);
    otherToken = await actAsToken(ledger, other);
  });
  afterAll(() => ledger.close());

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown, bearer = token, headers: Record<string, string> = {}) =>
    ledger.app.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}), headers: { authorization: `Bearer ${bearer}`, ...headers } });

  const newAct = async (aifo = JANA, extra: Record<string, unknown> = {}) => {
    const sepp = await seppOf(ledger, aifo, provider.providerId);
    const res = await call('POST', '/api/v1/acts', { sepp, documentHash: randomBytes(32).toString('hex'), name: 'Tax return 2026', description: 'Annual income tax return', ...extra });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { actId: string; methods: string[]; status: string; authorizationUrl: string; expiresAt: string };
  };

  const readAct = async (actId: string) => (await call('GET', `/api/v1/acts/${actId}`)).json() as { codes: DeliveredCodeView[] };

  it('registers an act and answers the methods the citizen can use', async () => {
    expect((await newAct(JANA)).methods).toEqual(['authentication', 'sms', 'mobile-key']);
    expect((await newAct(PETR)).methods).toEqual(['authentication']);
    expect((await newAct(MARIE)).methods).toEqual(['authentication']);
    const foreign = await newAct(HANS);
    expect(foreign.methods).toEqual(['authentication']);
    expect(foreign.authorizationUrl).toBe(`${ledger.services.config.publicUrl}/authorize/${foreign.actId}`);
  });

  it('gives acts, codes and events time-ordered ids (UUIDv7), so the store appends them at the end of its indexes', async () => {
    const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const first = await newAct(JANA);
    const second = await newAct(JANA);
    expect(first.actId).toMatch(v7);
    expect(second.actId > first.actId).toBe(true);
    const code = (await call('POST', `/api/v1/acts/${second.actId}/codes`, { channel: 'sms' })).json() as { codeId: string };
    expect(code.codeId).toMatch(v7);
    expect(code.codeId > second.actId).toBe(true);
    const streams = await Promise.all([first.actId, second.actId].map((actId) => ledger.services.eventStore.readStream(streamNames.act(actId))));
    const eventIds = streams.flat().map((e) => e.metadata.eventId);
    expect(eventIds.length).toBeGreaterThanOrEqual(3);
    for (const id of eventIds) expect(id).toMatch(v7);
    expect([...eventIds].sort()).toEqual(eventIds);
  });

  for (const channel of ['sms', 'mobile-key'] as const) {
    it(`authorizes by a code sent by ${channel}`, async () => {
      const act = await newAct();
      const issued = await call('POST', `/api/v1/acts/${act.actId}/codes`, { channel });
      expect(issued.statusCode, issued.body).toBe(201);
      const { codeId, codeSha256, attemptsLeft, delivery } = issued.json() as { codeId: string; codeSha256: string; attemptsLeft: number; delivery: string };
      expect(attemptsLeft).toBe(5);
      // The request answers before the code is delivered; the act then shows it sent.
      expect(delivery).toBe('pending');
      const sent = await settledDelivery(() => readAct(act.actId), codeId);
      expect(sent).toMatchObject({ codeId, channel, delivery: 'sent' });
      expect(Date.parse(sent.deliveredAt!)).toBeGreaterThanOrEqual(Date.parse(sent.issuedAt));
      const message = await deliveredMessage(ledger, JANA, act.actId, codeSha256);
      expect(message.channel).toBe(channel);
      // Jana is a domestic person: her code comes in Czech, naming the e-service and the act.
      expect(message.text).toBe(`Kód: ${message.code}. Tax office e-service žádá o autorizaci úkonu „Tax return 2026“. Platí 5 min. Kód nikomu nesdělujte.`);
      const hashes = codeHashes(act.actId, message.code);
      expect(hashes.codeSha256).toBe(codeSha256);
      const verified = await call('POST', `/api/v1/acts/${act.actId}/codes/${codeId}/verifications`, { codeSha512: hashes.codeSha512 });
      expect(verified.json()).toEqual({ result: 'authorized', attemptsLeft: 5, status: 'authorized' });
      const result = await call('GET', `/api/v1/acts/${act.actId}`);
      expect(result.json()).toMatchObject({ actId: act.actId, status: 'authorized', method: channel });
      const again = await call('POST', `/api/v1/acts/${act.actId}/codes/${codeId}/verifications`, { codeSha512: hashes.codeSha512 });
      expect(again.statusCode).toBe(409);
    });
  }

  it('sends a foreign person\'s code in English, naming the e-service and the act', async () => {
    const slovak = await ledger.services.testPersons.add({ displayName: 'Ján Slovák', country: 'SK', phone: '+421900000001', phoneVerified: true, phoneAllowed: true });
    const sepp = await seppOf(ledger, slovak.aifo, provider.providerId);
    const registered = await call('POST', '/api/v1/acts', { sepp, documentHash: randomBytes(32).toString('hex'), name: 'Žádost o výpis', description: '' });
    expect(registered.statusCode, registered.body).toBe(201);
    const { actId } = registered.json() as { actId: string };
    const { codeSha256 } = (await call('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' })).json() as { codeSha256: string };
    const message = await deliveredMessage(ledger, slovak.aifo, actId, codeSha256);
    expect(message.text).toBe(`Code: ${message.code}. Tax office e-service asks you to authorize "Žádost o výpis". Valid 5 min. Never share this code.`);
    expect(codeInText(message.text)).toBe(message.code);
  });

  it('counts mismatches and fails the act when attempts run out', async () => {
    const act = await newAct();
    const { codeId } = (await call('POST', `/api/v1/acts/${act.actId}/codes`, { channel: 'sms' })).json() as { codeId: string };
    const wrong = createHash('sha512').update('nope').digest('hex');
    for (let left = 4; left >= 0; left--) {
      const res = await call('POST', `/api/v1/acts/${act.actId}/codes/${codeId}/verifications`, { codeSha512: wrong });
      expect(res.json()).toMatchObject({ result: 'mismatch', attemptsLeft: left });
    }
    const locked = await call('POST', `/api/v1/acts/${act.actId}/codes/${codeId}/verifications`, { codeSha512: wrong });
    expect(locked.json()).toMatchObject({ result: 'locked', status: 'failed' });
    expect((await call('GET', `/api/v1/acts/${act.actId}`)).json()).toMatchObject({ status: 'failed', failure: { reason: 'attempts-exhausted' } });
  });

  it('a newer code supersedes the older one', async () => {
    const act = await newAct();
    const first = (await call('POST', `/api/v1/acts/${act.actId}/codes`, { channel: 'sms' })).json() as { codeId: string; codeSha256: string };
    const firstCode = (await deliveredMessage(ledger, JANA, act.actId, first.codeSha256)).code;
    await call('POST', `/api/v1/acts/${act.actId}/codes`, { channel: 'sms' });
    const res = await call('POST', `/api/v1/acts/${act.actId}/codes/${first.codeId}/verifications`, { codeSha512: codeHashes(act.actId, firstCode).codeSha512 });
    expect(res.json()).toMatchObject({ result: 'superseded', status: 'pending' });
  });

  it('refuses a channel the citizen does not have', async () => {
    const act = await newAct(PETR);
    const res = await call('POST', `/api/v1/acts/${act.actId}/codes`, { channel: 'sms' });
    expect(res.statusCode).toBe(422);
    expect((res.json() as { type: string }).type).toBe('urn:problem:act-ledger:channel-unavailable');
  });

  it('honours Idempotency-Key: same body, same act; different body, 409', async () => {
    const sepp = await seppOf(ledger, JANA, provider.providerId);
    const body = { sepp, documentHash: 'a'.repeat(64), name: 'Idempotent act', description: '' };
    const key = { 'idempotency-key': `key-${Date.now()}` };
    const a = await call('POST', '/api/v1/acts', body, token, key);
    const b = await call('POST', '/api/v1/acts', body, token, key);
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect((b.json() as { actId: string }).actId).toBe((a.json() as { actId: string }).actId);
    const c = await call('POST', '/api/v1/acts', { ...body, name: 'Something else' }, token, key);
    expect(c.statusCode).toBe(409);
    expect((c.json() as { type: string }).type).toBe('urn:problem:act-ledger:idempotency-key-reused');
  });

  it('another provider gets 404 on every act route, and the act is unchanged', async () => {
    const act = await newAct();
    const { codeId } = (await call('POST', `/api/v1/acts/${act.actId}/codes`, { channel: 'sms' })).json() as { codeId: string };
    await settledDelivery(() => readAct(act.actId), codeId);
    const before = await ledger.services.eventStore.readStream(streamNames.act(act.actId));
    const attempts = [
      call('GET', `/api/v1/acts/${act.actId}`, undefined, otherToken),
      call('POST', `/api/v1/acts/${act.actId}/codes`, { channel: 'sms' }, otherToken),
      call('POST', `/api/v1/acts/${act.actId}/codes/${codeId}/verifications`, { codeSha512: 'b'.repeat(128) }, otherToken),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode, res.body).toBe(404);
      expect((res.json() as { type: string }).type).toBe('urn:problem:act-ledger:not-found');
    }
    expect(await ledger.services.eventStore.readStream(streamNames.act(act.actId))).toEqual(before);
  });

  it('the provider does not learn another provider\'s SePP identifies anyone', async () => {
    const sepp = await seppOf(ledger, JANA, other.providerId);
    const res = await call('POST', '/api/v1/acts', { sepp, documentHash: 'c'.repeat(64), name: 'x', description: '' });
    expect(res.statusCode).toBe(422);
    expect((res.json() as { type: string }).type).toBe('urn:problem:act-ledger:sepp-unknown');
  });

  it('limits the codes sent to one citizen per hour', async () => {
    const limited = await testLedger({ LEDGER_CODE_SENDS_PER_HOUR: '2' });
    try {
      const p = await registerProvider(limited);
      const t = await actAsToken(limited, p);
      const sepp = await seppOf(limited, JANA, p.providerId);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const act = await limited.app.inject({ method: 'POST', url: '/api/v1/acts', headers: { authorization: `Bearer ${t}` }, payload: { sepp, documentHash: 'd'.repeat(64), name: `act ${i}` } });
        const { actId } = act.json() as { actId: string };
        const res = await limited.app.inject({ method: 'POST', url: `/api/v1/acts/${actId}/codes`, headers: { authorization: `Bearer ${t}` }, payload: { channel: 'sms' } });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) expect((res.json() as { type: string }).type).toBe('urn:problem:act-ledger:code-rate-limited');
      }
      expect(statuses).toEqual([201, 201, 429]);
    } finally {
      await limited.close();
    }
  });
});
