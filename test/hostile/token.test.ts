/**
 * Hostile input, surface 1: the token endpoint (RFC 7523 client assertions) and ActAs tokens on
 * provider routes, over real HTTP against a real `ledger serve` process.
 */
import { KeyObject, randomUUID, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import {
  ASSERTION_TYPE,
  accessToken,
  call,
  describeAnswer,
  expectNo5xx,
  expectProblem,
  expectServing,
  ledgerSigningKey,
  logHead,
  providerKeyPair,
  registerProvider,
  requestToken,
  startHostileServer,
  stopHostileServer,
  times,
  tokenForm,
  tokenUrl,
  unhandledErrorLines,
  type Answer,
  type ProviderIdentity,
  type RunningServer,
} from './support.ts';

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

describe('hostile: token endpoint and JWT attacks', () => {
  let server: RunningServer;
  let provider: ProviderIdentity;
  let other: ProviderIdentity;
  let ed: ProviderIdentity;
  let token: string;
  let headAtStart: number;

  beforeAll(async () => {
    server = await startHostileServer();
    provider = await registerProvider(server, { name: 'Token target' });
    other = await registerProvider(server, { name: 'Another provider' });
    ed = await registerProvider(server, { name: 'EdDSA provider', alg: 'EdDSA' });
    token = await accessToken(server, provider);
    headAtStart = await logHead(server);
  });
  afterAll(() => stopHostileServer(server));

  /** Every claim of a valid assertion of `id`; `patch` replaces (undefined removes) claims. */
  const claimsOf = (id: ProviderIdentity, patch: Record<string, unknown> = {}) => {
    const base: Record<string, unknown> = { iss: id.providerId, sub: id.providerId, aud: tokenUrl(server), jti: randomUUID(), iat: now(), exp: now() + 120 };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete base[k];
      else base[k] = v;
    }
    return base;
  };
  /** Signs exactly these claims with `key` (the provider's by default): nothing added by a builder. */
  const signed = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, id: ProviderIdentity = provider, key: CryptoKey = id.privateKey) =>
    new SignJWT(claims).setProtectedHeader({ alg: id.alg, kid: id.kid, ...header } as { alg: string }).sign(key);
  /** Signs header and claims by hand (jose refuses to sign some hostile headers), ES256 or EdDSA. */
  const signedByHand = (header: Record<string, unknown>, claims: Record<string, unknown>, id: ProviderIdentity = provider) => {
    const input = `${b64url({ alg: id.alg, kid: id.kid, ...header })}.${b64url(claims)}`;
    const key = KeyObject.from(id.privateKey as unknown as Parameters<typeof KeyObject.from>[0]);
    const signature = id.alg === 'ES256' ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : cryptoSign(null, Buffer.from(input), key);
    return `${input}.${signature.toString('base64url')}`;
  };
  const unsigned = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none' }) => `${b64url(header)}.${b64url(claims)}.`;
  const hs256 = async (secret: string, claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: provider.kid }).sign(new TextEncoder().encode(secret));

  const refusedAsClient = (a: Answer, label: string) => {
    expectProblem(a, 401, 'invalid-client', label);
    expect(a.text, label).not.toContain('access_token');
  };

  describe('client assertions the endpoint must refuse as invalid-client (401)', () => {
    const stranger = providerKeyPair();
    const cases: Array<[string, () => Promise<string>]> = [
      ['alg none with the provider kid', async () => unsigned(claimsOf(provider), { alg: 'none', kid: provider.kid })],
      ['alg none without kid', async () => unsigned(claimsOf(provider))],
      ['alg "None" (case variant)', async () => unsigned(claimsOf(provider), { alg: 'None', kid: provider.kid })],
      ['HS256 with the public JWK as the secret', () => hs256(JSON.stringify(provider.publicJwk), claimsOf(provider))],
      ['HS256 with the public key x coordinate as the secret', () => hs256(String(provider.publicJwk.x), claimsOf(provider))],
      ['HS256 with the public key PEM as the secret', async () => {
        const { importJWK } = await import('jose');
        const pub = await importJWK({ ...provider.publicJwk }, 'ES256');
        return hs256(await exportSPKI(pub as CryptoKey), claimsOf(provider));
      }],
      ['HS256 of an EdDSA provider with its x as the secret', async () =>
        new SignJWT(claimsOf(ed)).setProtectedHeader({ alg: 'HS256', kid: ed.kid }).sign(new TextEncoder().encode(String(ed.publicJwk.x)))],
      ['RS256 signed by an RSA key under the provider kid', async () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return new SignJWT(claimsOf(provider)).setProtectedHeader({ alg: 'RS256', kid: provider.kid }).sign(privateKey);
      }],
      ['ES256 header on an EdDSA provider key', async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return new SignJWT(claimsOf(ed)).setProtectedHeader({ alg: 'ES256', kid: ed.kid }).sign(privateKey);
      }],
      ['signed by a stranger key under the provider kid', async () => signed(claimsOf(provider), {}, provider, (await stranger).privateKey)],
      ['signed by a stranger key with an unknown kid', async () => signed(claimsOf(provider), { kid: 'no-such-kid' }, provider, (await stranger).privateKey)],
      ['signed by a stranger key that embeds itself as jwk', async () => signed(claimsOf(provider), { jwk: (await stranger).publicJwk }, provider, (await stranger).privateKey)],
      ['signed by a stranger key with a jku pointing elsewhere', async () => signed(claimsOf(provider), { jku: 'https://evil.example/jwks.json' }, provider, (await stranger).privateKey)],
      ['unknown kid', () => signed(claimsOf(provider), { kid: 'k-unknown' })],
      ['kid with path traversal', () => signed(claimsOf(provider), { kid: '../../../../etc/passwd' })],
      ['kid as a number', () => signed(claimsOf(provider), { kid: 12345 })],
      ['kid of another provider', () => signed(claimsOf(provider), { kid: other.kid })],
      ['iss of another provider, signed by this one', () => signed(claimsOf(provider, { iss: other.providerId, sub: other.providerId }))],
      ['iss of an unknown provider', () => signed(claimsOf(provider, { iss: 'nobody-here', sub: 'nobody-here' }))],
      ['sub different from iss', () => signed(claimsOf(provider, { sub: other.providerId }))],
      ['sub missing', () => signed(claimsOf(provider, { sub: undefined }))],
      ['aud of another host', () => signed(claimsOf(provider, { aud: 'https://elsewhere.example/api/v1/token' }))],
      ['aud of the acts API', () => signed(claimsOf(provider, { aud: `${server.url}/api/v1/acts` }))],
      ['aud missing', () => signed(claimsOf(provider, { aud: undefined }))],
      ['expired (exp two minutes ago)', () => signed(claimsOf(provider, { iat: now() - 600, exp: now() - 120 }))],
      ['exp an hour ahead (longer than 5 minutes)', () => signed(claimsOf(provider, { exp: now() + 3600 }))],
      ['exp 400 s ahead (past 5 minutes and the tolerance)', () => signed(claimsOf(provider, { exp: now() + 400 }))],
      ['iat ten minutes in the future', () => signed(claimsOf(provider, { iat: now() + 600, exp: now() + 700 }))],
      ['nbf ten minutes in the future', () => signed(claimsOf(provider, { nbf: now() + 600 }))],
      ['exp missing', () => signed(claimsOf(provider, { exp: undefined }))],
      ['iat missing', () => signed(claimsOf(provider, { iat: undefined }))],
      ['exp as a string', () => signed(claimsOf(provider, { exp: String(now() + 120) }))],
      ['iat as a string', () => signed(claimsOf(provider, { iat: String(now()) }))],
      ['jti missing', () => signed(claimsOf(provider, { jti: undefined }))],
      ['jti as an object', () => signed(claimsOf(provider, { jti: { id: randomUUID() } }))],
      ['jti as an array', () => signed(claimsOf(provider, { jti: [randomUUID()] }))],
      ['jti as true', () => signed(claimsOf(provider, { jti: true }))],
      ['jti as a number', () => signed(claimsOf(provider, { jti: Date.now() }))],
      ['jti as null', () => signed(claimsOf(provider, { jti: null }))],
      ['jti as an empty string', () => signed(claimsOf(provider, { jti: '' }))],
      ['jti as a 5000-character string', () => signed(claimsOf(provider, { jti: `j${'x'.repeat(4999)}` }))],
      ['a crit header the ledger does not understand', async () => signedByHand({ crit: ['x-unknown'], 'x-unknown': 1 }, claimsOf(provider))],
      ['the signature stripped', async () => `${(await signed(claimsOf(provider))).split('.').slice(0, 2).join('.')}.`],
      ['the payload swapped after signing', async () => {
        const [h, , s] = (await signed(claimsOf(provider))).split('.');
        return `${h}.${b64url(claimsOf(other))}.${s}`;
      }],
      ['an ActAs token of the ledger presented as an assertion', async () => token],
    ];
    it.each(cases)('refuses %s', async (label, make) => {
      refusedAsClient(await requestToken(server, await make()), label);
    });
  });

  it('accepts a hand-signed assertion without crit (so the crit refusal above is about crit)', async () => {
    const a = await requestToken(server, signedByHand({}, claimsOf(provider)));
    expect(a.status, describeAnswer(a)).toBe(200);
  });

  describe('assertions that are not JWTs: invalid-request (400) or invalid-client (401), never a token', () => {
    const cases: Array<[string, () => Promise<string>]> = [
      ['not a JWT', async () => 'not-a-jwt'],
      ['three empty segments', async () => '..'],
      ['a header that is not JSON', async () => `${b64url('{{{')}.${b64url(claimsOf(provider))}.sig`],
      ['a payload that is not JSON', async () => `${b64url({ alg: 'ES256', kid: provider.kid })}.${b64url('not json')}.sig`],
      ['a JWE-shaped value (five segments)', async () => 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aaaa.bbbb.cccc'],
      ['iss missing', () => signed(claimsOf(provider, { iss: undefined }))],
      ['iss as a number', () => signed(claimsOf(provider, { iss: 12345 }))],
      ['iss as an object', () => signed(claimsOf(provider, { iss: { id: provider.providerId } }))],
      ['iss as an array', () => signed(claimsOf(provider, { iss: [provider.providerId] }))],
      ['payload an array', async () => `${b64url({ alg: 'ES256', kid: provider.kid })}.${b64url([1, 2])}.sig`],
    ];
    it.each(cases)('refuses %s', async (label, make) => {
      const a = await requestToken(server, await make());
      expect([400, 401], describeAnswer(a)).toContain(a.status);
      expectProblem(a, [400, 401], ['invalid-request', 'invalid-client'], label);
    });
  });

  describe('single use of jti', () => {
    it('answers a token for a fresh assertion, then refuses the same assertion as replayed', async () => {
      const assertion = await signed(claimsOf(provider));
      const first = await requestToken(server, assertion);
      expect(first.status, describeAnswer(first)).toBe(200);
      const again = await requestToken(server, assertion);
      refusedAsClient(again, 'replay');
      expect(again.body!.reason).toBe('replayed');
    });

    it('refuses a new assertion that reuses the jti of an earlier one', async () => {
      const jti = randomUUID();
      expect((await requestToken(server, await signed(claimsOf(provider, { jti })))).status).toBe(200);
      refusedAsClient(await requestToken(server, await signed(claimsOf(provider, { jti, exp: now() + 200 }))), 'same jti, new assertion');
    });

    it('gives exactly one token for one assertion sent 10 times at once', async () => {
      const assertion = await signed(claimsOf(provider));
      const answers = await Promise.all(times(10).map(() => requestToken(server, assertion)));
      for (const a of answers) expectNo5xx(a, 'parallel replay');
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      for (const a of answers.filter((x) => x.status !== 200)) refusedAsClient(a, 'parallel replay');
    });

    it('keeps jti scopes per provider: one jti used by two providers gives both a token', async () => {
      const jti = randomUUID();
      expect((await requestToken(server, await signed(claimsOf(provider, { jti })))).status).toBe(200);
      const b = await requestToken(server, await signed(claimsOf(other, { jti }), {}, other));
      expect(b.status, describeAnswer(b)).toBe(200);
    });
  });

  describe('request shapes', () => {
    const form = (fields: Record<string, string>) => ({ raw: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const jsonOf = (body: unknown) => ({ json: body });
    const valid = async () => signed(claimsOf(provider));

    it('issues a token for a JSON body and for a form body', async () => {
      for (const shape of ['json', 'form'] as const) {
        const fields = { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await valid() };
        const a = await call(server, 'POST', '/api/v1/token', shape === 'json' ? jsonOf(fields) : form(fields));
        expect(a.status, `${shape}: ${describeAnswer(a)}`).toBe(200);
        expect(a.body).toMatchObject({ token_type: 'Bearer' });
        expect(a.headers.get('cache-control')).toBe('no-store');
      }
    });

    const invalid: Array<[string, () => Promise<Parameters<typeof call>[3]>]> = [
      ['grant_type password', async () => jsonOf({ grant_type: 'password', client_assertion_type: ASSERTION_TYPE, client_assertion: await valid() })],
      ['grant_type authorization_code (form)', async () => form({ grant_type: 'authorization_code', client_assertion_type: ASSERTION_TYPE, client_assertion: await valid() })],
      ['grant_type missing', async () => jsonOf({ client_assertion_type: ASSERTION_TYPE, client_assertion: await valid() })],
      ['grant_type as an array (no coercion)', async () => jsonOf({ grant_type: ['client_credentials'], client_assertion_type: ASSERTION_TYPE, client_assertion: await valid() })],
      ['client_assertion_type of a SAML assertion', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: await valid() })],
      ['client_assertion_type missing', async () => jsonOf({ grant_type: 'client_credentials', client_assertion: await valid() })],
      ['client_assertion_type in upper case', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE.toUpperCase(), client_assertion: await valid() })],
      ['client_assertion missing', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE })],
      ['client_assertion empty', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: '' })],
      ['client_assertion a number', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: 12345 })],
      ['client_assertion true', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: true })],
      ['client_assertion null', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: null })],
      ['client_assertion an object', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: { jwt: await valid() } })],
      ['a valid client_assertion wrapped in an array (no coercion)', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: [await valid()] })],
      ['client_assertion of 8193 characters', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: `eyJ${'a'.repeat(8190)}` })],
      ['an extra property', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await valid(), client_secret: 'x' })],
      ['scope of 201 characters', async () => jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await valid(), scope: 's'.repeat(201) })],
      ['client_assertion twice in a form', async () => ({ raw: `${tokenForm(await valid())}&client_assertion=${await valid()}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
      ['grant_type twice in a form', async () => ({ raw: `${tokenForm(await valid())}&grant_type=client_credentials`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
      ['a JSON array body', async () => jsonOf([{ grant_type: 'client_credentials' }])],
      ['a JSON null body', async () => ({ raw: 'null', headers: { 'content-type': 'application/json' } })],
      ['a JSON string body', async () => ({ raw: '"client_credentials"', headers: { 'content-type': 'application/json' } })],
      ['invalid JSON', async () => ({ raw: '{"grant_type":', headers: { 'content-type': 'application/json' } })],
      ['an empty JSON body', async () => ({ raw: '', headers: { 'content-type': 'application/json' } })],
      ['__proto__ in the JSON body', async () => ({ raw: `{"grant_type":"client_credentials","client_assertion_type":"${ASSERTION_TYPE}","client_assertion":"${await valid()}","__proto__":{"admin":true}}`, headers: { 'content-type': 'application/json' } })],
      ['constructor.prototype in the JSON body', async () => ({ raw: `{"grant_type":"client_credentials","constructor":{"prototype":{"admin":true}}}`, headers: { 'content-type': 'application/json' } })],
    ];
    it.each(invalid)('refuses %s with 400 invalid-request', async (label, make) => {
      expectProblem(await call(server, 'POST', '/api/v1/token', await make()), 400, 'invalid-request', label);
    });

    it('refuses a body over the body limit with 413 payload-too-large', async () => {
      const a = await call(server, 'POST', '/api/v1/token', jsonOf({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: 'x'.repeat(200_000) }));
      expectProblem(a, 413, 'payload-too-large', 'oversized token body');
    });

    const mediaTypes: Array<[string, string, string]> = [
      ['text/plain', 'text/plain', tokenForm('x').toString()],
      ['application/xml', 'application/xml', '<grant_type>client_credentials</grant_type>'],
      ['multipart/form-data', 'multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--b--\r\n'],
      ['application/jwt', 'application/jwt', 'eyJhbGciOiJub25lIn0.e30.'],
    ];
    it.each(mediaTypes)('refuses a %s body with 415 unsupported-media-type', async (label, type, raw) => {
      expectProblem(await call(server, 'POST', '/api/v1/token', { raw, headers: { 'content-type': type } }), 415, 'unsupported-media-type', label);
    });

    it('answers GET on the token endpoint with a problem, not a token', async () => {
      const a = await call(server, 'GET', '/api/v1/token');
      expectProblem(a, [404, 405], ['not-found', 'method-not-allowed'], 'GET /api/v1/token');
    });
  });

  describe('ActAs tokens on provider routes', () => {
    const me = (authorization?: string) => call(server, 'GET', '/api/v1/provider', authorization === undefined ? {} : { headers: { authorization } });

    it.each([
      ['Bearer', 'Bearer'],
      ['bearer (lower case)', 'bearer'],
      ['BEARER (upper case)', 'BEARER'],
      ['bEaReR (mixed case)', 'bEaReR'],
    ])('accepts the scheme written %s (RFC 7235: case-insensitive)', async (_label, scheme) => {
      const a = await me(`${scheme} ${token}`);
      expect(a.status, describeAnswer(a)).toBe(200);
      expect(a.body).toMatchObject({ providerId: provider.providerId });
    });

    it.each([
      ['no Authorization header', undefined],
      ['the Basic scheme', `Basic ${Buffer.from('provider:secret').toString('base64')}`],
      ['the scheme alone', 'Bearer'],
      ['the scheme and a space', 'Bearer '],
      ['the token without a scheme', 'TOKEN'],
      ['a token with a space inside', 'Bearer abc def'],
      ['the Token scheme', 'Token TOKEN'],
    ])('answers %s with 401 unauthorized and a WWW-Authenticate challenge', async (label, header) => {
      const a = await me(header === 'TOKEN' ? token : header?.replace('TOKEN', token));
      expectProblem(a, 401, ['unauthorized', 'invalid-token'], label);
      expect(a.headers.get('www-authenticate') ?? '', label).toMatch(/^Bearer/i);
    });

    it('does not take a token from the query string', async () => {
      const a = await call(server, 'GET', `/api/v1/provider?access_token=${token}`);
      expectProblem(a, 401, 'unauthorized', 'token in query');
    });

    const forged: Array<[string, () => Promise<string>]> = [
      ['wrong typ (JWT instead of at+jwt)', async () => (await ledgerSigningKey(server)).sign({ typ: 'JWT' }, accessClaims())],
      ['no typ', async () => (await ledgerSigningKey(server)).sign({}, accessClaims())],
      ['typ of a client assertion', async () => (await ledgerSigningKey(server)).sign({ typ: 'client-authentication+jwt' }, accessClaims())],
      ['tampered signature', async () => {
        const [h, p, s] = token.split('.') as [string, string, string];
        return `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
      }],
      ['signature of another token', async () => {
        const second = await accessToken(server, other);
        const [h, p] = token.split('.');
        return `${h}.${p}.${second.split('.')[2]}`;
      }],
      ['tampered payload (sub of another provider)', async () => {
        const [h, p, s] = token.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
        return `${h}.${b64url({ ...claims, sub: other.providerId, client_id: other.providerId })}.${s}`;
      }],
      ['alg none with valid claims', async () => unsigned(accessClaims(), { alg: 'none', typ: 'at+jwt' })],
      ['HS256 with the ledger public key x as the secret', async () => {
        const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ x: string; kid: string }> };
        return new SignJWT(accessClaims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwks.keys[0]!.kid }).sign(new TextEncoder().encode(jwks.keys[0]!.x));
      }],
      ['signed by a key the ledger does not hold', async () => {
        const { privateKey } = await generateKeyPair('EdDSA');
        return new SignJWT(accessClaims()).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: (await ledgerSigningKey(server)).kid }).sign(privateKey);
      }],
      ['expired an hour ago', async () => (await ledgerSigningKey(server)).sign({ typ: 'at+jwt' }, accessClaims({ iat: now() - 4000, exp: now() - 3600 }))],
      ['not yet valid (nbf in an hour)', async () => (await ledgerSigningKey(server)).sign({ typ: 'at+jwt' }, accessClaims({ nbf: now() + 3600 }))],
      ['audience of the token endpoint', async () => (await ledgerSigningKey(server)).sign({ typ: 'at+jwt' }, accessClaims({ aud: tokenUrl(server) }))],
      ['issuer of another host', async () => (await ledgerSigningKey(server)).sign({ typ: 'at+jwt' }, accessClaims({ iss: 'https://evil.example' }))],
      ['subject of an unknown provider', async () => (await ledgerSigningKey(server)).sign({ typ: 'at+jwt' }, accessClaims({ sub: 'nobody-here', client_id: 'nobody-here' }))],
      ['subject as an object', async () => (await ledgerSigningKey(server)).sign({ typ: 'at+jwt' }, accessClaims({ sub: { id: provider.providerId } }))],
      ['no jti', async () => (await ledgerSigningKey(server)).sign({ typ: 'at+jwt' }, accessClaims({ jti: undefined }))],
      ['no sub', async () => (await ledgerSigningKey(server)).sign({ typ: 'at+jwt' }, accessClaims({ sub: undefined }))],
      ['a client assertion of the provider', () => signed(claimsOf(provider))],
      ['the admin token', async () => server.adminToken],
      ['a token with trailing garbage', async () => `${token}.x`],
      ['a 12 KB token of garbage', async () => 'a'.repeat(12_000)],
    ];
    function accessClaims(patch: Record<string, unknown> = {}): Record<string, unknown> {
      const base: Record<string, unknown> = { scope: 'acts', client_id: provider.providerId, iss: server.url, aud: `${server.url}/api/v1`, sub: provider.providerId, jti: randomUUID(), iat: now(), exp: now() + 300 };
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined) delete base[k];
        else base[k] = v;
      }
      return base;
    }
    it.each(forged)('refuses a bearer token with %s: 401 invalid-token', async (label, make) => {
      const bad = await make();
      const a = await me(`Bearer ${bad}`);
      expectProblem(a, 401, 'invalid-token', label);
      // The same forged token is refused on the acts API too, before any body is read.
      const acts = await call(server, 'POST', '/api/v1/acts', { token: bad, json: { sepp: 'x' } });
      expectProblem(acts, 401, 'invalid-token', `${label} on POST /api/v1/acts`);
    });

    it('still accepts the real token after all the forgeries', async () => {
      expect((await me(`Bearer ${token}`)).status).toBe(200);
    });
  });

  it('appended nothing to the log for any refusal of this file', async () => {
    expect(await logHead(server)).toBe(headAtStart);
  });

  it('kept serving and logged no unhandled error', async () => {
    await expectServing(server);
    expect(unhandledErrorLines(server)).toEqual([]);
  });
});
