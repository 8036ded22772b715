import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { streamNames } from '../../events/envelope.ts';
import { actAsToken, registerProvider, seppOf, testLedger } from '../support/ledger.ts';
import { sentCode } from '../support/delivery.ts';

describe('acts: bad input and wrong state', () => {
  let ledger: Ledger;
  let token: string;
  let sepp: string;
  let petrSepp: string;
  let eventsBefore: number;

  beforeAll(async () => {
    ledger = await testLedger();
    const provider = await registerProvider(ledger);
    token = await actAsToken(ledger, provider);
    sepp = await seppOf(ledger, 'test-person-jana', provider.providerId);
    petrSepp = await seppOf(ledger, 'test-person-petr', provider.providerId);
  });
  afterAll(() => ledger.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    ledger.app.inject({ method: 'POST', url, payload: payload as object, headers: { authorization: `Bearer ${token}`, ...headers } });
  const typeOf = (res: { json(): unknown }) => (res.json() as { type: string }).type.replace('urn:problem:act-ledger:', '');
  const valid = () => ({ sepp, documentHash: 'e'.repeat(64), name: 'Contract', description: 'Lease' });

  it('refuses each invalid registration with its own problem type and records nothing', async () => {
    eventsBefore = await ledger.services.eventStore.headPosition();
    const cases: Array<[string, unknown, string, Record<string, string>?]> = [
      ['uppercase hash', { ...valid(), documentHash: 'E'.repeat(64) }, 'invalid-document-hash'],
      ['short hash', { ...valid(), documentHash: 'e'.repeat(63) }, 'invalid-document-hash'],
      ['missing hash', { sepp, name: 'x' }, 'invalid-document-hash'],
      ['empty name', { ...valid(), name: '' }, 'invalid-act-name'],
      ['blank name', { ...valid(), name: '   ' }, 'invalid-act-name'],
      ['101-character name', { ...valid(), name: 'n'.repeat(101) }, 'invalid-act-name'],
      ['control character in name', { ...valid(), name: 'a\u0007b' }, 'invalid-act-name'],
      ['301-character description', { ...valid(), description: 'd'.repeat(301) }, 'invalid-act-description'],
      ['newline in description', { ...valid(), description: 'line\nbreak' }, 'invalid-act-description'],
      ['unknown SePP', { ...valid(), sepp: 'not-a-known-bsi' }, 'sepp-unknown'],
      ['empty SePP', { ...valid(), sepp: '' }, 'invalid-sepp'],
      ['bad LoA', { ...valid(), loa: 'extreme' }, 'invalid-loa'],
      ['unknown field', { ...valid(), extra: 1 }, 'invalid-request'],
      ['bad Idempotency-Key', valid(), 'invalid-idempotency-key', { 'idempotency-key': 'has space' }],
    ];
    for (const [label, body, type, headers] of cases) {
      const res = await post('/api/v1/acts', body, headers);
      expect(res.headers['content-type'], label).toMatch(/^application\/problem\+json/);
      expect(typeOf(res), label).toBe(type);
    }
    const malformed = await ledger.app.inject({ method: 'POST', url: '/api/v1/acts', payload: '{"sepp":', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    expect(malformed.statusCode).toBe(400);
    expect(typeOf(malformed)).toBe('invalid-request');
    const oversized = await post('/api/v1/acts', { ...valid(), description: 'x'.repeat(200_000) });
    expect(oversized.statusCode).toBe(413);
    expect(typeOf(oversized)).toBe('payload-too-large');
    expect(await ledger.services.eventStore.headPosition()).toBe(eventsBefore);
  });

  it('counts name and description in Unicode code points', async () => {
    const res = await post('/api/v1/acts', { ...valid(), name: '😀'.repeat(100), description: 'ž'.repeat(300) });
    expect(res.statusCode, res.body).toBe(201);
  });

  it('refuses wrong-state and wrong-channel code calls with their own types, leaving the stream as it was', async () => {
    const petrAct = (await post('/api/v1/acts', { ...valid(), sepp: petrSepp })).json() as { actId: string };
    const janaAct = (await post('/api/v1/acts', valid())).json() as { actId: string };
    const stream = (id: string) => ledger.services.eventStore.readStream(streamNames.act(id));
    const before = await stream(petrAct.actId);
    const cases: Array<[string, string, unknown, string]> = [
      ['channel unknown', `/api/v1/acts/${petrAct.actId}/codes`, { channel: 'pigeon' }, 'invalid-channel'],
      ['channel not available', `/api/v1/acts/${petrAct.actId}/codes`, { channel: 'mobile-key' }, 'channel-unavailable'],
      ['code unknown', `/api/v1/acts/${petrAct.actId}/codes/00000000-0000-4000-8000-000000000000/verifications`, { codeSha512: 'a'.repeat(128) }, 'code-unknown'],
      ['bad hash', `/api/v1/acts/${petrAct.actId}/codes/00000000-0000-4000-8000-000000000000/verifications`, { codeSha512: 'xyz' }, 'invalid-code-hash'],
      ['act id not a uuid', '/api/v1/acts/not-an-id/codes', { channel: 'sms' }, 'invalid-request'],
      ['act unknown', '/api/v1/acts/00000000-0000-4000-8000-000000000000/codes', { channel: 'sms' }, 'not-found'],
    ];
    for (const [label, url, body, type] of cases) {
      const res = await post(url, body);
      expect(res.headers['content-type'], `${label}: ${res.body}`).toMatch(/problem/);
      expect(typeOf(res), label).toBe(type);
    }
    expect(await stream(petrAct.actId)).toEqual(before);

    // An authorized act takes no more codes.
    const issued = (await post(`/api/v1/acts/${janaAct.actId}/codes`, { channel: 'sms' })).json() as { codeId: string; codeSha256: string };
    const { codeId } = issued;
    const code = await sentCode(ledger, 'test-person-jana', janaAct.actId, issued);
    const { codeHashes } = await import('../../src/app/acts/act-service.ts');
    await post(`/api/v1/acts/${janaAct.actId}/codes/${codeId}/verifications`, { codeSha512: codeHashes(janaAct.actId, code).codeSha512 });
    const janaBefore = await stream(janaAct.actId);
    const more = await post(`/api/v1/acts/${janaAct.actId}/codes`, { channel: 'sms' });
    expect(more.statusCode, more.body).toBe(409);
    expect(typeOf(more)).toBe('act-not-pending');
    expect(await stream(janaAct.actId)).toEqual(janaBefore);
  });

  it('refuses requests without a token, or with an admin token, on act routes', async () => {
    const none = await ledger.app.inject({ method: 'POST', url: '/api/v1/acts', payload: valid() });
    expect(none.statusCode).toBe(401);
    const admin = await ledger.app.inject({ method: 'POST', url: '/api/v1/acts', payload: valid(), headers: { authorization: `Bearer ${ledger.services.config.adminToken}` } });
    expect(admin.statusCode).toBe(401);
  });
});
