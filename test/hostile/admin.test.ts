/**
 * Hostile input, surface 6: the admin API. Without the admin token every route answers 401 (403
 * for a token that is not the admin's) before it reads a body; with it, bad bodies get their own
 * route's problem types. No refusal writes to the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProblemName } from '../../src/http/problems.ts';
import {
  JANA,
  call,
  describeAnswer,
  expectProblem,
  expectServing,
  logHead,
  providerKeyPair,
  providerWithToken,
  requestToken,
  clientAssertion,
  startHostileServer,
  stopHostileServer,
  tokenUrl,
  unhandledErrorLines,
  type Answer,
  type CallOptions,
  type Provider,
  type RunningServer,
} from './support.ts';

describe('hostile: admin API', () => {
  let server: RunningServer;
  let provider: Provider;

  beforeAll(async () => {
    server = await startHostileServer();
    provider = await providerWithToken(server, { name: 'Admin target' });
  });
  afterAll(() => stopHostileServer(server));

  const refusedWithoutTrace = async (send: () => Promise<Answer>): Promise<Answer> => {
    const head = await logHead(server);
    const retention = (await call(server, 'GET', '/api/v1/admin/retention', { token: server.adminToken })).body;
    const providers = (await call(server, 'GET', '/api/v1/admin/providers', { token: server.adminToken })).body;
    const answer = await send();
    expect(await logHead(server), `log head moved after ${describeAnswer(answer)}`).toBe(head);
    expect((await call(server, 'GET', '/api/v1/admin/retention', { token: server.adminToken })).body).toEqual(retention);
    expect((await call(server, 'GET', '/api/v1/admin/providers', { token: server.adminToken })).body).toEqual(providers);
    return answer;
  };

  /** Every admin route, with a body that would be refused even with the token. */
  const routes = (): Array<[string, string, CallOptions]> => {
    const p = provider.providerId;
    return [
      ['GET', '/api/v1/admin/providers', {}],
      ['POST', '/api/v1/admin/providers', { json: { name: 123, jwks: 'none' } }],
      ['GET', `/api/v1/admin/providers/${p}`, {}],
      ['POST', `/api/v1/admin/providers/${p}/keys`, { json: { jwk: { kty: 'RSA', d: 'private' } } }],
      ['POST', `/api/v1/admin/providers/${p}/keys/${provider.kid}/revocation`, {}],
      ['PUT', `/api/v1/admin/providers/${p}/return-urls`, { json: { returnUrls: 'javascript:alert(1)' } }],
      ['PUT', `/api/v1/admin/providers/${p}/suspension`, { json: { reason: 42 } }],
      ['DELETE', `/api/v1/admin/providers/${p}/suspension`, {}],
      ['POST', '/api/v1/admin/citizens', { json: { displayName: 5, phoneVerified: 'yes' } }],
      ['GET', '/api/v1/admin/citizens', {}],
      ['GET', `/api/v1/admin/citizens/${JANA}/sepp`, {}],
      ['PUT', `/api/v1/admin/citizens/${JANA}`, { json: { country: 5, phoneVerified: 'yes' } }],
      ['GET', `/api/v1/admin/citizens/${JANA}`, {}],
      ['POST', `/api/v1/admin/citizens/${JANA}/mobile-keys`, { json: { fcmToken: 1, publicKey: { kty: 'EC', d: 'private' } } }],
      ['DELETE', `/api/v1/admin/citizens/${JANA}/mobile-keys/mk-jana-1`, {}],
      ['GET', '/api/v1/admin/retention', {}],
      ['PUT', '/api/v1/admin/retention', { json: { failedAuthorizationRetention: 'forever', purgeEvery: 0 } }],
      ['GET', '/api/v1/admin/failed-authorizations?limit=abc', {}],
      ['GET', '/api/v1/simulator/outbox', {}],
    ];
  };

  describe('without the admin token every route answers 401 before reading anything', () => {
    const credentials: Array<[string, () => string | undefined, number[], ProblemName[]]> = [
      ['no Authorization header', () => undefined, [401], ['unauthorized']],
      ['the Basic scheme with the admin token', () => `Basic ${Buffer.from(`admin:${server.adminToken}`).toString('base64')}`, [401], ['unauthorized']],
      ['the admin token without a scheme', () => server.adminToken, [401], ['unauthorized']],
      ['a wrong token', () => 'Bearer wrong-token-0123456789', [401, 403], ['unauthorized', 'forbidden', 'invalid-token']],
      ['the admin token in upper case', () => `Bearer ${server.adminToken.toUpperCase()}`, [401, 403], ['unauthorized', 'forbidden', 'invalid-token']],
      ['the admin token in lower case', () => `Bearer ${server.adminToken.toLowerCase()}`, [401, 403], ['unauthorized', 'forbidden', 'invalid-token']],
      ['the admin token with a character more', () => `Bearer ${server.adminToken}x`, [401, 403], ['unauthorized', 'forbidden', 'invalid-token']],
      ['half of the admin token', () => `Bearer ${server.adminToken.slice(0, Math.floor(server.adminToken.length / 2))}`, [401, 403], ['unauthorized', 'forbidden', 'invalid-token']],
      ['a provider ActAs token', () => `Bearer ${provider.token}`, [401, 403], ['unauthorized', 'forbidden', 'invalid-token']],
    ];
    for (const [label, header, statuses, types] of credentials) {
      it(`answers ${label} on every admin route (bad bodies included) with ${statuses.join(' or ')}, never 400`, async () => {
        for (const [method, path, options] of routes()) {
          const h = header();
          const a = await refusedWithoutTrace(() => call(server, method, path, { ...options, headers: { ...options.headers, ...(h ? { authorization: h } : {}) } }));
          expectProblem(a, statuses, types, `${method} ${path} with ${label}`);
          if (a.status === 401) expect(a.headers.get('www-authenticate') ?? '', `${method} ${path}`).toMatch(/^Bearer/i);
          expect(a.text).not.toContain(provider.publicJwk.x as string);
        }
      });
    }

    it.each([
      ['invalid JSON', { raw: '{"name":', headers: { 'content-type': 'application/json' } }],
      ['a text/plain body', { raw: 'name=x', headers: { 'content-type': 'text/plain' } }],
      ['a form body', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
      ['an empty JSON body', { raw: '', headers: { 'content-type': 'application/json' } }],
      ['__proto__ in the body', { raw: '{"__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } }],
    ] as Array<[string, CallOptions]>)('answers %s without a token on POST /api/v1/admin/providers with 401', async (label, options) => {
      expectProblem(await refusedWithoutTrace(() => call(server, 'POST', '/api/v1/admin/providers', options)), 401, 'unauthorized', label);
    });

    it('answers an oversized body without a token with 401 (or 413), never 400', async () => {
      const a = await refusedWithoutTrace(() => call(server, 'POST', '/api/v1/admin/providers', { json: { name: 'x'.repeat(200_000) } }));
      expectProblem(a, [401, 413], ['unauthorized', 'payload-too-large'], 'oversized without token');
    });

    it('does not take the admin token from the query string', async () => {
      const a = await call(server, 'GET', `/api/v1/admin/providers?access_token=${server.adminToken}&token=${server.adminToken}`);
      expectProblem(a, 401, 'unauthorized', 'admin token in query');
    });
  });

  describe('the scheme of the admin token is case-insensitive', () => {
    it.each([['Bearer'], ['bearer'], ['BEARER'], ['BeArEr']])('accepts %s <admin token>', async (scheme) => {
      const a = await call(server, 'GET', '/api/v1/admin/providers', { headers: { authorization: `${scheme} ${server.adminToken}` } });
      expect(a.status, describeAnswer(a)).toBe(200);
    });
  });

  describe('POST /api/v1/admin/providers with the token: bad bodies have the route\'s own problem types', () => {
    const key = () => providerKeyPair();
    const admin = (options: CallOptions) => call(server, 'POST', '/api/v1/admin/providers', { token: server.adminToken, ...options });
    const nameCases: Array<[string, unknown]> = [
      ['a name of 201 characters', 'p'.repeat(201)],
      ['an empty name', ''],
      ['a name that is a number', 123],
      ['a name in an array', ['Provider']],
      ['a null name', null],
    ];
    it.each(nameCases)('refuses %s as a provider-name problem, not invalid-act-name', async (label, name) => {
      const a = await refusedWithoutTrace(async () => admin({ json: { name, jwks: { keys: [(await key()).publicJwk] } } }));
      expectProblem(a, 400, ['invalid-provider-name', 'invalid-request'], label);
      expect(a.body!.type).not.toBe('urn:problem:act-ledger:invalid-act-name');
    });

    const bodyCases: Array<[string, () => Promise<unknown>, number, ProblemName[]]> = [
      ['jwks missing', async () => ({ name: 'P' }), 400, ['invalid-request']],
      ['jwks without keys', async () => ({ name: 'P', jwks: {} }), 400, ['invalid-request']],
      ['an empty key list', async () => ({ name: 'P', jwks: { keys: [] } }), 400, ['invalid-request']],
      ['eleven keys', async () => ({ name: 'P', jwks: { keys: await Promise.all(Array.from({ length: 11 }, async () => (await key()).publicJwk)) } }), 400, ['invalid-request']],
      ['a private key (d)', async () => ({ name: 'P', jwks: { keys: [{ ...(await key()).publicJwk, d: 'c2VjcmV0' }] } }), 400, ['invalid-request']],
      ['an RSA key', async () => ({ name: 'P', jwks: { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] } }), 400, ['invalid-request']],
      ['a symmetric key', async () => ({ name: 'P', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), 400, ['invalid-request']],
      ['a P-384 key', async () => ({ name: 'P', jwks: { keys: [{ ...(await key()).publicJwk, crv: 'P-384' }] } }), 400, ['invalid-request']],
      ['an EC key without y', async () => {
        const { y: _y, ...jwk } = (await key()).publicJwk;
        return { name: 'P', jwks: { keys: [jwk] } };
      }, 400, ['invalid-request']],
      ['an Ed25519 key with y', async () => ({ name: 'P', jwks: { keys: [{ ...(await providerKeyPair('EdDSA')).publicJwk, y: 'AAAA' }] } }), 400, ['invalid-request']],
      ['alg HS256 on a key', async () => ({ name: 'P', jwks: { keys: [{ ...(await key()).publicJwk, alg: 'HS256' }] } }), 400, ['invalid-request']],
      ['use enc on a key', async () => ({ name: 'P', jwks: { keys: [{ ...(await key()).publicJwk, use: 'enc' }] } }), 400, ['invalid-request']],
      ['an x of 201 characters', async () => ({ name: 'P', jwks: { keys: [{ ...(await key()).publicJwk, x: 'A'.repeat(201) }] } }), 400, ['invalid-request']],
      ['an EC point that is not on the curve', async () => ({ name: 'P', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'B'.repeat(43) }] } }), 400, ['invalid-request']],
      ['a return URL with javascript:', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: ['javascript:alert(1)'] }), 400, ['invalid-request']],
      ['a return URL with data:', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: ['data:text/html,x'] }), 400, ['invalid-request']],
      ['a relative return URL', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: ['/return'] }), 400, ['invalid-request']],
      ['a scheme-relative return URL', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: ['//evil.example/return'] }), 400, ['invalid-request']],
      ['a return URL with credentials', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: ['https://user:pass@provider.example/return'] }), 400, ['invalid-request']],
      ['a return URL with a fragment', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: ['https://provider.example/return#x'] }), 400, ['invalid-request']],
      ['an ftp return URL', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: ['ftp://provider.example/return'] }), 400, ['invalid-request']],
      ['21 return URLs', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: Array.from({ length: 21 }, (_, i) => `https://p${i}.example/r`) }), 400, ['invalid-request']],
      ['a return URL of 2001 characters', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: [`https://p.example/${'r'.repeat(1990)}`] }), 400, ['invalid-request']],
      ['a return URL that is a number', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, returnUrls: [42] }), 400, ['invalid-request']],
      ['a providerId in upper case', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, providerId: 'UPPER-case' }), 400, ['invalid-request']],
      ['a providerId with a traversal', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, providerId: '../admin' }), 400, ['invalid-request']],
      ['a providerId of 64 characters', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, providerId: 'p'.repeat(64) }), 400, ['invalid-request']],
      ['the providerId of an existing provider', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, providerId: provider.providerId }), 409, ['conflict']],
      ['an extra property', async () => ({ name: 'P', jwks: { keys: [(await key()).publicJwk] }, suspended: false }), 400, ['invalid-request']],
    ];
    it.each(bodyCases)('refuses %s', async (label, make, status, types) => {
      const body = await make();
      expectProblem(await refusedWithoutTrace(() => admin({ json: body })), status, types, label);
    });

    it.each([
      ['invalid JSON', '{"name":', 'application/json', 400, 'invalid-request'],
      ['__proto__ in the body', '{"name":"P","jwks":{"keys":[]},"__proto__":{"x":1}}', 'application/json', 400, 'invalid-request'],
      ['constructor.prototype in jwks', '{"name":"P","jwks":{"constructor":{"prototype":{"x":1}}}}', 'application/json', 400, 'invalid-request'],
      ['a deeply nested jwks', `{"name":"P","jwks":${'{"keys":['.repeat(3000)}${']}'.repeat(3000)}}`, 'application/json', 400, 'invalid-request'],
      ['a text/plain body', '{"name":"P"}', 'text/plain', 415, 'unsupported-media-type'],
      ['a form body', 'name=P', 'application/x-www-form-urlencoded', 415, 'unsupported-media-type'],
    ] as Array<[string, string, string, number, ProblemName]>)('refuses %s', async (label, raw, type, status, problem) => {
      expectProblem(await refusedWithoutTrace(() => admin({ raw, headers: { 'content-type': type } })), status, problem, label);
    });

    it('never answers 5xx when a provider\'s key cannot be imported (if registration accepted it)', async () => {
      const reg = await admin({ json: { name: 'Odd key', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'B'.repeat(43), kid: 'odd' }] } } });
      if (reg.status !== 201) return;
      const pair = await providerKeyPair();
      const a = await requestToken(server, await clientAssertion({ ...pair, kid: 'odd', providerId: String(reg.body!.providerId) }, tokenUrl(server)));
      expectProblem(a, 401, 'invalid-client', 'assertion for an unimportable key');
    });
  });

  describe('other admin routes with the token: bad input', () => {
    const p = () => provider.providerId;
    const cases: Array<[string, () => [string, string, CallOptions], number, ProblemName[]]> = [
      ['a key without jwk', () => ['POST', `/api/v1/admin/providers/${p()}/keys`, { json: {} }], 400, ['invalid-request']],
      ['a private key', () => ['POST', `/api/v1/admin/providers/${p()}/keys`, { json: { jwk: { ...provider.publicJwk, kid: 'k2', d: 'c2VjcmV0' } } }], 400, ['invalid-request']],
      ['a key for an unknown provider', () => ['POST', '/api/v1/admin/providers/no-such-provider/keys', { json: { jwk: { ...provider.publicJwk, kid: 'k3' } } }], 404, ['provider-unknown', 'not-found']],
      ['a revocation of an unknown key', () => ['POST', `/api/v1/admin/providers/${p()}/keys/no-such-kid/revocation`, {}], 404, ['key-unknown', 'not-found']],
      ['a revocation for an unknown provider', () => ['POST', `/api/v1/admin/providers/no-such-provider/keys/${provider.kid}/revocation`, {}], 404, ['provider-unknown', 'not-found']],
      ['return URLs that are not an array', () => ['PUT', `/api/v1/admin/providers/${p()}/return-urls`, { json: { returnUrls: 'https://x.example/' } }], 400, ['invalid-request']],
      ['a javascript: return URL', () => ['PUT', `/api/v1/admin/providers/${p()}/return-urls`, { json: { returnUrls: ['javascript:alert(1)'] } }], 400, ['invalid-request']],
      ['return URLs for an unknown provider', () => ['PUT', '/api/v1/admin/providers/no-such-provider/return-urls', { json: { returnUrls: [] } }], 404, ['provider-unknown', 'not-found']],
      ['a suspension reason of 501 characters', () => ['PUT', `/api/v1/admin/providers/${p()}/suspension`, { json: { reason: 'r'.repeat(501) } }], 400, ['invalid-request']],
      ['a suspension reason that is a number', () => ['PUT', `/api/v1/admin/providers/${p()}/suspension`, { json: { reason: 42 } }], 400, ['invalid-request']],
      ['a suspension of an unknown provider', () => ['PUT', '/api/v1/admin/providers/no-such-provider/suspension', { json: {} }], 404, ['provider-unknown', 'not-found']],
      ['a provider id of 101 characters', () => ['GET', `/api/v1/admin/providers/${'p'.repeat(101)}`, {}], 414, ['invalid-request', 'not-found']],
      ['an unknown provider id', () => ['GET', '/api/v1/admin/providers/no-such-provider', {}], 404, ['not-found', 'provider-unknown']],
      ['a test person with a 101-character name', () => ['POST', '/api/v1/admin/citizens', { json: { displayName: 'n'.repeat(101) } }], 400, ['invalid-request']],
      ['a test person with a lower-case country', () => ['POST', '/api/v1/admin/citizens', { json: { country: 'cz' } }], 400, ['invalid-request']],
      ['a test person with a phone that is not E.164', () => ['POST', '/api/v1/admin/citizens', { json: { phone: '601 000 001' } }], 400, ['invalid-request']],
      ['a test person with phoneVerified "true" (no coercion)', () => ['POST', '/api/v1/admin/citizens', { json: { phoneVerified: 'true' } }], 400, ['invalid-request']],
      ['a test person with mobileKey 1 (no coercion)', () => ['POST', '/api/v1/admin/citizens', { json: { mobileKey: 1 } }], 400, ['invalid-request']],
      ['a test person with an extra property', () => ['POST', '/api/v1/admin/citizens', { json: { aifo: 'chosen' } }], 400, ['invalid-request']],
      ['a SePP lookup without providerId', () => ['GET', `/api/v1/admin/citizens/${JANA}/sepp`, {}], 400, ['invalid-request']],
      ['a SePP lookup for an unknown provider', () => ['GET', `/api/v1/admin/citizens/${JANA}/sepp?providerId=no-such-provider`, {}], 404, ['not-found']],
      ['a SePP lookup for an unknown person', () => ['GET', `/api/v1/admin/citizens/nobody/sepp?providerId=${p()}`, {}], 404, ['not-found']],
      ['a SePP lookup with a 101-character AIFO', () => ['GET', `/api/v1/admin/citizens/${'a'.repeat(101)}/sepp?providerId=${p()}`, {}], 414, ['invalid-request', 'not-found']],
      ['an outbox read without aifo', () => ['GET', '/api/v1/simulator/outbox', {}], 400, ['invalid-request']],
      ['an outbox read with aifo repeated', () => ['GET', `/api/v1/simulator/outbox?aifo=${JANA}&aifo=x`, {}], 400, ['invalid-request']],
      ['failed authorizations with limit=abc', () => ['GET', '/api/v1/admin/failed-authorizations?limit=abc', {}], 400, ['invalid-request']],
      ['failed authorizations with limit=0', () => ['GET', '/api/v1/admin/failed-authorizations?limit=0', {}], 400, ['invalid-request']],
      ['failed authorizations with limit=100000', () => ['GET', '/api/v1/admin/failed-authorizations?limit=100000', {}], 400, ['invalid-request']],
      ['failed authorizations with an unknown reason', () => ['GET', '/api/v1/admin/failed-authorizations?reason=evil', {}], 400, ['invalid-request']],
      ['failed authorizations with an unknown parameter', () => ['GET', '/api/v1/admin/failed-authorizations?where=1', {}], 400, ['invalid-request']],
    ];
    it.each(cases)('refuses %s', async (label, make, status, types) => {
      const [method, path, options] = make();
      // An over-long path parameter may be refused as 414 or 400/404; either way as problem+json.
      const statuses = status === 414 ? [400, 404, 414] : status;
      expectProblem(await refusedWithoutTrace(() => call(server, method, path, { token: server.adminToken, ...options })), statuses, types, label);
    });
  });

  describe('PUT /api/v1/admin/retention with the token: bad policies', () => {
    const put = (body: unknown) => call(server, 'PUT', '/api/v1/admin/retention', { token: server.adminToken, json: body });
    const cases: Array<[string, unknown, ProblemName[]]> = [
      ['a retention that is not a duration', { failedAuthorizationRetention: 'forever', purgeEvery: 'PT5M' }, ['invalid-retention-policy']],
      ['a zero retention', { failedAuthorizationRetention: 'PT0S', purgeEvery: 'PT5M' }, ['invalid-retention-policy']],
      ['a retention below the minimum', { failedAuthorizationRetention: 'PT30S', purgeEvery: 'PT5M' }, ['invalid-retention-policy']],
      ['a retention of 1000 years', { failedAuthorizationRetention: 'P1000Y', purgeEvery: 'PT5M' }, ['invalid-retention-policy']],
      ['a retention of 10^20 hours', { failedAuthorizationRetention: 'PT99999999999999999999H', purgeEvery: 'PT5M' }, ['invalid-retention-policy']],
      ['a retention of 1e400 seconds', { failedAuthorizationRetention: `PT1${'0'.repeat(35)}S`, purgeEvery: 'PT5M' }, ['invalid-retention-policy']],
      ['a negative retention', { failedAuthorizationRetention: '-P1D', purgeEvery: 'PT5M' }, ['invalid-retention-policy']],
      ['a fractional duration', { failedAuthorizationRetention: 'P0.5D', purgeEvery: 'PT5M' }, ['invalid-retention-policy']],
      ['a retention with a trailing space', { failedAuthorizationRetention: 'P1D ', purgeEvery: 'PT5M' }, ['invalid-retention-policy']],
      ['a purge interval below the minimum', { failedAuthorizationRetention: 'P1D', purgeEvery: 'PT1S' }, ['invalid-retention-policy']],
      ['a purge interval over the maximum', { failedAuthorizationRetention: 'P1D', purgeEvery: 'P30D' }, ['invalid-retention-policy']],
      ['a retention as a number', { failedAuthorizationRetention: 86400, purgeEvery: 'PT5M' }, ['invalid-retention-policy', 'invalid-request']],
      ['a retention in an array', { failedAuthorizationRetention: ['P1D'], purgeEvery: 'PT5M' }, ['invalid-retention-policy', 'invalid-request']],
      ['the purge interval missing', { failedAuthorizationRetention: 'P1D' }, ['invalid-retention-policy', 'invalid-request']],
      ['an extra property', { failedAuthorizationRetention: 'P1D', purgeEvery: 'PT5M', changedBy: 'someone' }, ['invalid-request']],
      ['a retention of 41 characters', { failedAuthorizationRetention: `P${'1'.repeat(39)}D`, purgeEvery: 'PT5M' }, ['invalid-retention-policy', 'invalid-request']],
    ];
    it.each(cases)('refuses %s with 400', async (label, body, types) => {
      expectProblem(await refusedWithoutTrace(() => put(body)), 400, types, label);
    });
  });

  it('kept serving and logged no unhandled error', async () => {
    await expectServing(server);
    expect(unhandledErrorLines(server)).toEqual([]);
  });
});
