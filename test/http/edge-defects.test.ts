import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { streamNames } from '../../events/envelope.ts';
import { codeHashes } from '../../src/app/acts/act-service.ts';
import { multipartBody } from '../support/act-flows.ts';
import { actAsToken, ADMIN_TOKEN, clientAssertion, registerProvider, seppOf, testLedger, type ProviderIdentity } from '../support/ledger.ts';
import { sentCode } from '../support/delivery.ts';

// One test per defect found from outside (issue: the spine proven); each failed before its fix.
describe('the edge holds: defects found by hostile requests, fixed at their root', () => {
  let ledger: Ledger;
  let provider: ProviderIdentity;
  let token: string;
  let jana: string;

  beforeAll(async () => {
    ledger = await testLedger();
    provider = await registerProvider(ledger);
    token = await actAsToken(ledger, provider);
    jana = await seppOf(ledger, 'test-person-jana', provider.providerId);
  });
  afterAll(() => ledger.close());

  const auth = () => ({ authorization: `Bearer ${token}` });
  const post = (url: string, payload: unknown, headers: Record<string, string> = auth()) =>
    ledger.app.inject({ method: 'POST', url, payload: payload as object, headers });
  const typeOf = (res: { json(): unknown }) => String((res.json() as { type: string }).type).replace('urn:problem:act-ledger:', '');
  const act = (overrides: Record<string, unknown> = {}) => ({ sepp: jana, documentHash: 'a'.repeat(64), name: 'Lease', description: 'Flat 3', ...overrides });
  const head = () => ledger.services.eventStore.headPosition();

  describe('idempotency: a repeat is recognised by content, atomically with the append', () => {
    it('same key, different bodies at once: one 201, the others 409 idempotency-key-reused; the act holds the winner', async () => {
      const key = 'race-different-bodies';
      const bodies = Array.from({ length: 8 }, (_, i) => act({ documentHash: String(i).repeat(64) }));
      const answers = await Promise.all(bodies.map((b) => post('/api/v1/acts', b, { ...auth(), 'idempotency-key': key })));
      const created = answers.filter((a) => a.statusCode === 201);
      expect(created).toHaveLength(1);
      for (const a of answers.filter((x) => x.statusCode !== 201)) {
        expect(a.statusCode).toBe(409);
        expect(typeOf(a)).toBe('idempotency-key-reused');
      }
      const actId = String(created[0]!.json().actId);
      const winner = bodies[answers.indexOf(created[0]!)]!;
      const { state } = await ledger.services.acts.load(actId);
      expect(state.documentHash).toBe(winner.documentHash);
      expect(await ledger.services.eventStore.readStream(streamNames.act(actId))).toHaveLength(1);
    });

    it('same key, same body at once: one act, every repeat marked replayed and carrying the stored expiresAt', async () => {
      const key = 'race-same-body';
      const answers = await Promise.all(Array.from({ length: 8 }, () => post('/api/v1/acts', act({ documentHash: 'b'.repeat(64) }), { ...auth(), 'idempotency-key': key })));
      expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(201));
      const ids = new Set(answers.map((a) => a.json().actId));
      expect(ids.size).toBe(1);
      const { state } = await ledger.services.acts.load(String([...ids][0]));
      for (const a of answers) expect(a.json().expiresAt).toBe(state.expiresAt);
      expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
    });
  });

  describe('contention on one act answers a decided answer, never a 5xx', () => {
    it('20 parallel /authorize starts', async () => {
      const actId = String((await post('/api/v1/acts', act({ documentHash: 'c'.repeat(64) }))).json().actId);
      const url = `/authorize/${actId}?redirect_uri=${encodeURIComponent('https://provider.example/return')}&state=s1`;
      const answers = await Promise.all(Array.from({ length: 20 }, () => ledger.app.inject({ method: 'GET', url })));
      for (const a of answers) expect(a.statusCode, a.body.slice(0, 200)).toBeLessThan(500);
      const statuses = answers.map((a) => a.statusCode);
      expect(statuses.filter((s) => s === 303).length, statuses.join()).toBeGreaterThan(0);
    });

    it('20 parallel verifications of the one right code: exactly one authorized', async () => {
      const actId = String((await post('/api/v1/acts', act({ documentHash: 'd'.repeat(64) }))).json().actId);
      const issued = (await post(`/api/v1/acts/${actId}/codes`, { channel: 'sms' })).json() as { codeId: string; codeSha256: string };
      const { codeId } = issued;
      const code = await sentCode(ledger, 'test-person-jana', actId, issued);
      const url = `/api/v1/acts/${actId}/codes/${codeId}/verifications`;
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(url, { codeSha512: codeHashes(actId, code).codeSha512 })));
      for (const a of answers) expect(a.statusCode, a.body).toBeLessThan(500);
      expect(answers.filter((a) => a.statusCode === 200 && a.json().result === 'authorized')).toHaveLength(1);
      for (const a of answers.filter((x) => x.statusCode === 409)) expect(typeOf(a)).toMatch(/^(act-not-pending|concurrency-conflict)$/);
      const events = await ledger.services.eventStore.readStream(streamNames.act(actId));
      expect(events.filter((e) => e.type === 'ActAuthorized')).toHaveLength(1);
    });

    it('20 parallel wrong codes: attempts counted once each, never below zero, never a 5xx', async () => {
      const actId = String((await post('/api/v1/acts', act({ documentHash: 'e'.repeat(64) }))).json().actId);
      const { codeId } = (await post(`/api/v1/acts/${actId}/codes`, { channel: 'sms' })).json() as { codeId: string };
      const url = `/api/v1/acts/${actId}/codes/${codeId}/verifications`;
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(url, { codeSha512: 'f'.repeat(128) })));
      for (const a of answers) expect(a.statusCode, a.body).toBeLessThan(500);
      const events = await ledger.services.eventStore.readStream(streamNames.act(actId));
      expect(events.filter((e) => e.type === 'CodeAttempted')).toHaveLength(ledger.services.config.code.attempts);
      expect(events.filter((e) => e.type === 'ActAuthorizationFailed')).toHaveLength(1);
    });
  });

  describe('authentication runs before the body is parsed or validated', () => {
    it.each([
      ['provider route, bad body', '/api/v1/acts', { name: 123 }],
      ['provider route, malformed JSON', '/api/v1/acts', '{"sepp":'],
      ['admin route, bad body', '/api/v1/admin/providers', { name: 123 }],
      ['admin route, malformed JSON', '/api/v1/admin/retention', '{"x'],
    ])('%s: 401 without the validation details', async (_label, url, payload) => {
      const res = await ledger.app.inject({ method: url.includes('retention') ? 'PUT' : 'POST', url, payload: payload as string, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(401);
      expect(typeOf(res)).toBe('unauthorized');
      expect(res.json()).not.toHaveProperty('errors');
    });
  });

  describe('JSON bodies are validated strictly, without type coercion', () => {
    it.each([
      ['name: 123', { name: 123 }, 'invalid-act-name'],
      ['name: true', { name: true }, 'invalid-act-name'],
      ['name: ["x"]', { name: ['x'] }, 'invalid-act-name'],
      ['loa: ["high"]', { loa: ['high'] }, 'invalid-loa'],
      ['description: 5', { description: 5 }, 'invalid-act-description'],
    ])('%s is refused and records nothing', async (_label, overrides, type) => {
      const before = await head();
      const res = await post('/api/v1/acts', act({ documentHash: '1'.repeat(64), ...overrides }));
      expect(res.statusCode).toBe(400);
      expect(typeOf(res)).toBe(type);
      expect(await head()).toBe(before);
    });

    it('query strings and params are still read as text and coerced where their schema says', async () => {
      const res = await ledger.app.inject({ method: 'GET', url: '/api/v1/admin/failed-authorizations?limit=2', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toBeTypeOf('object');
    });
  });

  it('malformed multipart on the public route answers 400 problem+json, for anyone', async () => {
    for (const contentType of ['multipart/form-data', 'multipart/form-data; boundary=x']) {
      const res = await ledger.app.inject({ method: 'POST', url: '/api/v1/public/verifications', headers: { 'content-type': contentType }, payload: 'garbage' });
      expect(res.statusCode, contentType).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(typeOf(res)).toBe('invalid-request');
    }
    const truncated = multipartBody([{ name: 'file', file: Buffer.from('abc') }]);
    const cut = truncated.payload.subarray(0, truncated.payload.length - 10);
    const res = await ledger.app.inject({ method: 'POST', url: '/api/v1/public/verifications', headers: truncated.headers, payload: cut });
    expect(res.statusCode).toBe(400);
  });

  describe('a client assertion whose jti is not a string is refused as invalid-client', () => {
    const tokenUrl = () => `${ledger.services.config.publicUrl}/api/v1/token`;
    it.each([
      ['an object', { nested: 1 }],
      ['an array', ['a']],
      ['true', true],
      ['a number', 42],
      ['an empty string', ''],
      ['201 characters', 'j'.repeat(201)],
    ])('jti %s', async (_label, jti) => {
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({ jti } as Record<string, unknown>)
        .setProtectedHeader({ alg: provider.alg, kid: provider.kid })
        .setIssuer(provider.providerId)
        .setSubject(provider.providerId)
        .setAudience(tokenUrl())
        .setIssuedAt(now)
        .setExpirationTime(now + 120)
        .sign(provider.privateKey);
      const res = await post('/api/v1/token', {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }, {});
      expect(res.statusCode).toBe(401);
      expect(typeOf(res)).toBe('invalid-client');
    });
  });

  it('problem types follow the route: a provider name of 201 characters is not an act name', async () => {
    const res = await post('/api/v1/admin/providers', { name: 'p'.repeat(201), jwks: { keys: [provider.publicJwk] } }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(res.statusCode).toBe(400);
    expect(typeOf(res)).toBe('invalid-provider-name');
  });

  describe('decided and documented edges', () => {
    it('the Bearer scheme is case-insensitive (RFC 7235)', async () => {
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const res = await ledger.app.inject({ method: 'GET', url: '/api/v1/admin/providers', headers: { authorization: `${scheme} ${ADMIN_TOKEN}` } });
        expect(res.statusCode, scheme).toBe(200);
      }
    });

    it.each([
      ['text/plain', 'x'],
      ['application/xml', '<a/>'],
      ['application/x-www-form-urlencoded', 'name=x'],
    ])('a body of type %s on an API route other than the token route answers 415', async (contentType, payload) => {
      const before = await head();
      const res = await ledger.app.inject({ method: 'POST', url: '/api/v1/acts', headers: { ...auth(), 'content-type': contentType }, payload });
      expect(res.statusCode).toBe(415);
      expect(typeOf(res)).toBe('unsupported-media-type');
      expect(await head()).toBe(before);
    });

    it('the token route takes a form-encoded body', async () => {
      const assertion = await clientAssertion(provider, `${ledger.services.config.publicUrl}/api/v1/token`);
      const res = await ledger.app.inject({
        method: 'POST',
        url: '/api/v1/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }).toString(),
      });
      expect(res.statusCode).toBe(200);
    });

    it.each([
      ['only zero-width spaces', { name: '\u200B\u200B' }, 'invalid-act-name'],
      ['only a BOM and a word joiner', { name: '\uFEFF\u2060' }, 'invalid-act-name'],
      ['only Hangul fillers', { name: '\u3164\u3164' }, 'invalid-act-name'],
      ['a right-to-left override in the name', { name: 'invoice\u202Efdp.exe' }, 'invalid-act-name'],
      ['a left-to-right embedding in the name', { name: 'a\u202Ab' }, 'invalid-act-name'],
      ['a first-strong isolate in the name', { name: 'a\u2068b' }, 'invalid-act-name'],
      ['a pop-directional isolate in the description', { description: 'x\u2069' }, 'invalid-act-description'],
      ['a pop-directional formatting in the description', { description: 'x\u202C' }, 'invalid-act-description'],
    ])('a name or description with %s is refused like a control character', async (_label, overrides, type) => {
      const before = await head();
      const res = await post('/api/v1/acts', act({ documentHash: '2'.repeat(64), ...overrides }));
      expect(res.statusCode).toBe(400);
      expect(typeOf(res)).toBe(type);
      expect(await head()).toBe(before);
    });

    it('a name with a zero-width joiner inside visible text (an emoji sequence) stands', async () => {
      const res = await post('/api/v1/acts', act({ documentHash: '3'.repeat(64), name: 'Family 👨\u200D👩\u200D👧' }));
      expect(res.statusCode).toBe(201);
    });
  });
});
