import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { Ledger } from '../../src/composition/ledger.ts';
import { ADMIN_TOKEN, actAsToken, registerProvider, seppOf, testLedger, type ProviderIdentity } from '../support/ledger.ts';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Refusals a provider's developer meets in the first hour, each saying what was expected instead. */
describe('errors that say what was expected (simulator)', () => {
  let ledger: Ledger;
  let provider: ProviderIdentity;
  let token: string;

  beforeAll(async () => {
    ledger = await testLedger();
    provider = await registerProvider(ledger);
    token = await actAsToken(ledger, provider);
  });
  afterAll(() => ledger.close());

  it('refuses a key pair pasted as a provider key by naming its private member', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const pair = await exportJWK(privateKey);
    const registered = await ledger.app.inject({ method: 'POST', url: '/api/v1/admin/providers', headers: admin, payload: { name: 'Pasted pair', jwks: { keys: [pair] } } });
    expect(registered.statusCode).toBe(400);
    expect(registered.json()).toMatchObject({
      type: 'urn:problem:act-ledger:invalid-request',
      detail: '/jwks/keys/0/d: a provider registers its public key only, never the private part (drop "d")',
      errors: [{ in: 'body', pointer: '/jwks/keys/0/d' }],
    });
    const added = await ledger.app.inject({ method: 'POST', url: `/api/v1/admin/providers/${provider.providerId}/keys`, headers: admin, payload: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } });
    expect(added.statusCode).toBe(400);
    expect(added.json()).toMatchObject({ type: 'urn:problem:act-ledger:invalid-request', detail: expect.stringMatching(/^\/jwk\/k: a provider registers its public key only/) });
  });

  it('answers sepp-unknown with where the simulator gives a test person\'s SePP', async () => {
    const act = { documentHash: randomBytes(32).toString('hex'), name: 'Tax return' };
    const res = await ledger.app.inject({ method: 'POST', url: '/api/v1/acts', headers: { authorization: `Bearer ${token}` }, payload: { ...act, sepp: 'test-person-jana' } });
    expect(res.statusCode).toBe(422);
    const lookup = `/api/v1/admin/citizens/{aifo}/sepp?providerId=${provider.providerId}`;
    expect(res.json()).toMatchObject({ type: 'urn:problem:act-ledger:sepp-unknown', seppLookup: lookup, detail: expect.stringContaining(`GET ${lookup} (admin token)`) });
    // Following the hint works.
    const sepp = await seppOf(ledger, 'test-person-jana', provider.providerId);
    const registered = await ledger.app.inject({ method: 'POST', url: '/api/v1/acts', headers: { authorization: `Bearer ${token}` }, payload: { ...act, sepp } });
    expect(registered.statusCode).toBe(201);
  });

  it('answers 404 for the outbox of an AIFO that is no test person, and the messages of one that is', async () => {
    const unknown = await ledger.app.inject({ method: 'GET', url: '/api/v1/simulator/outbox?aifo=test-person-jnaa', headers: admin });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unknown.json()).toMatchObject({ type: 'urn:problem:act-ledger:not-found', detail: expect.stringContaining('GET /api/v1/admin/citizens lists them') });
    const known = await ledger.app.inject({ method: 'GET', url: '/api/v1/simulator/outbox?aifo=test-person-marie', headers: admin });
    expect(known.statusCode).toBe(200);
    expect(known.json()).toEqual({ messages: [] });
  });
});
